"""scripts.batch without a host: what the artist reads when the API is down, and downloads that stay in
the folder they were asked into."""

from __future__ import annotations

import re
from types import SimpleNamespace

from scripts import batch as cli
from shared.storage import blobs as storage


def test_unreachable_api_is_reported_in_korean_only(monkeypatch):
    monkeypatch.setattr(cli, "_load_local_settings", lambda: None)  # keep this process's environment
    lines: list[str] = []
    code = cli.main(["--api", "http://127.0.0.1:9", "cancel", "chapter1"], out=lines.append)
    assert code == 1 and "연결할 수 없습니다" in lines[-1]
    assert not re.search(r"Errno|refused|urlopen", lines[-1])  # urllib's own English words


class _Container:
    def __init__(self, blobs: dict[str, bytes]):
        self.blobs = blobs

    def list_blobs(self, name_starts_with: str):
        return [SimpleNamespace(name=n) for n in self.blobs if n.startswith(name_starts_with)]

    def download_blob(self, name: str):
        return SimpleNamespace(readall=lambda: self.blobs[name])


def test_download_never_writes_outside_the_target_folder(tmp_path, monkeypatch):
    container = _Container({"ch1/results.jsonl": b"{}\n", "ch1/../../escaped.txt": b"x", "ch1/batch.json": b"{}"})
    monkeypatch.setattr(storage, "service", lambda: SimpleNamespace(get_container_client=lambda _: container))
    target = tmp_path / "a" / "out"
    lines: list[str] = []
    assert cli.download("ch1", target, out=lines.append) == 0
    assert (target / "results.jsonl").read_bytes() == b"{}\n"
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "a" / "escaped.txt").exists()
    assert any("건너뜀" in line for line in lines)


def test_storage_failures_are_reported_in_korean(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_load_local_settings", lambda: None)

    def not_configured():
        raise RuntimeError("storage is not configured: set AzureWebJobsStorage")

    monkeypatch.setattr(storage, "service", not_configured)
    lines: list[str] = []
    assert cli.main(["download", "ch1", "--out", str(tmp_path)], out=lines.append) == 1
    assert lines == [f"오류: {cli.STORAGE_FAILED_MESSAGE}"]
