"""Memory of parallel worst-case uploads: the codec's budgeted decode against the path before it.

    .venv/bin/python -m bench.upload_memory [--parallel 8] [--side 6300] [--mode RGB]

The worst case of issue 14: a tiny file (about 150 KB) holding a 6300 x 6300 PNG, under the 40 MP
pixel limit. Each variant runs in a fresh process: `--parallel` threads (the Python worker's thread
pool) normalise the same upload at once, and the process reports its peak resident memory (VmHWM)
above what it held just before. "before" is shared/images/uploads.py as of commit 670c5b3 (decode in
full, EXIF-transpose copy, mode copy, then fit), loaded from git; "codec" is today's path.
Goal: the codec path stays within 1 GB above the host's resting memory for 8 parallel uploads.
Nothing here asserts: the numbers are printed for people to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BASELINE_COMMIT = "670c5b3"  # the last commit with the unbudgeted upload decode
GOAL_BYTES = 1024 ** 3
MIB = 1024 * 1024


def worst_case_png(side: int, mode: str) -> bytes:
    """A large, almost uniform picture: a small file that decodes to side x side pixels."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new(mode, (side, side), (40, 90, 160, 255)[: len(mode)])
    draw = ImageDraw.Draw(image)
    for i in range(0, side, side // 12):
        draw.rectangle((i, i, i + side // 24, i + side // 24), fill=(230, 200, 60, 255)[: len(mode)])
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=9)
    return buf.getvalue()


def _rss_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _old_normalize():
    """normalize_upload of shared/images/uploads.py at BASELINE_COMMIT, loaded from git."""
    source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:shared/images/uploads.py"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    spec = importlib.util.spec_from_loader("uploads_before_budget", loader=None)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    exec(compile(source, f"{BASELINE_COMMIT}:shared/images/uploads.py", "exec"), module.__dict__)
    return module.normalize_upload


def child(variant: str, parallel: int, side: int, mode: str) -> dict:
    """Run in a fresh process: the peak above the resting memory while `parallel` uploads decode."""
    from PIL import Image  # noqa: F401  (loaded before the baseline reading, as in a warm host)

    from shared.images import codec, uploads

    normalize = _old_normalize() if variant == "before" else uploads.normalize_upload
    data = worst_case_png(side, mode)
    normalize(worst_case_png(64, mode))  # warm: codecs loaded
    resting = _rss_bytes("VmRSS")
    start = threading.Barrier(parallel)
    errors: list[str] = []

    def upload() -> None:
        start.wait()
        try:
            normalize(data)
        except Exception as exc:  # a refusal is a result too
            errors.append(f"{type(exc).__name__}: {getattr(exc, 'message', exc)}")

    began = time.perf_counter()
    threads = [threading.Thread(target=upload) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"variant": variant, "file_bytes": len(data), "resting": resting,
            "peak_above_resting": _rss_bytes("VmHWM") - resting, "seconds": time.perf_counter() - began,
            "errors": errors, "budget_peak": codec.DECODE_BUDGET.peak if variant == "codec" else None}


def run_variant(variant: str, args) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.upload_memory", "--child", variant,
                          "--parallel", str(args.parallel), "--side", str(args.side), "--mode", args.mode],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--side", type=int, default=6300)
    parser.add_argument("--mode", default="RGB", choices=("RGB", "RGBA"))
    parser.add_argument("--child", choices=("before", "codec"))
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.parallel, args.side, args.mode)))
        return
    print(f"{args.parallel} parallel uploads of a {args.side}x{args.side} {args.mode} PNG "
          f"(budget {codec_budget_mib()} MiB per process)")
    results = {variant: run_variant(variant, args) for variant in ("before", "codec")}
    for variant, result in results.items():
        note = f", {len(result['errors'])} refused: {result['errors'][0]}" if result["errors"] else ""
        print(f"  {variant:7s} file {result['file_bytes'] // 1024} KB  peak above resting "
              f"{result['peak_above_resting'] / MIB:7.0f} MiB  in {result['seconds']:.2f} s{note}")
    before, after = results["before"]["peak_above_resting"], results["codec"]["peak_above_resting"]
    verdict = "met" if after <= GOAL_BYTES else "NOT met"
    print(f"  codec / before = {after / before:.2f}; goal (codec within 1 GiB above resting): {verdict}")


def codec_budget_mib() -> int:
    from shared.images import codec

    return codec.DECODE_BUDGET_BYTES // MIB


if __name__ == "__main__":
    main()
