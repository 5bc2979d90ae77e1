// The browser's own time zone, for pages that work without it:
// - a time-zone picker still on UTC (registration, choosing a visitor's zone) pre-selects it;
// - a visitor's calendar or event page (#zone-notice) sends it once in the "tz" cookie, which
//   the server takes only when it names a known zone, and reloads to show their times.
(function () {
  if (!window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  var select = document.getElementById("timezone");
  if (select && select.value === "UTC") {
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone) { select.selectedIndex = i; break; }
    }
  }
  var notice = document.getElementById("zone-notice");
  if (!notice || notice.hasAttribute("data-chosen")) return;
  if (/(^|;\s*)tz=/.test(document.cookie)) return; // sent already: never reload twice
  var secure = location.protocol === "https:" ? "; secure" : "";
  if (!/^[A-Za-z0-9_\/+-]+$/.test(zone)) return; // a cookie value as it is, no escaping
  document.cookie = "tz=" + zone + "; path=/; max-age=31536000; samesite=lax" + secure;
  if (notice.getAttribute("data-zone") !== zone) location.reload();
})();
