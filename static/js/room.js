// Live room over Socket.IO. Messages typed offline wait in localStorage and are sent once
// (the server stores one message per client id). Without this script the page still works.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const root = $("room");
  if (!root || root.dataset.live !== "1" || !window.io) return;
  const D = root.dataset, L = $("labels").dataset, list = $("messages"), form = $("composer");
  const roomId = +D.roomId, userId = +D.userId, mod = D.moderator === "1";
  const text = form && form.querySelector("textarea");
  const olderLink = $("older-link"), conn = $("connection"), KEY = "caravana.outbox." + roomId;
  const FINAL = ["too_long", "empty", "forbidden", "muted", "rate_limited", "bad_client_id",
    "bad_request", "not_found"];
  // The account's zone, as the server uses for the messages it renders (not the phone's).
  const zoneOptions = { dateStyle: "short", timeStyle: "short" };
  if (room.dataset.zone) zoneOptions.timeZone = room.dataset.zone;
  let when;
  try {
    when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, zoneOptions);
  } catch (unknownZone) {
    delete zoneOptions.timeZone;
    when = new Intl.DateTimeFormat(document.documentElement.lang || undefined, zoneOptions);
  }
  const pending = {};
  let hi = 0, lo = 0, mem = null; // lo..hi: the unbroken run of messages held
  for (const li of list.querySelectorAll("[data-seq]")) {
    hi = Math.max(hi, li.dataset.seq);
    lo = Math.min(lo || Infinity, li.dataset.seq);
  }

  const el = (tag, cls, content) => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content != null) node.textContent = content;
    return node;
  };
  const add = (parent, ...kids) => {
    kids.forEach((kid, i) => { if (i) parent.append(" "); parent.append(kid); });
    return parent;
  };
  const fill = (label, key, value) => label.replace(key, () => value);
  const link = (href, label) => Object.assign(el("a", null, label), { href });
  const unempty = () => $("empty-room") && $("empty-room").remove();

  // The outbox: localStorage, or memory where storage is refused or full.
  const box = () => {
    try { return mem || JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return (mem = []); }
  };
  const save = (entries) => {
    if (!mem) try {
      if (entries.length) localStorage.setItem(KEY, JSON.stringify(entries));
      else localStorage.removeItem(KEY);
      return;
    } catch (e) { /* keep it in memory */ }
    mem = entries;
  };
  const drop = (cid) => save(box().filter((e) => e.client_id !== cid));
  const newId = () => { // randomUUID needs https; 32 hex digits elsewhere
    const c = window.crypto;
    if (c && c.randomUUID) return c.randomUUID();
    const bytes = c ? c.getRandomValues(new Uint8Array(16)) : Array.from(Array(16), () => Math.random() * 256);
    return Array.from(bytes, (b) => (b | 256).toString(16).slice(1)).join("");
  };

  // The same bubble as templates/rooms/_message.html; only "html" (sanitised) is parsed.
  const render = (m) => {
    const me = !m.deleted && (m.mentioned || []).includes(userId); // from the Mention table
    const li = el("li", "message" + (m.deleted ? " is-deleted" : "") + (me ? " mentions-me" : ""));
    li.id = "m-" + m.seq;
    Object.assign(li.dataset, { seq: m.seq, id: m.id, clientId: m.client_id || "" });
    const time = el("time", null, when.format(new Date(m.created_at.replace(/(\.\d{3})\d+/, "$1"))));
    time.dateTime = m.created_at;
    const meta = add(el("p", "message-meta"), el("strong", "author", m.author || L.former), time);
    if (m.edited && !m.deleted) add(meta, el("span", "edited", L.edited));
    if (me) add(meta, el("span", "badge mention-badge", L.mentionsYou));
    li.append(meta);
    if (m.deleted) return add(li, el("p", "tombstone", L.deleted));
    const body = el("div", "message-body prose"), acts = el("div", "message-actions");
    body.dir = "auto"; // each message takes the direction of its own language
    body.innerHTML = m.html;
    const url = D.base + "/messages/" + m.id, own = m.author_id === userId;
    if (own && form && !form.classList.contains("is-closed")) add(acts, link(url + "/edit", L.edit));
    if ((own || mod) && form) add(acts, link(url + "/delete", L.delete)); // asks once more
    if (!own) add(acts, link(url + "/report", L.report));
    if (mod && m.edited) add(acts, link(url + "/history", L.versions));
    return add(li, body, acts);
  };
  const insert = (li, seq) => {
    let after = list.lastElementChild; // pending bubbles and dividers have no seq: passed over
    while (after && !(+after.dataset.seq < seq)) after = after.previousElementSibling;
    list.insertBefore(li, after ? after.nextSibling : list.firstChild);
    unempty();
  };
  // Merge one stored message: once per seq, in seq order, in place of its pending bubble.
  const put = (m) => {
    if (!m || m.room_id !== roomId) return null;
    if (m.author_id === userId) {
      const mine = pending[m.client_id];
      if (mine) { mine.remove(); delete pending[m.client_id]; }
      if (mine || box().some((e) => e.client_id === m.client_id)) drop(m.client_id);
    }
    if (lo && m.seq < lo) return null; // older than shown: history brings it, in order
    const old = $("m-" + m.seq);
    if (old) {
      if (m.deleted && !old.classList.contains("is-deleted")) old.replaceWith(render(m));
      return null;
    }
    const li = render(m);
    insert(li, m.seq);
    if (!lo) lo = m.seq;
    while ($("m-" + (hi + 1))) hi++;
    return li;
  };
  const merge = (messages) => { // everything after hi, in order
    messages.forEach(put);
    if (messages.length) hi = Math.max(hi, messages[messages.length - 1].seq);
  };
  const showPending = (entry) => {
    const li = el("li", "message is-pending");
    li.dataset.clientId = entry.client_id;
    add(li, add(el("p", "message-meta"), el("strong", "author", D.userName), el("span", "status", L.pending)),
      Object.assign(el("div", "message-body plain", entry.body), { dir: "auto" }));
    list.append(li);
    unempty();
    pending[entry.client_id] = li;
  };
  const fail = (entry, message) => {
    const li = pending[entry.client_id];
    delete pending[entry.client_id];
    drop(entry.client_id);
    if (!li) return;
    li.classList.replace("is-pending", "is-failed");
    li.querySelector(".status").textContent = L.failed + " " + (message || "");
    if (text && !text.value) text.value = entry.body; // to fix or send again
  };

  // An overloaded server answers "busy" at once rather than late: ask again in 2-5 s (spread,
  // so that a roomful of pages does not come back all at the same instant).
  const later = () => 2000 + Math.random() * 3000;

  const socket = window.io({ transports: ["websocket", "polling"], tryAllTransports: true });
  // An emit with its answer, or null when none comes (offline, disconnected, 10 s).
  const call = (event, data) => new Promise((resolve) => {
    if (!socket.connected) return resolve(null);
    socket.timeout(10000).emit(event, Object.assign({ room_id: roomId }, data),
      (err, res) => resolve(err ? null : res));
  });
  let stateTimer;
  const status = (label, online) => {
    clearTimeout(stateTimer);
    Object.assign(conn, { textContent: label, hidden: false });
    conn.classList.toggle("is-online", !!online);
    if (online) stateTimer = setTimeout(() => { conn.hidden = true; }, 3000);
  };
  const close = (label) => {
    if (!form || form.classList.contains("is-closed")) return;
    form.classList.add("is-closed");
    for (const field of form.elements) field.disabled = true;
    form.before(el("p", "notice", label));
  };

  // Catch up: everything after hi, page by page, one run at a time. Live messages can be
  // missed with no disconnection (the message queue between server processes was down, a
  // process died between storing and telling): a number skipped, or the periodic check of
  // the latest number, brings them here.
  const CHECK_EVERY = 60000; // ms without any live message before asking for the latest
  let catching = null, heardAt = Date.now();
  const catchUp = () => catching || (catching = (async () => {
    try {
      for (;;) {
        const gap = await call("sync", { after_seq: hi });
        if (gap && gap.error === "not_found") close(L.closed); // access lost, never told
        if (gap && gap.error === "busy") setTimeout(catchUp, later());
        if (!gap || !gap.ok) break;
        merge(gap.messages);
        if (gap.complete || !gap.messages.length) break;
      }
      heardAt = Date.now();
      markRead();
    } finally { catching = null; }
  })());

  let joinTimer;
  const start = async () => {
    clearTimeout(joinTimer);
    const res = await call("join", { after_seq: hi });
    if (!res) { if (socket.connected) socket.disconnect().connect(); return; } // start over
    if (!res.ok) {
      if (res.error === "rate_limited") joinTimer = setTimeout(() => socket.connected && start(), 15000);
      if (res.error === "busy") joinTimer = setTimeout(() => socket.connected && start(), later());
      return res.error === "muted" ? close(L.muted) : status(res.message);
    }
    merge(res.messages);
    if (!res.can_post) close(L.archived);
    if (!res.complete || hi < res.last_seq) await catchUp(); // past one answer's worth
    else heardAt = Date.now();
    flush();
  };
  socket.on("connect", () => {
    status(L.online, true);
    start();
  });
  socket.on("disconnect", () => status(L.offline));
  socket.on("connect_error", () => status(L.offline));
  window.addEventListener("offline", () => {
    status(L.offline);
    if (socket.io.engine) socket.io.engine.close(); // do not wait for the ping to time out
  });

  // Send the outbox in order, waiting for each answer; resending a client id is safe.
  // Without an answer it is tried again after 2 s, then 4, 8… up to 30 s (and at once on
  // reconnection): a dead link is noticed within about 10 s, so the next try is soon.
  let flushing = false, retry, retryIn = 2000;
  const flush = async () => {
    if (flushing) return;
    flushing = true;
    clearTimeout(retry);
    try {
      for (let entry; (entry = box()[0]) && socket.connected;) {
        const res = await call("send", { client_id: entry.client_id, body: entry.body });
        if (res && res.ok) { drop(entry.client_id); put(res.message); retryIn = 2000; continue; }
        if (res && FINAL.includes(res.error)) { fail(entry, res.message); continue; }
        retry = setTimeout(flush, retryIn); // no answer, "busy" or a passing error: stays pending
        retryIn = Math.min(30000, retryIn * 2);
        break;
      }
    } finally { flushing = false; }
  };
  // What waited in this browser (offline, or a reload before the answer) shows as pending.
  for (const entry of box()) {
    if (list.querySelector('[data-seq][data-client-id="' + CSS.escape(entry.client_id) + '"]')) drop(entry.client_id);
    else showPending(entry);
  }
  if (text) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!text.value.trim()) return text.focus();
      const entry = { client_id: newId(), body: text.value, room_id: roomId, created: new Date().toISOString() };
      save(box().concat([entry])); // kept before it is sent
      showPending(entry);
      text.value = "";
      form.scrollIntoView({ block: "end" });
      flush();
    });
    let typedAt = 0;
    text.addEventListener("input", () => {
      if (!socket.connected || Date.now() - typedAt < 3000) return;
      typedAt = Date.now();
      socket.emit("typing", { room_id: roomId });
    });
  }

  // Mention suggestions: "@" and a few letters ask the server for the room's readers whose
  // name matches; arrows and Enter (or a tap) insert @**Full Name**. Typing it by hand works
  // the same, with or without this script.
  const options = $("mention-list");
  if (text && options) {
    text.setAttribute("aria-autocomplete", "list");
    text.setAttribute("aria-controls", options.id);
    let names = [], active = -1, asked = 0, askTimer;
    const typed = () => { // the "@word" just before the caret, or null
      const upTo = text.value.slice(0, text.selectionStart);
      const found = /(^|\s)@([^\s@*]{0,40})$/.exec(upTo);
      return found && { q: found[2], at: upTo.length - found[2].length - 1 };
    };
    const hide = () => {
      options.hidden = true;
      names = [];
      active = -1;
      text.removeAttribute("aria-activedescendant");
    };
    const highlight = (i) => {
      active = i;
      options.querySelectorAll("[role=option]").forEach((li, n) => li.setAttribute("aria-selected", n === i ? "true" : "false"));
      text.setAttribute("aria-activedescendant", "mention-" + i);
    };
    const pick = (i) => {
      const at = typed();
      if (!at || !names[i]) return hide();
      const mention = "@**" + names[i] + "** ", caret = text.selectionStart;
      text.value = text.value.slice(0, at.at) + mention + text.value.slice(caret);
      text.selectionStart = text.selectionEnd = at.at + mention.length;
      hide();
      text.focus();
    };
    const show = (found) => {
      options.textContent = "";
      names = found;
      if (!found.length) return hide();
      found.forEach((name, i) => {
        const li = el("li", "mention-option", name);
        Object.assign(li, { id: "mention-" + i });
        li.setAttribute("role", "option");
        li.addEventListener("mousedown", (event) => event.preventDefault()); // keep the focus
        li.addEventListener("click", () => pick(i));
        options.append(li);
      });
      options.hidden = false;
      highlight(0);
    };
    const ask = () => {
      const at = typed();
      if (!at) return hide();
      const mine = ++asked; // only the latest question's answer is shown
      clearTimeout(askTimer);
      askTimer = setTimeout(async () => {
        const res = await call("people", { q: at.q });
        if (mine === asked && typed()) show(res && res.ok ? res.people : []);
      }, 150);
    };
    text.addEventListener("input", ask);
    text.addEventListener("blur", () => setTimeout(hide, 150));
    text.addEventListener("keydown", (event) => {
      if (options.hidden || !names.length) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + names.length) % names.length);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        pick(Math.max(active, 0));
      } else if (event.key === "Escape") {
        event.preventDefault();
        hide();
      }
    });
  }

  socket.on("message", (m) => {
    const last = list.lastElementChild;
    const bottom = !last || last.getBoundingClientRect().bottom <= innerHeight + 120;
    const skipped = m.room_id === roomId && m.seq > hi + 1; // a number we never got
    if (m.room_id === roomId) heardAt = Date.now();
    const li = put(m);
    if (li && bottom) li.scrollIntoView({ block: "nearest" });
    if (skipped) catchUp();
    markRead();
  });
  // The latest number, asked when nothing came for a while and the page is seen, and when
  // the reader comes back to the page.
  setInterval(() => {
    if (socket.connected && document.visibilityState === "visible" &&
        Date.now() - heardAt >= CHECK_EVERY) catchUp();
  }, 15000);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && socket.connected &&
        Date.now() - heardAt > 5000) catchUp();
  });
  socket.on("message_updated", (m) => {
    const old = m.room_id === roomId && $("m-" + m.seq);
    if (old) old.replaceWith(render(m));
  });
  let typingTimer;
  socket.on("typing", (data) => {
    if (data.room_id !== roomId) return;
    $("typing").textContent = fill(L.typing, "{name}", data.name);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { $("typing").textContent = ""; }, 4000);
  });
  socket.on("presence", (data) => {
    if (data.room_id !== roomId) return;
    $("presence").textContent = data.names.length ? fill(L.here, "{names}", data.names.join(", ")) : "";
  });
  socket.on("muted", (data) => data.room_id === roomId && close(L.muted));
  socket.on("room_archived", (data) => data.room_id === roomId && close(L.archived));
  // Access lost (left or removed, the organisation no longer takes part, the room moved):
  // the server has already stopped sending this room; say so and stop writing.
  socket.on("room_closed", (data) => {
    if (data.room_id !== roomId) return;
    close(L.closed);
    if (!form) list.after(el("p", "notice", L.closed));
  });
  socket.on("reported", (data) => {
    if (data.room_id !== roomId || !L.moderation || $("reported-note")) return;
    const note = add(el("p", "notice"), link(L.moderation, L.reported));
    note.id = "reported-note";
    list.before(note);
  });

  // Read marker: at most one "read" every 2 s, only while the page is seen.
  let readSeq = hi, readAt = 0, readTimer = null;
  const markRead = () => {
    if (document.visibilityState !== "visible" || !socket.connected || hi <= readSeq || readTimer) return;
    const wait = readAt + 2000 - Date.now();
    if (wait > 0) return void (readTimer = setTimeout(() => { readTimer = null; markRead(); }, wait));
    readAt = Date.now();
    readSeq = hi;
    socket.emit("read", { room_id: roomId, seq: hi });
  };
  document.addEventListener("visibilitychange", markRead);

  // Older history when the reader reaches the top, or taps the link (which works without us).
  let loading = false;
  const older = async () => {
    if (loading || lo <= 1) return;
    loading = true;
    const res = await call("history", { before_seq: lo });
    loading = false;
    if (!res || !res.ok) return;
    const anchor = list.querySelector("[data-seq]"), top = anchor && anchor.getBoundingClientRect().top;
    if (res.messages.length) lo = res.messages[0].seq;
    res.messages.forEach(put);
    if (anchor) scrollBy(0, anchor.getBoundingClientRect().top - top); // keep the reader's place
    if (res.messages.length < 50 || lo <= 1) olderLink.parentNode.hidden = true;
    else olderLink.search = "?before=" + lo;
  };
  if (olderLink) {
    olderLink.addEventListener("click", (event) => {
      if (socket.connected) { event.preventDefault(); older(); }
    });
    if (window.IntersectionObserver) {
      new IntersectionObserver((seen) => {
        const page = document.scrollingElement;
        if (seen[0].isIntersecting && page.scrollHeight > page.clientHeight) older();
      }).observe(olderLink);
    }
  }

  // Open at the "new messages" divider, else at the latest message and the composer.
  if (!location.hash) {
    const start = $("new-divider");
    if (start) start.scrollIntoView({ block: "start" });
    else (form || list).scrollIntoView({ block: "end" });
  }
})();
