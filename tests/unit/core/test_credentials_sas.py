"""Read-only links without keys: the user-delegation SAS that Azure uses, and the Azurite path.

In Azure the storage account has no shared key; shared.storage.read_url signs with a user-delegation
key fetched by the managed identity. Here the blob service is a real BlobServiceClient with a token
credential (no account key) and only the delegation-key fetch is replaced. The Azurite test runs the
account-key path against the real emulator.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from azure.storage.blob import BlobSasPermissions, BlobServiceClient, UserDelegationKey, generate_blob_sas

from shared.core import config
from shared.storage import blobs as storage

SAS_TIME = "%Y-%m-%dT%H:%M:%SZ"
OID = "6f1c1e5a-0000-4000-8000-00000000a11d"
TID = "72f988bf-0000-4000-8000-0000000000e1"


def _delegation_key(start: datetime, expiry: datetime) -> UserDelegationKey:
    key = UserDelegationKey()
    key.signed_oid = OID
    key.signed_tid = TID
    key.signed_start = start.strftime(SAS_TIME)
    key.signed_expiry = expiry.strftime(SAS_TIME)
    key.signed_service = "b"
    key.signed_version = "2025-01-05"
    key.value = "c2VjcmV0LWJ1dC1ub3QtcmVhbGx5LWEta2V5LWZvci10ZXN0cw=="  # base64, test-only
    return key


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _time(value: str) -> datetime:
    return datetime.strptime(value, SAS_TIME).replace(tzinfo=UTC)


class TokenOnlyCredential:
    """A token credential (as in Azure): it has no account key, so no shared-key signing is possible."""

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("no network call is expected in this test")


def test_user_delegation_sas_shape():
    now = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    key = _delegation_key(now - timedelta(minutes=5), now + timedelta(days=1))
    sas = generate_blob_sas("acct", "outputs", "a/b.png", user_delegation_key=key,
                            permission=BlobSasPermissions(read=True),
                            start=now - timedelta(minutes=5), expiry=now + timedelta(minutes=15))
    q = {k: v[0] for k, v in parse_qs(sas).items()}
    assert q["skoid"] == OID and q["sktid"] == TID
    assert {"skt", "ske", "sks", "skv", "sig"} <= q.keys()
    assert q["sks"] == "b"
    assert q["sp"] == "r"
    assert _time(q["se"]) - now == timedelta(minutes=15)
    assert "sk" not in q  # no account key name: nothing in the link identifies a shared key


@pytest.fixture
def keyless_storage(monkeypatch):
    """shared.storage pointed at a keyless account; returns the list of delegation-key fetches."""
    monkeypatch.delenv("AzureWebJobsStorage", raising=False)
    monkeypatch.setenv("AzureWebJobsStorage__accountName", "webtoonsa")
    monkeypatch.setenv("SAS_TTL_MINUTES", "10")
    config.reset_settings()
    storage.reset()
    service = BlobServiceClient("https://webtoonsa.blob.core.windows.net", credential=TokenOnlyCredential())
    fetches: list[tuple[datetime, datetime]] = []

    def fake_fetch(key_start_time, key_expiry_time, **kwargs):
        fetches.append((key_start_time, key_expiry_time))
        return _delegation_key(key_start_time, key_expiry_time)

    monkeypatch.setattr(service, "get_user_delegation_key", fake_fetch)
    monkeypatch.setattr(storage, "_service", service)
    yield fetches
    storage.reset()
    config.reset_settings()


def test_read_url_signs_with_a_user_delegation_key_when_there_is_no_account_key(keyless_storage):
    assert config.get_settings().uses_managed_identity
    url = storage.read_url("outputs", "gen/1.png")
    assert url.startswith("https://webtoonsa.blob.core.windows.net/outputs/gen/1.png?")
    q = _query(url)
    assert q["skoid"] == OID and q["sktid"] == TID and q["sks"] == "b"
    assert {"skt", "ske", "skv", "sig"} <= q.keys()
    assert q["sp"] == "r"
    # valid SAS_TTL_MINUTES (10) after issue, plus the 5 minutes of clock-skew allowance before it
    assert _time(q["se"]) - _time(q["st"]) == timedelta(minutes=15)
    # a longer request is clamped to the setting
    q_long = _query(storage.read_url("outputs", "gen/1.png", minutes=60))
    assert _time(q_long["se"]) - _time(q_long["st"]) == timedelta(minutes=15)
    # the delegation key is fetched once and reused; it outlives every link signed with it
    assert len(keyless_storage) == 1
    key_start, key_expiry = keyless_storage[0]
    assert key_expiry - key_start >= timedelta(hours=24)
    assert _time(q["se"]) < key_expiry


def test_download_name_becomes_a_signed_content_disposition(keyless_storage):
    q = _query(storage.read_url("outputs", "gen/1.psd", download_name="배경 1.psd"))
    assert q["rscd"] == "attachment; filename*=UTF-8''%EB%B0%B0%EA%B2%BD%201.psd"


@pytest.fixture
def azurite_storage(azurite, monkeypatch):
    monkeypatch.setenv("AzureWebJobsStorage", azurite)
    monkeypatch.setenv("SAS_TTL_MINUTES", "7")
    config.reset_settings()
    storage.reset()
    yield
    storage.reset()
    config.reset_settings()


def test_azurite_read_url_reads_only_and_expires_within_the_setting(azurite_storage):
    storage.upload(storage.OUTPUTS, "sas-test/hello.txt", "안녕".encode(), "text/plain; charset=utf-8")
    url = storage.read_url(storage.OUTPUTS, "sas-test/hello.txt")
    q = _query(url)
    assert q["sp"] == "r"
    assert _time(q["se"]) - _time(q["st"]) == timedelta(minutes=7 + 5)
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.read() == "안녕".encode()
    # the same link cannot write
    put = urllib.request.Request(url, data=b"overwrite", method="PUT", headers={"x-ms-blob-type": "BlockBlob"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(put, timeout=10)
    assert err.value.code == 403
    assert storage.download(storage.OUTPUTS, "sas-test/hello.txt") == "안녕".encode()


def test_azurite_rejects_a_link_whose_expiry_was_edited(azurite_storage):
    storage.upload(storage.OUTPUTS, "sas-test/edit.txt", b"x", "text/plain")
    url = storage.read_url(storage.OUTPUTS, "sas-test/edit.txt")
    se = _query(url)["se"]
    later = (_time(se) + timedelta(days=30)).strftime(SAS_TIME)
    tampered = url.replace("se=" + se.replace(":", "%3A"), "se=" + later.replace(":", "%3A"))
    assert tampered != url
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(tampered, timeout=10)
    assert err.value.code == 403
