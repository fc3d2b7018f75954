"""Timer: every hour, delete uploads older than UPLOAD_RETENTION_DAYS (in Azure a Blob lifecycle
management policy does the same; this keeps Azurite and any account without the policy tidy)."""

import logging

import azure.functions as func

from shared.storage import lifecycle

bp = func.Blueprint()
log = logging.getLogger(__name__)


@bp.timer_trigger(schedule="0 17 * * * *", arg_name="timer", run_on_startup=False, use_monitor=False)
def cleanup_uploads(timer: func.TimerRequest) -> None:
    deleted = lifecycle.delete_expired_uploads()
    log.info("deleted %d expired uploads", deleted)
