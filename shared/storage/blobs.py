"""Blob storage: one client per process, containers, uploads/downloads and short-lived read-only links.

Locally the account key of Azurite signs the SAS; in Azure the managed identity gets a user-delegation
key (cached until shortly before it expires) and no key exists anywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.core.config import Settings, get_settings
from shared.core.errors import ServiceUnavailable

UPLOADS = "uploads"
OUTPUTS = "outputs"
REFERENCES = "references"
BATCH_IN = "batch-in"
BATCH_OUT = "batch-out"
CONTAINERS = (UPLOADS, OUTPUTS, REFERENCES, BATCH_IN, BATCH_OUT)

# An outage must answer within seconds, not after the SDK's ten retries (about 86 s): a short connect and
# read timeout and two retries; the orchestration's infra retry covers longer hiccups.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 20
RETRY_TOTAL = 2
RETRY_BACKOFF_SECONDS = 0.5
# Reading a blob's first bytes answers at once when it is whole; a blob whose content the store lost
# (an emulator killed before it saved) can stall a read for a minute, so the probe gives up sooner.
PROBE_READ_TIMEOUT_SECONDS = 5
MSG_UNAVAILABLE = "파일 저장소에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."


@dataclass(frozen=True)
class BlobRef:
    """A blob as the jobs and outputs carry it: written "container/name" (str), read back with parse."""

    container: str
    name: str

    @classmethod
    def parse(cls, text: str) -> BlobRef:
        container, sep, name = text.partition("/")
        if not (container and sep and name):
            raise ValueError(f"not a blob reference (container/name): {text!r}")
        return cls(container, name)

    def __str__(self) -> str:
        return f"{self.container}/{self.name}"

_lock = threading.Lock()
_service = None
_delegation_key = None
_delegation_key_expiry: datetime | None = None
_containers_ready = False


def make_service(settings: Settings | None = None):
    from azure.storage.blob import BlobServiceClient, LinearRetry

    settings = settings or get_settings()
    options = dict(connection_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                   retry_policy=LinearRetry(backoff=RETRY_BACKOFF_SECONDS, random_jitter_range=0,
                                            retry_total=RETRY_TOTAL))
    if settings.storage_connection_string:
        return BlobServiceClient.from_connection_string(settings.storage_connection_string, **options)
    if settings.storage_blob_service_uri:
        from shared.core.credentials import azure_credential

        return BlobServiceClient(settings.storage_blob_service_uri, credential=azure_credential(settings), **options)
    raise RuntimeError("storage is not configured: set AzureWebJobsStorage (or its __blobServiceUri)")


def service():
    global _service
    if _service is None:
        with _lock:
            if _service is None:
                _service = make_service()
    return _service


def reset() -> None:
    """Forget the cached client (tests that switch storage accounts)."""
    global _service, _delegation_key, _delegation_key_expiry, _containers_ready
    with _lock:
        _service = None
        _delegation_key = None
        _delegation_key_expiry = None
        _containers_ready = False


@contextmanager
def outage_as_unavailable() -> Iterator[None]:
    """Storage that cannot be reached (refused, timed out, 5xx after the retries) becomes a Korean 503;
    answers such as 404 (ResourceNotFoundError) pass through for the caller to handle."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise ServiceUnavailable(MSG_UNAVAILABLE) from exc
    except HttpResponseError as exc:
        if (exc.status_code or 0) >= 500:
            raise ServiceUnavailable(MSG_UNAVAILABLE) from exc
        raise


def ensure_containers() -> None:
    """Create the app's containers when missing (once per process)."""
    global _containers_ready
    if _containers_ready:
        return
    from azure.core.exceptions import ResourceExistsError

    with outage_as_unavailable():
        for name in CONTAINERS:
            try:
                service().create_container(name)
            except ResourceExistsError:
                pass
    _containers_ready = True


