"""Let the Function App's managed identity use the tables the operator's migrations and ingest created.

In Azure both the app identity and the deployer are Entra administrators of the PostgreSQL server, but
tables belong to whoever created them: `python -m shared.references ingest` (which runs the migrations)
signs in as you, so the app needs these grants once, and default privileges cover later migrations.

    set -a; eval "$(azd env get-values)"; set +a
    export POSTGRES_USER="$(az ad signed-in-user show --query userPrincipalName -o tsv)"
    .venv/bin/python infra/scripts/grant_app_access.py            # grants to $POSTGRES_APP_USER
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

PRIVILEGES = (
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
)


def grant(conninfo: str, role: str, *, password: str | None = None) -> int:
    """Run the grants for `role` (a quoted identifier, e.g. the identity's name `id-api-xxxx`)."""
    import psycopg
    from psycopg import sql

    kwargs = {"password": password} if password else {}
    with psycopg.connect(conninfo, autocommit=True, **kwargs) as conn:
        with conn.transaction():
            for statement in PRIVILEGES:
                conn.execute(sql.SQL(statement).format(role=sql.Identifier(role)))
    return len(PRIVILEGES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", default=os.environ.get("POSTGRES_APP_USER", ""),
                        help="the app identity's name (default: $POSTGRES_APP_USER from azd)")
    args = parser.parse_args(argv)
    if not args.role:
        parser.error("no role: pass --role or load the azd environment (POSTGRES_APP_USER)")

    from shared.core.config import get_settings
    from shared.db.pool import _password_provider, conninfo_for

    settings = get_settings()
    provider = _password_provider(settings)
    count = grant(conninfo_for(settings), args.role, password=provider() if provider else None)
    print(f"{count} grants for {args.role} on {settings.postgres_host or 'the local server'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
