// Self-check of the co-editing client's protocol (static/js/src/collab/protocol.js), in node:
// two or three pages wired through an in-memory server that behaves like app/collab/events.py
// (join answers the server's step 1; "collab" answers step 1 with step 2, stores and relays
// updates, relays awareness). Run: node tests/js/collab_editor_selfcheck.mjs (exit 1 on failure).

import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import { Awareness } from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { toBase64, fromBase64 } from "lib0/buffer";
import { CollabSession, MESSAGE_SYNC, MESSAGE_AWARENESS } from "../../static/js/src/collab/protocol.js";

const DOC = "manifesto:3";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const b64 = (write) => {
  const e = encoding.createEncoder();
  write(e);
  return toBase64(encoding.toUint8Array(e));
};

/** The server: one Y.Doc, a log of what it received, relays to the other followers. */
class FakeServer {
  constructor() {
    this.doc = new Y.Doc();
    this.followers = new Set();
    this.updates = 0; // update messages received
    this.refuseNext = []; // error codes to answer the next update messages with
    this.dropRelays = 0; // relays to lose (a missed push)
  }

  handle(client, event, payload) {
    if (!client.online) throw new Error("not connected");
    if (payload.doc !== DOC) return { ok: false, error: "not_found", message: "No such text." };
    if (event === "collab_join") {
      this.followers.add(client);
      for (const other of this.followers) {
        if (other !== client) other.push("collab", { doc: DOC, message: b64((e) => encoding.writeVarUint(e, 3)) });
      }
      const step1 = b64((e) => {
        encoding.writeVarUint(e, MESSAGE_SYNC);
        syncProtocol.writeSyncStep1(e, this.doc);
      });
      return { ok: true, doc: DOC, can_write: client.canWrite, messages: [step1] };
    }
    if (!this.followers.has(client)) return { ok: false, error: "not_following", message: "Open again." };
    const raw = fromBase64(payload.message);
    const decoder = decoding.createDecoder(raw);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_AWARENESS || type === 3) {
      this.relay(client, payload.message);
      return { ok: true, messages: [] };
    }
    const step = decoding.readVarUint(decoder);
    if (step === syncProtocol.messageYjsSyncStep1) {
      const sv = decoding.readVarUint8Array(decoder);
      const reply = b64((e) => {
        encoding.writeVarUint(e, MESSAGE_SYNC);
        encoding.writeVarUint(e, syncProtocol.messageYjsSyncStep2);
        encoding.writeVarUint8Array(e, Y.encodeStateAsUpdate(this.doc, sv));
      });
      return { ok: true, messages: [reply] };
    }
    if (!client.canWrite) return { ok: false, error: "forbidden", message: "Read only." };
    if (step === syncProtocol.messageYjsUpdate && this.refuseNext.length) {
      const error = this.refuseNext.shift();
      return { ok: false, error, message: `refused: ${error}` };
    }
    const update = decoding.readVarUint8Array(decoder);
    this.updates += step === syncProtocol.messageYjsUpdate ? 1 : 0;
    Y.applyUpdate(this.doc, update);
    this.relay(client, b64((e) => {
      encoding.writeVarUint(e, MESSAGE_SYNC);
      syncProtocol.writeUpdate(e, update);
    }));
    return { ok: true, messages: [] };
  }

  relay(from, message) {
    for (const other of this.followers) {
      if (other === from) continue;
      if (this.dropRelays > 0) {
        this.dropRelays -= 1;
        continue;
      }
      other.push("collab", { doc: DOC, message });
    }
  }
}

/** One page: a Y.Doc, its awareness and a session, on a socket that can go down. */
class FakePage {
  constructor(server, name, { canWrite = true } = {}) {
    this.server = server;
    this.name = name;
    this.canWrite = canWrite;
    this.online = false;
    this.ydoc = new Y.Doc();
    this.ytext = this.ydoc.getText("text");
    this.awareness = new Awareness(this.ydoc);
    this.awareness.setLocalStateField("user", { name, colour: 1 });
    this.session = new CollabSession({
      ydoc: this.ydoc,
      awareness: this.awareness,
      doc: DOC,
      canWrite,
      request: (event, payload) => this.request(event, payload),
      options: { resyncMs: 300, busyMs: [40, 60], failedMs: 50, rateLimitedMs: 60 },
    });
  }

  request(event, payload) {
    const copy = JSON.parse(JSON.stringify(payload)); // the wire is JSON
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(JSON.parse(JSON.stringify(this.server.handle(this, event, copy))));
        } catch (error) {
          reject(error);
        }
      }, 1 + Math.random() * 4);
    });
  }

  push(event, payload) {
    const copy = JSON.parse(JSON.stringify(payload));
    setTimeout(() => {
      if (!this.online) return;
      if (event === "collab") this.session.receive(copy);
      if (event === "collab_closed") this.session.closed(copy);
    }, 1 + Math.random() * 4);
  }

  connect() {
    this.online = true;
    this.session.connected();
  }

  disconnect() {
    this.online = false;
    this.server.followers.delete(this);
    this.session.disconnected();
  }

  type(index, text) {
    this.ydoc.transact(() => this.ytext.insert(index, text), "editor");
  }

  destroy() {
    this.session.destroy();
    this.awareness.destroy();
  }
}

let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures += 1;
};

async function until(predicate, ms = 3000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await sleep(10);
  }
  return predicate();
}

