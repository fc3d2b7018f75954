"""Each layer of real photos and of offline results, as PNGs to look at (the artist's check).

    .venv/bin/python -m bench.layer_renders [OUT_DIR]     # default artifacts/layers

Photos: scikit-image's bundled samples (astronaut, coffee, chelsea), scaled to cover 1024x1536 and
cropped. Offline results: the local renderer's drafts (shared/providers/local_renderer.py) for a
few prompts and stages. Per picture: <name>-<layer>.png for every layer (line art on white, so the
strokes show), <name>-merged.png, and <name>-sheet.png with all of them side by side, scaled down.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SIZE = (1024, 1536)
PHOTOS = ("astronaut", "coffee", "chelsea")
OFFLINE = (("gyeongbokgung", "해 질 녘 경복궁 근정전 앞마당, 벚꽃이 흩날린다", "배경"),
           ("alley", "비 오는 밤 골목길, 네온 간판", "채색 명암"),
           ("classroom-sketch", "방과 후 교실, 창가", "스케치"))


def cover(rgb, size=SIZE):
    """Scale to cover `size` (w, h), then crop the centre."""
    import numpy as np
    from PIL import Image

    w, h = size
    im = Image.fromarray(rgb)
    scale = max(w / im.width, h / im.height)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.LANCZOS)
    left, top = (im.width - w) // 2, (im.height - h) // 2
    return np.asarray(im.crop((left, top, left + w, top + h)).convert("RGB"))


def photos():
    import skimage.data

    return [(name, cover(getattr(skimage.data, name)()), None) for name in PHOTOS]


def offline_results():
    import numpy as np

    from shared.providers.local_renderer import RenderInputs, render_local

    out = []
    for name, prompt, stage in OFFLINE:
        image = render_local(prompt, SIZE[0], SIZE[1], stage=stage, inputs=RenderInputs())
        out.append((name, np.asarray(image.convert("RGB")), stage))
    return out


def _visible(array):
    """RGBA layer -> RGB to look at: composited on white (line art shows as ink on paper)."""
    import numpy as np

    alpha = array[..., 3:4].astype(np.float32) / 255.0
    return (array[..., :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def render(name: str, rgb, stage, out_dir: Path) -> Path:
    import numpy as np
    from PIL import Image

    from shared.images import layers

    derived = layers.derive_layers(rgb, stage=stage)
    panels = []
    for key, _label, _blend, array in derived.stack():
        picture = _visible(array)
        Image.fromarray(picture).save(out_dir / f"{name}-{key}.png")
        panels.append(picture)
    Image.fromarray(derived.merged).save(out_dir / f"{name}-merged.png")
    panels.append(derived.merged)
    sheet = Image.fromarray(np.concatenate(panels, axis=1))
    sheet = sheet.resize((sheet.width // 3, sheet.height // 3), Image.Resampling.LANCZOS)
    path = out_dir / f"{name}-sheet.png"
    sheet.save(path)
    error = np.abs(derived.merged.astype(int) - rgb.astype(int)).mean()
    print(f"{name:18} stage={stage or '-':6} regions={derived.region_count:4d} "
          f"layers={'/'.join(derived.names())} merged-vs-image MAE={error:.1f}  {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else ROOT / "artifacts" / "layers"
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, rgb, stage in photos() + offline_results():
        render(name, rgb, stage, out_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
