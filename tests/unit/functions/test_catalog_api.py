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
