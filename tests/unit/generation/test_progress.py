"""shared.generation.progress rules that need no host: events that may be sent, and the terminate reason."""

from __future__ import annotations

import pytest

from shared.core.errors import ValidationError
from shared.generation import job as generation
from shared.generation import progress


def test_only_the_approval_event_may_be_sent():
    assert progress.event_payload(generation.APPROVAL_EVENT, {"prompt": "a"}) == {"prompt": "a"}
    with pytest.raises(ValidationError) as info:
        progress.event_payload("other", {})
    assert info.value.code == "unknown_event" and generation.APPROVAL_EVENT in info.value.message


def test_terminate_reason_defaults_to_korean_and_is_capped():
    assert progress.terminate_reason({}) == progress.DEFAULT_TERMINATE_REASON == "작가가 취소함"
    assert progress.terminate_reason({"reason": "  사용자가 취소함 "}) == "사용자가 취소함"
    assert len(progress.terminate_reason({"reason": "가" * 500})) == progress.MAX_REASON_CHARS


def test_client_failures_are_read_from_the_sdk_sentences_not_from_digits_in_the_id():
    gone = progress.client_failure(Exception("Instance with ID 0a1b is gone: either completed or failed"))
    missing = progress.client_failure(Exception("No instance with ID '0a1b' found."))
    assert isinstance(gone, progress.GenerationGone) and missing.status == 404
    # an unexpected answer for an instance whose id happens to contain 404 or 410 stays unexpected
    assert progress.client_failure(Exception("Webhook returned unrecognized status code 500 for 9f4104047c")) is None
    assert isinstance(progress.client_failure(Exception("unexpected status code 410")), progress.GenerationGone)


def test_the_terminate_reason_loses_refused_characters():
    assert progress.terminate_reason({"reason": "\x00취소\ud800 "}) == "취소"
    assert progress.terminate_reason({"reason": "\x00"}) == progress.DEFAULT_TERMINATE_REASON
