"""scripts.batch against the session's app on devhost and Azurite: submit the sample shot list and
follow it to the end (progress bar on stderr, Korean report), then status, download and cancel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import batch as cli
from shared.storage import blobs as storage
from tests.integration.batch.batch_helpers import BATCH_TRIGGER_ON

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).resolve().parents[3] / "scripts" / "samples" / "chapter1.jsonl"


@pytest.fixture(scope="module")
def batch_host(start_app_host):
    app = start_app_host(**BATCH_TRIGGER_ON)
    yield app
    app.devhost.stop()


@pytest.fixture
def cli_env(app_env, batch_host):
    storage.reset()
    yield batch_host.base_url
    storage.reset()


def run(*argv) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = cli.main(list(argv), out=lines.append)
    return code, lines


def test_submit_follow_status_download_cancel(cli_env, tmp_path, capsys):
    api = cli_env
    code, lines = run("--api", api, "submit", str(SAMPLE), "--name", "cli-chapter1", "--follow", "--timeout", "600")
    text = "\n".join(lines)
    assert code == 0, text
    assert "올렸습니다: batch-in/cli-chapter1.jsonl" in text
    assert "배치 cli-chapter1: 완료 — 전체 8줄, 완료 7, 실패 0, 잘못된 줄 1, 취소 0" in text
    assert "6번째 줄 (s06-bad-stage) [잘못된 줄]" in text and "작업 단계" in text
    assert "배치 진행" in capsys.readouterr().err  # the progress bar

    code, lines = run("--api", api, "status", "cli-chapter1")
    assert code == 0 and any("완료 7" in line for line in lines)

    target = tmp_path / "out"
    code, lines = run("download", "cli-chapter1", "--out", str(target))
    assert code == 0, lines
    rows = [json.loads(line) for line in (target / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == list(range(1, 9))
    assert json.loads((target / "summary.json").read_text(encoding="utf-8"))["completed"] == 7
    pngs = sorted(p.relative_to(target).as_posix() for p in target.rglob("*.png"))
    assert "0007-s07-seollal/2.png" in pngs and len(pngs) == 8  # line 7 asked for two variations
    assert (target / "0001-s01-gyeongbokgung" / "1.psd").read_bytes()[:4] == b"8BPS"

    code, lines = run("--api", api, "cancel", "cli-chapter1")
    assert code == 1 and "이미 끝난" in lines[-1]


def test_cli_errors_are_korean(cli_env, tmp_path):
    api = cli_env
    code, lines = run("--api", api, "submit", str(tmp_path / "missing.jsonl"))
    assert code == 1 and "파일을 찾을 수 없습니다" in lines[-1]
    other = tmp_path / "shots.txt"
    other.write_text("x", encoding="utf-8")
    code, lines = run("--api", api, "submit", str(other))
    assert code == 1 and "지원하지 않는 파일 형식" in lines[-1]
    code, lines = run("--api", api, "status", "never-submitted")
    assert code == 1 and "배치를 찾을 수 없습니다" in lines[-1]


def test_a_rejected_file_is_reported(cli_env, tmp_path):
    bad = tmp_path / "cli-bad.jsonl"
    bad.write_bytes("{\"keywords\": \"경복궁\"}\n".encode("cp949"))
    code, lines = run("--api", cli_env, "submit", str(bad), "--follow", "--timeout", "120")
    assert code == 2 and "배치 파일이 거부되었습니다" in lines[-1] and "UTF-8" in lines[-1]


def test_submit_names_the_owner_in_the_blob(cli_env, tmp_path):
    """--owner goes into the blob's metadata, so the batch is that user's (the API answers 404 to the
    local user); the CLI, which reads storage, still follows it to the end."""
    shots = tmp_path / "cli-owned.jsonl"
    shots.write_text(json.dumps({"category": "음식", "stage": "스케치", "keywords": "냉면"}, ensure_ascii=False) + "\n",
                     encoding="utf-8")
    code, lines = run("--api", cli_env, "submit", str(shots), "--owner", "artist-a", "--follow", "--timeout", "300")
    assert code == 0, lines
    assert "주인: artist-a" in lines[0] and any("완료 1" in line for line in lines)
    props = storage.service().get_blob_client("batch-in", "cli-owned.jsonl").get_blob_properties()
    assert props.metadata == {"owner": "artist-a"}
    assert cli._status_via_api(cli_env, "cli-owned") == {}  # not the local user's batch
    code, lines = run("--api", cli_env, "submit", str(shots), "--owner", "no spaces allowed")
    assert code == 1 and "주인 ID" in lines[-1]
