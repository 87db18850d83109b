#!/usr/bin/env bash
# Builds benchmarks/.venv-peers: labelwell plus the peer libraries it is compared with
# (crowd-kit, snorkel, krippendorff, statsmodels). The peers are never labelwell dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=benchmarks/.venv-peers
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -e . \
  "crowd-kit==1.4.2" "snorkel==0.10.0" krippendorff statsmodels "torch==2.13.0" \
  "dask[distributed]" psutil
echo "peers ready in $VENV"
