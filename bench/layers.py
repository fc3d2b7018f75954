"""Layer derivation benchmark (issue 11): quality against synthetic ground truth, speed, memory, cost.

    .venv/bin/python -m bench.layers                      # every section
    .venv/bin/python -m bench.layers quality --scenes 12  # some sections
    .venv/bin/python -m bench.layers speed cost

Sections:
  quality  scenes made by bench/layer_scenes.py (seeds from 3000: none was looked at while tuning; tuning used 2000-2015),
           scored by bench/layer_metrics.py for our layers and the baselines of
           bench/layer_baselines.py (today's method, Canny, XDoG, posterise), all in this run.
           Goals: line F1 >= 0.85, flat purity >= 0.85, separation >= 0.90, each above every baseline.
  speed    derive + write the PSD at 1024x1536 in process (both writers), against ImageMagick's
           `convert in.png out.psd` in the same run. Goals: within 0.8 s, within 3x of convert.
  memory   peak resident memory added by one derive + write, in a fresh process.
  cost     size of opencv (runtime) and scikit-image + scipy (dev only) in site-packages; import time
           of the app and of shared.images.layers; a fresh process's first derive against its second.
Nothing here asserts: the numbers are printed for people to read.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GOALS = {"f1": 0.85, "purity": 0.85, "separation": 0.90}
TIME_GOAL_S = 0.8
CONVERT_RATIO_GOAL = 3.0
FIRST_SEED = 3000
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def ours(rgb):
    """(line mask, flats, composite, composite without the line art) of our derivation."""
    from shared.images import layers, shading

    derived = layers.derive_layers(rgb)
    no_lines = shading.composite(derived.flat[..., :3], derived.shading, derived.highlight, None)
    return derived.line_art[..., 3] >= 128, derived.flat[..., :3], derived.merged, no_lines


def _score_methods(scene, methods):
    from bench import layer_metrics

    rows = {}
    for name, method in methods.items():
        t0 = time.perf_counter()
        result = method(scene.image)
        seconds = time.perf_counter() - t0
        lines, flats, composite = result[:3]
        scores = layer_metrics.score(scene, lines, flats, composite)
        extra = layer_metrics.reconstruction(result[3], scene.image)[0] if len(result) > 3 else None
        rows[name] = (scores, seconds, extra)
    return rows


def quality(args) -> None:
    from bench import layer_baselines
    from bench.layer_scenes import make_scene

    methods = {"ours": ours, **layer_baselines.BASELINES}
    per_method: dict[str, list] = {name: [] for name in methods}
    for seed in range(FIRST_SEED, FIRST_SEED + args.scenes):
        scene = make_scene(seed)
        for name, row in _score_methods(scene, methods).items():
            per_method[name].append(row)
        print(f"  scene {seed}: {len(scene.colours)} regions, "
              f"ours F1 {per_method['ours'][-1][0].f1:.3f} purity {per_method['ours'][-1][0].purity:.3f} "
              f"separation {per_method['ours'][-1][0].separation:.3f}", flush=True)
    print(f"\nquality: {args.scenes} synthetic scenes at 1024x1536 (seeds {FIRST_SEED}..{FIRST_SEED + args.scenes - 1}),"
          " means over scenes")
    print(f"{'method':10} {'line P':>7} {'line R':>7} {'line F1':>8} {'purity':>7} {'separ.':>7} "
          f"{'fill ok':>7} {'MAE':>6} {'PSNR':>6} {'time s':>7}")
    means = {}
    for name, rows in per_method.items():
        m = {key: statistics.mean(float(getattr(r[0], key)) for r in rows)
             for key in ("precision", "recall", "f1", "purity", "separation", "fill_correct", "mae", "psnr")}
        m["seconds"] = statistics.median(r[1] for r in rows)
        means[name] = m
        print(f"{name:10} {m['precision']:7.3f} {m['recall']:7.3f} {m['f1']:8.3f} {m['purity']:7.3f} "
              f"{m['separation']:7.3f} {m['fill_correct']:7.3f} {m['mae']:6.2f} {m['psnr']:6.1f} {m['seconds']:7.3f}")
    off_line = statistics.mean(r[2] for r in per_method["ours"])
    print(f"ours: reconstruction MAE without the line art (flats x shading, screen highlights): {off_line:.2f}"
          " (8-bit levels; MAE above includes the ink drawn over the borders)")
    for key, goal in GOALS.items():
        best_baseline = max(means[name][key] for name in methods if name != "ours")
        ok = means["ours"][key] >= goal and means["ours"][key] > best_baseline
        print(f"goal {key} >= {goal} and above every baseline (best {best_baseline:.3f}): "
              f"{means['ours'][key]:.3f} {'MET' if ok else 'NOT MET'}")
    best_fill = max(means[name]["fill_correct"] for name in methods if name != "ours")
    print(f"fill-correct (pure and apart from every clearly different neighbour; no goal): ours "
          f"{means['ours']['fill_correct']:.3f}, best baseline {best_fill:.3f}")


def _median_time(fn, repeats: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return first, statistics.median(samples)


def _convert_seconds(png_path: Path, repeats: int) -> float | None:
    from bench.pipeline import imagemagick_cli

    cli = imagemagick_cli()
    if cli is None:
        return None
    out = png_path.with_suffix(".psd")
    return _median_time(lambda: subprocess.run([*cli, str(png_path), str(out)], check=True), repeats)[1]


def speed(args) -> None:
    import cv2

    from bench.layer_scenes import make_scene
    from shared.images import layers, psd
    from tests import sample_images

    png = sample_images.png_bytes(make_scene(FIRST_SEED).image)
    with tempfile.TemporaryDirectory() as tmp:
        png_path = Path(tmp) / "in.png"
        png_path.write_bytes(png)
        convert_s = _convert_seconds(png_path, args.repeats)
    derived = layers.derive_layers(png)
    print(f"\nspeed: 1024x1536 from PNG bytes, median of {args.repeats} warm runs, opencv threads "
          f"{cv2.getNumThreads()}, {args.cpus} cores")
    _, derive_s = _median_time(lambda: layers.derive_layers(png), args.repeats)
    print(f"  derive_layers                      {derive_s:6.3f} s  ({derived.region_count} regions)")
    writers = {"psd-tools": psd.write_psd_tools}
    if psd.wand_available():
        writers["wand"] = psd.write_psd_wand
    for name, write in writers.items():
        _, write_s = _median_time(lambda w=write: w(derived), args.repeats)
        _, total_s = _median_time(lambda w=write: w(layers.derive_layers(png)), args.repeats)
        ratio = f"{total_s / convert_s:4.2f}x convert" if convert_s else "convert missing"
        verdict = "MET" if total_s <= TIME_GOAL_S and (not convert_s or total_s <= CONVERT_RATIO_GOAL * convert_s) \
            else "NOT MET"
        print(f"  write ({name:9})                  {write_s:6.3f} s")
        print(f"  derive + write ({name:9})         {total_s:6.3f} s  {ratio}  goal <= {TIME_GOAL_S} s and "
              f"<= {CONVERT_RATIO_GOAL:g}x: {verdict}")
    if convert_s:
        print(f"  convert in.png out.psd (subprocess) {convert_s:6.3f} s")


# Peak RSS from /proc (VmHWM, KiB), reset first: a child inherits its parent's peak across fork.
MEMORY_CHILD = """
import sys
from pathlib import Path
from shared.images import layers, psd
import cv2, numpy, psd_tools, PIL.Image
def peak():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])
png = Path(sys.argv[1]).read_bytes()
open('/proc/self/clear_refs', 'w').write('5')
before = peak()
psd.write_psd_tools(layers.derive_layers(png))
print(before, peak())
"""


def memory(args) -> None:
    from bench.layer_scenes import make_scene
    from tests import sample_images

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.png"
        path.write_bytes(sample_images.png_bytes(make_scene(FIRST_SEED).image))
        out = subprocess.run([PYTHON, "-c", MEMORY_CHILD, str(path)], cwd=ROOT, check=True, capture_output=True,
                             text=True).stdout.split()
    before, after = int(out[0]), int(out[1])
    print(f"\nmemory: one derive + write (psd-tools) at 1024x1536 adds {(after - before) / 1024:.0f} MiB of peak "
          f"resident memory (process peak {after / 1024:.0f} MiB, libraries and the PNG loaded before)")


def _du_mib(paths) -> float:
    total = 0
    for path in paths:
        if path.exists():
            total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total / 2**20


def _import_seconds(statement: str) -> float:
    """Total of `python -X importtime -c statement` (the outermost imports' cumulative times)."""
    err = subprocess.run([PYTHON, "-X", "importtime", "-c", statement], cwd=ROOT, check=True,
                         capture_output=True, text=True).stderr
    total = 0
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1].strip())
    return total / 1e6


