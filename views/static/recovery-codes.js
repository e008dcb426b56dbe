// The recovery codes page: copy the codes, or save them as a text file. Each button says what
// happened in the status line, which screen readers read out.
(function () {
  var list = document.getElementById('recovery-codes');
  var actions = document.getElementById('recovery-code-actions');
  var status = document.getElementById('recovery-code-status');
  var copy = document.getElementById('copy-recovery-codes');
  var download = document.getElementById('download-recovery-codes');
  if (!list || !actions || !status || !copy || !download) return;
  var codes = [];
  var items = list.querySelectorAll('code');
  for (var i = 0; i < items.length; i++) codes.push(items[i].textContent);
  var text = actions.getAttribute('data-file-heading') + '\n\n' + codes.join('\n') + '\n';
  var fileName = actions.getAttribute('data-file-name');
  // The words come with the page, in its language (views/recovery-codes.ejs).
  var say = function (name) { return actions.getAttribute('data-text-' + name) || ''; };

  // The clipboard API exists only on https (and localhost): elsewhere the button is left out.
  if (navigator.clipboard && window.isSecureContext) {
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(codes.join('\n') + '\n').then(
        function () { status.textContent = say('copied'); },
        function () { status.textContent = say('copy-failed'); }
      );
    });
  } else {
    copy.hidden = true;
  }

  download.addEventListener('click', function () {
    var url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    var link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    status.textContent = say('saving');
  });

  actions.hidden = false;
})();
