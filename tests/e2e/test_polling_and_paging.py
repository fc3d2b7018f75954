"""Pacing and paging staged in the browser: the page polls at the server's pace and gives up after its
time limit (time fast-forwarded), and the history pages with a 더 보기 button."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import STATUS_URL, open_site

pytestmark = pytest.mark.e2e


def test_polling_honours_retry_after_and_stops_after_the_time_limit(page):
    """A generation that never ends: the page polls at the pace the server asks and gives up after
    its time limit with a Korean message, instead of polling forever (time is fast-forwarded)."""
    polls: list[float] = []

    def never_ends(route):
        polls.append(time.monotonic())
        route.fulfill(status=202, content_type="application/json", headers={"Retry-After": "30"},
                      body='{"runtimeStatus": "Running", "customStatus": {"stage": "generate_image",'
                           ' "stageLabel": "이미지 생성", "progress": 0.5}}')

    page.clock.install()
    open_site(page)
    page.route(STATUS_URL, never_ends)
    page.fill("#keywords", "끝나지 않는 작업")
    page.click("#submit")
    expect(page.locator("#stage-label")).to_have_text("이미지 생성")
    error = page.locator("#job-error")
    for _ in range(60):
        seen = len(polls)
        page.clock.run_for(30_500)
        deadline = time.monotonic() + 5
        while len(polls) == seen and not error.is_visible() and time.monotonic() < deadline:
            page.wait_for_timeout(20)
        if error.is_visible():
            break
        page.wait_for_timeout(100)  # let the page read the answer and set its next timer
    expect(error).to_contain_text("너무 오래 걸려")
    count = len(polls)
    # Ten minutes at one poll per 30 s (Retry-After): about 20 polls, never one per second.
    assert 10 <= count <= 22, count
    page.clock.run_for(300_000)
    page.wait_for_timeout(300)
    assert len(polls) == count, "polling went on after the time limit"
    expect(page.locator("#submit")).to_be_enabled()


def test_history_pages_with_more_button(page):
    """Paging of the history list (answers staged in the browser: 14 items in pages of 12)."""
    from urllib.parse import parse_qs, urlsplit

    def history(route):
        query = parse_qs(urlsplit(route.request.url).query)
        number, size = int(query["page"][0]), int(query["pageSize"][0])
        items = [{"instanceId": f"fake{i:02d}", "createdAt": "2026-11-25T00:00:00Z", "category": "음식",
                  "stage": "콘티", "keywords": f"항목 {i}", "title": f"항목 {i}", "status": "completed",
                  "images": []} for i in range(14)]
        chunk = items[(number - 1) * size: number * size]
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({"items": chunk, "page": number, "pageSize": size, "total": 14}))

    page.route("**/api/generations?*", history)
    open_site(page)
    items = page.locator("#history-list li")
    expect(items).to_have_count(12)
    expect(items.first.locator(".history-meta")).to_contain_text("음식 · 콘티")
    more = page.get_by_role("button", name="더 보기")
    more.click()
    expect(items).to_have_count(14)
    expect(more).to_be_hidden()
