// Rooms list: unread badges count up live ("activity" is sent to everyone who can see a room).
(function () {
  "use strict";
  var list = document.getElementById("room-list"), labels = document.getElementById("unread-labels");
  if (!list || !labels || !window.io) return;
  // The server renders "%(num)d new" for sample numbers, one per plural category of the language.
  var rules = new Intl.PluralRules(document.documentElement.lang || undefined);
  var samples = [0, 1, 2, 3, 11, 100];
  function label(count) {
    var n = samples.filter(function (s) { return rules.select(s) === rules.select(count); })[0];
    if (n === undefined) n = 100;
    return labels.dataset["n" + n].replace(String(n), String(count));
  }
  function show(badge, count) {
    badge.dataset.unread = count;
    badge.textContent = count ? label(count) : "";
    badge.classList.toggle("is-empty", !count);
  }
  function badge(roomId) {
    var card = list.querySelector('[data-room-id="' + roomId + '"]');
    return card && card.querySelector(".unread");
  }
  var socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
  var me = +list.dataset.userId;
  socket.on("activity", function (data) {
    if (+data.author_id === me) return; // one's own messages are never unread
    var found = badge(+data.room_id);
    if (found) show(found, (+found.dataset.unread || 0) + 1);
  });
  // After a reconnection, counts may have moved while offline: take them from the page again.
  var again = false;
  socket.on("connect", function () {
    if (again && window.fetch && window.DOMParser) {
      fetch(location.href, { credentials: "same-origin" }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        [].forEach.call(page.querySelectorAll("#room-list [data-room-id]"), function (card) {
          var mine = badge(+card.dataset.roomId), theirs = card.querySelector(".unread");
          if (mine && theirs) show(mine, +theirs.dataset.unread || 0);
        });
      }).catch(function () {});
    }
    again = true;
  });
})();
