"""Keyless sign-in logic: the cached Entra token used as the PostgreSQL password (and for Speech).

A fake credential implementing `get_token` stands in for Entra; what is tested is our cache: one
fetch while the token is fresh, a new fetch `refresh_margin` seconds before it expires, never an
expired token handed out, and one fetch when many threads ask at once.
"""

from __future__ import annotations

import threading
from collections import namedtuple

import pytest

from shared.core import credentials
from shared.core.config import Settings

AccessToken = namedtuple("AccessToken", "token expires_on")


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeCredential:
    """Issues numbered tokens that live `lifetime` seconds from the fake clock's now."""

    def __init__(self, clock: FakeClock, lifetime: float = 3600.0) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls: list[tuple[str, ...]] = []
        self.gate: threading.Event | None = None

    def get_token(self, *scopes, **kwargs):
        self.calls.append(scopes)
        if self.gate is not None:
            self.gate.wait(5)
        return AccessToken(f"token-{len(self.calls)}", self.clock() + self.lifetime)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def cred(clock):
    return FakeCredential(clock)


def test_postgres_provider_asks_for_the_postgres_scope_once_while_fresh(clock, cred):
    provider = credentials.postgres_token_provider(Settings(), credential=cred, clock=clock)
    assert provider() == "token-1"
    clock.now += 600
    assert provider() == "token-1"
    clock.now += 2000  # 2,600 s into a 3,600 s token: still outside the 300 s margin
    assert provider() == "token-1"
    assert cred.calls == [("https://ossrdbms-aad.database.windows.net/.default",)]


def test_token_is_refreshed_before_it_expires_not_after(clock, cred):
    provider = credentials.postgres_token_provider(Settings(), credential=cred, clock=clock,
                                                   refresh_margin=300)
    first_expiry = clock.now + 3600
    assert provider() == "token-1"
    clock.now = first_expiry - 301
    assert provider() == "token-1"
    clock.now = first_expiry - 299  # inside the margin: the old token still works but is replaced now
    assert provider() == "token-2"
    assert len(cred.calls) == 2
    # and the new token is cached for its own lifetime
    clock.now += 1000
    assert provider() == "token-2"
    assert len(cred.calls) == 2


def test_an_expired_token_is_never_returned(clock, cred):
    provider = credentials.postgres_token_provider(Settings(), credential=cred, clock=clock)
    provider()
    clock.now += 10 * 3600  # the process slept through the whole lifetime
    assert provider() == "token-2"


def test_a_credential_returning_an_expired_token_is_an_error(clock):
    class Stale:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("old", clock() - 1)

    provider = credentials.postgres_token_provider(Settings(), credential=Stale(), clock=clock)
    with pytest.raises(RuntimeError, match="expired"):
        provider()


def test_short_lived_tokens_are_refetched_every_time(clock):
    # a token that lives less than the margin is never considered fresh
    cred = FakeCredential(clock, lifetime=120)
    provider = credentials.postgres_token_provider(Settings(), credential=cred, clock=clock)
    assert [provider(), provider()] == ["token-1", "token-2"]


def test_concurrent_callers_share_one_fetch(clock, cred):
    provider = credentials.postgres_token_provider(Settings(), credential=cred, clock=clock)
    cred.gate = threading.Event()
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(provider())) for _ in range(8)]
    for t in threads:
        t.start()
    for _ in range(1000):  # the first caller is inside get_token, the others queue on the lock
        if cred.calls:
            break
        threading.Event().wait(0.01)
    assert cred.calls, "no caller reached the credential"
    cred.gate.set()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)
    assert results == ["token-1"] * 8
    assert len(cred.calls) == 1


def test_speech_provider_uses_the_cognitive_services_scope(clock, cred):
    provider = credentials.speech_token_provider(Settings(), credential=cred, clock=clock)
    assert provider() == "token-1"
    assert cred.calls == [("https://cognitiveservices.azure.com/.default",)]


def test_azure_credential_is_created_once_per_identity(monkeypatch):
    import azure.identity

    made = []

    class FakeDefault:
        def __init__(self, **kwargs):
            made.append(kwargs)

    monkeypatch.setattr(azure.identity, "DefaultAzureCredential", FakeDefault)
    credentials.reset()
    try:
        a = credentials.azure_credential(Settings(azure_client_id="11111111-aaaa"))
        b = credentials.azure_credential(Settings(azure_client_id="11111111-aaaa"))
        c = credentials.azure_credential(Settings())
        assert a is b and a is not c
        assert made == [{"managed_identity_client_id": "11111111-aaaa"},
                        {"managed_identity_client_id": None}]
        # the shared providers reuse that credential and are themselves created once
        p1 = credentials.postgres_token_provider(Settings(azure_client_id="11111111-aaaa"))
        p2 = credentials.postgres_token_provider(Settings(azure_client_id="11111111-aaaa"))
        assert p1 is p2
        assert len(made) == 2
    finally:
        credentials.reset()


def test_openai_token_provider_is_a_bearer_provider_for_cognitive_services(monkeypatch, clock, cred):
    monkeypatch.setattr(credentials, "azure_credential", lambda settings=None: cred)
    provider = credentials.openai_token_provider(Settings())
    assert provider() == "token-1"
    assert cred.calls[0] == ("https://cognitiveservices.azure.com/.default",)


def test_module_does_not_import_azure_identity_at_load():
    import subprocess
    import sys

    code = ("import sys, shared.core.credentials, shared.storage.blobs, shared.db.pool; "
            "sys.exit(1 if 'azure.identity' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], cwd=credentials.__file__.rsplit("/shared/", 1)[0]
                          ).returncode == 0
