"""The five art-stage looks of shared.core.catalog, drawn from one scene: grey rough storyboard, black
line art, flat colour, shaded colour, polished background (sky, light and atmosphere of its Look)."""

from __future__ import annotations

import random

from .atmosphere import Look, sky_colours
from .shapes import HEIGHT, WIDTH, Scene, Shape, mix, shade


def _draw_shape(draw, shape: Shape, fill, outline, width):
    if shape.kind == "poly":
        draw.polygon(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "ellipse":
        draw.ellipse(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "rect":
        draw.rectangle(shape.xy, fill=fill, outline=outline, width=width if outline else 0)
    elif shape.kind == "line" and (outline or fill):
        draw.line(shape.xy, fill=outline or fill, width=shape.width, joint="curve")


def _mask(shape: Shape):
    from PIL import Image, ImageDraw

    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    _draw_shape(ImageDraw.Draw(mask), shape, 255, None, 0)
    return mask


def _bbox(shape: Shape):
    if shape.kind in ("ellipse", "rect"):
        return shape.xy
    xs = [p[0] for p in shape.xy]
    ys = [p[1] for p in shape.xy]
    return [min(xs), min(ys), max(xs), max(ys)]


def _sky(look: Look, gradient: bool):
    from PIL import Image

    top, bottom = sky_colours(look)
    if not gradient:
        return Image.new("RGB", (WIDTH, HEIGHT), mix(top, bottom, 0.4))
    column = Image.linear_gradient("L").resize((1, HEIGHT))
    return Image.composite(Image.new("RGB", (WIDTH, HEIGHT), bottom), Image.new("RGB", (WIDTH, HEIGHT), top),
                           column.resize((WIDTH, HEIGHT)))


def _base(scene: Scene, look: Look, gradient: bool):
    from PIL import ImageDraw

    image = _sky(look, gradient)
    if scene.ground is not None:
        ImageDraw.Draw(image).rectangle([0, scene.horizon, WIDTH, HEIGHT], fill=scene.ground)
    return image


def _luma(color) -> int:
    return int(0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2])


def render_storyboard(scene: Scene, look: Look, rng: random.Random):
    """Rough grey storyboard: paper, grey tones, loose doubled pencil lines, a panel frame."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (WIDTH, HEIGHT), (236, 236, 232))
    draw = ImageDraw.Draw(image)
    if scene.ground is not None:
        draw.rectangle([0, scene.horizon, WIDTH, HEIGHT], fill=(214, 214, 210))
    for shape in scene.shapes:
        fill = None
        if shape.fill is not None:
            tone = 175 + _luma(shape.fill) * 50 // 255
            fill = (tone, tone, tone - 3)
        _draw_shape(draw, shape, fill, None, 0)
    for shape in scene.shapes:  # two loose passes of each outline, slightly off
        for _ in range(2):
            jitter = Shape(shape.kind, _jitter(shape, rng, 2.5), None, max(1, shape.width - 1))
            grey = rng.randint(85, 125)
            _draw_shape(draw, jitter, None, (grey, grey, grey), 1)
    for _i in range(14):  # hatching in the lower third: the storyboard's quick shading
        x = rng.uniform(0, WIDTH)
        draw.line([(x, HEIGHT - 5), (x + 20, HEIGHT - 30)], fill=(150, 150, 150), width=1)
    draw.rectangle([3, 3, WIDTH - 4, HEIGHT - 4], outline=(70, 70, 70), width=2)
    return image.filter(ImageFilter.GaussianBlur(0.6)).convert("L").convert("RGB")


def _jitter(shape: Shape, rng: random.Random, amount: float):
    if shape.kind in ("ellipse", "rect"):
        x0, y0, x1, y1 = (v + rng.uniform(-amount, amount) for v in shape.xy)
        return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]  # a tiny flake may flip over
    return [(x + rng.uniform(-amount, amount), y + rng.uniform(-amount, amount)) for x, y in shape.xy]


def render_sketch(scene: Scene, look: Look, rng: random.Random):
    """Clean black line art on white, no fill."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    if scene.ground is not None:
        draw.line([(0, scene.horizon), (WIDTH, scene.horizon)], fill=(0, 0, 0), width=2)
    for shape in scene.shapes:
        _draw_shape(draw, shape, None, (0, 0, 0), 2 if shape.kind != "line" else shape.width)
    return image


def render_flat(scene: Scene, look: Look, rng: random.Random):
    """Flat base colours with black outlines (cel style, no shading)."""
    from PIL import ImageDraw

    image = _base(scene, look, gradient=False)
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        _draw_shape(draw, shape, shape.fill, (20, 20, 20), 2)
    return image


def render_shaded(scene: Scene, look: Look, rng: random.Random):
    """Colours with cel shading: the side away from the light darker, a cast shadow."""
    from PIL import Image, ImageChops, ImageDraw

    image = _base(scene, look, gradient=True)
    light_from_left = rng.random() < 0.5
    for shape in scene.shapes:
        if shape.fill is None or shape.kind == "line":
            ImageDraw.Draw(image).line(shape.xy, fill=(30, 25, 25), width=shape.width)
            continue
        mask = _mask(shape)
        x0, y0, x1, y1 = _bbox(shape)
        if not scene.indoor and y1 < HEIGHT - 2 and (x1 - x0) < WIDTH * 0.9:  # cast shadow on the ground
            shadow = ImageChops.offset(mask, 10 if light_from_left else -10, 6)
            image.paste(shade(image.getpixel((int(min(max(x0, 0), WIDTH - 1)), HEIGHT - 1)), 0.75),
                        mask=ImageChops.subtract(shadow, mask).point(lambda v: v // 2))
        image.paste(shape.fill, mask=mask)
        if (x1 - x0) >= WIDTH * 0.9 and (y1 - y0) >= HEIGHT * 0.9:
            continue  # a table top or wall that fills the frame: no side in shadow
        half = Image.new("L", (WIDTH, HEIGHT), 0)
        middle = min(max((x0 + x1) / 2, 0), WIDTH)
        ImageDraw.Draw(half).rectangle([middle, 0, WIDTH, HEIGHT] if light_from_left else [0, 0, middle, HEIGHT],
                                       fill=255)
        image.paste(shade(shape.fill, 0.68), mask=ImageChops.multiply(mask, half))
    draw = ImageDraw.Draw(image)
    for shape in scene.shapes:
        if shape.kind != "line":
            _draw_shape(draw, shape, None, (45, 35, 35), 2)
    return image


def render_final(scene: Scene, look: Look, rng: random.Random):
    """Polished background: gradient sky and fills, atmosphere (sun, clouds or stars), soft bloom,
    paper grain and a vignette; no black outlines."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    image = _base(scene, look, gradient=True)
    draw = ImageDraw.Draw(image)
    if not scene.indoor:
        if look.time == "night" and look.weather == "clear":
            for _ in range(60):
                x, y = rng.uniform(0, WIDTH), rng.uniform(0, scene.horizon * 0.7)
                draw.point((x, y), fill=(255, 255, 230))
            draw.ellipse([WIDTH - 70, 18, WIDTH - 40, 48], fill=(250, 245, 210))
        elif look.time in ("evening", "dawn") and look.weather == "clear":
            draw.ellipse([40, scene.horizon - 80, 100, scene.horizon - 20], fill=(255, 200, 120))
        elif look.time in ("day", ""):
            for _ in range(4):
                x, y = rng.uniform(0, WIDTH), rng.uniform(10, 70)
                draw.ellipse([x, y, x + rng.uniform(40, 80), y + rng.uniform(12, 22)], fill=(250, 250, 255))
        image = image.filter(ImageFilter.GaussianBlur(1.5))
    vertical = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    for shape in scene.shapes:
        if shape.kind == "line":
            color = shade(shape.fill or (60, 50, 45), 1.0) if shape.fill else (70, 60, 55)
            ImageDraw.Draw(image).line(shape.xy, fill=color, width=shape.width)
            continue
        if shape.fill is None:
            continue
        mask = _mask(shape)
        light, dark = shade(shape.fill, 1.18), shade(shape.fill, 0.72)
        fill = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), dark), Image.new("RGB", (WIDTH, HEIGHT), light),
                               vertical)
        image.paste(fill, mask=mask)
        _draw_shape(ImageDraw.Draw(image), shape, None, shade(shape.fill, 0.55), 1)
    if look.time == "night" and not scene.indoor:  # night: everything takes the blue of the sky
        image = Image.blend(image, Image.new("RGB", (WIDTH, HEIGHT), (30, 40, 90)), 0.35)
    elif look.time == "evening":
        image = Image.blend(image, Image.new("RGB", (WIDTH, HEIGHT), (250, 150, 80)), 0.15)
    if look.weather == "fog":  # fog washes everything towards a pale grey
        image = Image.blend(image, Image.new("RGB", (WIDTH, HEIGHT), (232, 232, 236)), 0.35)
    bloom = image.filter(ImageFilter.GaussianBlur(6))
    image = ImageChops.screen(image, bloom.point(lambda v: v * 35 // 100))
    import numpy as np

    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(128, 10, (HEIGHT, WIDTH))
    grain = Image.fromarray(noise.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    image = Image.blend(image, ImageChops.overlay(image, grain), 0.25)
    vignette = Image.radial_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: 255 - v * 55 // 100)
    return Image.composite(image, Image.new("RGB", (WIDTH, HEIGHT), (0, 0, 0)), vignette)


RENDERERS = {"콘티": render_storyboard, "스케치": render_sketch, "채색 기본": render_flat,
             "채색 명암": render_shaded, "배경": render_final}
