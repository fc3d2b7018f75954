"""PostgreSQL access: one connection pool per process (migrations: shared.db.schema).

Locally POSTGRES_URL points at the embedded server (a Unix socket); in Azure the pool signs in with
an Entra token as the password (see shared.credentials), fetched fresh for each new connection.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager

from shared.core.config import Settings, get_settings
from shared.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)


# An outage answers within seconds: a short connect timeout, a bounded wait for a pooled connection and a
# statement timeout, instead of psycopg_pool's 30 s wait.
CONNECT_TIMEOUT_SECONDS = 3
POOL_WAIT_SECONDS = 5
STATEMENT_TIMEOUT_MS = 15_000
MSG_UNAVAILABLE = "데이터베이스에 연결할 수 없습니다. 잠시 후 다시 시도해 주세요."

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
    from shared.core.credentials import postgres_token_provider  # Azure only: keyless sign-in

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
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"},
        timeout=POOL_WAIT_SECONDS,
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
    """A pooled connection; an unreachable database (or one that stopped answering) is a Korean 503."""
    import psycopg
    from psycopg_pool import PoolTimeout

    try:
        with pool().connection() as conn:
            yield conn
    except (PoolTimeout, psycopg.OperationalError) as exc:
        raise ServiceUnavailable(MSG_UNAVAILABLE) from exc
