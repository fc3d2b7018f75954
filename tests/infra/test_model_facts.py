"""Model facts in one place (issue 12, item 7): docs/API.md "Models" says what shared/core/catalog.py's
IMAGE_MODEL_FAMILIES says, and the template deploys a model of a family the code knows, by default a
current gpt-image model that makes the default aspect."""

from __future__ import annotations

import re

import pytest

from tests.infra import bicep_model as bm

catalog = pytest.importorskip("shared.core.catalog")
if not hasattr(catalog, "IMAGE_MODEL_FAMILIES"):
    pytest.skip("the catalog has no image model family table yet", allow_module_level=True)

API_MD = bm.PROJECT_ROOT / "docs" / "API.md"


def docs_row(family) -> str:
    """How docs/API.md writes one family."""
    sizes = ", ".join(f"{aspect} {size}" for aspect, size in family.sizes.items())
    inputs = str(family.max_input_images) if family.max_input_images else "0 (text only)"
    per_image = f"{family.max_input_bytes // (1024 * 1024)} MB" if family.max_input_bytes else "—"
    return (f"| `{family.value}` | {family.models} | {sizes} | {', '.join(family.qualities)} | {inputs} | "
            f"{per_image} | {family.max_per_call} |")


def models_section() -> str:
    text = API_MD.read_text(encoding="utf-8")
    match = re.search(r"^## Models\n(.*?)^## ", text, re.S | re.M)
    assert match, "docs/API.md has no Models section"
    return match.group(1)


def test_the_models_table_says_what_the_catalog_says():
    rows = [line for line in models_section().splitlines() if line.startswith("| `")]
    assert rows == [docs_row(f) for f in catalog.IMAGE_MODEL_FAMILIES]


def test_the_template_offers_exactly_the_remote_families():
    main = bm.load(bm.MAIN)
    allowed = next(d for d in main.params["imageModelFamily"][2] if d.startswith("@allowed"))
    offered = re.findall(r"'([^']+)'", allowed)
    assert offered == [f.value for f in catalog.IMAGE_MODEL_FAMILIES if f.value != "local"]


def test_the_default_image_model_is_a_current_gpt_image_model_of_its_family():
    main = bm.load(bm.MAIN)
    model, family = main.param_default("imageModelName"), main.param_default("imageModelFamily")
    facts = catalog.image_model_family(family)
    assert model in [m.strip() for m in facts.models.split(",")], (model, facts.models)
    assert model != "gpt-image-1" and facts.max_input_images > 0  # edits with image inputs
    assert catalog.DEFAULT_ASPECT in facts.sizes
    assert main.param_default("imageQuality") in facts.qualities
    assert model in models_section() and "`IMAGE_MODEL_FAMILY`" in models_section()
