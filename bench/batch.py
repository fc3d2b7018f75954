"""Batch throughput: a 200-line shot list through the real app on devhost, offline providers.

    .venv/bin/python -m bench.batch [--lines 200] [--aspect square] [--concurrency 4]

Starts a private stack (Azurite + embedded PostgreSQL + the tiny KoCLIP model + the sample reference
set, bench/generation_stages.py's private_stack) and devhost on the real app, then:
  baseline  a 1-line shot list, end to end (drop → summary.json): the latency of one line alone,
            trigger polling and the batch's own steps included
  batch     an N-line shot list (keywords/categories/stages varied, all valid), drop → summary.json
and prints wall time, items per second, seconds per item against the baseline (the speed-up that
bounded concurrency buys on this machine), and the devhost process's peak memory (VmHWM from
/proc/<pid>/status; devhost runs activities in threads of that one process). Nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SCENES = [
    ("국내명소", "경복궁 근정전, 봄, 벚꽃"), ("국내명소", "남산타워 야경, 골목 계단"),
    ("국내명소", "제주 성산일출봉, 새벽 바다"), ("음식", "광장시장 빈대떡, 포장마차"),
    ("음식", "비빔밥 한상, 놋그릇"), ("음식", "떡볶이 분식집, 비 오는 저녁"),
    ("한국문화", "북촌 한옥 마을 골목, 해 질 녘"), ("한국문화", "설날 아침 한옥 안방"),
]
STAGES = ("콘티", "스케치", "채색 기본", "채색 명암", "배경")


def shot_list(lines: int, aspect: str) -> bytes:
    rows = []
    for n in range(lines):
        category, keywords = SCENES[n % len(SCENES)]
        rows.append(json.dumps({"id": f"shot{n + 1:03d}", "category": category, "stage": STAGES[n % len(STAGES)],
                                "keywords": keywords, "description": f"{n + 1}번째 컷의 배경", "aspect": aspect},
                               ensure_ascii=False))
    return ("\n".join(rows) + "\n").encode("utf-8")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process in kB."""
    values = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values


def orchestrator_episodes(log_text: str, instance: str) -> list[float]:
    """Milliseconds of each episode (one replay of the history) of generate_batch and its
    generate_batch_chunk sub-orchestrations, from devhost's log."""
    markers = (f"orchestrator generate_batch id={instance} ", f"orchestrator generate_batch_chunk id={instance}-C")
    values = []
    for line in log_text.splitlines():
        if any(marker in line for marker in markers) and "duration_ms=" in line:
            values.append(float(line.split("duration_ms=")[1].split()[0]))
    return values


