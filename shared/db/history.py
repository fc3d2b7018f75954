"""The `generations` table: one row per ended generation, and the caller's paged history.

A Completed generation is recorded by its store_outputs activity (status "completed"); a failed one
(status "failed") or one cancelled by the review timeout ("cancelled") by the record_outcome activity,
with the Korean error the artist saw. Activities may run more than once: the row is keyed by the
orchestration instance id, so a second run changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.db import pool as db

MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000  # the API's page limit (functions/orchestrator/paging.py, the OpenAPI description)
DEFAULT_PAGE_SIZE = 20
STATUSES = ("completed", "failed", "cancelled")


@dataclass
class Page:
    items: list[dict]
    page: int
    page_size: int
    total: int

    def to_json(self) -> dict:
        return {"items": self.items, "page": self.page, "pageSize": self.page_size, "total": self.total}


def record(*, instance_id: str, user_id: str, request: dict, title: str, prompt: str,
           images: list[dict], reference_ids: list[int], timings: dict, warnings: list[str],
           status: str = "completed", error: dict | None = None) -> bool:
    """Insert the generation's row; False when it was already there (a repeated activity).
    `error` ({"code", "message"}) goes with the failed and cancelled ones."""
    from psycopg.types.json import Jsonb

    if status not in STATUSES:
        raise ValueError(f"unknown generation status {status!r}")
    with db.connection() as conn:
        row = conn.execute(
            """
            INSERT INTO generations (instance_id, user_id, status, category, stage, keywords, description,
                                     aspect, title, prompt, images, reference_ids, timings, warnings, error)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (instance_id) DO NOTHING
            RETURNING instance_id
            """,
            (instance_id, user_id, status, request["category"], request["stage"], request["keywords"],
             request.get("description") or "", request["aspect"], title, prompt, Jsonb(images),
             list(reference_ids), Jsonb(timings), Jsonb(warnings), Jsonb(error) if error else None),
        ).fetchone()
    return row is not None


def list_for_user(user_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """The user's generations, newest first. `images` hold blob names (container/name); `error` is
    {"code", "message"} for failed and cancelled ones, else None."""
    page = max(1, page)
    page_size = min(max(1, page_size), MAX_PAGE_SIZE)
    with db.connection() as conn:
        total = conn.execute("SELECT count(*) FROM generations WHERE user_id = %s", (user_id,)).fetchone()[0]
        rows = conn.execute(
            """
            SELECT instance_id, created_at, status, category, stage, keywords, description, aspect, title,
                   prompt, images, error
            FROM generations
            WHERE user_id = %s
            ORDER BY created_at DESC, instance_id DESC
            LIMIT %s OFFSET %s
            """,
            (user_id, page_size, (page - 1) * page_size),
        ).fetchall()
    items = [
        {
            "instanceId": r[0],
            "createdAt": r[1].isoformat(),
            "status": r[2],
            "category": r[3],
            "stage": r[4],
            "keywords": r[5],
            "description": r[6],
            "aspect": r[7],
            "title": r[8],
            "prompt": r[9],
            "images": r[10],
            "error": r[11],
        }
        for r in rows
    ]
    return Page(items=items, page=page, page_size=page_size, total=total)


def owner(instance_id: str) -> str | None:
    """The user whose generation this instance is, or None when the history has no row for it."""
    with db.connection() as conn:
        row = conn.execute("SELECT user_id FROM generations WHERE instance_id = %s", (instance_id,)).fetchone()
    return row[0] if row else None
