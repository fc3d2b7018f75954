"""Batch CLI: drop a shot list into batch-in and follow it.

    python -m scripts.batch submit scripts/samples/chapter1.jsonl --follow
    python -m scripts.batch status chapter1
    python -m scripts.batch cancel chapter1
    python -m scripts.batch download chapter1 --out ./chapter1-results

Storage comes from the settings (AzureWebJobsStorage, or local.settings.json `Values` when the
environment does not set it); progress comes from GET /api/batches/{name} on --api (default
$WEBTOON_API_URL or http://127.0.0.1:7071). When the API cannot be reached, --follow watches
batch-out/<name>/summary.json instead. Output is in Korean.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

from azure.core.exceptions import AzureError

from shared.batch import blobs, lines, names
from shared.batch import status as shaping
from shared.storage import blobs as storage

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API = "http://127.0.0.1:7071"
STATUS_LABELS = {"completed": "완료", "failed": "실패", "invalid": "잘못된 줄", "cancelled": "취소"}


class CliError(Exception):
    pass


STORAGE_FAILED_MESSAGE = ("저장소에 연결하지 못했습니다. AzureWebJobsStorage 설정(또는 local.settings.json)과 "
                          "저장소(로컬에서는 Azurite)가 실행 중인지 확인해 주세요.")


def _load_local_settings() -> None:
    """local.settings.json `Values` for settings the environment does not set (as the host does)."""
    path = PROJECT_ROOT / "local.settings.json"
    if not path.is_file():
        return
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    except ValueError:
        return
    for key, value in values.items():
        if key not in os.environ and value is not None:
            os.environ[key] = str(value)


# --- HTTP ---------------------------------------------------------------------------------------

def _http(method: str, url: str, timeout: float = 15.0) -> tuple[int, dict]:
    request = urllib.request.Request(url, method=method, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def _batch_url(api: str, name: str) -> str:
    return f"{api.rstrip('/')}/api/batches/{quote(name, safe='')}"


def _error_text(body: dict, fallback: str) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("message") if isinstance(error, dict) and error.get("message") else fallback


# --- Commands -----------------------------------------------------------------------------------

def submit(path: Path, name: str | None, api: str, follow: bool, timeout: float, out=print, *,
           owner: str | None = None) -> int:
    """Upload the shot list as batch-in/<name>.<ext>, its blob naming the owner (the batch is theirs:
    only they see it over the API)."""
    owner = owner or lines.default_owner()
    if not names.valid_owner(owner):
        raise CliError(f"배치 주인 ID가 올바르지 않습니다: {owner} (영문, 숫자, @ . _ : - 만, 128자 이내)")
    if not path.is_file():
        raise CliError(f"파일을 찾을 수 없습니다: {path}")
    ext = path.suffix.lower().lstrip(".")
    if ext not in names.EXTENSIONS:
        raise CliError(f"지원하지 않는 파일 형식입니다: {path.name} (.jsonl 또는 .csv만 올릴 수 있습니다)")
    name = name or path.stem
    if not names.valid_name(name):
        raise CliError(f"배치 이름이 올바르지 않습니다: {name} (영문, 숫자, 한글, . _ - 만 쓸 수 있습니다)")
    data = path.read_bytes()
    blob_name = f"{name}.{ext}"
    content_type = "text/csv" if ext == "csv" else "application/x-ndjson"
    storage.upload(storage.BATCH_IN, blob_name, data, f"{content_type}; charset=utf-8",
                   metadata={names.OWNER_METADATA: owner})
    expected = names.instance_id(name, names.content_sha256(data), owner)
    out(f"올렸습니다: {storage.BATCH_IN}/{blob_name} ({len(data):,}바이트, 주인: {owner})")
    out(f"배치 이름: {name}  (실행 ID: {expected})")
    if not follow:
        out(f"진행 상황: python -m scripts.batch status {name}")
        return 0
    return follow_batch(name, api, expected, timeout, out=out)


def _status_via_api(api: str, name: str) -> dict | None:
    try:
        code, body = _http("GET", _batch_url(api, name))
    except (urllib.error.URLError, OSError, TimeoutError):
        return None
    if code == 404:
        return {}
    if code != 200:
        return None
    return body


def _status_via_storage(name: str) -> dict | None:
    pointer = blobs.read_pointer(name)
    if not pointer:
        return {}
    summary = blobs.read_summary(name)
    if summary and summary.get("instanceId") != pointer.get("instanceId"):
        summary = None
    return shaping.status_body(name, pointer, "Completed" if summary else "Running", None, summary)


def follow_batch(name: str, api: str, expected: str | None, timeout: float, out=print) -> int:
    """Poll until the batch with the expected instance id is finished, with a progress bar."""
    bar = None
    deadline = time.monotonic() + timeout
    warned = False
    body: dict = {}
    try:
        while time.monotonic() < deadline:
            current = _status_via_api(api, name)
            if current is None:
                if not warned:
                    out(f"API({api})에 연결할 수 없어 저장소의 결과 파일을 확인합니다.")
                    warned = True
                current = _status_via_storage(name)
            elif not current:  # 404: not started yet, or the API's caller is not the batch's owner
                current = _status_via_storage(name)
            if current and (expected is None or current.get("instanceId") == expected):
                body = current
                if body.get("total"):
                    bar = _progress(bar, body)
                if body.get("finished") or body.get("runtimeStatus") in ("Failed", "Terminated"):
                    break
            time.sleep(1.0)
        else:
            out(f"{int(timeout)}초 안에 끝나지 않았습니다. 나중에 `python -m scripts.batch status {name}`로 확인해 주세요.")
            return 1
    finally:
        if bar is not None:
            bar.close()
    return report(body, out=out)


def _progress(bar, body: dict):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is a development dependency; plain lines without it
        print(f"\r진행 {body.get('processed', 0)}/{body['total']}", end="", file=sys.stderr, flush=True)
        return None
    if bar is None:
        bar = tqdm(total=body["total"], unit="줄", desc="배치 진행", file=sys.stderr, dynamic_ncols=True)
    bar.total = body["total"]
    bar.n = body.get("processed", 0)
    bar.set_postfix_str(f"완료 {body.get('done', 0)} · 실패 {body.get('failed', 0)} · 잘못된 줄 "
                        f"{body.get('invalid', 0)} · 취소 {body.get('cancelled', 0)} · 실행 중 {body.get('running', 0)}",
                        refresh=False)
    bar.refresh()
    return bar


def report(body: dict, out=print) -> int:
    """Print the end state; 0 when the batch ran (whatever its lines did), 2 when the file was rejected."""
    summary = body.get("summary") or {}
    if summary.get("error") or body.get("stage") == "rejected":
        error = summary.get("error") or body.get("error") or {}
        out(f"배치 파일이 거부되었습니다: {error.get('message', '알 수 없는 오류')}")
        return 2
    if body.get("runtimeStatus") in ("Failed", "Terminated"):
        out(f"배치 실행이 중단되었습니다: {_error_text(body, '알 수 없는 오류')}")
        return 1
    state = "취소됨" if summary.get("status") == "cancelled" else "완료"
    out(f"배치 {body.get('name')}: {state} — 전체 {body.get('total', 0)}줄, 완료 {body.get('done', 0)}, "
        f"실패 {body.get('failed', 0)}, 잘못된 줄 {body.get('invalid', 0)}, 취소 {body.get('cancelled', 0)}")
    results = summary.get("results")
    if results:
        out(f"결과: {results}")
        try:
            ref = storage.BlobRef.parse(results)
            rows = [json.loads(line) for line in storage.download(ref.container, ref.name).decode("utf-8").splitlines()
                    if line]
        except Exception:
            rows = []
        for row in rows:
            if row["status"] in (lines.FAILED, lines.INVALID):
                label = STATUS_LABELS.get(row["status"], row["status"])
                ident = f" ({row['id']})" if row.get("id") else ""
                out(f"  {row['line']}번째 줄{ident} [{label}] {row['error']['message']}")
    return 0


def status(name: str, api: str, out=print) -> int:
    body = _status_via_api(api, name)
    if not body:  # unreachable, or 404 (also when the API's caller is not the batch's owner)
        body = _status_via_storage(name)
    if not body:
        raise CliError(f"배치를 찾을 수 없습니다: {name}")
    if body.get("finished"):
        return report(body, out=out)
    out(f"배치 {name}: {body.get('runtimeStatus')} ({body.get('stage')}) — {body.get('processed', 0)}/"
        f"{body.get('total', 0)}줄 처리, 완료 {body.get('done', 0)}, 실패 {body.get('failed', 0)}, "
        f"잘못된 줄 {body.get('invalid', 0)}, 실행 중 {body.get('running', 0)}"
        + (" · 취소 요청됨" if body.get("cancelRequested") else ""))
    return 0


def cancel(name: str, api: str, out=print) -> int:
    try:
        code, body = _http("DELETE", _batch_url(api, name))
    except (urllib.error.URLError, OSError):  # their text is English
        raise CliError(f"API({api})에 연결할 수 없습니다. 앱이 실행 중인지, --api 주소가 맞는지 확인해 주세요.") from None
    if code == 202:
        out(body.get("message") or "취소를 요청했습니다.")
        return 0
    raise CliError(_error_text(body, f"취소하지 못했습니다 (HTTP {code})."))


def download(name: str, target: Path, out=print) -> int:
    container = storage.service().get_container_client(storage.BATCH_OUT)
    root = target.resolve()
    count = 0
    for item in container.list_blobs(name_starts_with=f"{name}/"):
        relative = item.name[len(name) + 1:]
        if not relative or relative == names.POINTER:
            continue
        path = (root / relative).resolve()
        if not path.is_relative_to(root):  # a blob name with "..": never write outside the folder
            out(f"건너뜀: 폴더 밖을 가리키는 이름입니다: {item.name}")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(container.download_blob(item.name).readall())
        count += 1
    if not count:
        raise CliError(f"내려받을 결과가 없습니다: {storage.BATCH_OUT}/{name}/")
    out(f"{count}개 파일을 내려받았습니다: {target}")
    return 0


def main(argv: list[str] | None = None, out=print) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.batch", description="배치 생성: 샷 리스트 올리기와 진행 확인")
    parser.add_argument("--api", default=os.environ.get("WEBTOON_API_URL") or DEFAULT_API,
                        help="앱 주소 (기본: $WEBTOON_API_URL 또는 http://127.0.0.1:7071)")
    commands = parser.add_subparsers(dest="command", required=True)
    p_submit = commands.add_parser("submit", help="샷 리스트(.jsonl/.csv)를 batch-in에 올립니다")
    p_submit.add_argument("file", type=Path)
    p_submit.add_argument("--name", help="배치 이름 (기본: 파일 이름)")
    p_submit.add_argument("--follow", action="store_true", help="끝날 때까지 진행 막대로 따라갑니다")
    p_submit.add_argument("--timeout", type=float, default=3600.0, help="--follow로 기다릴 최대 시간(초)")
    p_submit.add_argument("--owner", help="배치 주인(로그인 사용자 ID). 기본: BATCH_OWNER 또는 로컬 사용자")
    p_status = commands.add_parser("status", help="배치 진행 상황")
    p_status.add_argument("name")
    p_cancel = commands.add_parser("cancel", help="아직 시작하지 않은 줄을 취소합니다")
    p_cancel.add_argument("name")
    p_download = commands.add_parser("download", help="batch-out/<이름>/의 결과를 내려받습니다")
    p_download.add_argument("name")
    p_download.add_argument("--out", type=Path, help="저장할 폴더 (기본: ./<이름>)")
    args = parser.parse_args(argv)

    _load_local_settings()
    try:
        if args.command == "submit":
            return submit(args.file, args.name, args.api, args.follow, args.timeout, out=out, owner=args.owner)
        if args.command == "status":
            return status(args.name, args.api, out=out)
        if args.command == "cancel":
            return cancel(args.name, args.api, out=out)
        return download(args.name, args.out or Path(args.name), out=out)
    except CliError as exc:
        out(f"오류: {exc}")
        return 1
    except (AzureError, RuntimeError):  # storage unreachable or not configured: the SDK speaks English
        out(f"오류: {STORAGE_FAILED_MESSAGE}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
