"""`python -m shared.references ingest`: validation with row numbers, idempotent reruns, and a run
killed halfway that resumes to load every row exactly once (real PostgreSQL, Azurite, ONNX model)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _image(index: int, size: int = 48) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(index).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, "PNG")
    return buffer.getvalue()


def _row(index: int, **overrides) -> dict:
    row = {"file": f"img{index:03d}.png", "category": "국내명소", "stage": "콘티",
           "caption": f"{index}번 궁궐 콘티", "tags": ["궁궐", f"태그{index}"], "source": "test", "license": "CC0"}
    row.update(overrides)
    return row


@pytest.fixture(scope="module")
def refs_url(postgres_url):
    from tests.fixtures_model import private_database

    return private_database(postgres_url, "references_ingest_test")


@pytest.fixture
def ingest_env(app_env, embedding_env, refs_url, monkeypatch):
    """Settings on the test stack (a private database) and the tiny model; an empty reference table."""
    import psycopg

    from shared.storage import blobs as storage
    from tests.fixtures_model import use_database

    use_database(refs_url, monkeypatch)
    storage.reset()
    with psycopg.connect(refs_url, autocommit=True) as conn:
        conn.execute("TRUNCATE reference_images CASCADE")  # and the reference_lemmas rows that point at them
    yield {**app_env, "POSTGRES_URL": refs_url, "EMBEDDING_MODEL_DIR": str(embedding_env),
           "EMBEDDING_PRECISION": "fp32"}
    storage.reset()


def _rows_in_db(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT sha256, caption, category, stage, tags, blob_name, thumbnail_blob"
                            " FROM reference_images ORDER BY caption").fetchall()


def _mixed_folder(folder: Path) -> list[dict]:
    folder.mkdir()
    for i in range(1, 10):
        (folder / f"img{i:03d}.png").write_bytes(_image(i))
    (folder / "img006.png").write_bytes(b"this is not a png")
    return [
        _row(1),
        _row(2, category="명소"),  # the UI label, not the value
        _row(3, stage="배경"),
        _row(4, stage="채색(기본)"),
        _row(5, file="nowhere.png"),
        _row(6),  # unreadable image
        _row(7, caption=""),
        _row(8, category="음식", tags="떡볶이|시장"),
        _row(9, file="../img001.png"),
    ]


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_loaded(ingest_env, tmp_path):
    from shared.references.ingest import ingest
    from shared.storage import blobs as storage

    rows = _mixed_folder(tmp_path / "images")
    metadata = tmp_path / "meta.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(6, "{not json")  # becomes line 7; the rows after it shift by one
    metadata.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = ingest(tmp_path / "images", metadata, batch_size=3, progress=False, out=lambda *_: None)
    assert report.rows == 10
    assert report.added == 3 and report.skipped == 0
    by_line = {e.line: e.message for e in report.errors}
    assert sorted(by_line) == [2, 4, 5, 6, 7, 8, 10]
    assert "알 수 없는 분류 '명소'" in by_line[2]
    assert "알 수 없는 단계 '채색(기본)'" in by_line[4]
    assert "파일이 없습니다" in by_line[5]
    assert "이미지를 읽을 수 없습니다" in by_line[6]
    assert "JSON" in by_line[7]
    assert "caption" in by_line[8]
    assert "상대 경로" in by_line[10]

    stored = _rows_in_db(ingest_env["POSTGRES_URL"])
    assert [r[1] for r in stored] == ["1번 궁궐 콘티", "3번 궁궐 콘티", "8번 궁궐 콘티"]
    food = next(r for r in stored if r[2] == "음식")
    assert food[4] == ["떡볶이", "시장"]
    for _, _, _, _, _, blob_name, thumbnail in stored:
        assert storage.exists(storage.REFERENCES, blob_name)
        assert storage.exists(storage.REFERENCES, thumbnail)

    again = ingest(tmp_path / "images", metadata, batch_size=3, progress=False, out=lambda *_: None)
    assert (again.added, again.skipped, len(again.errors)) == (0, 3, 7)
    assert _rows_in_db(ingest_env["POSTGRES_URL"]) == stored


def test_csv_metadata_and_search_finds_the_loaded_rows(ingest_env, tmp_path):
    from shared.references import search
    from shared.references.ingest import ingest

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(1, 5):
        (folder / f"img{i:03d}.png").write_bytes(_image(100 + i))
    metadata = tmp_path / "meta.csv"
    with open(metadata, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["file", "category", "stage", "caption", "tags", "source", "license"])
        writer.writeheader()
        writer.writerow({**_row(1), "tags": "궁궐;기와"})
        writer.writerow({**_row(2), "category": "문화", "tags": ""})
        writer.writerow({**_row(3), "category": "한국문화", "stage": "스케치", "tags": "한옥, 청사초롱"})
        writer.writerow({**_row(4), "category": "음식", "tags": "비빔밥"})
    report = ingest(folder, metadata, batch_size=2, progress=False, out=lambda *_: None)
    assert report.added == 3
    assert [(e.line, "분류" in e.message) for e in report.errors] == [(3, True)]  # header is line 1

    found = search(text="청사초롱", category="한국문화", stage="스케치", k=3)
    assert [r.caption for r in found] == ["3번 궁궐 콘티"]
    assert found[0].tags == ["한옥", "청사초롱"] and found[0].blob_name.endswith(".png")


def test_killed_run_resumes_and_loads_every_row_exactly_once(ingest_env, tmp_path):
    import psycopg

    total = 150
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(total):
        (folder / f"img{i:03d}.png").write_bytes(_image(1000 + i, size=32))
    metadata = tmp_path / "meta.jsonl"
    metadata.write_text("".join(json.dumps(_row(i), ensure_ascii=False) + "\n" for i in range(total)),
                        encoding="utf-8")
    env = {**os.environ, **ingest_env, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "shared.references", "ingest", str(folder), "--metadata", str(metadata),
               "--batch-size", "2", "--no-progress"]

    first = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    loaded_at_kill = 0
    deadline = time.monotonic() + 120
    with psycopg.connect(ingest_env["POSTGRES_URL"], autocommit=True) as conn:
        while time.monotonic() < deadline and first.poll() is None:
            loaded_at_kill = conn.execute("SELECT count(*) FROM reference_images").fetchone()[0]
            if loaded_at_kill >= 20:
                first.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        first.wait(30)
        assert first.returncode == -signal.SIGKILL, first.stdout.read().decode()
        loaded_at_kill = conn.execute("SELECT count(*) FROM reference_images").fetchone()[0]
    assert 20 <= loaded_at_kill < total

    second = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"새로 추가 {total - loaded_at_kill}개" in second.stdout
    assert f"이미 있어 건너뜀 {loaded_at_kill}개" in second.stdout

    stored = _rows_in_db(ingest_env["POSTGRES_URL"])
    assert len(stored) == total
    assert sorted(r[1] for r in stored) == sorted(f"{i}번 궁궐 콘티" for i in range(total))
    assert len({r[0] for r in stored}) == total

    third = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0 and "새로 추가 0개" in third.stdout
    assert len(_rows_in_db(ingest_env["POSTGRES_URL"])) == total


def test_ingest_from_a_blob_container(ingest_env, tmp_path):
    """`blob:CONTAINER/PREFIX`: a studio's images already in Blob storage; a missing blob is a row error."""
    from shared.references.ingest import ingest
    from shared.storage import blobs as storage

    for i in (1, 2):
        storage.upload(storage.UPLOADS, f"studio-test/img{i:03d}.png", _image(500 + i), "image/png")
    metadata = tmp_path / "meta.jsonl"
    metadata.write_text("\n".join(json.dumps(_row(i), ensure_ascii=False) for i in (1, 2, 3)) + "\n",
                        encoding="utf-8")
    report = ingest(f"blob:{storage.UPLOADS}/studio-test", metadata, progress=False, out=lambda *_: None)
    assert report.added == 2
    assert [(e.line, "파일이 없습니다" in e.message) for e in report.errors] == [(3, True)]
    assert len(_rows_in_db(ingest_env["POSTGRES_URL"])) == 2


