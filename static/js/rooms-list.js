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
  // Latest message number per room, as last heard. Live notices can be missed with no
  // disconnection (the message queue between server processes was down, a process died
  // between storing and telling): a number skipped, a reconnection, the reader coming back
  // to the page or a minute without any notice makes the page ask for the counts again.
  var latest = {}, askedAt = 0, asking = false, CHECK_EVERY = 60000;
  function refresh() {
    if (asking || !socket.connected) return;
    asking = true;
    askedAt = Date.now();
    socket.timeout(10000).emit("unread", {}, function (err, res) {
      asking = false;
      // An overloaded server answers "busy": ask again in 2-5 s (spread over the pages).
      if (res && res.error === "busy") setTimeout(refresh, 2000 + Math.random() * 3000);
      if (err || !res || !res.ok) return;
      Object.keys(res.rooms).forEach(function (roomId) {
        var room = res.rooms[roomId], found = badge(+roomId);
        latest[roomId] = room.last_seq;
        if (found) show(found, room.unread);
      });
    });
  }
  socket.on("activity", function (data) {
    var roomId = +data.room_id, known = latest[roomId];
    if (known === undefined || +data.seq > known) latest[roomId] = +data.seq;
    if (known !== undefined && +data.seq > known + 1) return refresh(); // one was missed
    if (+data.author_id === me) return; // one's own messages are never unread
    var found = badge(roomId);
    if (found) show(found, (+found.dataset.unread || 0) + 1);
  });
  // At every (re)connection: counts may have moved while offline, and they give the numbers.
  socket.on("connect", refresh);
  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - askedAt >= CHECK_EVERY) refresh();
  }, 15000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && Date.now() - askedAt > 5000) refresh();
  });
})();
