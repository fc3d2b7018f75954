"""shared.generation.activity: known errors carried across the activity boundary, timing a step."""

from __future__ import annotations

import pytest

from shared.core.errors import ContentFiltered
from shared.generation import activity as generation


def test_known_errors_survive_the_host_wrapping_them():
    def step():
        raise ContentFiltered()

    with pytest.raises(generation.StepFailed) as caught:
        generation.run_step(step, {})
    # The host turns the activity's failure into "Reason \n Details" with its own words around it.
    wrapped = Exception(f"Activity function 'generate_image' failed: {caught.value} \n Traceback ...")
    assert generation.error_from_failure(wrapped) == {"code": "content_filtered", "message": ContentFiltered().message}
    unknown = generation.error_from_failure(RuntimeError("disk on fire"))
    assert unknown["code"] == "internal_error" and "disk" not in unknown["message"]


def test_run_step_times_the_step():
    result = generation.run_step(lambda a: {"a": a}, {"a": 3})
    assert result["a"] == 3 and isinstance(result["ms"], int) and result["ms"] >= 0
