// The editor page's "comment on a passage" form, filled from the editor's selection: the
// selected words as the quote, and a Yjs relative position of their first character as the
// anchor, so the comment follows its passage through every later edit, on every client
// (app/manifestos/comments.py reads it). Without this script the person copies the words
// and the server finds them.

import * as Y from "yjs";
import { EditorView } from "@codemirror/view";

const QUOTE_CHARS = 300; // CommentForm.quote's limit

function base64(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// The editor extension that keeps `form`'s quote and anchor fields on the selection.
export function anchorFromSelection(form, ytext) {
  const quote = form && form.querySelector("[name=quote]");
  const anchor = form && form.querySelector("[name=anchor]");
  if (!quote || !anchor) return [];
  const hint = document.getElementById("selection-hint");
  if (hint) hint.hidden = false;
  // Words typed by hand are looked for in the text: a selection made earlier no longer counts.
  quote.addEventListener("input", () => {
    anchor.value = "";
  });
  return EditorView.updateListener.of((update) => {
    // Only the person's own selecting: a remote edit moves the selection without setting it.
    if (!update.selectionSet) return;
    const { from, to } = update.state.selection.main;
    const words = update.state.sliceDoc(from, to).replace(/\s+/g, " ").trim();
    if (!words) return;
    const position = Y.createRelativePositionFromTypeIndex(ytext, from);
    anchor.value = base64(Y.encodeRelativePosition(position));
    quote.value = words.slice(0, QUOTE_CHARS);
  });
}
