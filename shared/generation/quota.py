"""Cost limits on generations, counted in PostgreSQL (table generation_starts, migration 0006).

- Per user: at most GENERATIONS_PER_HOUR generations started in any rolling hour and IMAGES_PER_DAY
  images (variations) in any rolling 24 hours; started ones count whatever their outcome (the paid
  call may already have been made).
- For everyone: at most IMAGE_MODEL_CONCURRENCY generations at once while the image model is a paid
  one (not IMAGE_PROVIDER=local); one that never reports its end frees its place after
  IMAGE_MODEL_LEASE_SECONDS.
Over a limit: RateLimited (a Korean 429 with Retry-After). Batch lines call `reserve` for each line
with the batch owner's id, so they count against the same quota.

The check and the insert run in one transaction under advisory locks (the user's, then the global
one: always in that order), so two requests at once cannot both take the last place.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from shared.core.config import Settings, get_settings
from shared.core.errors import RateLimited
from shared.db import pool as db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
CONCURRENCY_RETRY_SECONDS = 30  # a place frees when some generation ends: ask again soon

MSG_PER_HOUR = "한 시간에 시작할 수 있는 생성({limit}건)을 모두 썼습니다. {wait} 뒤에 다시 시도해 주세요."
MSG_PER_DAY = ("하루에 만들 수 있는 이미지({limit}장)를 넘습니다. (지난 24시간 {used}장, 이번 요청 {asked}장) "
               "{wait} 뒤에 다시 시도하거나 장수를 줄여 주세요.")
MSG_BUSY = "지금 이미지를 만드는 요청이 많습니다. 잠시 후 다시 시도해 주세요."

_GLOBAL_LOCK = "generation-quota:paid-image-model"


def uses_paid_model(settings: Settings) -> bool:
    return settings.image_provider != "local"


def _wait_words(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes}분" if minutes < 60 else f"{math.ceil(minutes / 60)}시간"


def _limited(message: str, seconds: float) -> RateLimited:
    error = RateLimited(message, retry_after=max(1.0, seconds))
    error.code = "quota_exceeded"
    return error


def _check_user(conn, user_id: str, images: int, settings: Settings, now: datetime) -> None:
    if settings.generations_per_hour:
        count, oldest = conn.execute(
            "SELECT count(*), min(started_at) FROM generation_starts WHERE user_id = %s AND started_at > %s",
            (user_id, now - HOUR)).fetchone()
        if count >= settings.generations_per_hour:
            wait = (oldest + HOUR - now).total_seconds()
            raise _limited(MSG_PER_HOUR.format(limit=settings.generations_per_hour, wait=_wait_words(wait)), wait)
    if settings.images_per_day:
        rows = conn.execute(
            "SELECT started_at, images FROM generation_starts WHERE user_id = %s AND started_at > %s "
            "ORDER BY started_at", (user_id, now - DAY)).fetchall()
        used = sum(n for _, n in rows)
        if used + images > settings.images_per_day:
            freed, wait = used, DAY.total_seconds()
            for started, n in rows:  # the moment enough of the oldest ones leave the window
                freed -= n
                if freed + images <= settings.images_per_day:
                    wait = (started + DAY - now).total_seconds()
                    break
            raise _limited(MSG_PER_DAY.format(limit=settings.images_per_day, used=used, asked=images,
                                              wait=_wait_words(wait)), wait)


def _check_paid_model(conn, settings: Settings, now: datetime) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (_GLOBAL_LOCK,))
    running = conn.execute(
        "SELECT count(*) FROM generation_starts WHERE paid AND finished_at IS NULL AND started_at > %s",
        (now - timedelta(seconds=settings.image_model_lease_seconds),)).fetchone()[0]
    if running >= settings.image_model_concurrency:
        error = RateLimited(MSG_BUSY, retry_after=CONCURRENCY_RETRY_SECONDS)
        error.code = "image_model_busy"
        raise error


def reserve(user_id: str, instance_id: str, images: int, *, settings: Settings | None = None,
            now: datetime | None = None) -> bool:
    """Take a place for one generation of `images` images by `user_id` under `instance_id`, or raise
    RateLimited. True when reserved now, False when this instance already was (a repeated call)."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    paid = uses_paid_model(settings)
    with db.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"generation-quota:user:{user_id}",))
        if conn.execute("SELECT 1 FROM generation_starts WHERE instance_id = %s", (instance_id,)).fetchone():
            return False
        _check_user(conn, user_id, images, settings, now)
        if paid and settings.image_model_concurrency:
            _check_paid_model(conn, settings, now)
        conn.execute(
            "INSERT INTO generation_starts (instance_id, user_id, images, paid, started_at) VALUES (%s, %s, %s, %s, %s)",
            (instance_id, user_id, images, paid, now))
    return True


def release(instance_id: str, *, now: datetime | None = None) -> None:
    """The generation ended (or never started): its place on the paid model is free again. Its count
    in the user's quota stays."""
    with db.connection() as conn:
        conn.execute("UPDATE generation_starts SET finished_at = %s WHERE instance_id = %s AND finished_at IS NULL",
                     (now or datetime.now(UTC), instance_id))


def forget(instance_id: str) -> None:
    """Undo a reservation whose orchestration could not be started at all (it counts for nothing)."""
    with db.connection() as conn:
        conn.execute("DELETE FROM generation_starts WHERE instance_id = %s", (instance_id,))