FIRST_DERIVE_CHILD = """
import time
from tests import sample_images
png = sample_images.png_bytes(sample_images.scene(1024, 1536, seed=1))
t0 = time.perf_counter()
from shared.images import layers
layers.derive_layers(png)
first = time.perf_counter() - t0
t0 = time.perf_counter()
layers.derive_layers(png)
print(first, time.perf_counter() - t0)
"""


def cost(args) -> None:
    import sysconfig

    site_dir = Path(sysconfig.get_paths()["purelib"])
    runtime = _du_mib([site_dir / "cv2", *site_dir.glob("opencv_python_headless*")])
    dev = _du_mib([site_dir / name for name in ("skimage", "scipy", "scipy.libs", "networkx", "imageio",
                                                "tifffile", "lazy_loader")])
    everything = _du_mib([site_dir])
    print(f"\ncost: site-packages {everything:.0f} MiB in all; opencv-python-headless (runtime) {runtime:.0f} MiB; "
          f"scikit-image with scipy, networkx, imageio, tifffile (dev only: sample photos) {dev:.0f} MiB")
    app = _import_seconds("import function_app")
    module = _import_seconds("import shared.images.layers")
    cv2_s = _import_seconds("import cv2")
    loaded = subprocess.run([PYTHON, "-c", "import sys, shared.images.layers, function_app; print('cv2' in sys.modules)"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    print(f"  import function_app {app:.3f} s; import shared.images.layers {module:.3f} s; "
          f"cv2 imported at load: {loaded}; import cv2 on its own {cv2_s:.3f} s (paid at the first derive)")
    first, second = (float(x) for x in subprocess.run([PYTHON, "-c", FIRST_DERIVE_CHILD], cwd=ROOT, check=True,
                                                      capture_output=True, text=True).stdout.split())
    print(f"  fresh process: first derive (imports included) {first:.3f} s, second {second:.3f} s")


SECTIONS = {"quality": quality, "speed": speed, "memory": memory, "cost": cost}


def main(argv: list[str] | None = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.layers")
    parser.add_argument("sections", nargs="*", help=f"some of: {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--scenes", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    args.cpus = os.cpu_count()
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}")
    for name in args.sections or list(SECTIONS):
        SECTIONS[name](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
