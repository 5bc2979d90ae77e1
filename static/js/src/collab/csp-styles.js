// CodeMirror's own CSS under our Content-Security-Policy (style-src 'self', no inline styles).
//
// style-mod (which CodeMirror uses for its base theme) writes its rules into a <style> element
// when mounted in a document: only shadow roots get a constructed stylesheet. Under our CSP
// the browser refuses that element's text, and the editor would lose its layout. A
// constructed stylesheet (new CSSStyleSheet + document.adoptedStyleSheets) is not inline
// style, so the CSP allows it: mount documents that way too, in the same order style-mod keeps.

import { StyleModule } from "style-mod";

const mounted = new WeakMap(); // document -> { sheet, modules }

function supported(root) {
  const win = root.defaultView;
  return (
    root.nodeType === 9 && win && win.CSSStyleSheet && Array.isArray(root.adoptedStyleSheets) &&
    typeof win.CSSStyleSheet.prototype.replaceSync === "function"
  );
}

/** Add new modules to the list, keeping the order asked for (as style-mod's StyleSet does). */
function merge(list, modules) {
  let changed = false;
  let j = 0;
  for (const mod of modules) {
    let index = list.indexOf(mod);
    if (index < j && index > -1) {
      list.splice(index, 1); // ordering conflict: move it
      j -= 1;
      index = -1;
    }
    if (index === -1) {
      list.splice(j, 0, mod);
      j += 1;
      changed = true;
    } else {
      j = index + 1;
    }
  }
  return changed;
}

export function useConstructedStylesheets() {
  const original = StyleModule.mount;
  if (original.caravana) return;
  const mount = function (root, modules, options) {
    if (!supported(root)) return original.call(StyleModule, root, modules, options);
    let entry = mounted.get(root);
    if (!entry) {
      entry = { sheet: new root.defaultView.CSSStyleSheet(), modules: [] };
      mounted.set(root, entry);
    }
    if (merge(entry.modules, Array.isArray(modules) ? modules : [modules])) {
      entry.sheet.replaceSync(entry.modules.map((mod) => mod.getRules()).join("\n"));
    }
    if (root.adoptedStyleSheets.indexOf(entry.sheet) < 0) {
      // Adopted sheets apply after the page's own: collab-editor.css overrides with #collab-editor.
      root.adoptedStyleSheets = [entry.sheet, ...root.adoptedStyleSheets];
    }
  };
  mount.caravana = true;
  StyleModule.mount = mount;
}
