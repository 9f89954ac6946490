#!/usr/bin/env bash
# Sets up, analyzes the bundled sample and opens the review window on it. With no display it
# analyzes, saves a screenshot of the window (offscreen) and writes JSON/EDL reports instead.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export YOLO_OFFLINE=1 HF_HUB_OFFLINE=1
VIDEO=${1:-resources/sample/clipdesk-sample.mp4}
OUT=out/demo
mkdir -p "$OUT"
PROJECT="$OUT/$(basename "${VIDEO%.*}").clipdesk"
.venv/bin/clipdesk analyze "$VIDEO" --project "$PROJECT"
.venv/bin/clipdesk export "$PROJECT" --format json --out "$OUT/analysis.json"
.venv/bin/clipdesk export "$PROJECT" --format edl --out "$OUT/shots.edl" || true
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/clipdesk gui "$PROJECT"
fi
echo "demo: no display; rendering the review window offscreen"
QT_QPA_PLATFORM=offscreen .venv/bin/clipdesk gui "$PROJECT" --screenshot "$OUT/screenshot.png"
echo "demo: wrote $OUT/screenshot.png, $OUT/analysis.json, $OUT/shots.edl and the project $PROJECT"
