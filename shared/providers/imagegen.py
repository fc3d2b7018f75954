"""Image generators: an English prompt → `variations` PNG images of the aspect's exact size.

- "local": a renderer that turns the source image (the artist's photo or the best reference; without
  one, a scene drawn procedurally from the prompt) into a webtoon-style draft: smoothed flat colours,
  ink lines from colour boundaries and edges, and the look of the art stage (콘티 grey rough,
  스케치 black line art, 채색 기본 flat colours, 채색 명암 shaded, 배경 polished). Deterministic for the
  same inputs; each variation is seeded differently (framing, palette, light).
- "azure_openai" / "openai": the gpt-image family (base64, 1024x1024 / 1024x1536 / 1536x1024, quality
  low/medium/high, n = variations) or dall-e-3's parameter shape (IMAGE_MODEL_FAMILY=dall-e-3:
  1024x1792 / 1792x1024, quality standard/hd, style, n=1 per call), behind our retry policy; results
  are cover-fitted to the aspect's exact size.

Pillow and numpy are imported inside the functions that use them (cold start).
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import struct
import time
from collections.abc import Callable

from shared.core.catalog import STAGE_BY_VALUE, Aspect
from shared.core.config import Settings
from shared.core.errors import UpstreamError, ValidationError
from shared.core.retry import RetryPolicy
from shared.providers.registry import register_image_generator

log = logging.getLogger(__name__)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_COMPRESS_LEVEL = 3
MAX_SOURCE_PIXELS = 40_000_000

BAD_SOURCE_MESSAGE = "참고 이미지를 읽을 수 없습니다. PNG나 JPEG 이미지를 올려 주세요."
NO_IMAGE_MESSAGE = "이미지 생성 모델이 이미지를 돌려주지 않았습니다. 잠시 후 다시 시도해 주세요."


# ---------------------------------------------------------------------------------------------------
# Helpers shared by both generators


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR, without decoding; None when not a PNG."""
    if len(data) < 24 or not data.startswith(PNG_MAGIC) or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def encode_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


def cover_box(src_w: int, src_h: int, width: int, height: int, *, zoom: float = 1.0,
              fx: float = 0.5, fy: float = 0.5) -> tuple[float, float, float, float]:
    """The source box that, scaled, covers width x height exactly (centre crop at fx=fy=0.5)."""
    target = width / height
    if src_w / src_h > target:
        ch = src_h
        cw = src_h * target
    else:
        cw = src_w
        ch = src_w / target
    cw, ch = cw / zoom, ch / zoom
    x0 = (src_w - cw) * fx
    y0 = (src_h - ch) * fy
    return (x0, y0, x0 + cw, y0 + ch)


