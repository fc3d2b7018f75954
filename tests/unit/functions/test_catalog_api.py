"""GET /api/catalog: the site builds its form and its limits from this one answer."""

from __future__ import annotations

import json

import azure.functions as func

from functions.catalog import get_catalog
from shared.core import catalog
from shared.core.config import get_settings


def test_catalog_answer_carries_the_values_and_limits_the_site_uses():
    response = get_catalog(func.HttpRequest("GET", "http://localhost/api/catalog", body=b""))
    body = json.loads(response.get_body())
    assert body["defaultStage"] == catalog.DEFAULT_STAGE and body["defaultStage"] in [s["value"] for s in body["stages"]]
    assert body["maxKeywordsChars"] == catalog.MAX_KEYWORDS_CHARS
    assert body["maxUploadBytes"] == get_settings().upload_max_bytes


def test_catalog_says_whether_speech_is_configured_so_the_site_never_asks_in_vain(monkeypatch):
    from shared.core import config

    def speech_service() -> bool:
        config.reset_settings()
        try:
            response = get_catalog(func.HttpRequest("GET", "http://localhost/api/catalog", body=b""))
            return json.loads(response.get_body())["speechService"]
        finally:
            config.reset_settings()

    for name in ("SPEECH_REGION", "SPEECH_KEY", "SPEECH_RESOURCE_ID", "SPEECH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert speech_service() is False
    monkeypatch.setenv("SPEECH_REGION", "koreacentral")
    assert speech_service() is False  # a region without a credential still cannot issue tokens
    monkeypatch.setenv("SPEECH_RESOURCE_ID", "/subscriptions/0/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/s")
    assert speech_service() is True
