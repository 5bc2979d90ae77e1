// Copy and share buttons for a link shown in a read-only field (invitation links).
// Without JavaScript the buttons stay hidden: the field can be selected and copied by hand.
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");
  var say = function (text) { if (status) status.textContent = text; };

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { say(button.getAttribute("data-copied")); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        // Plain http on a local network has no clipboard API: select, and copy the old way.
        field.select();
        try { if (document.execCommand("copy")) done(); } catch (e) { /* selected for the person */ }
      }
    });
  });

  document.querySelectorAll("[data-share]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-share"));
    if (!field || !navigator.share) return; // phones have it; most computers do not
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.share({ text: button.getAttribute("data-share-text"), url: field.value })
        .catch(function () { /* closed by the person */ });
    });
  });
})();
