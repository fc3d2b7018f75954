#!/bin/sh
# azd prepackage hook: put what the packages need in place before azd zips them.
#   1. models/koclip/: the KoCLIP towers for EMBEDDING_PRECISION (int8 by default), the tokenizer, the
#      image preprocessing settings and the manifest. Shipped inside the Function App package and read
#      from EMBEDDING_MODEL_DIR=/home/site/wwwroot/models/koclip. The full export (fp32 + int8) is made
#      once into .data/models/koclip-base (ignored, never deployed) and only the needed files copied.
#      Set KOCLIP_EXPORT_DIR to use an export you already have.
#   2. static-site/vendor/: the Speech SDK browser bundle (scripts/vendor_site.sh).
#   3. the site's sign-in rules for AUTH_PROVIDERS (the authProviders parameter, an azd output):
#      infra/scripts/site_auth.py rewrites staticwebapp.config.json and auth.swa.json (unchanged for aad).
set -eu
cd "$(dirname "$0")/../.."

precision="${EMBEDDING_PRECISION:-int8}"
export_dir="${KOCLIP_EXPORT_DIR:-.data/models/koclip-base}"
target=models/koclip

if [ ! -f "$export_dir/manifest.json" ]; then
  echo "== exporting KoCLIP (koclip/koclip-base-pt) to $export_dir (one time; needs scripts/bootstrap.sh --export)"
  .venv/bin/python -m scripts.export_koclip --model "${KOCLIP_MODEL:-koclip/koclip-base-pt}" --output "$export_dir"
fi
if grep -q '"test_model": *true' "$export_dir/manifest.json"; then
  echo "refusing to deploy $export_dir: it is the random-weights TEST model" >&2
  exit 1
fi

mkdir -p "$target"
rm -f "$target"/*.onnx
if [ "$precision" = int8 ]; then
  towers="text.int8.onnx vision.int8.onnx"
else
  towers="text.onnx vision.onnx"
fi
for f in $towers tokenizer.json preprocessor_config.json manifest.json; do
  cp "$export_dir/$f" "$target/$f"
done
echo "== $target: $(du -sh "$target" | cut -f1) ($precision)"

if [ -d node_modules/microsoft-cognitiveservices-speech-sdk ]; then
  scripts/vendor_site.sh
else
  echo "note: node_modules missing (run npm ci); the site falls back to the browser's speech recognition" >&2
fi

.venv/bin/python infra/scripts/site_auth.py
