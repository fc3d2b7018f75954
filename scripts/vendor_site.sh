#!/usr/bin/env bash
# Copies the Azure Speech SDK browser bundle (and its audio worklet) from node_modules into
# static-site/vendor/, where the site loads it lazily when /api/speech-token answers. The copy is not
# committed (static-site/vendor/ is ignored); run this before deploying the site.
set -euo pipefail
cd "$(dirname "$0")/.."
src=node_modules/microsoft-cognitiveservices-speech-sdk/distrib/browser
dst=static-site/vendor
mkdir -p "$dst"
for f in microsoft.cognitiveservices.speech.sdk.bundle-min.js speech-processor.js; do
  if ! cmp -s "$src/$f" "$dst/$f"; then
    cp "$src/$f" "$dst/$f"
  fi
done
