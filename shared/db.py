"""PostgreSQL access: one connection pool per process and a small migration runner.

Locally POSTGRES_URL points at the embedded server (a Unix socket); in Azure the pool signs in with
an Entra token as the password (see shared.credentials), fetched fresh for each new connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from .config import Settings, get_settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

_pool = None
_pool_lock = threading.Lock()


def conninfo_for(settings: Settings) -> str:
    if settings.postgres_url:
        return settings.postgres_url
    if settings.postgres_host:
        return (f"host={settings.postgres_host} dbname={settings.postgres_database} "
                f"user={settings.postgres_user} sslmode=require")
    raise RuntimeError("PostgreSQL is not configured: set POSTGRES_URL, or POSTGRES_HOST with POSTGRES_USER")


def _password_provider(settings: Settings) -> Callable[[], str] | None:
    if settings.postgres_url or not settings.postgres_host:
        return None
    from .credentials import postgres_token_provider  # Azure only: keyless sign-in

    return postgres_token_provider(settings)


def _configure(conn) -> None:
    from pgvector.psycopg import register_vector

    register_vector(conn)


def make_pool(settings: Settings | None = None, *, min_size: int = 1, max_size: int | None = None):
    """A new pool (tests and scripts); the app uses `pool()`."""
    import psycopg
    from psycopg_pool import ConnectionPool

    settings = settings or get_settings()
    password = _password_provider(settings)

    class TokenConnection(psycopg.Connection):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs):
            if password is not None:
                kwargs["password"] = password()
            return super().connect(conninfo, **kwargs)

    return ConnectionPool(
        conninfo_for(settings),
        connection_class=TokenConnection,
        min_size=min_size,
        max_size=max_size or settings.postgres_pool_max,
        configure=_configure,
        kwargs={"autocommit": True},
        open=True,
        name="webtoon",
    )


def pool():
    """The process-wide pool, opened on first use (not at import: cold start)."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = make_pool()
    return _pool


def close_pool() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None


@contextmanager
def connection():
    with pool().connection() as conn:
        yield conn


def migrate(conninfo: str | None = None) -> list[str]:
    """Apply shared/migrations/*.sql in name order, each once, each in its own transaction.

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


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if sys.argv[1:] != ["migrate"]:
        sys.exit("usage: python -m shared.db migrate")
    names = migrate()
    print(f"migrations applied: {len(names)}" + (f" ({', '.join(names)})" if names else ""))
