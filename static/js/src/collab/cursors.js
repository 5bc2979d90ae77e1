// Others' carets and selections, from Yjs awareness, drawn with CSS classes only (no style
// attributes: the Content-Security-Policy forbids inline styles). Colours are a fixed palette
// of classes, collab-colour-0..7, in static/css/collab-editor.css. Also publishes our own
// selection as Yjs relative positions, so it stays in place while others type.

import * as Y from "yjs";
import { Decoration, ViewPlugin, WidgetType } from "@codemirror/view";

export const PALETTE = 8;

/** A palette index 0..7 from whatever was sent (falling back to one from the client id). */
export function colourIndex(colour, clientID) {
  const n = Number.parseInt(colour, 10);
  return Number.isInteger(n) && n >= 0 ? n % PALETTE : clientID % PALETTE;
}

class CaretWidget extends WidgetType {
  constructor(name, colour) {
    super();
    this.name = name;
    this.colour = colour;
  }

  eq(other) {
    return other.name === this.name && other.colour === this.colour;
  }

  toDOM() {
    const caret = document.createElement("span");
    caret.className = `cm-collab-caret collab-colour-${this.colour}`;
    caret.setAttribute("aria-hidden", "true");
    const label = document.createElement("span");
    label.className = "cm-collab-name";
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }

  ignoreEvent() {
    return true;
  }
}

function absolute(json, ydoc, ytext) {
  if (!json) return null;
  try {
    const position = Y.createAbsolutePositionFromRelativePosition(
      Y.createRelativePositionFromJSON(json), ydoc
    );
    return position && position.type === ytext ? position.index : null;
  } catch (error) {
    return null; // a malformed cursor from someone else: ignore it
  }
}

function decorations(view, awareness, ydoc, ytext) {
  const length = view.state.doc.length;
  const found = [];
  awareness.getStates().forEach((state, clientID) => {
    if (clientID === ydoc.clientID || !state || !state.cursor) return;
    const anchor = absolute(state.cursor.anchor, ydoc, ytext);
    const head = absolute(state.cursor.head, ydoc, ytext);
    if (anchor === null || head === null || anchor > length || head > length) return;
    const user = state.user || {};
    const name = typeof user.name === "string" ? user.name.slice(0, 60) : "";
    const colour = colourIndex(user.colour, clientID);
    found.push({ anchor, head, name, colour });
  });
  const ranges = [];
  for (const { anchor, head, name, colour } of found) {
    const from = Math.min(anchor, head);
    const to = Math.max(anchor, head);
    if (from < to) {
      const mark = Decoration.mark({ class: `cm-collab-selection collab-colour-${colour}` });
      ranges.push(mark.range(from, to));
    }
    const widget = Decoration.widget({ widget: new CaretWidget(name, colour), side: head > anchor ? -1 : 1 });
    ranges.push(widget.range(head));
  }
  return Decoration.set(ranges, true);
}

/** The extension: draws others' cursors; publishes ours while the editor has focus. */
export function remoteCursors(awareness, ydoc, ytext) {
  const plugin = ViewPlugin.fromClass(
    class {
      constructor(view) {
        this.view = view;
        this.decorations = decorations(view, awareness, ydoc, ytext);
        this.onChange = ({ added, updated, removed }) => {
          const others = added.concat(updated, removed).some((id) => id !== ydoc.clientID);
          if (others) view.dispatch({ effects: [] }); // redraw from update()
        };
        awareness.on("change", this.onChange);
      }

      update(update) {
        this.decorations = decorations(update.view, awareness, ydoc, ytext);
        const focused = update.view.hasFocus;
        if (update.selectionSet || update.focusChanged || update.docChanged) publish(update.view, focused);
      }

      destroy() {
        awareness.off("change", this.onChange);
      }
    },
    { decorations: (value) => value.decorations }
  );

  function publish(view, focused) {
    const local = awareness.getLocalState();
    if (!local) return;
    if (!focused) {
      if (local.cursor) awareness.setLocalStateField("cursor", null);
      return;
    }
    const { anchor, head } = view.state.selection.main;
    const cursor = {
      anchor: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(ytext, anchor)),
      head: Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(ytext, head)),
    };
    const old = local.cursor;
    if (old && JSON.stringify(old) === JSON.stringify(cursor)) return;
    awareness.setLocalStateField("cursor", cursor);
  }

  return plugin;
}
