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
    from shared import config, embedding

    monkeypatch.setenv("EMBEDDING_MODEL_DIR", str(tiny_model_dir))
    monkeypatch.setenv("EMBEDDING_PRECISION", "fp32")
    config.reset_settings()
    embedding.reset()
    yield tiny_model_dir
    config.reset_settings()
    embedding.reset()
