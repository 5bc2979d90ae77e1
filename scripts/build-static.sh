#!/bin/sh
# Rebuild the browser bundles in static/dist, served from our own origin (no CDN), and their
# licence notices:
#   socket.io.min.js      the socket.io browser client (window.io)
#   collab-editor.min.js  the live Markdown editor (CodeMirror 6 + Yjs), static/js/src/collab-editor.js
# Needs Node.js >= 18 and npm; run from anywhere. Versions are pinned in package.json /
# package-lock.json; see static/dist/README.md.
set -eu
cd "$(dirname "$0")/.."

npm ci
npx esbuild static/js/src/socketio.js --bundle --minify --format=iife --target=es2017 \
  --outfile=static/dist/socket.io.min.js
npx esbuild static/js/src/collab-editor.js --bundle --minify --format=iife --target=es2017 \
  --outfile=static/dist/collab-editor.min.js

# The editor runs under script-src 'self' / style-src 'self': no code from strings, no style
# attributes. Refuse a bundle that would need them.
if grep -q -e 'eval(' -e 'new Function' -e 'setAttribute("style"' static/dist/collab-editor.min.js; then
  echo "static/dist/collab-editor.min.js uses eval, new Function or a style attribute" >&2
  exit 1
fi
node tests/js/collab_editor_selfcheck.mjs > /dev/null

# The bundles keep no comments: write the licences of the bundled packages next to them.
# notice <bundle> <licence file> <package>...: each package's version and its LICENSE file.
notice() {
  bundle=$1 file=$2
  shift 2
  {
    echo "static/dist/$bundle bundles the following packages (all MIT licensed)."
    echo "Rebuilt by scripts/build-static.sh; versions from package-lock.json."
    for package in "$@"; do
      version=$(node -p "require('./node_modules/$package/package.json').version")
      licence=$(ls "node_modules/$package" | grep -i -m1 '^licen[cs]e')
      echo
      echo "================================================================================"
      echo "$package $version"
      echo "================================================================================"
      cat "node_modules/$package/$licence"
    done
  } > "static/dist/$file"
}

notice socket.io.min.js socket.io.LICENSE.txt socket.io-client engine.io-client engine.io-parser \
  socket.io-parser @socket.io/component-emitter
notice collab-editor.min.js collab-editor.LICENSE.txt yjs y-protocols lib0 y-codemirror.next \
  @codemirror/state @codemirror/view @codemirror/commands @codemirror/language \
  @codemirror/lang-markdown @lezer/common @lezer/highlight @lezer/markdown style-mod \
  w3c-keyname @marijn/find-cluster-break

for bundle in socket.io.min.js collab-editor.min.js; do
  echo "built static/dist/$bundle ($(wc -c < "static/dist/$bundle") bytes)"
done