const text = (page) => page.ytext.toString();
const serverText = (server) => server.doc.getText("text").toString();
const settled = (...pages) => pages.every((p) => p.session.state === "synced" && !p.session.hasPending);

async function main() {
  const server = new FakeServer();
  server.doc.getText("text").insert(0, "# Manifesto\n");
  const a = new FakePage(server, "Rosa");
  const b = new FakePage(server, "Amal");
  a.connect();
  b.connect();
  check(a.session.state === "connecting", "a page says it is connecting at first");
  check(await until(() => settled(a, b)), "both pages reach 'synced' after the step-1 exchange");
  check(text(a) === "# Manifesto\n" && text(b) === "# Manifesto\n", "both pages receive the stored text");

  a.type(text(a).length, "We");
  b.type(0, "Draft: ");
  check(
    await until(() => settled(a, b) && text(a) === text(b) && text(a) === serverText(server)),
    `concurrent edits converge on both pages and the server: ${JSON.stringify(text(a))}`,
  );

  const before = server.updates;
  for (const ch of " stand together") a.type(text(a).length, ch);
  await until(() => settled(a) && text(b) === text(a));
  check(text(b).endsWith("We stand together"), "fifteen keystrokes arrive in order");
  check(server.updates - before <= 2, `keystrokes within 50 ms go as one update (${server.updates - before} sent)`);

  // Offline: B keeps typing, A too; B comes back and both merge with nothing lost.
  b.disconnect();
  check(b.session.state === "offline", "a page without connection says 'offline'");
  b.type(text(b).length, "\nTyped offline.");
  a.type(0, "[A] ");
  await sleep(100);
  check(!serverText(server).includes("Typed offline."), "nothing reaches the server while offline");
  check(b.session.hasPending, "the offline change is kept as pending");
  b.connect();
  check(
    await until(() => settled(a, b) && text(a) === text(b) && text(a) === serverText(server)),
    "after reconnecting, the offline edit and the other page's edit merge everywhere",
  );
  check(text(a).includes("Typed offline.") && text(b).startsWith("[A] "), `merged text: ${JSON.stringify(text(a))}`);

  // An update sent but unacknowledged when the connection drops is sent again (step 2).
  a.type(text(a).length, " Lost ack.");
  await sleep(52); // the batch goes out...
  a.disconnect(); // ...and the socket drops before (or just after) the server answered
  await sleep(30);
  a.connect();
  check(
    await until(() => settled(a, b) && text(a) === text(b) && serverText(server) === text(a)),
    "a change whose acknowledgement was lost still converges after reconnecting",
  );
  check((serverText(server).match(/Lost ack\./g) || []).length === 1, "and it is not doubled");

  // "busy" and "rate_limited": the same change is sent again later.
  server.refuseNext = ["busy", "rate_limited"];
  a.type(0, "!");
  check(await until(() => a.session.hasPending && server.refuseNext.length === 0), "the server refuses twice");
  check(
    await until(() => settled(a, b) && serverText(server).startsWith("!") && text(b) === text(a)),
    "after 'busy' and 'rate_limited' the change is retried and arrives",
  );

  // A missed relay is caught up by the periodic sync step 1.
  server.dropRelays = 1;
  a.type(text(a).length, " (missed relay)");
  await until(() => settled(a));
  check(
    await until(() => text(b) === text(a), 2000),
    "a page that missed a relayed update catches up with the periodic re-sync",
  );

  // Awareness: cursors travel, and disappear when the connection goes.
  const cursor = { anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(a.ytext, 2)) };
  a.awareness.setLocalStateField("cursor", { anchor: cursor.anchor, head: cursor.anchor });
  check(
    await until(() => {
      const state = b.awareness.getStates().get(a.ydoc.clientID);
      return state && state.cursor && state.user && state.user.name === "Rosa";
    }),
    "a page sees the other's name and cursor",
  );
  const rel = Y.createRelativePositionFromJSON(b.awareness.getStates().get(a.ydoc.clientID).cursor.head);
  check(Y.createAbsolutePositionFromRelativePosition(rel, b.ydoc).index === 2, "the cursor maps to the same place");
  b.disconnect();
  check(!b.awareness.getStates().has(a.ydoc.clientID), "others' cursors are removed when offline");
  b.connect();
  check(
    await until(() => b.awareness.getStates().has(a.ydoc.clientID)),
    "after rejoining, the others announce their cursor again (query awareness)",
  );

  // A reader: receives the text, sends no changes.
  const c = new FakePage(server, "Lina", { canWrite: false });
  c.connect();
  check(await until(() => c.session.state === "synced" && text(c) === text(a)), "a reader receives the text");
  check(c.session.readOnly, "a reader's session is read-only");

  // Losing access: the page stops.
  c.push("collab_closed", { doc: DOC });
  check(await until(() => c.session.state === "closed" && c.session.readOnly), "collab_closed closes the page");
  c.disconnect();
  c.connect();
  check(c.session.state === "closed", "a closed page does not join again on reconnect");

  // A refusal that no retry can help: stop, and show the server's message.
  server.refuseNext = ["too_long"];
  b.type(0, "x");
  check(
    await until(() => b.session.state === "closed" && b.session.notice === "refused: too_long"),
    "'too_long' stops sending and shows the server's message",
  );

  for (const page of [a, b, c]) page.destroy();
  console.log(failures ? `${failures} check(s) failed` : "all checks passed");
  process.exit(failures ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
