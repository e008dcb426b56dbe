// A form submits once: a second click (a double click, an impatient one) would send a second
// sign-in mail that replaces the first, or spend a second try of a code. Without JavaScript
// forms work as before. The buttons are marked, not disabled: a disabled button is left out of
// the submission, and the one pressed must still say which it was (Allow or Don't allow).
(function () {
  // A navigation stopped by the person (Esc, the stop button) fires no event: after this long the
  // form may be sent again, as it could before.
  var BUSY_MS = 10000;

  function buttonsOf(form) {
    var buttons = [];
    // form.elements includes buttons outside the form that name it (form="…", the sign-out page).
    for (var i = 0; i < form.elements.length; i++) {
      var element = form.elements[i];
      if (element.type === 'submit') buttons.push(element);
    }
    return buttons;
  }

  function setBusy(form, busy) {
    var buttons = buttonsOf(form);
    for (var i = 0; i < buttons.length; i++) {
      if (busy) buttons[i].setAttribute('aria-disabled', 'true');
      else buttons[i].removeAttribute('aria-disabled');
    }
    if (busy) form.setAttribute('aria-busy', 'true');
    else form.removeAttribute('aria-busy');
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return;
    if (form.getAttribute('aria-busy') === 'true') {
      event.preventDefault();
      return;
    }
    setBusy(form, true);
    clearTimeout(form.submitOnceTimer);
    form.submitOnceTimer = setTimeout(function () { setBusy(form, false); }, BUSY_MS);
  });

  // Back to a page kept in the back/forward cache: its forms are as the submit left them.
  window.addEventListener('pageshow', function () {
    for (var i = 0; i < document.forms.length; i++) setBusy(document.forms[i], false);
  });
})();
