// "That code is not right": the code typed comes back in the field, selected, so that typing
// replaces it all, or an arrow key moves into it to fix one letter. The field has autofocus: this
// only selects its text.
(function () {
  var field = document.getElementById('user_code');
  if (field && field.value && field.getAttribute('aria-invalid') === 'true') field.select();
})();
