"""The "local" image generator: an offline renderer that turns the source image (the artist's photo or
the best reference; without one, a scene drawn procedurally from the prompt), its colours moved toward
the references' palette and the chapter style source's (shared.providers.palette), into a webtoon-style
draft of any aspect: smoothed flat colours, ink lines from colour boundaries and edges, and the look of the art stage
(콘티 grey rough, 스케치 black line art, 채색 기본 flat colours, 채색 명암 shaded, 배경 polished).
Deterministic for the same inputs; each variation is seeded differently (framing, palette, light).

numpy and Pillow are imported inside the functions that use them (cold start).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from shared.core.catalog import Aspect
from shared.core.config import Settings
from shared.core.errors import AppError, ValidationError
from shared.images import codec
from shared.providers.interfaces import GeneratedImages
from shared.providers.palette import apply_palettes
from shared.providers.scene import procedural_scene

BAD_SOURCE_MESSAGE = "참고 이미지를 읽을 수 없습니다. PNG나 JPEG 이미지를 올려 주세요."

# Palette size per stage. 콘티 and 스케치 use the palette only to find region boundaries.
STAGE_COLOURS = {"콘티": 16, "스케치": 16, "채색 기본": 12, "채색 명암": 14, "배경": 28}
INK_COLOUR_DISTANCE = 34  # palette entries closer than this are one region (no line between them)


def seed_of(*parts) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def open_source(data: bytes, max_side: int):
    """The source image as RGB; a Korean ValidationError (bad_source_image) when it cannot be read."""
    try:
        return codec.open_rgb(data, max_side=max_side)
    except AppError as exc:
        if exc.status == 503:  # the decoder is busy: not the image's fault
            raise
        raise ValidationError(BAD_SOURCE_MESSAGE, code="bad_source_image") from exc


# --- the stage looks ----------------------------------------------------------------------------

def _shift_or(mask, dx: int, dy: int):
    out = mask.copy()
    if dx:
        out[:, dx:] |= mask[:, :-dx]
    if dy:
        out[dy:, :] |= mask[:-dy, :]
    return out


def _flat_regions(smooth, colours: int):
    """(palette index per pixel, the palette as float32 (colours, 3)) by median-cut quantisation."""
    import numpy as np
    from PIL import Image

    quant = smooth.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    index = np.asarray(quant)
    palette = np.array(quant.getpalette()[: 3 * colours], dtype=np.float32).reshape(-1, 3)
    if palette.shape[0] < colours:
        palette = np.vstack([palette, np.zeros((colours - palette.shape[0], 3), np.float32)])
    return index, palette


def _ink_lines(smooth, index, palette):
    """Ink line mask: boundaries between colour regions that differ enough, plus strong luminance
    edges, without specks (a line pixel needs two 4-connected line neighbours) or a frame."""
    import numpy as np
    from PIL import ImageFilter

    # Colour distance between palette entries, looked up per neighbouring pair of pixels.
    distance = np.sqrt(((palette[:, None, :] - palette[None, :, :]) ** 2).sum(-1)) > INK_COLOUR_DISTANCE
    boundary = np.zeros(index.shape, bool)
    boundary[:, 1:] |= distance[index[:, 1:], index[:, :-1]]
    boundary[1:, :] |= distance[index[1:, :], index[:-1, :]]
    edges = np.asarray(smooth.convert("L").filter(ImageFilter.FIND_EDGES), dtype=np.uint8)
    threshold = max(40.0, float(np.percentile(edges[::4, ::4], 92)))
    lines = boundary | (edges > threshold)
    count = np.zeros(lines.shape, np.uint8)
    count[1:, :] += lines[:-1, :]
    count[:-1, :] += lines[1:, :]
    count[:, 1:] += lines[:, :-1]
    count[:, :-1] += lines[:, 1:]
    lines &= count >= 2
    lines[:2, :] = lines[-2:, :] = False
    lines[:, :2] = lines[:, -2:] = False
    return lines


def _line_mask(mask, width: int, height: int, blur: float):
    import numpy as np
    from PIL import Image, ImageFilter

    img = Image.fromarray((mask.astype(np.uint8) * 255), "L").resize((width, height), Image.Resampling.BILINEAR)
    return img.filter(ImageFilter.GaussianBlur(blur)) if blur else img


def _conti(smooth, lines, width: int, height: int, rng):
    """Grey storyboard: four pencil tones on grained paper, doubled loose strokes."""
    import numpy as np
    from PIL import Image

    grey = np.asarray(smooth.convert("L"), dtype=np.float32)
    levels = np.array([150, 188, 214, 236], np.float32)
    tone = levels[np.clip((grey / 256.0 * len(levels)).astype(np.int32), 0, len(levels) - 1)]
    tone += rng.normal(0.0, 3.0, tone.shape).astype(np.float32)  # pencil paper grain
    paper = Image.fromarray(tone.clip(0, 255).astype(np.uint8), "L").resize((width, height),
                                                                              Image.Resampling.BILINEAR)
    rough = _shift_or(lines, int(rng.integers(1, 3)), int(rng.integers(0, 2)))
    ink = Image.new("L", (width, height), 88)
    return Image.composite(ink, paper, _line_mask(rough, width, height, 0.8)).convert("RGB")


def _sketch(lines, width: int, height: int):
    from PIL import Image

    white = Image.new("L", (width, height), 255)
    black = Image.new("L", (width, height), 18)
    return Image.composite(black, white, _line_mask(lines, width, height, 0.5)).convert("RGB")


def _light(flat, smooth, stage: str, rng):
    """Cel shading bands (채색 명암) or light and vignette over the detail (배경) on the flat colours."""
    import numpy as np

    work_h, work_w = flat.shape[:2]
    yy, xx = np.mgrid[0:work_h, 0:work_w].astype(np.float32)
    if stage == "채색 명암":  # three light bands from the luminance and a seeded light direction
        angle = float(rng.uniform(0, 2 * np.pi))
        ramp = (np.cos(angle) * xx / work_w + np.sin(angle) * yy / work_h)
        ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
        light = np.asarray(smooth.convert("L"), dtype=np.float32) / 255.0 * 0.7 + ramp * 0.3
        shade = np.array([[0.62, 0.66, 0.82], [1.0, 1.0, 1.0], [1.12, 1.08, 1.0]], np.float32)
        return flat * shade[np.digitize(light, [0.38, 0.68])]
    flat = flat * 0.6 + np.asarray(smooth, dtype=np.float32) * 0.4
    cx, cy = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.2, 0.5))
    dist = np.sqrt(((xx / work_w) - cx) ** 2 + ((yy / work_h) - cy) ** 2)
    return flat * (1.08 - 0.28 * np.clip(dist, 0, 1))[..., None]


def _coloured(smooth, index, palette, lines, stage: str, width: int, height: int, rng):
    """The colour stages: flat palette colours (lit for 명암/배경), a seeded warm/cool shift, ink."""
    import numpy as np
    from PIL import Image, ImageChops, ImageFilter

    flat = palette[index]  # float32 (h, w, 3)
    if stage in ("채색 명암", "배경"):
        flat = _light(flat, smooth, stage, rng)
    colour = Image.fromarray(flat.clip(0, 255).astype(np.uint8), "RGB")
    # A seeded warm/cool shift: variations differ in palette, not only in framing.
    shift = rng.uniform(-10, 10, 3)
    colour = Image.merge("RGB", [band.point(lambda v, s=s: max(0, min(255, int(v + s))))
                                 for band, s in zip(colour.split(), shift, strict=True)])
    colour = colour.resize((width, height), Image.Resampling.BILINEAR)
    if stage == "배경":
        glow = colour.filter(ImageFilter.GaussianBlur(6))
        colour = ImageChops.screen(colour, Image.blend(Image.new("RGB", colour.size), glow, 0.25))
        ink = Image.new("RGB", (width, height), (52, 40, 36))
        mask = _line_mask(lines, width, height, 0.7).point(lambda v: v * 55 // 100)
        return Image.composite(ink, colour, mask)
    ink = Image.new("RGB", (width, height), (24, 22, 28))
    return Image.composite(ink, colour, _line_mask(lines, width, height, 0.6))


def stylise(base, stage: str, width: int, height: int, rng):
    """The webtoon look of `stage` from `base` (an RGB image at working resolution), returned at
    width x height."""
    from PIL import ImageEnhance, ImageFilter

    smooth = base.filter(ImageFilter.MedianFilter(3))
    if stage in ("채색 기본", "채색 명암"):
        smooth = ImageEnhance.Color(smooth).enhance(1.15 + 0.25 * float(rng.random()))
    index, palette = _flat_regions(smooth, STAGE_COLOURS.get(stage, 16))
    lines = _ink_lines(smooth, index, palette)
    if stage == "콘티":
        return _conti(smooth, lines, width, height, rng)
    if stage == "스케치":
        return _sketch(lines, width, height)
    return _coloured(smooth, index, palette, lines, stage, width, height, rng)


# --- the renderer -------------------------------------------------------------------------------

COLOUR_STAGES = ("채색 기본", "채색 명암", "배경")  # the stages whose colours the palettes may move


@dataclass(frozen=True)
class RenderInputs:
    """What a draft is drawn from: the composition from the photo (else the best reference, else a
    procedural scene), the references' palette blended in and the style source's followed."""

    photo: bytes | None = None
    references: tuple[bytes, ...] = ()
    style_image: bytes | None = None

    def digest(self) -> str:
        parts = [self.photo or b"", *self.references, b"style", self.style_image or b""]
        return hashlib.sha256(b"|".join(hashlib.sha256(p).digest() for p in parts)).hexdigest()


def _framed_source(source, width: int, height: int, variation: int, rng):
    """The source cropped to the aspect at working resolution; variations zoom and move the frame."""
    from PIL import Image

    work_w, work_h = max(64, width // 2), max(64, height // 2)
    if variation == 0:
        zoom, fx, fy = 1.0, 0.5, 0.5
    else:
        zoom = 1.06 + 0.14 * float(rng.random())
        fx, fy = float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.2, 0.8))
    box = codec.cover_box(source.width, source.height, width, height, zoom=zoom, fx=fx, fy=fy)
    return source.resize((work_w, work_h), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)


def render_local(prompt: str, width: int, height: int, *, stage: str, inputs: RenderInputs,
                 variation: int = 0):
    """One webtoon-style draft (a PIL image of width x height)."""
    import numpy as np

    rng = np.random.default_rng(seed_of("webtoon-local", prompt, stage, width, height, inputs.digest(), variation))
    work_w, work_h = max(64, width // 2), max(64, height // 2)
    composition = inputs.photo or (inputs.references[0] if inputs.references else None)
    if composition:
        base = _framed_source(open_source(composition, max(work_w, work_h)), width, height, variation, rng)
    else:
        base = procedural_scene(prompt, work_w, work_h, seed_of("scene", prompt, variation))
    if stage in COLOUR_STAGES and (inputs.references or inputs.style_image):
        base = apply_palettes(base, inputs.references, inputs.style_image)
    return stylise(base, stage, width, height, rng)


class LocalImageGenerator:
    """Offline renderer: webtoon-style drafts of every aspect from the same inputs a remote model gets."""

    name = "local"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings

    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 photo: bytes | None = None, references: Sequence[bytes] = (),
                 style_image: bytes | None = None) -> GeneratedImages:
        inputs = RenderInputs(photo, tuple(references), style_image)
        return GeneratedImages(
            codec.encode_png(render_local(prompt, aspect.width, aspect.height, stage=stage, inputs=inputs,
                                          variation=i))
            for i in range(max(1, variations))
        )
