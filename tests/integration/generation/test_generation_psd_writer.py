"""The PSD writer setting reaches the running app: a devhost with PSD_WRITER=psd-tools (what Azure
sets: Flex Consumption has no ImageMagick library) delivers the same layered PSD through the
output's links as the default host, written by psd-tools."""

from __future__ import annotations

import numpy as np
import pytest

from shared.images import layers, psd
from tests.integration.generation.generation_client import GenerationClient, read_psd

pytestmark = pytest.mark.slow

REQUEST = {"category": "한국문화", "stage": "채색 명암", "keywords": "한지 등불, 골목", "aspect": "landscape",
           "prompt": "paper lanterns over a narrow hanok alley at dusk"}  # a ready prompt: quicker


def _psd_of(host) -> object:
    client = GenerationClient(host.base_url)
    status = client.run(REQUEST)
    assert status["runtimeStatus"] == "Completed", status
    (image,) = status["output"]["images"]
    assert status["output"]["layers"] == layers.layer_names(REQUEST["stage"])
    return read_psd(client.download(image["psd"]["url"]))


@pytest.mark.parametrize("writer", ["psd-tools", pytest.param("wand", marks=pytest.mark.skipif(
    not psd.wand_available(), reason="ImageMagick's library is missing"))])
def test_each_writer_through_the_app(start_app_host, writer):
    document = _psd_of(start_app_host(PSD_WRITER=writer))
    # psd-tools writes an RGBA document (4 channels), ImageMagick an RGB one: proof of who wrote it.
    assert document.channels == (4 if writer == "psd-tools" else 3)
    assert document.size == (1536, 1024)
    # bottom to top; the finished image on top, hidden, for reference (issue 11's stack)
    assert [layer.name for layer in document] == ["기본 채색", "명암", "하이라이트", "선화", "완성"]
    assert all(layer.size == (1536, 1024) for layer in document)
    line_art = np.asarray(document[3].topil())
    assert line_art.shape == (1024, 1536, 4) and (line_art[..., 3] == 0).any() and (line_art[..., 3] == 255).any()
    assert np.asarray(document[-1].topil())[..., 3].min() == 255  # the final image is opaque
    assert not document[-1].visible and document[0].visible
