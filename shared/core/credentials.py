"""Keyless sign-in for Azure: one credential per process and cached bearer tokens.

In Azure the Function App runs as a user-assigned managed identity (AZURE_CLIENT_ID); on a developer
machine DefaultAzureCredential falls through to the Azure CLI / azd login, so the same code runs the
KoCLIP upload and the reference ingest against deployed resources. Nothing here holds a key.

- `azure_credential(settings)`: DefaultAzureCredential for Blob (user-delegation SAS) and the rest.
- `postgres_token_provider(settings)`: a callable returning an Entra access token to use as the
  PostgreSQL password; cached and refreshed a few minutes before it expires (psycopg asks for a
  password for each new pooled connection, so the cache keeps that cheap).
- `openai_token_provider(settings)` / `speech_token_provider(settings)`: bearer token callables for
  Azure OpenAI and Azure Speech (scope https://cognitiveservices.azure.com/.default).

azure.identity is imported inside the functions that use it, never at module load (cold start).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from shared.core.config import Settings, get_settings

POSTGRES_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"

# Refresh this long before a token lapses: long enough that a connection opened with it never
# presents an expired token, short enough that a 60-90 minute Entra token is reused many times.
DEFAULT_REFRESH_MARGIN_SECONDS = 5 * 60


class TokenCredential(Protocol):
    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """An object with `.token` (str) and `.expires_on` (epoch seconds), like azure.core's AccessToken."""


_credential_lock = threading.Lock()
_credentials: dict[str, Any] = {}


def azure_credential(settings: Settings | None = None):
    """The process-wide DefaultAzureCredential for the configured managed identity (created once)."""
    settings = settings or get_settings()
    client_id = settings.azure_client_id or ""
    credential = _credentials.get(client_id)
    if credential is None:
        with _credential_lock:
            credential = _credentials.get(client_id)
            if credential is None:
                from azure.identity import DefaultAzureCredential

                credential = DefaultAzureCredential(managed_identity_client_id=client_id or None)
                _credentials[client_id] = credential
    return credential


def reset() -> None:
    """Forget cached credentials and token providers (tests that change the environment)."""
    with _credential_lock:
        _credentials.clear()
        _providers.clear()


class CachedToken:
    """A bearer token for one scope, fetched on first use and again `refresh_margin` seconds before it
    expires. Thread-safe: concurrent callers during a refresh wait for the one fetch in flight.

    `clock` returns epoch seconds (time.time by default); tests inject their own.
    """

    def __init__(self, credential: TokenCredential, scope: str, *,
                 refresh_margin: float = DEFAULT_REFRESH_MARGIN_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:
        self._credential = credential
        self._scope = scope
        self._margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_on: float = 0.0

    @property
    def expires_on(self) -> float:
        return self._expires_on

    def _fresh(self, now: float) -> bool:
        return self._token is not None and now < self._expires_on - self._margin

    def __call__(self) -> str:
        if self._fresh(self._clock()):
            return self._token  # type: ignore[return-value]
        with self._lock:
            now = self._clock()
            if not self._fresh(now):
                access = self._credential.get_token(self._scope)
                expires_on = float(access.expires_on)
                if expires_on <= now:
                    raise RuntimeError(f"the credential returned an already expired token for {self._scope}")
                self._token, self._expires_on = access.token, expires_on
            return self._token  # type: ignore[return-value]


_providers: dict[tuple[str, str], CachedToken] = {}


def _cached_provider(settings: Settings, scope: str, credential: TokenCredential | None,
                     clock: Callable[[], float] | None, refresh_margin: float) -> CachedToken:
    if credential is not None or clock is not None:  # tests and tools: a private provider
        return CachedToken(credential or azure_credential(settings), scope,
                           refresh_margin=refresh_margin, clock=clock or time.time)
    key = (settings.azure_client_id or "", scope)
    provider = _providers.get(key)
    if provider is None:
        cred = azure_credential(settings)
        with _credential_lock:
            provider = _providers.setdefault(key, CachedToken(cred, scope, refresh_margin=refresh_margin))
    return provider


def postgres_token_provider(settings: Settings | None = None, *, credential: TokenCredential | None = None,
                            clock: Callable[[], float] | None = None,
                            refresh_margin: float = DEFAULT_REFRESH_MARGIN_SECONDS) -> Callable[[], str]:
    """A callable returning an Entra token for Azure Database for PostgreSQL (the password for
    POSTGRES_USER, the managed identity's name in Azure). One shared cache per process unless a
    credential or clock is passed in."""
    return _cached_provider(settings or get_settings(), POSTGRES_SCOPE, credential, clock, refresh_margin)


def speech_token_provider(settings: Settings | None = None, *, credential: TokenCredential | None = None,
                          clock: Callable[[], float] | None = None,
                          refresh_margin: float = DEFAULT_REFRESH_MARGIN_SECONDS) -> Callable[[], str]:
    """A callable returning an Entra token for Azure Speech (exchanged at SPEECH_ENDPOINT's
    /sts/v1.0/issueToken for a short-lived Speech token, or used as `aad#<SPEECH_RESOURCE_ID>#<token>`)."""
    return _cached_provider(settings or get_settings(), COGNITIVE_SERVICES_SCOPE, credential, clock,
                            refresh_margin)


def openai_token_provider(settings: Settings | None = None) -> Callable[[], str]:
    """`azure_ad_token_provider` for the openai SDK's AzureOpenAI client (Cognitive Services OpenAI User)."""
    from azure.identity import get_bearer_token_provider

    return get_bearer_token_provider(azure_credential(settings or get_settings()), COGNITIVE_SERVICES_SCOPE)
