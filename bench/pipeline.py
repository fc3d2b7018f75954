"""Pipeline benchmark: figures measured in this run, against baselines measured in the same run.

    .venv/bin/python -m bench.pipeline                 # every section
    .venv/bin/python -m bench.pipeline psd importtime  # some sections
    .venv/bin/python -m bench.pipeline --repeats 9 --width 1024 --height 1536

Sections (one function each, returning rows; add a section by adding a function to SECTIONS):
  psd         layer derivation, the layered PSD written in process (Wand; psd-tools), the PNG and thumbnail
              encodes, versus the original service's `convert in.png out.psd` subprocess
              (single layer, ImageMagick's CLI); goal: layered PSD within 0.8 s at 1024x1536
  importtime  `python -X importtime -c "import function_app"` total (goal: under 0.5 s) and the app's own
              share: what it still costs, and how many modules it loads, once the two Azure SDKs are imported
  generation  per-stage latency of one offline generation (the step functions of shared/generation.py
              in process, private Azurite + PostgreSQL, tiny model, local providers)

Times are medians of warm runs (the first call of a process, which loads libMagickWand, is shown
apart). Nothing here asserts: the numbers are printed for people to read.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PSD_GOAL_S = 0.8
IMPORT_GOAL_S = 0.5


@dataclass
class Row:
    section: str
    stage: str
    seconds: float
    note: str = ""


def timed(fn: Callable, repeats: int) -> tuple[float, float, object]:
    """(first call seconds, median of the next `repeats` calls, last result)."""
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return first, statistics.median(samples), result


def imagemagick_cli() -> list[str] | None:
    """The real ImageMagick `convert` (Debian's imagemagick package), not a wrapper of the same name."""
    for name in ("convert-im6.q16", "convert-im6", "magick"):
        path = shutil.which(name)
        if path:
            return [path] if name != "magick" else [path, "convert"]
    path = Path("/usr/bin/convert")
    return [str(path)] if path.exists() else None


def psd_section(width: int = 1024, height: int = 1536, repeats: int = 5) -> list[Row]:
    from shared.images import layers, psd
    from shared.images import uploads as imaging
    from tests.sample_images import scene

    rows: list[Row] = []
    picture = scene(width, height, seed=7)
    png = imaging.encode_png(picture, compress_level=6)  # what an image model hands us
    size = f"{width}x{height}"

    first_derive, derive_s, derived = timed(lambda: layers.derive_layers(png), repeats)
    first_write, write_s, psd_bytes = timed(lambda: psd.write_psd_wand(derived), repeats)
    first_tools, tools_s, tools_bytes = timed(lambda: psd.write_psd_tools(derived), repeats)

    def layered():
        return psd.write_layered_psd(layers.derive_layers(png))

    _, layered_s, _ = timed(layered, repeats)
    rows.append(Row("psd", f"derive 4 layers from PNG bytes ({size})", derive_s, f"first call {first_derive:.3f} s"))
    rows.append(Row("psd", "write layered PSD with Wand (merged + 4 layers, RLE)", write_s,
                    f"{len(psd_bytes) / 1e6:.1f} MB; first call {first_write:.3f} s (loads libMagickWand)"))
    rows.append(Row("psd", "write layered PSD with psd-tools (no ImageMagick: Azure Flex)", tools_s,
                    f"{len(tools_bytes) / 1e6:.1f} MB; first call {first_tools:.3f} s"))
    verdict = "within" if layered_s <= PSD_GOAL_S else "OVER"
    rows.append(Row("psd", "layered PSD total (derive + write)", layered_s, f"goal {PSD_GOAL_S} s: {verdict}"))

    from PIL import Image

    final = Image.fromarray(picture)
    for level in (imaging.PNG_COMPRESS_LEVEL, 6):
        _, png_s, data = timed(lambda lv=level: imaging.encode_png(final, compress_level=lv), repeats)
        rows.append(Row("psd", f"PNG encode, compress_level {level}", png_s, f"{len(data) / 1e6:.1f} MB"))
    _, thumb_s, (thumb, thumb_type) = timed(lambda: imaging.thumbnail(final), repeats)
    rows.append(Row("psd", f"thumbnail {imaging.THUMBNAIL_WIDTH} px wide", thumb_s, f"{thumb_type}, {len(thumb)} B"))
    _, all_s, _ = timed(lambda: psd.render_outputs(png), repeats)
    rows.append(Row("psd", "render_outputs: layers + PSD + PNG + thumbnail", all_s))

    cli = imagemagick_cli()
    if cli is None:
        rows.append(Row("psd", "baseline `convert in.png out.psd` (original, 1 layer)", float("nan"),
                        "ImageMagick CLI missing: scripts/bootstrap.sh installs Debian's imagemagick"))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-psd-") as tmp:
            src, dst = Path(tmp, "in.png"), Path(tmp, "out.psd")
            src.write_bytes(png)

            def convert():
                subprocess.run([*cli, str(src), str(dst)], check=True, capture_output=True)

            _, convert_s, _ = timed(convert, repeats)
            rows.append(Row("psd", "baseline `convert in.png out.psd` (original, 1 layer)", convert_s,
                            f"{dst.stat().st_size / 1e6:.1f} MB via {Path(cli[0]).name}"))
            rows.append(Row("psd", "ratio layered PSD total / baseline", layered_s / convert_s,
                            f"4 named layers in {layered_s / convert_s:.2f}x the time of 1 unnamed layer"))
    return rows


def _import_rows(statement: str) -> list[tuple[int, int, str]]:
    """(self us, cumulative us, name with its indent) of each row of `python -X importtime -c statement`."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, check=True)
    rows = [line[len("import time:"):].split("|") for line in proc.stderr.splitlines()
            if line.startswith("import time:")]
    return [(int(a), int(b), name.rstrip()) for a, b, name in rows[1:]]  # rows[0] is the header


def importtime_section(repeats: int = 3, **_) -> list[Row]:
    """Import time of function_app, best of `repeats`. The app's own share: with the two Azure SDK packages
    (azure.functions, azure.durable_functions) imported first in the same process, what `import function_app`
    still costs (its cumulative time) and how many modules it still loads."""
    whole, own, modules = [], [], 0
    for _ in range(max(1, repeats)):
        rows = _import_rows("import function_app")
        whole.append(next(c for _, c, n in rows if n.strip() == "function_app") / 1e6)
        rows = _import_rows("import azure.functions, azure.durable_functions; import function_app")
        own.append(next(c for _, c, n in rows if n.strip() == "function_app") / 1e6)
        start = next(i for i, (_, _, n) in enumerate(rows) if n.strip() == "azure.durable_functions"
                     and not n.startswith("  "))
        modules = len(rows) - start - 1
    verdict = "within" if min(whole) <= IMPORT_GOAL_S else "OVER"
    return [
        Row("importtime", "import function_app (cumulative)", min(whole),
            f"best of {len(whole)} (worst {max(whole):.3f} s); goal {IMPORT_GOAL_S} s: {verdict}"),
        Row("importtime", "the app's own share (SDKs imported first)", min(own),
            f"{modules} modules beyond azure.functions + azure.durable_functions"),
    ]


def generation_section(**kwargs) -> list[Row]:
    """Per-stage latency of one offline generation (bench/generation_stages.py)."""
    from bench.generation_stages import generation_section as run

    return run(**kwargs)


SECTIONS: dict[str, Callable[..., list[Row]]] = {
    "psd": psd_section,
    "importtime": importtime_section,
    "generation": generation_section,
}


def print_table(rows: list[Row]) -> None:
    width = max(len(r.stage) for r in rows)
    print(f"{'section':<11} {'stage':<{width}} {'value':>9}  note")
    print("-" * (width + 40))
    for r in rows:
        value = f"{r.seconds:8.2f}x" if r.stage.startswith("ratio") else f"{r.seconds * 1000:7.0f}ms"
        print(f"{r.section:<11} {r.stage:<{width}} {value:>9}  {r.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--height", type=int, default=1536)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    chosen = args.sections or list(SECTIONS)
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    print(f"bench/pipeline.py  {time.strftime('%Y-%m-%d %H:%M:%S')}  cores={os.cpu_count()}  "
          f"python={sys.version.split()[0]}")
    rows: list[Row] = []
    for name in chosen:
        fn = SECTIONS[name]
        if name == "importtime":
            rows += fn(repeats=3)
        else:
            rows += fn(width=args.width, height=args.height, repeats=args.repeats)
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
