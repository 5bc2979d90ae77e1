// The live co-edited Markdown editor: CodeMirror 6 bound to a Yjs document, synced with the
// server over Socket.IO (collab/protocol.js). It enhances #collab-editor: the plain form in it
// keeps working without JavaScript and comes back if the live editor cannot connect.
// Built into static/dist/collab-editor.min.js (see static/dist/README.md).

import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, keymap } from "@codemirror/view";
import { defaultKeymap } from "@codemirror/commands";
import { LanguageSupport, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { markdownKeymap, markdownLanguage } from "@codemirror/lang-markdown";
import { yCollab, yUndoManagerKeymap } from "y-codemirror.next";
import { CollabSession } from "./collab/protocol.js";
import { colourIndex, remoteCursors } from "./collab/cursors.js";
import { useConstructedStylesheets } from "./collab/csp-styles.js";
import { anchorFromSelection } from "./collab/comment-anchor.js";

const REQUEST_TIMEOUT_MS = 20000;
const FALLBACK_MS = 15000; // no live text by then: give the plain form back

function start() {
  const root = document.getElementById("collab-editor");
  const form = document.getElementById("plain-edit");
  const status = document.getElementById("collab-status");
  if (!root || !status || root.dataset.state || typeof window.io !== "function") return;
  useConstructedStylesheets();
  const data = root.dataset;
  const labels = {
    connecting: data.labelConnecting || "",
    synced: data.labelSynced || "",
    offline: data.labelOffline || "",
    readonly: data.labelReadonly || "",
    closed: data.labelClosed || "",
  };

  const ydoc = new Y.Doc();
  const ytext = ydoc.getText("text"); // the server's root name (app/collab/store.py ROOT)
  const awareness = new Awareness(ydoc);
  const user = { name: data.userName || "", colour: colourIndex(data.userColour, ydoc.clientID) };
  awareness.setLocalState({ user, cursor: null });
  // Undo only what this page typed: yCollab adds the editor's origin. Not the default (null),
  // which Yjs also gives to remote updates it applies late (once what they build on arrived).
  const undoManager = new Y.UndoManager(ytext, { trackedOrigins: new Set() });

  const area = form && form.querySelector("textarea");
  const label = area && area.labels && area.labels[0];
  const content = { dir: "auto", spellcheck: "true", autocorrect: "on", autocapitalize: "sentences" };
  if (label) content["aria-label"] = label.textContent.trim();
  const access = new Compartment();
  const accessFor = (editable) => [EditorState.readOnly.of(!editable), EditorView.editable.of(editable)];
  let editable = false; // not before the first sync: typing into an empty copy would duplicate

  const view = new EditorView({
    state: EditorState.create({
      extensions: [
        keymap.of([...yUndoManagerKeymap, ...markdownKeymap, ...defaultKeymap]),
        new LanguageSupport(markdownLanguage),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        EditorView.lineWrapping,
        EditorView.contentAttributes.of(content),
        yCollab(ytext, null, { undoManager }),
        remoteCursors(awareness, ydoc, ytext),
        access.of(accessFor(editable)),
        anchorFromSelection(document.querySelector("#comment-on-passage form"), ytext),
      ],
    }),
  });
  root.insertBefore(view.dom, form || null);
  if (form) form.hidden = true;

  const socket = window.io();
  const request = (event, payload) =>
    new Promise((resolve, reject) => {
      // Never let socket.io buffer an event for later: after a reconnect we join afresh.
      if (!socket.connected) return reject(new Error("not connected"));
      socket.timeout(REQUEST_TIMEOUT_MS).emit(event, payload, (error, ack) => {
        if (error) reject(error);
        else resolve(ack);
      });
    });

  const render = (session) => {
    const state = session.state;
    root.dataset.state = state;
    if (session.hasPending) root.dataset.pending = "true";
    else delete root.dataset.pending;
    let text = session.notice || labels[state];
    if (!session.notice && session.readOnly && (state === "synced" || state === "closed")) {
      text = state === "closed" ? labels.closed : labels.readonly;
    }
    if (status.textContent !== text) status.textContent = text; // a live region: only real changes
    const canEdit = session.everSynced && !session.readOnly && state !== "closed";
    if (canEdit !== editable) {
      editable = canEdit;
      view.dispatch({ effects: access.reconfigure(accessFor(editable)) });
    }
    if (form && session.everSynced) form.hidden = true;
  };

  const session = new CollabSession({
    ydoc,
    awareness,
    doc: data.doc,
    canWrite: data.canWrite === "1",
    request,
    onChange: render,
  });

  socket.on("connect", () => session.connected());
  socket.on("disconnect", () => session.disconnected());
  socket.on("connect_error", () => session.disconnected()); // socket.io keeps trying
  socket.on("collab", (payload) => session.receive(payload));
  socket.on("collab_closed", (payload) => session.closed(payload));
  if (socket.connected) session.connected();
  render(session);

  setTimeout(() => {
    if (form && !session.everSynced) form.hidden = false; // the live editor did not come
  }, FALLBACK_MS);

  // Changes not yet stored live only in this page: ask before it closes (offline, say).
  window.addEventListener("beforeunload", (event) => {
    if (!session.hasPending || session.state === "closed") return;
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show the prompt
  });
  // Leaving the page: others stop seeing our cursor at once rather than after 30 s.
  window.addEventListener("pagehide", () => session.leave());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) awareness.setLocalState({ user, cursor: null });
  });

  window.caravanaEditor = { ydoc, ytext, view, awareness, session, socket, undoManager };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