def test_a_second_ingest_uploads_again_the_blobs_storage_lost(ingest_env, tmp_path):
    """Before: rows already in the database were skipped even when their blob was gone, so the
    reference "could not be read" at generation time."""
    from shared.references.ingest import ingest
    from shared.storage import blobs

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(1, 4):
        (folder / f"img{i:03d}.png").write_bytes(_image(200 + i))
    metadata = tmp_path / "meta.jsonl"
    metadata.write_text("\n".join(json.dumps(_row(i), ensure_ascii=False) for i in range(1, 4)), encoding="utf-8")
    assert ingest(folder, metadata, progress=False, out=lambda *_: None).added == 3
    rows = _rows_in_db(ingest_env["POSTGRES_URL"])
    lost_image, lost_thumbnail = rows[0][5], rows[1][6]
    container = blobs.service().get_container_client(blobs.REFERENCES)
    container.delete_blob(lost_image)
    container.delete_blob(lost_thumbnail)

    report = ingest(folder, metadata, progress=False, out=lambda *_: None)
    assert (report.added, report.skipped, report.repaired) == (0, 3, 2)
    assert "다시 올림 2개" in report.summary()
    assert blobs.download(blobs.REFERENCES, lost_image) == (folder / "img001.png").read_bytes()
    assert blobs.exists(blobs.REFERENCES, lost_thumbnail)
    assert ingest(folder, metadata, progress=False, out=lambda *_: None).repaired == 0
