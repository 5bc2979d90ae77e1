// Library uploads: show how much of the file has been sent. Without this script the form
// posts normally; with it, the same form data goes by XMLHttpRequest to the same address.
(function () {
  "use strict";

  function bind(form) {
    var box = form.querySelector(".upload-progress");
    if (!box || !window.FormData || !window.XMLHttpRequest) { return; }
    var bar = box.querySelector("progress");
    var label = box.querySelector(".upload-progress-text");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var percent = Math.round((e.loaded / e.total) * 100);
        bar.value = percent;
        label.textContent = form.dataset.sending.replace("{percent}", String(percent));
      });
      xhr.addEventListener("load", function () {
        // Either the new document's page (the request followed the redirect, and carries its
        // one-time messages: loading the address again would lose them) or the form with its
        // errors. Show what came back in place of this page.
        var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
        var main = page.querySelector("main");
        if (!main) { window.location.assign(xhr.responseURL); return; }
        document.querySelector("main").replaceWith(main);
        document.title = page.title;
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        var again = document.querySelector("form.upload-form");
        if (again) { bind(again); }
        main.focus();
      });
      xhr.addEventListener("error", function () {
        label.textContent = form.dataset.failed;
        if (button) { button.disabled = false; }
      });
      box.hidden = false;
      if (button) { button.disabled = true; }
      xhr.send(new FormData(form));
    });
  }

  var form = document.querySelector("form.upload-form");
  if (form) { bind(form); }
}());