def run_batch(host, blobs, name: str, data: bytes, timeout: float) -> tuple[float, dict]:
    """Drop the file, wait for summary.json; (seconds, summary)."""
    from shared.batch import lines, names

    started = time.perf_counter()
    blobs.get_blob_client("batch-in", f"{name}.jsonl").upload_blob(data, overwrite=True)
    expected = names.instance_id(name, names.content_sha256(data), lines.default_owner())  # no owner metadata
    deadline = started + timeout
    last_print = 0.0
    while time.perf_counter() < deadline:
        summary_blob = blobs.get_blob_client("batch-out", f"{name}/summary.json")
        if summary_blob.exists():
            summary = json.loads(summary_blob.download_blob().readall())
            if summary.get("instanceId") == expected:
                return time.perf_counter() - started, summary
        if time.perf_counter() - last_print > 15:
            code, _, body = host.request("GET", f"/api/batches/{name}")
            if code == 200:
                status = json.loads(body)
                print(f"  ... {status.get('processed', 0)}/{status.get('total', 0)} lines, "
                      f"{time.perf_counter() - started:.0f} s", flush=True)
            last_print = time.perf_counter()
        time.sleep(0.25)
    raise SystemExit(f"batch {name} did not finish within {timeout:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200)
    parser.add_argument("--aspect", default="square", choices=("square", "portrait", "landscape"))
    parser.add_argument("--concurrency", type=int, default=4, help="BATCH_MAX_CONCURRENCY of the host")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args(argv)

    from azure.storage.blob import BlobServiceClient

    from bench.generation_stages import load_samples, private_stack
    from devhost.testing import DevHost
    from shared.core import config
    from shared.db import pool as db
    from shared.references import embedding
    from shared.storage import blobs as storage

    print(f"batch bench: {args.lines} lines, aspect {args.aspect}, BATCH_MAX_CONCURRENCY={args.concurrency}, "
          f"offline providers, {os.cpu_count()} CPUs", flush=True)
    with private_stack() as env:
        os.environ.update(env)
        for reset in (config.reset_settings, storage.reset, embedding.reset, db.close_pool):
            reset()
        references = load_samples(Path(env["BENCH_SAMPLES_DIR"]))
        db.close_pool()
        print(f"stack ready: {references} sample references loaded", flush=True)
        # No per-user cost limits: the bench measures throughput, and its lines are all one owner's.
        host_env = {**env, "BATCH_MAX_CONCURRENCY": str(args.concurrency), "DEVHOST_BLOB_POLL_SECONDS": "0.5",
                    "GENERATIONS_PER_HOUR": "0", "IMAGES_PER_DAY": "0"}
        with tempfile.TemporaryDirectory(prefix="bench-batch-devhost-") as data_dir:
            host = DevHost(app_dir=ROOT, data_dir=data_dir, env=host_env, startup_timeout=120).start()
            try:
                pid = host.proc.pid
                blobs = BlobServiceClient.from_connection_string(env["AzureWebJobsStorage"])
                for container in ("batch-in", "batch-out"):
                    try:
                        blobs.create_container(container)
                    except Exception:
                        pass
                idle = proc_status(pid)

                # Warm-up (model sessions, Wand), then the baseline: one line alone.
                run_batch(host, blobs, "bench-warmup", shot_list(1, args.aspect), args.timeout)
                baseline_s, _ = run_batch(host, blobs, "bench-one", shot_list(1, args.aspect).replace(
                    "1번째".encode(), "단독".encode()), args.timeout)
                after_baseline = proc_status(pid)

                wall_s, summary = run_batch(host, blobs, "bench-batch", shot_list(args.lines, args.aspect),
                                            args.timeout)
                final = proc_status(pid)
                episodes = orchestrator_episodes(host.log_text(), summary["instanceId"])
            finally:
                host.stop()

    per_item = wall_s / args.lines
    print()
    print(f"{'figure':<46} {'value':>12}")
    print(f"{'baseline: one line alone, drop → summary':<46} {baseline_s:>10.2f} s")
    print(f"{f'batch of {args.lines} lines, drop → summary (wall)':<46} {wall_s:>10.1f} s")
    print(f"{'items per second':<46} {args.lines / wall_s:>12.3f}")
    print(f"{'seconds per item':<46} {per_item:>10.2f} s")
    print(f"{'speed-up vs one line alone (baseline/per-item)':<46} {baseline_s / per_item:>11.2f}x")
    print(f"{'lines completed / failed / invalid':<46} "
          f"{summary['completed']:>4} / {summary['failed']} / {summary['invalid']}")
    if episodes:
        print(f"{'batch + chunk orchestrator episodes (replays)':<46} {len(episodes):>12}")
        print(f"{'their replay time: total / longest':<46} "
              f"{sum(episodes) / 1000:>6.1f} s / {max(episodes):.0f} ms")
    print(f"{'devhost RSS idle after start':<46} {idle['VmRSS'] / 1024:>9.0f} MB")
    print(f"{'devhost peak RSS after warm-up + baseline':<46} {after_baseline['VmHWM'] / 1024:>9.0f} MB")
    print(f"{'devhost peak RSS (VmHWM) after the batch':<46} {final['VmHWM'] / 1024:>9.0f} MB")
    print(f"{'devhost RSS at the end':<46} {final['VmRSS'] / 1024:>9.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
