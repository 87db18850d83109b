#!/usr/bin/env bash
# Installs Azurite (Microsoft's Azure Storage emulator, from npm) into
# ~/.cache/labelwell/azurite-3 (or $LABELWELL_AZURITE_DIR), where the az://
# storage tests start its blob service (tests/storage_server.py). It is never a
# labelwell dependency; it needs node (20 or later) and npm.
set -euo pipefail
VERSION=3.35.0
DIR="${LABELWELL_AZURITE_DIR:-$HOME/.cache/labelwell/azurite-3}"
mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
npm install --prefix "$DIR" --no-audit --no-fund --silent "azurite@$VERSION"
"$DIR/node_modules/.bin/azurite-blob" --version >/dev/null
echo "Azurite $VERSION ready in $DIR"
