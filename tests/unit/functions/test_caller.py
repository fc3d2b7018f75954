"""functions.caller: who is calling (the platform's principal, else the local user)."""

from __future__ import annotations

import base64
import json

import pytest

from functions import caller as generation
from shared.core.config import Settings


def _principal(data) -> str:
    return base64.b64encode(json.dumps(data).encode()).decode()


def test_caller_is_the_principal_or_the_local_user():
    settings = Settings(local_user_id="me-local")
    assert generation.caller_id({}, settings) == "me-local"
    assert generation.caller_id({"x-ms-client-principal-id": "someone-else"}, settings) == "me-local"
    assert generation.caller_id({"X-MS-CLIENT-PRINCIPAL": _principal({"userId": "abc"})}, settings) == "abc"
    app_service = {"claims": [{"typ": "http://schemas.microsoft.com/identity/claims/objectidentifier", "val": "oid-1"}]}
    assert generation.caller_id({"x-ms-client-principal": _principal(app_service)}, settings) == "oid-1"
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": "%%%not base64"}, settings)
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": _principal({"claims": []})}, settings)
    with pytest.raises(generation.Unauthenticated):
        generation.caller_id({"x-ms-client-principal": _principal({"claims": 5})}, settings)


def test_on_azure_a_call_without_a_principal_is_refused_not_the_local_user():
    settings = Settings(local_user_id="me-local", on_azure=True)
    with pytest.raises(generation.Unauthenticated) as refused:
        generation.caller_id({"x-ms-client-principal-id": "forged"}, settings)
    assert refused.value.status == 401 and "로그인" in refused.value.message
    assert generation.caller_id({"x-ms-client-principal": _principal({"userId": "abc"})}, settings) == "abc"


def test_on_azure_is_read_from_the_platforms_site_name(monkeypatch):
    from shared.core import config

    monkeypatch.setenv("WEBSITE_SITE_NAME", "func-webtoon")
    config.reset_settings()
    try:
        assert config.get_settings().on_azure
    finally:
        monkeypatch.delenv("WEBSITE_SITE_NAME")
        config.reset_settings()
    assert not config.get_settings().on_azure
