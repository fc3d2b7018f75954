"""Retention of uploaded images: uploads older than UPLOAD_RETENTION_DAYS are deleted.

Run hourly by the cleanup timer (functions/cleanup); in Azure a Blob lifecycle management policy on
the "uploads" container does the same (infra/bicep), this keeps local and policy-less accounts tidy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.core.config import get_settings
from shared.storage import blobs as storage


def delete_expired_uploads(*, now: datetime | None = None, retention_days: int | None = None) -> int:
    """Delete blobs in "uploads" last modified before now - retention; returns how many were deleted."""
    from azure.core.exceptions import ResourceNotFoundError

    days = get_settings().upload_retention_days if retention_days is None else retention_days
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    storage.ensure_containers()
    container = storage.service().get_container_client(storage.UPLOADS)
    expired = [blob.name for blob in container.list_blobs() if blob.last_modified < cutoff]
    deleted = 0
    for name in expired:
        try:
            container.delete_blob(name, delete_snapshots="include")
            deleted += 1
        except ResourceNotFoundError:  # deleted meanwhile (another instance of the timer)
            pass
    return deleted
