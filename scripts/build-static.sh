#!/bin/sh
# Rebuild static/dist/socket.io.min.js (the socket.io browser client, served from our own
# origin: no CDN) and its licence notice. Needs Node.js >= 18 and npm; run from anywhere.
# Versions are pinned in package.json / package-lock.json; see static/dist/README.md.
set -eu
cd "$(dirname "$0")/.."

npm ci
npx esbuild static/js/src/socketio.js --bundle --minify --format=iife --target=es2017 \
  --outfile=static/dist/socket.io.min.js

# The bundle keeps no comments: write the licences of the bundled packages next to it.
notice=static/dist/socket.io.LICENSE.txt
{
  echo "static/dist/socket.io.min.js bundles the following packages (all MIT licensed)."
  echo "Rebuilt by scripts/build-static.sh; versions from package-lock.json."
  for package in socket.io-client engine.io-client engine.io-parser socket.io-parser \
    @socket.io/component-emitter; do
    version=$(node -p "require('./node_modules/$package/package.json').version")
    echo
    echo "================================================================================"
    echo "$package $version"
    echo "================================================================================"
    cat "node_modules/$package/LICENSE"
  done
} > "$notice"

echo "built static/dist/socket.io.min.js ($(wc -c < static/dist/socket.io.min.js) bytes)"
