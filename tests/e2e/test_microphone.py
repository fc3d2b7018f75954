"""The microphone button: the Azure Speech SDK when the server has Speech configured (GET /api/catalog
says so in speechService) and offers a token, the browser's own recognition otherwise, disabled with
the reason when nothing can listen; an unconfigured server is never asked for a token (no failed request)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import open_site

pytestmark = pytest.mark.e2e


def test_microphone_uses_the_speech_sdk_when_a_token_is_offered(page, base_url):
    """With Speech configured (the catalog says so) and a token the Azure Speech SDK is chosen and its
    bundle is served with the site."""
    def speech_configured(route):
        catalog_answer = route.fetch().json()
        assert catalog_answer["speechService"] is False  # the offline stack has none
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**catalog_answer, "speechService": True}))

    page.route("**/api/catalog", speech_configured)
    page.route("**/api/speech-token", lambda route: route.fulfill(
        status=200, content_type="application/json", body='{"token": "test-token", "region": "koreacentral"}'))
    open_site(page)
    expect(page.locator("#mic")).to_have_attribute("data-mode", "azure")
    expect(page.locator("#mic")).to_be_enabled()
    assert page.evaluate("() => typeof window.SpeechSDK") == "undefined"  # loaded only on use
    bundle = page.request.get(f"{base_url}/vendor/microsoft.cognitiveservices.speech.sdk.bundle-min.js")
    assert bundle.ok and "javascript" in bundle.headers.get("content-type", "")
    worklet = page.request.get(f"{base_url}/vendor/speech-processor.js")
    assert worklet.ok and "registerProcessor" in worklet.text()
    # The bundle runs under the page's CSP (a violation would be a console error) and offers
    # what speech.js calls; no recognition is started (there is no Speech service here).
    api = page.evaluate("""() => new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = "vendor/microsoft.cognitiveservices.speech.sdk.bundle-min.js";
        script.onload = () => {
            const SDK = window.SpeechSDK;
            const config = SDK.SpeechConfig.fromAuthorizationToken("test-token", "koreacentral");
            config.speechRecognitionLanguage = "ko-KR";
            resolve([typeof SDK.SpeechRecognizer, typeof SDK.AudioConfig.fromDefaultMicrophoneInput,
                     config.speechRecognitionLanguage]);
        };
        script.onerror = () => reject(new Error("bundle not loaded"));
        document.head.append(script);
    })""")
    assert api == ["function", "function", "ko-KR"]


def test_microphone_disabled_with_a_reason_when_nothing_can_listen(page):
    page.add_init_script("delete window.SpeechRecognition; delete window.webkitSpeechRecognition;")
    open_site(page)
    expect(page.locator("#mic-status")).to_contain_text("음성 입력을 지원하지 않습니다")
    expect(page.locator("#mic")).to_be_disabled()


def test_no_speech_service_is_learnt_without_asking_for_a_token(page):
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    with page.expect_response(lambda r: r.url.endswith("/api/catalog")) as answered:
        open_site(page)
    assert answered.value.json()["speechService"] is False
    page.wait_for_function("() => document.getElementById('mic').dataset.mode"
                           " || document.getElementById('mic-status').textContent")
    page.wait_for_timeout(300)
    assert not [url for url in asked if "/api/speech-token" in url], asked
    mic = page.locator("#mic")
    if not mic.is_disabled():  # Chromium's own recognition, when it has one
        assert mic.get_attribute("data-mode") == "browser"