def open_image(data: bytes):
    """Decode bytes to an RGB image with EXIF orientation applied; ValidationError when unreadable."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_SOURCE_PIXELS:
            raise ValidationError(BAD_SOURCE_MESSAGE, code="bad_source_image")
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(background, image)
        return image.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(BAD_SOURCE_MESSAGE, code="bad_source_image") from exc


def fit_png(data: bytes, width: int, height: int) -> bytes:
    """PNG bytes of exactly width x height: as is when already so, else cover-cropped and resized."""
    if png_size(data) == (width, height):
        return data
    from PIL import Image

    image = open_image(data)
    box = cover_box(image.width, image.height, width, height)
    return encode_png(image.resize((width, height), Image.Resampling.LANCZOS, box=box))


# ---------------------------------------------------------------------------------------------------
# Local renderer

_CUES = {
    "night": ("night", "midnight", "moon", "star", "neon", "night view"),
    "dusk": ("dusk", "sunset", "evening", "twilight", "glow"),
    "dawn": ("dawn", "sunrise", "early morning"),
    "snow": ("snow", "winter", "icicle", "frost"),
    "rain": ("rain", "drizzle", "monsoon", "shower", "puddle"),
    "autumn": ("autumn", "maple", "ginkgo", "foliage", "fallen leaves"),
    "spring": ("spring", "cherry", "blossom", "azalea", "forsythia", "petal"),
    "water": ("sea", "beach", "harbour", "ocean", "river", "lake", "pond", "coast", "island", "stream"),
    "mountain": ("mountain", "peak", "hill", "volcano", "ridge", "valley", "oreum"),
    "hanok": ("palace", "hanok", "temple", "pavilion", "village", "shrine", "gate", "joseon", "tiled roof",
              "fortress"),
    "city": ("city", "street", "alley", "tower", "apartment", "market", "store", "shop", "station",
             "downtown", "building", "cafe", "neon", "school"),
    "food": ("korean food", "bowl", "stew", "noodle", "table", "bibimbap", "kimchi", "tteokbokki",
             "dishes", "banchan"),
}


def _cues(prompt: str) -> set[str]:
    text = prompt.lower()
    return {name for name, words in _CUES.items() if any(w in text for w in words)}


def _seed(*parts) -> int:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def procedural_scene(prompt: str, width: int, height: int, seed: int):
    """A simple Korean scene drawn from the prompt's cues (sky, mountains, water, hanok or buildings,
    trees, or a meal table), seeded: the stand-in source when no photo or reference exists."""
    import numpy as np
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    cues = _cues(prompt)
    if "night" in cues:
        top, bottom = (12, 18, 48), (46, 52, 96)
    elif "dusk" in cues:
        top, bottom = (70, 60, 130), (250, 150, 90)
    elif "dawn" in cues:
        top, bottom = (120, 150, 210), (250, 200, 170)
    elif "rain" in cues:
        top, bottom = (110, 115, 125), (165, 170, 175)
    else:
        top, bottom = (90, 150, 225), (200, 228, 245)
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    sky = (np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t)
    canvas = np.repeat(sky[:, None, :], width, axis=1).reshape(height, width, 3)
    image = Image.fromarray(canvas.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.52, 0.66))

    if "night" in cues:
        for _ in range(int(width * height / 4000)):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, horizon))
            draw.point((x, y), fill=(235, 235, 210))
        mx, my, r = int(width * rng.uniform(0.6, 0.85)), int(horizon * rng.uniform(0.15, 0.35)), width // 14
        draw.ellipse((mx - r, my - r, mx + r, my + r), fill=(245, 240, 200))
    elif "dusk" in cues or "dawn" in cues:
        sx, r = int(width * rng.uniform(0.2, 0.8)), width // 9
        draw.ellipse((sx - r, horizon - r, sx + r, horizon + r), fill=(255, 200, 120))

    if "mountain" in cues or ("city" not in cues and "food" not in cues):
        for layer in range(2):
            shade = 0.55 + 0.2 * layer
            colour = tuple(int(c * shade) for c in ((110, 130, 150) if "snow" not in cues else (200, 210, 225)))
            points = [(0, horizon)]
            x = 0
            while x < width:
                x += int(rng.integers(width // 8, width // 3))
                points.append((min(x, width), int(horizon - rng.uniform(0.08, 0.3) * height / (layer + 1))))
            points += [(width, horizon), (0, horizon)]
            draw.polygon(points, fill=colour)

    if "snow" in cues:
        ground = (236, 240, 246)
    elif "autumn" in cues:
        ground = (168, 132, 84)
    elif "night" in cues:
        ground = (40, 44, 60)
    else:
        ground = (110, 150, 90)
    draw.rectangle((0, horizon, width, height), fill=ground)
    if "water" in cues:
        water_top = horizon + int((height - horizon) * rng.uniform(0.05, 0.25))
        water = (40, 70, 120) if "night" in cues else (70, 140, 190)
        draw.rectangle((0, water_top, width, water_top + int((height - horizon) * 0.35)), fill=water)
        for _ in range(12):
            y = int(rng.integers(water_top, water_top + int((height - horizon) * 0.35)))
            x = int(rng.integers(0, width))
            draw.line((x, y, x + width // 10, y), fill=(190, 220, 240), width=2)

    roof = (60, 64, 72) if "snow" not in cues else (235, 238, 244)
    if "hanok" in cues:
        count = int(rng.integers(2, 4))
        for i in range(count):
            cx = int(width * (i + 0.5) / count + rng.uniform(-0.05, 0.05) * width)
            w = int(width * rng.uniform(0.22, 0.32))
            base = horizon + int(height * rng.uniform(0.04, 0.12))
            wall_h = int(height * 0.08)
            draw.rectangle((cx - w // 2, base - wall_h, cx + w // 2, base), fill=(232, 220, 196))
            for px in range(cx - w // 2, cx + w // 2, max(8, w // 6)):
                draw.rectangle((px, base - wall_h, px + 4, base), fill=(120, 72, 44))
            eave = int(w * 0.18)
            rh = int(height * 0.06)
            draw.polygon([(cx - w // 2 - eave, base - wall_h - rh // 3), (cx - w // 3, base - wall_h - rh),
                          (cx + w // 3, base - wall_h - rh), (cx + w // 2 + eave, base - wall_h - rh // 3),
                          (cx + w // 2, base - wall_h), (cx - w // 2, base - wall_h)], fill=roof)
    if "city" in cues:
        x = int(rng.integers(-width // 10, 0))
        while x < width:
            w = int(rng.integers(width // 10, width // 4))
            h = int(height * rng.uniform(0.15, 0.45))
            tone = int(rng.integers(120, 200))
            colour = (tone, tone - 10, tone - 25) if "night" not in cues else (tone // 3, tone // 3, tone // 2)
            draw.rectangle((x, horizon - h, x + w, height), fill=colour)
            window = (250, 220, 140) if "night" in cues else (170, 200, 220)
            for wy in range(horizon - h + 12, height - 20, 28):
                for wx in range(x + 8, x + w - 14, 24):
                    if rng.random() < 0.7:
                        draw.rectangle((wx, wy, wx + 10, wy + 14), fill=window)
            x += w + int(rng.integers(4, 20))
    # Trees along the ground.
    if "spring" in cues:
        leaf = (246, 190, 210)
    elif "autumn" in cues:
        leaf = (222, 120, 50)
    elif "snow" in cues:
        leaf = (215, 225, 235)
    else:
        leaf = (60, 120, 60)
    for _ in range(0 if "food" in cues else int(rng.integers(2, 6))):
        tx = int(rng.integers(0, width))
        ty = horizon + int(rng.integers(0, max(1, (height - horizon) // 3)))
        r = int(rng.integers(width // 16, width // 8))
        draw.rectangle((tx - r // 8, ty - r, tx + r // 8, ty + r), fill=(90, 62, 40))
        draw.ellipse((tx - r, ty - 2 * r, tx + r, ty), fill=leaf)
    if "food" in cues:
        table_top = int(height * 0.55)
        draw.rectangle((0, table_top, width, height), fill=(150, 100, 60))
        bowls = sorted((int(rng.integers(table_top + 30, height - 30)), int(rng.integers(width // 8, width * 7 // 8)),
                        int(rng.integers(width // 9, width // 5))) for _ in range(int(rng.integers(3, 6))))
        for cy, cx, r in bowls:  # far bowls first, near ones over them
            draw.ellipse((cx - r, cy - r // 2, cx + r, cy + r // 2), fill=(235, 232, 225))
            food = tuple(int(v) for v in rng.integers(60, 230, 3))
            draw.ellipse((cx - r * 3 // 4, cy - r // 3, cx + r * 3 // 4, cy + r // 3), fill=food)
    if "rain" in cues:
        for _ in range(int(width * height / 3000)):
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            draw.line((x, y, x - 3, y + 14), fill=(200, 205, 215), width=1)
    return image


def _shift_or(mask, dx: int, dy: int):
    out = mask.copy()
    if dx:
        out[:, dx:] |= mask[:, :-dx]
    if dy:
        out[dy:, :] |= mask[:-dy, :]
    return out


def stylise(base, stage: str, width: int, height: int, rng):
    """The webtoon look of `stage` from `base` (an RGB image at working resolution), returned at
    width x height."""
    import numpy as np
    from PIL import Image, ImageChops, ImageEnhance, ImageFilter

    work_w, work_h = base.size
    smooth = base.filter(ImageFilter.MedianFilter(3))
    # 콘티 and 스케치 use the palette only to find region boundaries: enough colours to separate them.
    colours = {"콘티": 16, "스케치": 16, "채색 기본": 12, "채색 명암": 14, "배경": 28}.get(stage, 16)
    if stage in ("채색 기본", "채색 명암"):
        smooth = ImageEnhance.Color(smooth).enhance(1.15 + 0.25 * float(rng.random()))
    quant = smooth.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    index = np.asarray(quant)
    palette = np.array(quant.getpalette()[: 3 * colours], dtype=np.float32).reshape(-1, 3)
    if palette.shape[0] < colours:
        palette = np.vstack([palette, np.zeros((colours - palette.shape[0], 3), np.float32)])

    # Ink lines: boundaries between colour regions that differ enough, plus strong luminance edges.
    # Colour distance between palette entries, looked up per neighbouring pair of pixels.
    distance = np.sqrt(((palette[:, None, :] - palette[None, :, :]) ** 2).sum(-1)) > 34
    boundary = np.zeros(index.shape, bool)
    boundary[:, 1:] |= distance[index[:, 1:], index[:, :-1]]
    boundary[1:, :] |= distance[index[1:, :], index[:-1, :]]
    edges = np.asarray(smooth.convert("L").filter(ImageFilter.FIND_EDGES), dtype=np.uint8)
    threshold = max(40.0, float(np.percentile(edges[::4, ::4], 92)))
    lines = boundary | (edges > threshold)
    # Drop specks: a line pixel needs at least two line neighbours (4-connected).
    count = np.zeros(lines.shape, np.uint8)
    count[1:, :] += lines[:-1, :]
    count[:-1, :] += lines[1:, :]
    count[:, 1:] += lines[:, :-1]
    count[:, :-1] += lines[:, 1:]
    lines &= count >= 2
    lines[:2, :] = lines[-2:, :] = False
    lines[:, :2] = lines[:, -2:] = False

    def line_mask(mask, blur: float = 0.6):
        img = Image.fromarray((mask.astype(np.uint8) * 255), "L")
        img = img.resize((width, height), Image.Resampling.BILINEAR)
        return img.filter(ImageFilter.GaussianBlur(blur)) if blur else img

    if stage == "콘티":
        grey = np.asarray(smooth.convert("L"), dtype=np.float32)
        levels = np.array([150, 188, 214, 236], np.float32)
        steps = np.clip((grey / 256.0 * len(levels)).astype(np.int32), 0, len(levels) - 1)
        tone = levels[steps]
        tone += rng.normal(0.0, 3.0, tone.shape).astype(np.float32)  # pencil paper grain
        paper = Image.fromarray(tone.clip(0, 255).astype(np.uint8), "L").resize(
            (width, height), Image.Resampling.BILINEAR)
        dx, dy = int(rng.integers(1, 3)), int(rng.integers(0, 2))
        rough = _shift_or(lines, dx, dy)  # doubled, loose strokes
        ink = Image.new("L", (width, height), 88)
        out = Image.composite(ink, paper, line_mask(rough, 0.8))
        return out.convert("RGB")

    if stage == "스케치":
        mask = line_mask(lines, 0.5)
        white = Image.new("L", (width, height), 255)
        black = Image.new("L", (width, height), 18)
        return Image.composite(black, white, mask).convert("RGB")

    flat = palette[index]  # float32 (h, w, 3)
    if stage == "채색 명암":
        # Cel shading: three light bands from the source's luminance and a seeded light direction.
        angle = float(rng.uniform(0, 2 * np.pi))
        yy, xx = np.mgrid[0:work_h, 0:work_w].astype(np.float32)
        ramp = (np.cos(angle) * xx / work_w + np.sin(angle) * yy / work_h)
        ramp = (ramp - ramp.min()) / max(1e-6, float(ramp.max() - ramp.min()))
        light = np.asarray(smooth.convert("L"), dtype=np.float32) / 255.0 * 0.7 + ramp * 0.3
        band = np.digitize(light, [0.38, 0.68])
        shade = np.array([[0.62, 0.66, 0.82], [1.0, 1.0, 1.0], [1.12, 1.08, 1.0]], np.float32)
        flat = flat * shade[band]
    elif stage == "배경":
        detail = np.asarray(smooth, dtype=np.float32)
        flat = flat * 0.6 + detail * 0.4
        yy, xx = np.mgrid[0:work_h, 0:work_w].astype(np.float32)
        cx, cy = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.2, 0.5))
        dist = np.sqrt(((xx / work_w) - cx) ** 2 + ((yy / work_h) - cy) ** 2)
        flat = flat * (1.08 - 0.28 * np.clip(dist, 0, 1))[..., None]  # light and vignette
    colour = Image.fromarray(flat.clip(0, 255).astype(np.uint8), "RGB")
    # A seeded warm/cool shift: variations differ in palette, not only in framing.
    shift = rng.uniform(-10, 10, 3)
    colour = Image.merge("RGB", [band_.point(lambda v, s=s: max(0, min(255, int(v + s))))
                                 for band_, s in zip(colour.split(), shift, strict=True)])
    colour = colour.resize((width, height), Image.Resampling.BILINEAR)
    if stage == "배경":
        glow = colour.filter(ImageFilter.GaussianBlur(6))
        colour = ImageChops.screen(colour, Image.blend(Image.new("RGB", colour.size), glow, 0.25))
        ink = Image.new("RGB", (width, height), (52, 40, 36))
        mask = line_mask(lines, 0.7).point(lambda v: v * 55 // 100)
        return Image.composite(ink, colour, mask)
    ink = Image.new("RGB", (width, height), (24, 22, 28))
    return Image.composite(ink, colour, line_mask(lines, 0.6))


def render_local(prompt: str, width: int, height: int, *, stage: str, source_image: bytes | None,
                 variation: int = 0):
    """One webtoon-style draft (a PIL image of width x height)."""
    import numpy as np
    from PIL import Image

    source_digest = hashlib.sha256(source_image).hexdigest() if source_image else "none"
    seed = _seed("webtoon-local", prompt, stage, width, height, source_digest, variation)
    rng = np.random.default_rng(seed)
    work_w, work_h = max(64, width // 2), max(64, height // 2)
    if source_image:
        source = open_image(source_image)
        if variation == 0:
            zoom, fx, fy = 1.0, 0.5, 0.5
        else:
            zoom = 1.06 + 0.14 * float(rng.random())
            fx, fy = float(rng.uniform(0.15, 0.85)), float(rng.uniform(0.2, 0.8))
        box = cover_box(source.width, source.height, width, height, zoom=zoom, fx=fx, fy=fy)
        base = source.resize((work_w, work_h), Image.Resampling.BILINEAR, box=box, reducing_gap=2.0)
    else:
        base = procedural_scene(prompt, work_w, work_h, _seed("scene", prompt, variation))
    return stylise(base, stage, width, height, rng)


class LocalImageGenerator:
    """Offline renderer: webtoon-style drafts from the source image or a procedural scene."""

    name = "local"

    def __init__(self, settings: Settings | None = None):
        self.settings = settings

    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 source_image: bytes | None) -> list[bytes]:
        return [
            encode_png(render_local(prompt, aspect.width, aspect.height, stage=stage,
                                    source_image=source_image, variation=i))
            for i in range(max(1, variations))
        ]


# ---------------------------------------------------------------------------------------------------
# Image model (Azure OpenAI / OpenAI)

GPT_IMAGE_QUALITY = {"low": "low", "medium": "medium", "high": "high", "auto": "auto",
                     "standard": "medium", "hd": "high"}
DALLE3_QUALITY = {"low": "standard", "medium": "standard", "standard": "standard", "auto": "standard",
                  "high": "hd", "hd": "hd"}
DALLE3_MAX_PROMPT = 4000


def gpt_image_request(prompt: str, aspect: Aspect, n: int, quality: str) -> dict:
    return {"prompt": prompt, "size": f"{aspect.width}x{aspect.height}",
            "quality": GPT_IMAGE_QUALITY.get(quality, "medium"), "n": n}


def _dalle3_style(stage_value: str) -> str:
    stage = STAGE_BY_VALUE.get(stage_value)
    return stage.dalle3_style if stage else "natural"


def dalle3_request(prompt: str, aspect: Aspect, quality: str, stage: str) -> dict:
    return {"prompt": prompt[:DALLE3_MAX_PROMPT], "size": aspect.dalle3_size,
            "quality": DALLE3_QUALITY.get(quality, "standard"),
            "style": _dalle3_style(stage),
            "n": 1, "response_format": "b64_json"}


class OpenAIImageGenerator:
    """gpt-image family (default) or dall-e-3's shape, behind our retry policy."""

    def __init__(self, settings: Settings, flavour: str, *, client=None,
                 sleep: Callable[[float], None] = time.sleep):
        from shared.providers.openai_client import make_client, model_names

        self.settings = settings
        self.flavour = flavour
        self.client = client or make_client(settings, flavour)
        self.model = model_names(settings, flavour)[1]
        self.family = settings.image_model_family
        self.policy = RetryPolicy(max_retries=settings.provider_max_retries, sleep=sleep)

    def _call(self, params: dict) -> list[bytes]:
        def call():
            return self.client.images.generate(model=self.model, **params)

        response = self.policy.call(call, what=f"{self.flavour} images {self.model}")
        out = []
        for item in response.data or []:
            if not item.b64_json:
                raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output")
            try:
                out.append(base64.b64decode(item.b64_json, validate=True))
            except ValueError as exc:
                raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output") from exc
        return out

    def generate(self, prompt: str, aspect: Aspect, variations: int, *, stage: str,
                 source_image: bytes | None) -> list[bytes]:
        wanted = max(1, variations)
        images: list[bytes] = []
        quality = self.settings.image_quality
        while len(images) < wanted:
            if self.family == "dall-e-3":
                params = dalle3_request(prompt, aspect, quality, stage)
            else:
                params = gpt_image_request(prompt, aspect, wanted - len(images), quality)
            got = self._call(params)
            if not got:
                raise UpstreamError(NO_IMAGE_MESSAGE, code="invalid_model_output")
            images.extend(got)
        return [fit_png(data, aspect.width, aspect.height) for data in images[:wanted]]


register_image_generator("local", LocalImageGenerator)
register_image_generator("azure_openai", lambda settings: OpenAIImageGenerator(settings, "azure_openai"))
register_image_generator("openai", lambda settings: OpenAIImageGenerator(settings, "openai"))
