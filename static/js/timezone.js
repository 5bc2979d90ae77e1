// Pre-select the phone's own time zone on the registration form (the form works without it).
(function () {
  var select = document.getElementById("timezone");
  if (!select || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.selectedIndex = i; return; }
  }
})();
