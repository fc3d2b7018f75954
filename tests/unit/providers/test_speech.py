"""Speech tokens: the STS issueToken call (against our local server speaking the Speech STS API),
the Entra `aad#resource#token` form, caching with an injected clock, failures, and the HTTP function
GET /api/speech-token."""

from __future__ import annotations

import json
from types import SimpleNamespace

import azure.functions as func
import pytest

from shared.core import config
from shared.core.config import Settings
from shared.core.errors import RateLimited, ServiceNotConfigured, UpstreamError
from shared.providers import speech
from shared.providers.speech import SpeechTokenIssuer, sts_url

RESOURCE_ID = ("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/"
               "Microsoft.CognitiveServices/accounts/speech-webtoon")


@pytest.fixture
def server(fake_openai):
    """The session's local API server (tests/fixtures_app.py), reset around each test below."""
    return fake_openai


@pytest.fixture(autouse=True)
def clean(server):
    server.reset()
    speech.reset()
    yield
    speech.reset()


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Credential:
    """Stands in for the managed identity: azure.core AccessToken-like answers, counted."""

    def __init__(self):
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.append(scopes)
        return SimpleNamespace(token=f"entra-{len(self.scopes)}", expires_on=4_102_444_800)


def key_settings(server, **overrides) -> Settings:
    values = dict(speech_region="koreacentral", speech_endpoint=server.url, speech_key=server.speech_key)
    values.update(overrides)
    return Settings(**values)


def test_sts_url_forms():
    assert sts_url(Settings(speech_region="koreacentral")) == \
        "https://koreacentral.api.cognitive.microsoft.com/sts/v1.0/issueToken"
    assert sts_url(Settings(speech_region="x", speech_endpoint="https://my-speech.cognitiveservices.azure.com/")) \
        == "https://my-speech.cognitiveservices.azure.com/sts/v1.0/issueToken"
    full = "http://127.0.0.1:1/sts/v1.0/issueToken"
    assert sts_url(Settings(speech_region="x", speech_endpoint=full)) == full


def test_key_path_issues_a_token_from_sts_and_caches_it(server):
    clock = Clock()
    issuer = SpeechTokenIssuer(key_settings(server), clock=clock, sleep=lambda s: None)
    first = issuer.token()
    assert first["region"] == "koreacentral"
    assert first["token"].startswith("eyJ") and first["token"].count(".") == 2
    (sent,) = server.requests_for("sts")
    assert sent.path == "/sts/v1.0/issueToken"
    assert sent.headers["ocp-apim-subscription-key"] == server.speech_key
    assert sent.headers["content-length"] == "0"

    clock.now += 8 * 60  # still fresh: the same token, no new request
    assert issuer.token() == first
    assert len(server.requests_for("sts")) == 1

    clock.now += 2 * 60  # past ~9 minutes: a new token
    second = issuer.token()
    assert second["token"] != first["token"]
    assert len(server.requests_for("sts")) == 2


def test_entra_path_formats_aad_resource_token_without_calling_sts(server):
    credential = Credential()
    clock = Clock()
    settings = Settings(speech_region="koreacentral", speech_resource_id=RESOURCE_ID)
    issuer = SpeechTokenIssuer(settings, credential=credential, clock=clock)
    answer = issuer.token()
    assert answer == {"token": f"aad#{RESOURCE_ID}#entra-1", "region": "koreacentral"}
    assert credential.scopes == [("https://cognitiveservices.azure.com/.default",)]
    assert issuer.token() == answer and len(credential.scopes) == 1  # cached
    assert server.requests == []


def test_not_configured_without_region_or_credential():
    with pytest.raises(ServiceNotConfigured) as info:
        SpeechTokenIssuer(Settings()).token()
    assert info.value.status == 503 and info.value.code == "not_configured"
    assert "음성 인식" in info.value.message
    with pytest.raises(ServiceNotConfigured):
        SpeechTokenIssuer(Settings(speech_region="koreacentral")).token()


def test_wrong_key_is_an_upstream_error_without_retry(server):
    sleeps = []
    issuer = SpeechTokenIssuer(key_settings(server, speech_key="wrong"), sleep=sleeps.append)
    with pytest.raises(UpstreamError) as info:
        issuer.token()
    assert "음성 인식 토큰" in info.value.message
    assert [r.answered for r in server.requests_for("sts")] == [401]
    assert sleeps == []


def test_429_with_retry_after_then_success(server):
    sleeps = []
    server.rate_limit_next(1, retry_after=2, api="sts")
    server.server_error_next(1, status=503, api="sts")
    issuer = SpeechTokenIssuer(key_settings(server, provider_max_retries=3), sleep=sleeps.append)
    assert issuer.token()["token"]
    assert [r.answered for r in server.requests_for("sts")] == [429, 503, 200]
    assert sleeps[0] == 2.0 and len(sleeps) == 2


def test_exhausted_rate_limit(server):
    server.rate_limit_next(10, retry_after=1, api="sts")
    issuer = SpeechTokenIssuer(key_settings(server, provider_max_retries=2), sleep=lambda s: None)
    with pytest.raises(RateLimited):
        issuer.token()
    assert len(server.requests_for("sts")) == 3


def test_process_wide_issuer_is_shared_per_settings(server):
    settings = key_settings(server)
    assert speech.issuer(settings) is speech.issuer(settings)
    speech.speech_token(settings)
    speech.speech_token(settings)
    assert len(server.requests_for("sts")) == 1


# --------------------------------------------------------------------------------------------------
# GET /api/speech-token


def call_function():
    from functions.speech_token import speech_token

    req = func.HttpRequest(method="GET", url="http://localhost/api/speech-token", body=b"", headers={})
    return speech_token(req)


@pytest.fixture
def env(monkeypatch):
    for name in ("SPEECH_REGION", "SPEECH_KEY", "SPEECH_ENDPOINT", "SPEECH_RESOURCE_ID"):
        monkeypatch.delenv(name, raising=False)
    config.reset_settings()
    yield monkeypatch
    config.reset_settings()


def test_http_not_configured_answers_503_json_in_korean(env):
    response = call_function()
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    body = json.loads(response.get_body())
    assert body["error"]["code"] == "not_configured"
    assert "음성 인식" in body["error"]["message"]


def test_http_answers_token_and_region(env, server):
    env.setenv("SPEECH_REGION", "koreacentral")
    env.setenv("SPEECH_ENDPOINT", server.url)
    env.setenv("SPEECH_KEY", server.speech_key)
    config.reset_settings()
    response = call_function()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = json.loads(response.get_body())
    assert set(body) == {"token", "region"} and body["region"] == "koreacentral"
    assert body["token"].startswith("eyJ")


def test_http_upstream_failure_is_json_not_a_stack_trace(env, server):
    env.setenv("SPEECH_REGION", "koreacentral")
    env.setenv("SPEECH_ENDPOINT", server.url)
    env.setenv("SPEECH_KEY", "wrong")
    config.reset_settings()
    response = call_function()
    assert response.status_code == 502
    body = json.loads(response.get_body())
    assert body["error"]["code"] == "upstream_rejected" and "Traceback" not in response.get_body().decode()


def test_function_is_registered_in_the_app():
    from tests.app_functions import app_functions

    routes = app_functions()
    assert "speech_token" in routes
    trigger = routes["speech_token"].get_trigger()
    assert trigger.route == "speech-token" and [str(m) for m in trigger.methods] in (["GET"], ["HttpMethod.GET"])
