#!/usr/bin/env bash
# Installs everything the project needs on this machine; safe to run again (does only what changed).
#   scripts/bootstrap.sh            runtime + dev tools (venv, npm packages, ImageMagick library)
#   scripts/bootstrap.sh --export   + export-time tools (torch CPU, transformers) for the KoCLIP export
#   scripts/bootstrap.sh --browser  + Debian's Chromium (and a CJK font) for the end-to-end tests
#   scripts/bootstrap.sh --gimp     + GIMP, the second PSD reader the layer tests open the PSDs in
set -euo pipefail
cd "$(dirname "$0")/.."

want_export=0
want_browser=0
want_gimp=0
for arg in "$@"; do
  case "$arg" in
    --export) want_export=1 ;;
    --browser) want_browser=1 ;;
    --gimp) want_gimp=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi

pip_install() {  # pip_install STAMP_NAME REQUIREMENTS_FILE
  local stamp=".venv/.$1.sha256" want
  want=$(cat requirements*.txt "$2" | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "== pip install -r $2"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$2"
    echo "$want" > "$stamp"
  fi
}
pip_install dev requirements-dev.txt
[ "$want_export" = 1 ] && pip_install export requirements-export.txt

if [ ! -x node_modules/.bin/azurite ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
scripts/vendor_site.sh

apt_install() {  # apt_install PACKAGE...: Debian packages, only when root (says what to run otherwise)
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: $*; install them with: sudo apt-get install -y $*" >&2
    exit 1
  fi
  echo "== apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# libmagickwand for Wand (layered PSD); imagemagick's `convert` CLI only as bench/pipeline.py's baseline.
{ .venv/bin/python -c "import devstack, sys; sys.exit(0 if devstack.magickwand_present() else 1)" \
    && command -v convert-im6.q16 >/dev/null; } \
  || apt_install libmagickwand-6.q16-6 imagemagick

if [ "$want_browser" = 1 ]; then
  browser_pkgs=()
  command -v chromium >/dev/null || browser_pkgs+=(chromium)
  # Korean glyphs for the site's screenshots (without a CJK font Hangul renders as boxes)
  fc-list 2>/dev/null | grep -qi "cjk" || browser_pkgs+=(fonts-noto-cjk)
  [ "${#browser_pkgs[@]}" = 0 ] || apt_install "${browser_pkgs[@]}"
fi

# GIMP reads the layered PSDs in batch mode (tests/unit/images/test_psd_gimp.py): Korean layer names,
# order, blend modes, resolution, composite. About 2 minutes to install; the app never needs it.
if [ "$want_gimp" = 1 ] && ! command -v gimp-console >/dev/null && ! command -v gimp-console-2.10 >/dev/null; then
  apt_install gimp
fi
