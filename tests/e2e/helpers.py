"""Small helpers for the browser tests: opening the site, test photos, paste/drop events, stage tracking."""

from __future__ import annotations

import base64
import io
import re

from playwright.sync_api import expect

GENERATION_TIMEOUT = 120_000  # ms: a safety stop, the offline generation takes a few seconds
HANGUL = re.compile(r"[\uac00-\ud7a3]")

# The status URL the starter hands out (the app's own route, not the Durable webhook).
STATUS_URL = re.compile(r"/api/generations/[0-9A-Za-z-]+(\?.*)?$")


def open_site(page):
    page.goto("/")
    page.wait_for_selector("html[data-ready]")
    expect(page.locator("#submit")).to_be_enabled()


def choose(page, group: str, label: str):
    page.locator(f"#{group}-options label.choice", has_text=re.compile(rf"^{re.escape(label)}")).click()


def checked_value(page, name: str) -> str:
    return page.eval_on_selector(f'input[name="{name}"]:checked', "e => e.value")


def wait_for_result(page):
    expect(page.locator("#result-body")).to_be_visible(timeout=GENERATION_TIMEOUT)
    expect(page.locator("#submit")).to_be_enabled(timeout=GENERATION_TIMEOUT)


def photo_bytes(size=(800, 600), fmt="PNG", colour=(90, 140, 170)) -> bytes:
    """A small picture with some structure (sky, ground, a building) so the renderer has edges."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rectangle([0, int(h * 0.62), w, h], fill=(120, 104, 84))
    draw.rectangle([int(w * 0.3), int(h * 0.3), int(w * 0.7), int(h * 0.62)], fill=(170, 60, 50))
    draw.polygon([(int(w * 0.25), int(h * 0.32)), (int(w * 0.5), int(h * 0.15)), (int(w * 0.75), int(h * 0.32))],
                 fill=(40, 50, 60))
    draw.ellipse([int(w * 0.8), int(h * 0.08), int(w * 0.9), int(h * 0.2)], fill=(240, 210, 120))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


_DISPATCH = """
async ({b64, name, type, kind}) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const file = new File([bytes], name, {type});
  const data = new DataTransfer();
  data.items.add(file);
  if (kind === "paste") {
    const target = document.activeElement || document.body;
    target.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true, cancelable: true}));
  } else {
    const zone = document.getElementById("dropzone");
    zone.dispatchEvent(new DragEvent("dragenter", {dataTransfer: data, bubbles: true, cancelable: true}));
    zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: data, bubbles: true, cancelable: true}));
    zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
  }
}
"""


def paste_file(page, data: bytes, name="clipboard.png", mime="image/png") -> None:
    page.evaluate(_DISPATCH, {"b64": base64.b64encode(data).decode(), "name": name, "type": mime, "kind": "paste"})


def drop_file(page, data: bytes, name="dropped.png", mime="image/png") -> None:
    page.evaluate(_DISPATCH, {"b64": base64.b64encode(data).decode(), "name": name, "type": mime, "kind": "drop"})


TRACK_STAGES = """
() => {
  window.__stages = [];
  window.__labels = [];
  const progress = document.getElementById("progress");
  const label = document.getElementById("stage-label");
  const note = () => {
    const stage = progress.dataset.stage;
    if (stage && window.__stages[window.__stages.length - 1] !== stage) window.__stages.push(stage);
    const text = label.textContent;
    if (text && window.__labels[window.__labels.length - 1] !== text) window.__labels.push(text);
  };
  new MutationObserver(note).observe(progress, {attributes: true, subtree: true, childList: true, characterData: true});
}
"""


def track_stages(page) -> None:
    page.evaluate(TRACK_STAGES)


def seen_stages(page) -> tuple[list[str], list[str]]:
    return page.evaluate("() => [window.__stages, window.__labels]")
