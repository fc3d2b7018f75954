#!/bin/sh
# azd postdeploy hook: create the Event Grid subscription of the batch-in blob trigger once the app code
# (and so the host's blobs_extension key and webhook) exists. Event Grid validates the webhook when the
# subscription is created, which is why this cannot happen in the first `azd provision`.
# Afterwards BLOB_EVENT_SUBSCRIPTION_ENABLED=true keeps the subscription in every later provision.
set -eu
cd "$(dirname "$0")/../.."

# azd passes the environment's values to hooks as variables; CI can also set it as a repository variable.
if [ "${BLOB_EVENT_SUBSCRIPTION_ENABLED:-}" = "true" ] ||
   [ "$(azd env get-value BLOB_EVENT_SUBSCRIPTION_ENABLED 2>/dev/null || true)" = "true" ]; then
  echo "batch-in Event Grid subscription: already enabled"
  exit 0
fi
azd env set BLOB_EVENT_SUBSCRIPTION_ENABLED true
echo "== creating the batch-in Event Grid subscription (azd provision)"
azd provision --no-prompt
