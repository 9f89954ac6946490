#!/usr/bin/env bash
# Sets up ClipDesk on a fresh Debian/Ubuntu machine: system packages (when run as root, else it
# says what to install), then a virtual environment at .venv/ with ClipDesk and its dev tools.
# Idempotent: a second run only checks (the venv is rebuilt when pyproject.toml changes).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
SYS_PKGS=(ffmpeg espeak-ng xvfb xauth libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
          libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1
          libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 libasound2 libpulse0 fonts-dejavu-core)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${SYS_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages (as root): ${missing[*]}" >&2
    echo "setup: continuing; real-window tests and speech fixtures are skipped without them" >&2
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info[:2] in ((3, 11), (3, 12)) else 1)'; then
  echo "setup: ClipDesk needs Python 3.11 or 3.12 (found $("$PY" --version 2>&1)); set PYTHON=..." >&2
  exit 1
fi

stamp=".venv/.clipdesk-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "setup: creating .venv and installing ClipDesk (first run takes a few minutes: torch is large)"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip wheel
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.clipdesk-*
  touch "$stamp"
fi
echo "setup: ready (.venv/bin/clipdesk)"
