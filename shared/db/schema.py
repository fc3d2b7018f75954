"""Schema migrations: shared/db/migrations/*.sql applied in name order, each once (`python -m shared.db migrate`)."""

from __future__ import annotations

import logging
from pathlib import Path

from shared.core.config import get_settings
from shared.db.pool import _password_provider, conninfo_for

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def migrate(conninfo: str | None = None) -> list[str]:
    """Apply shared/db/migrations/*.sql in name order, each once, each in its own transaction.

    A plain connection (not the pool): the pool registers the vector type, which needs the extension
    that the first migration creates.
    """
    import psycopg

    password = _password_provider(get_settings()) if conninfo is None else None
    conninfo = conninfo or conninfo_for(get_settings())
    applied: list[str] = []
    kwargs = {"password": password()} if password else {}
    with psycopg.connect(conninfo, autocommit=True, **kwargs) as conn:
        # One migrator at a time, even when several processes start together.
        conn.execute("SELECT pg_advisory_lock(727274)")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
                if path.name in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text(encoding="utf-8"))
                    conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                applied.append(path.name)
                log.info("applied migration %s", path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(727274)")
    return applied
