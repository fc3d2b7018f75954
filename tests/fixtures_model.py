"""Session fixtures for the embedding model: the tiny KoCLIP test model, exported once per test session
by the real export script (torch → ONNX → int8) into a temporary folder, so tests run from a clean
clone. Imported by tests/conftest.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class TinyModel:
    dir: Path
    manifest: dict
    model: object  # the torch VisionTextDualEncoderModel the graphs came from
    tokenizer: object  # tokenizers.Tokenizer


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> TinyModel:
    from scripts import export_koclip

    exported = export_koclip.export_tiny(tmp_path_factory.mktemp("koclip-tiny"), log=lambda *_: None)
    return TinyModel(exported.output, exported.manifest, exported.model, exported.tokenizer)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model) -> Path:
    return tiny_model.dir


@pytest.fixture
def embedding_env(tiny_model_dir, monkeypatch):
    """Point this test's settings at the tiny model (fp32 graph unless the test changes it)."""
    from shared.core import config
    from shared.references import embedding

    monkeypatch.setenv("EMBEDDING_MODEL_DIR", str(tiny_model_dir))
    monkeypatch.setenv("EMBEDDING_PRECISION", "fp32")
    config.reset_settings()
    embedding.reset()
    yield tiny_model_dir
    config.reset_settings()
    embedding.reset()


def private_database(postgres_url: str, name: str) -> str:
    """A fresh database `name` on the session's PostgreSQL, migrated; returns its conninfo.

    Reference tests empty and refill reference_images: in their own database they leave the session's
    sample references (tests/fixtures_app.py) alone.
    """
    import psycopg
    from psycopg.conninfo import make_conninfo

    from shared.db.schema import migrate

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    uri = make_conninfo(postgres_url, dbname=name)
    migrate(uri)
    return uri


def use_database(uri: str, monkeypatch) -> None:
    """Point this test's settings (and a fresh pool) at `uri`."""
    from shared.core import config
    from shared.db import pool as db

    monkeypatch.setenv("POSTGRES_URL", uri)
    config.reset_settings()
    db.close_pool()
