"""infra/scripts/grant_app_access.py against the real local PostgreSQL: before it, a second role (the
app identity in Azure) cannot read the operator's tables; after it, it can read and write them and the
tables created later (default privileges)."""

from __future__ import annotations

import importlib.util
import uuid

import psycopg
import pytest

from tests.infra.bicep_model import PROJECT_ROOT

spec = importlib.util.spec_from_file_location("grant_app_access", PROJECT_ROOT / "infra/scripts/grant_app_access.py")
grant_app_access = importlib.util.module_from_spec(spec)
spec.loader.exec_module(grant_app_access)


@pytest.fixture
def app_role(postgres_url):
    role = f"id-api-{uuid.uuid4().hex[:8]}"  # like the managed identity's name: needs quoting
    table = f"grant_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, note text)")
        conn.execute(f"INSERT INTO {table} (note) VALUES ('operator row')")
    yield role, table
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {table}, {table}_later")
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')


def as_role(postgres_url: str, role: str):
    conn = psycopg.connect(postgres_url, autocommit=True)
    conn.execute(f'SET ROLE "{role}"')
    return conn


def test_the_app_role_can_use_the_tables_only_after_the_grants(postgres_url, app_role):
    role, table = app_role
    with as_role(postgres_url, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(f"SELECT note FROM {table}")

    assert grant_app_access.grant(postgres_url, role) == len(grant_app_access.PRIVILEGES)

    with as_role(postgres_url, role) as conn:
        assert conn.execute(f"SELECT note FROM {table}").fetchall() == [("operator row",)]
        conn.execute(f"INSERT INTO {table} (note) VALUES ('app row')")  # uses the sequence too
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DROP TABLE {table}")  # data rights only, not ownership

    # a table the operator creates later (a new migration) is covered by the default privileges
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table}_later (id serial PRIMARY KEY)")
    with as_role(postgres_url, role) as conn:
        conn.execute(f"INSERT INTO {table}_later DEFAULT VALUES")
        assert conn.execute(f"SELECT count(*) FROM {table}_later").fetchone() == (1,)


def test_the_grants_are_idempotent(postgres_url, app_role):
    role, table = app_role
    grant_app_access.grant(postgres_url, role)
    grant_app_access.grant(postgres_url, role)
    with as_role(postgres_url, role) as conn:
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (1,)
