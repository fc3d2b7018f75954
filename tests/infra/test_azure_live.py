"""Keyless sign-in against a deployed environment. Skipped unless AZURE_LIVE_TESTS=1.

These need Azure and so cannot run on the development machines; the logic they exercise is tested
offline in tests/unit/test_credentials*.py. To run them after `azd up`, signed in with `az login`
as the deployer (the template gives the deployer the data roles these use):

    set -a; eval "$(azd env get-values)"; set +a
    export POSTGRES_USER="$(az ad signed-in-user show --query userPrincipalName -o tsv)"
    AZURE_LIVE_TESTS=1 .venv/bin/python -m pytest tests/infra/test_azure_live.py

They check what only Azure can show: an Entra token is accepted as the PostgreSQL password, a
user-delegation SAS made by shared.storage opens a blob of an account without shared keys, Speech
exchanges an Entra token, and Azure OpenAI accepts the token provider's token.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid

import pytest

from shared.core import config

pytestmark = pytest.mark.skipif(os.environ.get("AZURE_LIVE_TESTS") != "1",
                                reason="live Azure tests: set AZURE_LIVE_TESTS=1 with the azd environment loaded")


@pytest.fixture
def live_settings(monkeypatch):
    for local in ("AzureWebJobsStorage", "POSTGRES_URL", "AZURE_OPENAI_API_KEY", "SPEECH_KEY"):
        monkeypatch.delenv(local, raising=False)
    config.reset_settings()
    from shared.core import credentials
    from shared.storage import blobs as storage

    credentials.reset()
    storage.reset()
    yield config.get_settings()
    storage.reset()
    config.reset_settings()


def test_live_postgres_accepts_an_entra_token_as_password(live_settings):
    import psycopg

    from shared.core.credentials import postgres_token_provider
    from shared.db.pool import conninfo_for

    assert live_settings.postgres_host and live_settings.postgres_user, "load the azd environment first"
    token = postgres_token_provider(live_settings)
    with psycopg.connect(conninfo_for(live_settings), password=token(), connect_timeout=20) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == live_settings.postgres_user
        allowed = conn.execute("SHOW azure.extensions").fetchone()[0].upper()
        assert {"VECTOR", "PG_TRGM"} <= set(allowed.split(","))


def test_live_user_delegation_sas_reads_a_blob_without_shared_keys(live_settings):
    from shared.storage import blobs as storage

    assert live_settings.uses_managed_identity, "AzureWebJobsStorage__accountName must be set"
    name = f"live-test/{uuid.uuid4().hex}.txt"
    storage.upload(storage.OUTPUTS, name, "키 없이".encode(), "text/plain; charset=utf-8")
    try:
        url = storage.read_url(storage.OUTPUTS, name)
        assert "skoid=" in url and "sp=r" in url
        with urllib.request.urlopen(url, timeout=20) as resp:
            assert resp.read() == "키 없이".encode()
        with pytest.raises(urllib.error.HTTPError):  # no anonymous access without the SAS
            urllib.request.urlopen(url.split("?", 1)[0], timeout=20)
    finally:
        storage.service().get_blob_client(storage.OUTPUTS, name).delete_blob()


def test_live_speech_exchanges_an_entra_token(live_settings):
    from shared.core.credentials import speech_token_provider
    from shared.providers.speech import sts_url

    assert live_settings.speech_endpoint, "SPEECH_ENDPOINT must be set (custom subdomain)"
    request = urllib.request.Request(sts_url(live_settings), data=b"", method="POST",
                                     headers={"Authorization": f"Bearer {speech_token_provider(live_settings)()}"})
    with urllib.request.urlopen(request, timeout=20) as resp:
        token = resp.read().decode()
    assert token.count(".") == 2  # a JWT


def test_live_openai_accepts_the_token_provider(live_settings):
    from shared.core.credentials import openai_token_provider

    endpoint = live_settings.azure_openai_endpoint.rstrip("/")
    assert endpoint, "AZURE_OPENAI_ENDPOINT must be set"
    url = f"{endpoint}/openai/deployments/{live_settings.azure_openai_chat_deployment}/chat/completions" \
          f"?api-version={live_settings.azure_openai_api_version}"
    body = json.dumps({"messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {openai_token_provider(live_settings)()}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as resp:
        assert json.load(resp)["choices"]