def upload(container: str, name: str, data: bytes, content_type: str, *, overwrite: bool = True,
           metadata: dict | None = None) -> str:
    from azure.storage.blob import ContentSettings

    ensure_containers()
    with outage_as_unavailable():
        service().get_blob_client(container, name).upload_blob(
            data, overwrite=overwrite, content_settings=ContentSettings(content_type=content_type),
            metadata=metadata)
    return name


def download(container: str, name: str) -> bytes:
    with outage_as_unavailable():
        return service().get_blob_client(container, name).download_blob().readall()


def exists(container: str, name: str) -> bool:
    with outage_as_unavailable():
        return service().get_blob_client(container, name).exists()


def starts_with(container: str, name: str, magic: bytes) -> bool:
    """Whether the blob is there and its content can be read and begins with `magic` (e.g. a PNG's
    signature). False for a missing, truncated or unreadable blob; a store that cannot be reached
    (or says it is busy) raises ServiceUnavailable instead, so the caller can try again later."""
    from azure.core.exceptions import (
        DecodeError,
        HttpResponseError,
        ResourceNotFoundError,
        ServiceRequestError,
        ServiceResponseError,
    )

    client = service().get_blob_client(container, name)
    try:
        head = client.download_blob(offset=0, length=len(magic), read_timeout=PROBE_READ_TIMEOUT_SECONDS,
                                    retry_total=0).readall()
    except ResourceNotFoundError:
        return False
    except ServiceRequestError as exc:
        raise ServiceUnavailable(MSG_UNAVAILABLE) from exc
    except (ServiceResponseError, DecodeError):
        return False  # connected, but the content did not come
    except HttpResponseError as exc:
        if exc.status_code == 503:
            raise ServiceUnavailable(MSG_UNAVAILABLE) from exc
        return False  # e.g. 500 for content the store lost, 416 for an empty blob
    return head == magic


def delete_prefix(container: str, prefix: str) -> int:
    """Delete every blob whose name starts with `prefix` (what a failed job left); returns how many."""
    from azure.core.exceptions import ResourceNotFoundError

    deleted = 0
    with outage_as_unavailable():
        client = service().get_container_client(container)
        for blob in client.list_blobs(name_starts_with=prefix):
            try:
                client.delete_blob(blob.name, delete_snapshots="include")
                deleted += 1
            except ResourceNotFoundError:  # deleted meanwhile
                pass
    return deleted


def _user_delegation_key(now: datetime):
    """A user-delegation key valid for a day, renewed an hour before it lapses."""
    global _delegation_key, _delegation_key_expiry
    with _lock:
        if _delegation_key is None or _delegation_key_expiry - now < timedelta(hours=1):
            expiry = now + timedelta(days=1)
            with outage_as_unavailable():
                _delegation_key = service().get_user_delegation_key(now - timedelta(minutes=5), expiry)
            _delegation_key_expiry = expiry
        return _delegation_key


def read_url(container: str, name: str, *, minutes: int | None = None, download_name: str | None = None) -> str:
    """A read-only link to one blob, valid for at most SAS_TTL_MINUTES (15)."""
    from azure.storage.blob import BlobSasPermissions, generate_blob_sas

    settings = get_settings()
    ttl = min(minutes or settings.sas_ttl_minutes, settings.sas_ttl_minutes)
    now = datetime.now(UTC)
    client = service().get_blob_client(container, name)
    sas_args = dict(
        account_name=client.account_name,
        container_name=container,
        blob_name=name,
        permission=BlobSasPermissions(read=True),
        start=now - timedelta(minutes=5),  # clock skew between us and storage
        expiry=now + timedelta(minutes=ttl),
    )
    if download_name:
        sas_args["content_disposition"] = f"attachment; filename*=UTF-8''{_quote(download_name)}"
    credential = service().credential
    if getattr(credential, "account_key", None):
        sas = generate_blob_sas(account_key=credential.account_key, **sas_args)
    else:
        sas = generate_blob_sas(user_delegation_key=_user_delegation_key(now), **sas_args)
    return f"{client.url}?{sas}"


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
