#!/usr/bin/env bash
# Builds benchmarks/.venv-peers: labelwell plus the peer libraries it is compared with
# (crowd-kit, snorkel, krippendorff, statsmodels). The peers are never labelwell dependencies.
# `benchmarks/peers.sh s3rver` installs only s3rver 3.7.1 (a Node.js S3 server, from npm) into
# ~/.cache/labelwell/s3rver, for bench_storage_sync.py; it needs node and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = s3rver ]; then
  DIR="$HOME/.cache/labelwell/s3rver"
  mkdir -p "$DIR"
  [ -f "$DIR/package.json" ] || echo '{"private": true}' > "$DIR/package.json"
  npm install --prefix "$DIR" --no-audit --no-fund --silent "s3rver@3.7.1"
  echo "s3rver ready in $DIR/node_modules/s3rver"
  exit 0
fi
VENV=benchmarks/.venv-peers
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -e . \
  "crowd-kit==1.4.2" "snorkel==0.10.0" krippendorff statsmodels "torch==2.13.0" \
  "dask[distributed]" psutil
echo "peers ready in $VENV"
