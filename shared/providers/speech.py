"""Short-lived authorisation tokens for the Azure Speech SDK in the browser (speech-to-text of the
scene description), so no Speech key ever reaches the site.

- In Azure (SPEECH_RESOURCE_ID set, no key): the app's managed identity gets an Entra token for
  https://cognitiveservices.azure.com/.default and the browser receives
  `aad#{SPEECH_RESOURCE_ID}#{entra token}`: the Speech SDK's Entra authorisation token format.
- With SPEECH_KEY (local stand-ins only): POST {endpoint}/sts/v1.0/issueToken with
  Ocp-Apim-Subscription-Key; the endpoint is SPEECH_ENDPOINT (custom domain) or
  https://{SPEECH_REGION}.api.cognitive.microsoft.com.
- Without SPEECH_REGION: ServiceNotConfigured (503); the site falls back to the browser's own
  speech recognition.

Speech tokens live 10 minutes; we hand out the same one for about 9.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from shared.core.config import Settings, get_settings
from shared.core.errors import ServiceNotConfigured, UpstreamError
from shared.core.retry import Failure, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

STS_PATH = "/sts/v1.0/issueToken"
TOKEN_TTL_SECONDS = 9 * 60
REQUEST_TIMEOUT_SECONDS = 10.0

NOT_CONFIGURED_MESSAGE = ("음성 인식 서비스가 설정되어 있지 않습니다. "
                          "브라우저의 음성 인식을 사용하거나 설명을 직접 입력해 주세요.")
NO_CREDENTIAL_MESSAGE = ("음성 인식 서비스의 인증 정보가 설정되어 있지 않습니다. "
                         "관리자에게 SPEECH_RESOURCE_ID 설정을 요청해 주세요.")
STS_FAILED_MESSAGE = "음성 인식 토큰을 받지 못했습니다. 잠시 후 다시 시도해 주세요."


def sts_url(settings: Settings) -> str:
    if settings.speech_endpoint:
        base = settings.speech_endpoint.rstrip("/")
        return base if base.endswith(STS_PATH) else base + STS_PATH
    return f"https://{settings.speech_region}.api.cognitive.microsoft.com{STS_PATH}"


def _classify_urllib(exc: BaseException) -> Failure:
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code == 429:
            return Failure("rate_limited", retry_after=parse_retry_after(exc.headers), detail="429")
        if exc.code == 408 or exc.code >= 500:
            return Failure("transient", retry_after=parse_retry_after(exc.headers), detail=str(exc.code))
        return Failure("fatal", detail=str(exc.code))
    if isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError)):
        return Failure("transient", detail=type(exc).__name__)
    return Failure("unknown", detail=type(exc).__name__)


def _post_issue_token(url: str, key: str, timeout: float) -> str:
    request = urllib.request.Request(url, data=b"", method="POST", headers={
        "Ocp-Apim-Subscription-Key": key,
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": "0",
    })
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https or a local stand-in)
        return response.read().decode("utf-8").strip()


@dataclass
class _Cached:
    token: str
    region: str
    expires_at: float


class SpeechTokenIssuer:
    """Issues and caches the browser's Speech authorisation token. `clock` (monotonic seconds),
    `sleep` and `credential` are injectable for tests."""

    def __init__(self, settings: Settings, *, credential=None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 ttl: float = TOKEN_TTL_SECONDS):
        self.settings = settings
        self._credential = credential
        self._clock = clock
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cached: _Cached | None = None
        self._entra: Callable[[], str] | None = None
        self.policy = RetryPolicy(max_retries=min(settings.provider_max_retries, 3), sleep=sleep,
                                  max_delay=5.0, max_retry_after=15.0,
                                  failed_message=STS_FAILED_MESSAGE, rejected_message=STS_FAILED_MESSAGE)

    @property
    def configured(self) -> bool:
        s = self.settings
        return bool(s.speech_region) and bool(s.speech_key or s.speech_resource_id)

    def _issue(self) -> str:
        s = self.settings
        if s.speech_key:
            url = sts_url(s)
            token = self.policy.call(lambda: _post_issue_token(url, s.speech_key, REQUEST_TIMEOUT_SECONDS),
                                     what="speech issueToken", classify=_classify_urllib)
            if not token:
                raise UpstreamError(STS_FAILED_MESSAGE, code="upstream_error")
            return token
        if self._entra is None:
            from shared.core.credentials import speech_token_provider

            self._entra = speech_token_provider(s, credential=self._credential)
        return f"aad#{s.speech_resource_id}#{self._entra()}"

    def token(self) -> dict:
        """{"token", "region"} for the Speech SDK's `fromAuthorizationToken`."""
        s = self.settings
        if not s.speech_region:
            raise ServiceNotConfigured(NOT_CONFIGURED_MESSAGE)
        if not (s.speech_key or s.speech_resource_id):
            raise ServiceNotConfigured(NO_CREDENTIAL_MESSAGE)
        with self._lock:
            now = self._clock()
            if self._cached is None or now >= self._cached.expires_at:
                token = self._issue()
                self._cached = _Cached(token, s.speech_region, self._clock() + self._ttl)
            return {"token": self._cached.token, "region": self._cached.region}


_issuers: dict[tuple, SpeechTokenIssuer] = {}
_issuers_lock = threading.Lock()


def issuer(settings: Settings | None = None) -> SpeechTokenIssuer:
    """The process-wide issuer for these settings (so its cache is shared by every request)."""
    settings = settings or get_settings()
    key = (settings.speech_region, settings.speech_endpoint, settings.speech_key,
           settings.speech_resource_id, settings.azure_client_id)
    with _issuers_lock:
        found = _issuers.get(key)
        if found is None:
            found = _issuers[key] = SpeechTokenIssuer(settings)
        return found


def speech_token(settings: Settings | None = None) -> dict:
    return issuer(settings).token()


def reset() -> None:
    """Forget cached issuers and tokens (tests that change the environment)."""
    with _issuers_lock:
        _issuers.clear()
