// Copy buttons: <button data-copie="ID"> copies the text of the element #ID to the clipboard.
// A file of its own because the Content-Security-Policy runs no inline script or event attribute.
(function () {
  'use strict';
  document.querySelectorAll('button[data-copie]').forEach(function (button) {
    button.addEventListener('click', function () {
      var source = document.getElementById(button.getAttribute('data-copie'));
      if (!source || !navigator.clipboard) return;
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute('data-copie-fait') || 'Copié';
      });
    });
  });
})();
