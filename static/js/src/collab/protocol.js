// The Yjs sync protocol over Socket.IO events, for one shared document (no DOM: node tests it).
//
// Events (app/collab/events.py): "collab_join" {doc} -> {ok, can_write, messages}; "collab"
// {doc, message} -> {ok, messages}; the server pushes "collab" {doc, message} and
// "collab_closed" {doc}. Messages are y-protocols messages in base64. Nothing typed is lost:
// the Y.Doc keeps every change, and each (re)join answers the server's sync step 1 with a
// step 2 holding everything the server lacks, whatever was or was not acknowledged before.

import * as Y from "yjs";
import * as syncProtocol from "y-protocols/sync";
import * as awarenessProtocol from "y-protocols/awareness";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import { toBase64, fromBase64 } from "lib0/buffer";

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;

/** Refusals after which sending again cannot help: the page must be reloaded. */
const PERMANENT = ["bad_update", "too_long", "too_large", "bad_request", "unauthorised"];
/** Refusals after which following the document again helps. */
const REJOIN = ["not_found", "not_following"];

const DEFAULTS = {
  batchMs: 50, // local changes made within this time go as one update
  awarenessMs: 250, // at most 4 cursor messages a second (the server allows 10 per account)
  resyncMs: 30000, // sync step 1 again while connected, in case a relay was missed
  busyMs: [2000, 5000], // retry after "busy" (random in this range)
  rateLimitedMs: 20000,
  failedMs: 5000, // retry after a timeout or a server error
};

export const encodeMessage = (write) => {
  const encoder = encoding.createEncoder();
  write(encoder);
  return toBase64(encoding.toUint8Array(encoder));
};

export const syncStep1 = (ydoc) =>
  encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(e, ydoc);
  });

export const syncUpdate = (update) =>
  encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE_SYNC);
    syncProtocol.writeUpdate(e, update);
  });

export const awarenessMessage = (awareness, clients) =>
  encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  });

/**
 * One page's side of a shared document.
 *
 * `request(event, payload)` returns a promise of the server's acknowledgement (it rejects on a
 * timeout or when not connected); call connected() / disconnected() / receive(payload) /
 * closed(payload) from the socket's events. `onChange(session)` is called whenever state,
 * readOnly, notice or pending change.
 */
export class CollabSession {
  constructor({ ydoc, awareness, doc, request, canWrite = true, onChange = () => {}, options = {} }) {
    this.ydoc = ydoc;
    this.awareness = awareness;
    this.doc = doc;
    this.request = request;
    this.onChange = onChange;
    this.options = { ...DEFAULTS, ...options };
    this.origin = this; // transactions applied from the server carry this origin
    this.state = "connecting"; // connecting | synced | offline | closed
    this.readOnly = !canWrite;
    this.notice = ""; // a message from the server to show instead of the state's label
    this.everSynced = false;
    this.epoch = 0; // bumped on every (dis)connection: late answers of an older one are ignored
    this.online = false;
    this.joined = false; // following the document on this connection
    this.ready = false; // and both steps 1 answered: local changes may be sent one by one
    this.pending = []; // local updates not yet acknowledged (Uint8Array)
    this.inflight = null; // the merged update being sent
    this.timers = {};
    this._onUpdate = (update, origin) => {
      if (origin === this.origin) return;
      this.pending.push(update);
      this._changed();
      this._schedule("flush", this.options.batchMs, () => this._flush());
    };
    this._onAwareness = ({ added, updated, removed }, origin) => {
      if (origin !== "local") return;
      const mine = added.concat(updated, removed).includes(ydoc.clientID);
      if (mine) this._schedule("awareness", this.options.awarenessMs, () => this._sendAwareness());
    };
    ydoc.on("update", this._onUpdate);
    if (awareness) awareness.on("update", this._onAwareness);
  }

  get hasPending() {
    return this.pending.length > 0 || this.inflight !== null;
  }

  // --- socket events -------------------------------------------------------------------------

  connected() {
    if (this.state === "closed") return;
    this.epoch += 1;
    this.online = true;
    this._join(this.epoch);
  }

  disconnected() {
    this.epoch += 1;
    this.online = false;
    this.joined = false;
    this.ready = false;
    if (this.inflight) {
      this.pending.unshift(this.inflight); // its acknowledgement may never come
      this.inflight = null;
    }
    this._clear("flush", "resync", "retry", "reflush", "awareness");
    this._forgetOthers();
    if (this.state !== "closed") this._set("offline");
  }

  /** A message the server pushes: an update, someone's cursor, or a request for ours. */
  receive(payload) {
    if (!payload || payload.doc !== this.doc || typeof payload.message !== "string") return;
    if (this.state === "closed") return;
    this._answer([payload.message], this.epoch);
  }

