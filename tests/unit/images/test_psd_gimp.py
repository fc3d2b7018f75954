"""The layered PSD as GIMP reads it (Script-Fu in batch mode): Korean names, order, blend modes,
visibility, resolution, and a composite that matches the picture. Runs where GIMP is installed
(the test command's `scripts/bootstrap.sh --gimp` installs it; elsewhere `apt-get install -y gimp`)."""

import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from shared.images import layers, psd
from tests import sample_images as samples

GIMP = shutil.which("gimp-console") or shutil.which("gimp-console-2.10")
pytestmark = pytest.mark.skipif(GIMP is None, reason="GIMP is not installed (apt-get install -y gimp)")

# GIMP 2.10 layer modes
GIMP_MODES = {"normal": 28, "multiply": 30, "screen": 31}

SCRIPT = """
(define (report psd-path out-txt out-png)
  (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE psd-path psd-path)))
         (layers (vector->list (cadr (gimp-image-get-layers image))))
         (port (open-output-file out-txt)))
    (for-each (lambda (layer)
                (display (car (gimp-item-get-name layer)) port) (display "\\t" port)
                (display (car (gimp-layer-get-mode layer)) port) (display "\\t" port)
                (display (car (gimp-item-get-visible layer)) port) (newline port))
              layers)
    (display "resolution\\t" port) (display (car (gimp-image-get-resolution image)) port) (newline port)
    (close-output-port port)
    (let ((merged (car (gimp-image-merge-visible-layers image CLIP-TO-IMAGE))))
      (file-png-save RUN-NONINTERACTIVE image merged out-png out-png 0 1 0 0 0 0 0))
    (gimp-image-delete image)))
"""


def _writers():
    names = ["psd-tools"]
    if psd.wand_available():
        names.append("wand")
    return names


@pytest.fixture(scope="module")
def gimp_read(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gimp")
    derived = layers.derive_layers(samples.scene(512, 768, seed=6))
    calls = []
    for name in _writers():
        write = psd.write_psd_tools if name == "psd-tools" else psd.write_psd_wand
        (folder / f"{name}.psd").write_bytes(write(derived))
        calls.append(f'(report "{folder}/{name}.psd" "{folder}/{name}.txt" "{folder}/{name}.png")')
    subprocess.run([GIMP, "-i", "-d", "-f", "-b", SCRIPT + "".join(calls), "-b", "(gimp-quit 0)"],
                   check=True, capture_output=True, timeout=300, env={"HOME": str(folder), "PATH": "/usr/bin:/bin"})
    out = {}
    for name in _writers():
        rows = [line.split("\t") for line in (folder / f"{name}.txt").read_text("utf-8").splitlines()]
        merged = np.asarray(Image.open(folder / f"{name}.png").convert("RGB"))
        out[name] = (rows, merged)
    return derived, out


@pytest.mark.parametrize("writer", ["psd-tools", pytest.param("wand", marks=pytest.mark.skipif(
    not psd.wand_available(), reason="ImageMagick's library is missing"))])
def test_gimp_reads_names_order_modes_visibility_and_resolution(gimp_read, writer):
    derived, out = gimp_read
    rows, _ = out[writer]
    *layer_rows, resolution = rows
    expected = [(name, str(GIMP_MODES[blend]), "1" if derived.visible(key) else "0")
                for key, name, blend, _ in reversed(derived.stack())]  # GIMP lists top first
    assert [tuple(row) for row in layer_rows] == expected
    assert resolution[0] == "resolution" and round(float(resolution[1])) == round(psd.DEFAULT_PPI)


@pytest.mark.parametrize("writer", ["psd-tools", pytest.param("wand", marks=pytest.mark.skipif(
    not psd.wand_available(), reason="ImageMagick's library is missing"))])
def test_gimp_composite_matches_ours_and_the_picture(gimp_read, writer):
    derived, out = gimp_read
    _, merged = out[writer]
    assert np.abs(merged.astype(int) - derived.merged.astype(int)).mean() < 1.0
    off_line = derived.line_art[..., 3] == 0
    picture = derived.final[..., :3].astype(int)
    assert np.abs(merged.astype(int) - picture)[off_line].mean() < 6.0
