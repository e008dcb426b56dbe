// The moment the link and code expire, in the reader's own time zone (the page says it in UTC).
(function () {
  // As the reader's browser writes times in the page's language (en-GB: 18:05, en-US: 6:05 PM),
  // else as that language does: the words around the time are the page's (<html lang>).
  function timeLocales() {
    var lang = document.documentElement.lang;
    var own = (navigator.languages || []).filter(function (tag) { return tag.split('-')[0].toLowerCase() === lang; });
    return own.length > 0 ? own : lang ? [lang] : [];
  }
  var times = document.querySelectorAll('time[data-local-time]');
  for (var i = 0; i < times.length; i++) {
    var at = new Date(times[i].getAttribute('datetime'));
    if (!isNaN(at.getTime())) times[i].textContent = at.toLocaleTimeString(timeLocales(), { hour: '2-digit', minute: '2-digit' });
  }
})();

// The waiting tab: when the link is confirmed on another device, continue without a click.
// Without JavaScript the "I confirmed the link" button does the same.
(function () {
  var waiting = document.getElementById('waiting');
  var form = document.getElementById('continue-form');
  var status = document.getElementById('status');
  if (!waiting || !form || !window.fetch) return;
  var url = waiting.getAttribute('data-status-url');
  // The words come with the page, in its language (views/check-email.ejs).
  var say = function (name) { return waiting.getAttribute('data-text-' + name) || ''; };
  var delay = 2000;
  var stopped = false;
  var inFlight = null;
  // Once a form here is sent (the code, a new mail, cancel), the sign-in moves on and this page's
  // status can only be "not found": a poll still on its way would end as a failed request in the
  // console. Stop polling, and call back the one in flight.
  document.addEventListener('submit', function () {
    stopped = true;
    if (inFlight) inFlight.abort();
  });

  function poll() {
    if (stopped) return;
    inFlight = window.AbortController ? new AbortController() : null;
    fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store', signal: inFlight ? inFlight.signal : undefined })
      .then(function (response) {
        if (response.ok) return response.json();
        // The sign-in is not there to ask about: it went on in another tab (the link opened in this
        // browser finishes it there), or it expired. Asking again would only fail again.
        if (response.status === 400 || response.status === 404) return { status: 'gone' };
        // Busy or unavailable (429, 5xx): ask again, less often, as after a network failure.
        throw new Error('status ' + response.status);
      })
      .then(function (body) {
        if (body.status === 'approved') {
          stopped = true;
          status.textContent = say('approved');
          form.submit();
        } else if (body.status === 'gone') {
          stopped = true;
          status.textContent = say('gone');
        } else if (body.status === 'expired') {
          stopped = true;
          status.textContent = say('expired');
        } else {
          setTimeout(poll, delay);
        }
      })
      .catch(function () { if (stopped) return; delay = Math.min(delay * 2, 30000); setTimeout(poll, delay); });
  }
  setTimeout(poll, delay);
})();