  /** The server says this page may no longer read the document. */
  closed(payload) {
    if (payload && payload.doc !== this.doc) return;
    this.state = "closed";
    this.readOnly = true;
    this.notice = "";
    this.joined = false;
    this.ready = false;
    this.epoch += 1;
    this._clear("flush", "resync", "retry", "reflush", "awareness");
    this._forgetOthers();
    this._changed();
  }

  /** The page goes away: others stop showing our cursor now rather than after 30 s. */
  leave() {
    if (!this.ready || !this.awareness || this.awareness.getLocalState() === null) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.ydoc.clientID], "leave");
    const message = awarenessMessage(this.awareness, [this.ydoc.clientID]);
    this.request("collab", { doc: this.doc, message }).catch(() => {});
  }

  /** Stop sending and listening. */
  destroy() {
    this.epoch += 1;
    this._clear("flush", "resync", "retry", "reflush", "awareness");
    this.ydoc.off("update", this._onUpdate);
    if (this.awareness) this.awareness.off("update", this._onAwareness);
  }

  // --- joining and the step-1 exchange -------------------------------------------------------

  async _join(epoch) {
    this.joined = false;
    this.ready = false;
    this._set("connecting");
    let ack;
    try {
      ack = await this.request("collab_join", { doc: this.doc });
    } catch (error) {
      return this._retry(epoch, "failed", () => this._rejoin());
    }
    if (epoch !== this.epoch) return;
    if (!ack || !ack.ok) return this._refused(epoch, ack, () => this._rejoin());
    this.joined = true;
    if (!ack.can_write !== this.readOnly) {
      this.readOnly = !ack.can_write;
      this._changed();
    }
    // Answer the server's step 1: our step 2 holds everything it lacks, typed offline or
    // sent before without an acknowledgement. Once it is stored, nothing older is pending.
    const covered = new Set(this.pending);
    const replies = this._readAll(ack.messages || []);
    if (!(await this._sendAll(epoch, replies))) return;
    this.pending = this.pending.filter((update) => !covered.has(update));
    // Our step 1: the reply is the server's step 2, everything we lack.
    if (!(await this._send(epoch, syncStep1(this.ydoc)))) return;
    this.everSynced = true;
    this.ready = true;
    this._announce();
    this._schedule("resync", this.options.resyncMs, () => this._resync(epoch));
    this._settle();
    this._flush();
  }

  /** Follow the document again from scratch (whatever was under way is abandoned). */
  _rejoin() {
    if (!this.online || this.state === "closed") return;
    this.epoch += 1;
    this._requeue();
    this._clear("flush", "resync", "reflush", "awareness");
    this._join(this.epoch);
  }

  async _resync(epoch) {
    if (epoch !== this.epoch || !this.ready) return;
    await this._send(epoch, syncStep1(this.ydoc));
    if (epoch === this.epoch && this.ready) {
      this._schedule("resync", this.options.resyncMs, () => this._resync(epoch));
    }
  }

  // --- messages in -----------------------------------------------------------------------------

  /** Apply incoming base64 messages; the base64 replies they call for. */
  _readAll(messages) {
    const replies = [];
    for (const message of messages) {
      const reply = this._read(message);
      if (reply) replies.push(reply);
    }
    return replies;
  }

  _read(message) {
    try {
      return this._readOne(decoding.createDecoder(fromBase64(message)));
    } catch (error) {
      return null; // not a message we can read: nothing to apply or answer
    }
  }

  _readOne(decoder) {
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      const step = syncProtocol.readSyncMessage(decoder, encoder, this.ydoc, this.origin);
      // A reader cannot send a step 2 (the server refuses changes from readers).
      if (step === syncProtocol.messageYjsSyncStep1 && !this.readOnly) {
        return toBase64(encoding.toUint8Array(encoder));
      }
      return null;
    }
    if (type === MESSAGE_AWARENESS && this.awareness) {
      awarenessProtocol.applyAwarenessUpdate(
        this.awareness, decoding.readVarUint8Array(decoder), this.origin
      );
      return null;
    }
    if (type === MESSAGE_QUERY_AWARENESS) this._announce();
    return null;
  }

  async _answer(messages, epoch) {
    const replies = this._readAll(messages);
    if (replies.length && this.joined) await this._sendAll(epoch, replies);
  }

  // --- messages out ----------------------------------------------------------------------------

  async _sendAll(epoch, messages) {
    for (const message of messages) {
      if (!(await this._send(epoch, message))) return false;
    }
    return true;
  }

  /** Send one message and read the replies; false when it failed (a retry is arranged). */
  async _send(epoch, message) {
    let ack;
    try {
      ack = await this.request("collab", { doc: this.doc, message });
    } catch (error) {
      if (epoch === this.epoch) this._retry(epoch, "failed", () => this._rejoin());
      return false;
    }
    if (epoch !== this.epoch) return false;
    if (!ack || !ack.ok) {
      this._refused(epoch, ack, () => this._rejoin());
      return false;
    }
    const replies = this._readAll(ack.messages || []);
    if (replies.length) return this._sendAll(epoch, replies);
    return true;
  }

  /** Send what was typed since the last send, as one update, one batch at a time. */
  async _flush() {
    const epoch = this.epoch;
    if (!this.ready || this.readOnly || this.inflight || !this.pending.length) return;
    if (this.state === "closed") return;
    this.inflight = this.pending.length === 1 ? this.pending[0] : Y.mergeUpdates(this.pending);
    this.pending = [];
    let ack;
    try {
      ack = await this.request("collab", { doc: this.doc, message: syncUpdate(this.inflight) });
    } catch (error) {
      if (epoch !== this.epoch) return;
      this._requeue();
      return this._retry(epoch, "failed", () => this._flush(), undefined, "reflush");
    }
    if (epoch !== this.epoch) return;
    if (!ack || !ack.ok) {
      this._requeue();
      return this._refused(epoch, ack, () => this._flush(), "reflush");
    }
    this.inflight = null;
    this.notice = "";
    this._settle();
    if (this.pending.length) this._schedule("flush", this.options.batchMs, () => this._flush());
  }

  _requeue() {
    if (this.inflight) this.pending.unshift(this.inflight);
    this.inflight = null;
  }

  /** Send our cursor with a new clock: a page that dropped it (or timed it out) takes it again. */
  _announce() {
    if (!this.awareness || !this.ready) return;
    const state = this.awareness.getLocalState();
    if (state !== null) this.awareness.setLocalState(state); // the listener sends it
  }

  async _sendAwareness() {
    const epoch = this.epoch;
    if (!this.joined || !this.awareness || this.state === "closed") return;
    const message = awarenessMessage(this.awareness, [this.ydoc.clientID]);
    let ack;
    try {
      ack = await this.request("collab", { doc: this.doc, message });
    } catch (error) {
      return;
    }
    if (epoch !== this.epoch || (ack && ack.ok)) return;
    const code = ack && ack.error;
    if (code === "rate_limited" || code === "busy") {
      this._schedule("awareness", this._delay(code), () => this._sendAwareness());
    }
  }

  // --- refusals and retries --------------------------------------------------------------------

  _refused(epoch, ack, again, timer = "retry") {
    const code = ack && ack.error;
    const message = (ack && ack.message) || "";
    if (code === "forbidden") {
      this.readOnly = true;
      this.notice = "";
      this._settle();
      return;
    }
    if (REJOIN.includes(code)) {
      if (code === "not_found" && !this.joined) {
        this.closed(); // not (or no longer) open to this person
        return;
      }
      return this._retry(epoch, "failed", () => this._rejoin(), 200);
    }
    if (PERMANENT.includes(code)) {
      // Sending again would be refused again: stop, keep the text on screen, say why.
      this.closed();
      this.notice = message;
      this._changed();
      return;
    }
    if (code === "busy" || code === "rate_limited") {
      if (code === "rate_limited") this.notice = message;
      this._changed();
      return this._retry(epoch, code, again, undefined, timer);
    }
    return this._retry(epoch, "failed", again, undefined, timer); // "server" or unknown
  }

  _delay(kind) {
    const o = this.options;
    if (kind === "busy") return o.busyMs[0] + Math.random() * (o.busyMs[1] - o.busyMs[0]);
    if (kind === "rate_limited") return o.rateLimitedMs;
    return o.failedMs;
  }

  _retry(epoch, kind, again, ms, timer = "retry") {
    if (epoch !== this.epoch || !this.online) return;
    this._schedule(timer, ms === undefined ? this._delay(kind) : ms, () => {
      if (epoch === this.epoch) again();
    });
  }

  // --- state -----------------------------------------------------------------------------------

  /** Synced once joined, both steps 1 answered and everything typed acknowledged. */
  _settle() {
    if (this.state === "closed") return this._changed();
    if (this.ready && !this.hasPending) {
      this.notice = "";
      this._set("synced");
    } else {
      this._changed();
    }
  }

  _set(state) {
    if (this.state === "closed") return;
    this.state = state;
    this._changed();
  }

  _changed() {
    this.onChange(this);
  }

  _forgetOthers() {
    if (!this.awareness) return;
    const others = [...this.awareness.getStates().keys()].filter((id) => id !== this.ydoc.clientID);
    if (others.length) awarenessProtocol.removeAwarenessStates(this.awareness, others, this.origin);
    for (const id of others) this.awareness.meta.delete(id); // so they are taken again on return
  }

  _schedule(name, ms, run) {
    if (this.timers[name] !== undefined) return; // already coming
    this.timers[name] = setTimeout(() => {
      delete this.timers[name];
      run();
    }, ms);
  }

  _clear(...names) {
    for (const name of names) {
      clearTimeout(this.timers[name]);
      delete this.timers[name];
    }
  }
}
