// Dialogs of the referral screens. Without JavaScript every dialog still works: its
// opener is a link that reloads the page with the dialog open, and its form posts as usual.
(function () {
  "use strict";

  function openModal(dialog) {
    if (typeof dialog.showModal !== "function") { return; }
    if (dialog.open) { dialog.close(); }
    dialog.showModal();
    var first = dialog.querySelector("select, textarea, input:not([type=hidden]), button[type=submit]");
    if (first) { first.focus(); }
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-dialog"));
      if (dialog) {
        event.preventDefault();
        openModal(dialog);
      }
      return;
    }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) {
      var own = closer.closest("dialog");
      if (own) {
        event.preventDefault();
        own.close();
      }
    }
  });

  // A checkbox that shows a section when ticked (the frailty section of the referral).
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("[data-reveals]")) { return; }
    var section = document.getElementById(box.getAttribute("data-reveals"));
    if (section && !section.hasAttribute("data-always")) { section.hidden = !box.checked; }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // A dialog the server opened (after a refusal) becomes a real modal dialog.
    document.querySelectorAll("dialog[data-open-modal]").forEach(openModal);
  });
})();
