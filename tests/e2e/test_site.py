"""The site in headless Chromium against devhost running the real app with the offline providers.

Each test leaves a full-page screenshot (and the console log) under artifacts/e2e/; every test fails
on a console error or an uncaught page error (see conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from shared.core import catalog
from tests.e2e.conftest import PHONE
from tests.e2e.helpers import (
    GENERATION_TIMEOUT,
    HANGUL,
    STATUS_URL,
    checked_value,
    choose,
    drop_file,
    open_site,
    paste_file,
    photo_bytes,
    seen_stages,
    track_stages,
    wait_for_result,
)

pytestmark = pytest.mark.e2e

STEP_ORDER = [value for value, _, _ in catalog.STEPS]


# ------------------------------------------------------------------------------------------------

def test_generate_with_a_photo_then_download_psd_and_find_it_after_reload(page, artifacts_dir, tmp_path,
                                                                        sample_references):
    from psd_tools import PSDImage

    open_site(page)
    status_requests: list[str] = []
    page.on("request", lambda r: status_requests.append(r.url)
            if STATUS_URL.search(r.url) and r.method == "GET" else None)
    status_responses: list[dict] = []
    page.on("response", lambda r: status_responses.append(
        {"status": r.status, "retry": r.headers.get("retry-after"), "requests_before": len(status_requests)})
            if STATUS_URL.search(r.url) and r.request.method == "GET" else None)

    choose(page, "category", "명소")
    choose(page, "stage", "채색(명암)")
    keywords = "경복궁, 겨울 밤, <b>눈</b>"  # markup must stay text
    page.fill("#keywords", keywords)
    page.fill("#description", "눈이 소복이 쌓인 근정전 앞마당, 가로등 불빛이 은은한 밤")
    page.set_input_files("#photo-input", files=[{"name": "궁궐.png", "mimeType": "image/png",
                                                 "buffer": photo_bytes()}])
    expect(page.locator("#photo-preview")).to_be_visible()
    expect(page.locator("#photo-name")).to_have_text("궁궐.png")
    expect(page.locator("#photo-state")).to_contain_text("올림 완료", timeout=30_000)
    choose(page, "aspect", "정사각")
    choose(page, "variation", "2장")
    track_stages(page)

    with page.expect_request(lambda r: r.url.endswith("/api/generations") and r.method == "POST") as posted:
        page.click("#submit")
    body = posted.value.post_data_json
    assert body["category"] == "국내명소" and body["stage"] == "채색 명암"
    assert body["keywords"] == keywords and body["aspect"] == "square" and body["variations"] == 2
    assert re.fullmatch(r"[0-9a-f]+", body["uploadId"]) and body["review"] is False

    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#cancel")).to_be_visible()
    wait_for_result(page)
    expect(page.locator("#announcer")).to_have_text("배경 2장을 만들었습니다.")
    stages, labels = seen_stages(page)
    running = [s for s in stages if s not in ("queued", "done")]
    assert running and stages[-1] == "done", stages  # seen running, then done (the review test
    # holds a generation mid-way and checks the steps before it are marked done)
    assert [STEP_ORDER.index(s) for s in stages] == sorted(STEP_ORDER.index(s) for s in stages), stages
    assert all(HANGUL.search(label) for label in labels), labels

    # Results: two images, PNG/PSD links through /api/assets with ?download=1, the layer names.
    figures = page.locator("#result-images figure")
    expect(figures).to_have_count(2)
    for img in page.locator("#result-images img").all():
        expect(img).to_have_attribute("src", re.compile(r"/api/assets/outputs/.+\.png$"))
    page.wait_for_function("() => [...document.querySelectorAll('#result-images img')].every(i => i.complete && i.naturalWidth > 0)")
    psd_link = figures.first.get_by_role("link", name="PSD 내려받기")
    expect(psd_link).to_have_attribute("href", re.compile(r"/api/assets/outputs/.+\.psd\?download=1&name=.+-1\.psd$"))
    expect(figures.first.get_by_role("link", name="PNG 내려받기")).to_have_attribute(
        "href", re.compile(r"/api/assets/outputs/.+\.png\?download=1&name=.+-1\.png$"))
    layer_names = page.locator("#layer-list li").all_text_contents()
    from shared.images.layers import layer_names as stage_layers

    assert set(layer_names) == set(stage_layers("채색 명암")), layer_names  # the stage's own stack
    # The references used, as thumbnails with Korean captions (the session loaded the sample set).
    assert sample_references > 0
    refs = page.locator("#result .result-references figure")
    expect(refs.first).to_be_visible()
    captions = refs.locator("figcaption").all_text_contents()
    assert captions and all(HANGUL.search(c) for c in captions), captions
    page.wait_for_function("() => [...document.querySelectorAll('.result-references img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(artifacts_dir / "e2e" / "result_desktop.png"), full_page=True)

    with page.expect_download() as download_info:
        psd_link.click()
    # saved under the result's title, a tag of the generation and the index: two downloads never collide
    saved_as = download_info.value.suggested_filename
    assert saved_as == psd_link.get_attribute("download") and saved_as.endswith("-1.psd"), saved_as
    second = figures.nth(1).get_by_role("link", name="PSD 내려받기").get_attribute("download")
    assert second.endswith("-2.psd") and second != saved_as
    target = tmp_path / "result.psd"
    download_info.value.save_as(target)
    psd = PSDImage.open(target)
    assert psd.size == (1024, 1024)
    assert {layer.name for layer in psd} == set(layer_names)

    # Polling: every running answer asked for a pace (Retry-After; that the page keeps to it is
    # checked under a fake clock in test_polling_and_paging.py),
    # the final answer did not, and the page stopped polling at the terminal state.
    assert status_requests and status_responses
    *running_answers, final = status_responses
    assert final["status"] == 200 and not final["retry"], final
    assert all(r["status"] == 202 and float(r["retry"]) >= 1 for r in running_answers), running_answers
    page.wait_for_timeout(2500)  # more than two Retry-After periods: a further poll would show here
    assert len(status_requests) == final["requests_before"], "polling went on after the generation ended"
    assert len(status_responses) == len(status_requests)

    # History: after a reload the generation is there, with working links, and the text is text.
    instance = page.get_attribute("#result", "data-instance")
    assert instance
    page.reload()
    page.wait_for_selector("html[data-ready]")
    item = page.locator(f'#history-list li[data-instance="{instance}"]')
    expect(item).to_be_visible()
    expect(item.locator(".history-meta")).to_contain_text("채색(명암)")
    assert page.locator("#history-list b").count() == 0
    expect(item.get_by_role("link", name="PSD")).to_have_attribute(
        "href", re.compile(r"^/api/assets/.+\?download=1&name=.+-1\.psd$"))
    thumb = item.locator("img")
    expect(thumb).to_have_attribute("src", re.compile(r"/api/assets/"))
    page.wait_for_function("(id) => { const i = document.querySelector(`#history-list li[data-instance='${id}'] img`);"
                           " return i && i.complete && i.naturalWidth > 0; }", arg=instance)
    item.locator("button.history-open").click()
    expect(page.locator("#result-images figure")).to_have_count(2)
    with page.expect_download() as again:
        item.get_by_role("link", name="PNG").click()
    assert again.value.suggested_filename.endswith("-1.png") and again.value.suggested_filename != "1.png"
    png_path = tmp_path / "again.png"
    again.value.save_as(png_path)
    from PIL import Image
    with Image.open(png_path) as picture:
        assert picture.format == "PNG" and picture.size == (1024, 1024)


def test_review_the_prompt_edit_it_and_generate(page, artifacts_dir):
    open_site(page)
    choose(page, "category", "음식")
    choose(page, "stage", "스케치")
    page.fill("#keywords", "비빔밥, 놋그릇")
    page.fill("#description", "나무 식탁 위 비빔밥 한 그릇")
    page.focus("#description")
    paste_file(page, photo_bytes(colour=(200, 170, 120)), name="붙여넣기.png")
    expect(page.locator("#photo-preview")).to_be_visible()
    expect(page.locator("#photo-state")).to_contain_text("올림 완료", timeout=30_000)
    assert page.locator("#description").input_value() == "나무 식탁 위 비빔밥 한 그릇"  # the paste did not leak text
    page.locator("label.switch").click()
    expect(page.locator("#review")).to_be_checked()
    page.click("#submit")

    track_stages(page)
    review = page.locator("#review-box")
    expect(review).to_be_visible(timeout=GENERATION_TIMEOUT)
    # Held at the review step: the stage is named, the bar has moved, the earlier steps are done.
    expect(page.locator("#stage-label")).to_have_text(catalog.STEP_BY_VALUE["review"][0])
    assert 0 < int(page.get_attribute("#progress-bar", "aria-valuenow")) < 100
    expect(page.locator("#steps li.step-current")).to_have_attribute("data-step", "review")
    done = page.eval_on_selector_all("#steps li.step-done", "els => els.map(e => e.dataset.step)")
    assert done == ["embed_query", "search_references", "write_prompt"], done

    # A reload while the generation waits: the page picks the same generation up again.
    instance = page.get_attribute("#progress", "data-instance")
    page.reload()
    page.wait_for_selector("html[data-ready]")
    track_stages(page)
    expect(review).to_be_visible()
    assert page.get_attribute("#progress", "data-instance") == instance
    expect(page.locator("#keywords")).to_have_value("비빔밥, 놋그릇")  # the form shows what is being made
    assert checked_value(page, "category") == "음식" and checked_value(page, "stage") == "스케치"
    prompt_box = page.locator("#review-prompt")
    draft = prompt_box.input_value()
    assert len(draft) > 20
    expect(prompt_box).to_be_focused()
    edited = draft + ", a tiny red paper lantern hanging above the table"
    prompt_box.fill(edited)
    page.screenshot(path=str(artifacts_dir / "e2e" / "review_prompt.png"), full_page=True)
    with page.expect_request(lambda r: "prompt_approved" in r.url and r.method == "POST") as sent:
        page.click("#approve")
    assert sent.value.post_data_json == {"prompt": edited}
    expect(review).to_be_hidden()
    wait_for_result(page)
    stages, _ = seen_stages(page)
    assert stages[-1] == "done" and "review" in stages, stages
    assert [STEP_ORDER.index(s) for s in stages] == sorted(STEP_ORDER.index(s) for s in stages), stages
    expect(page.locator("#result-prompt")).to_have_text(edited)
    expect(page.locator("#result-images figure")).to_have_count(1)


def test_cancel_a_running_generation_on_a_phone(phone_page, artifacts_dir):
    page = phone_page
    open_site(page)
    page.fill("#keywords", "한옥 마을, 골목")
    page.locator("label.switch").click()  # the review step holds the generation until we act
    page.click("#submit")
    expect(page.locator("#review-box")).to_be_visible(timeout=GENERATION_TIMEOUT)
    expect(page.locator("#progress")).to_be_in_viewport()
    page.screenshot(path=str(artifacts_dir / "e2e" / "phone_progress.png"))
    with page.expect_request(lambda r: "/terminate" in r.url and r.method == "POST") as terminated:
        page.click("#cancel")
    assert "reason=" in terminated.value.url
    expect(page.locator("#progress")).to_have_attribute("data-state", "terminated", timeout=30_000)
    expect(page.locator("#stage-label")).to_have_text("생성을 취소했습니다.")
    expect(page.locator("#steps li.step-stopped")).to_have_attribute("data-step", "review")
    expect(page.locator("#cancel")).to_be_hidden()
    expect(page.locator("#review-box")).to_be_hidden()
    expect(page.locator("#submit")).to_be_enabled()
    expect(page.locator("#result-empty")).to_be_visible()


def test_photo_by_drop_and_an_oversize_photo_refused_before_upload(page):
    open_site(page)
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.url) if "/api/uploads" in r.url else None)

    drop_file(page, photo_bytes(), name="끌어다놓기.png")
    expect(page.locator("#photo-name")).to_have_text("끌어다놓기.png")
    expect(page.locator("#photo-state")).to_contain_text("올림 완료", timeout=30_000)
    assert len(uploads) == 1
    page.click("#photo-remove")
    expect(page.locator("#photo-preview")).to_be_hidden()
    expect(page.locator("#photo-pick")).to_be_focused()

    big = b"\xff\xd8\xff\xe0" + b"\0" * (10 * 1024 * 1024 + 1)
    page.set_input_files("#photo-input", files=[{"name": "큰사진.jpg", "mimeType": "image/jpeg", "buffer": big}])
    expect(page.locator("#photo-error")).to_contain_text("10MB 이하")
    expect(page.locator("#photo-preview")).to_be_hidden()
    page.set_input_files("#photo-input", files=[{"name": "문서.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}])
    expect(page.locator("#photo-error")).to_contain_text("JPG, PNG, WebP")
    page.wait_for_timeout(300)
    assert len(uploads) == 1, uploads  # neither refused file was sent


def test_server_validation_error_is_shown_in_korean(page, console):
    console.allow("/api/generations", 400)
    open_site(page)
    page.fill("#keywords", "부산 해운대")
    # Bypass the page's own limit, as a script or an old page could: the server must refuse in Korean.
    page.eval_on_selector("#description", "e => e.removeAttribute('maxlength')")
    page.fill("#description", "바다" * 260)
    with page.expect_response(lambda r: r.url.endswith("/api/generations")) as answered:
        page.click("#submit")
    assert answered.value.status == 400
    server_message = answered.value.json()["error"]["message"]
    error = page.locator("#form-error")
    expect(error).to_have_text(server_message)
    assert HANGUL.search(server_message)
    expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#description-count")).to_have_class(re.compile("over"))
    expect(page.locator("#submit")).to_be_enabled()
    assert "Traceback" not in page.content()


def test_rate_limit_refusal_and_network_errors_read_as_plain_korean(page, console):
    """The offline providers never refuse or throttle, so these answers are staged in the browser."""
    console.allow("/api/generations", 429)
    console.allow("/api/generations", "net::ERR_")
    open_site(page)
    page.fill("#keywords", "제주 돌담")

    page.route("**/api/generations", lambda route: route.fulfill(
        status=429, headers={"Retry-After": "30", "Content-Type": "application/json"},
        body='{"error": {"code": "rate_limited", "message": "Too Many Requests"}}'))
    page.click("#submit")
    expect(page.locator("#form-error")).to_have_text("요청이 많아 잠시 후 다시 시도해 주세요.")

    page.unroute("**/api/generations")
    page.route("**/api/generations", lambda route: route.abort("connectionrefused"))
    page.click("#submit")
    expect(page.locator("#form-error")).to_contain_text("서버에 연결할 수 없습니다")

    page.unroute("**/api/generations")
    page.route(STATUS_URL, lambda route: route.fulfill(
        status=200, content_type="application/json",
        body='{"runtimeStatus": "Failed", "output": "Traceback (most recent call last): ...",'
             ' "customStatus": {"stage": "failed", "error": {"code": "content_filtered",'
             ' "message": "요청한 내용이 안전 정책에 걸려 이미지를 만들 수 없습니다."}}}'))
    page.click("#submit")
    expect(page.locator("#job-error")).to_have_text("요청한 내용이 안전 정책에 걸려 이미지를 만들 수 없습니다.")
    assert "Traceback" not in page.locator("body").inner_text()
    expect(page.locator("#progress")).to_have_attribute("data-state", "failed")


def test_refusal_and_rate_limit_from_the_model_reach_the_artist_in_korean(browser, azure_host, fake_openai,
                                                                          console, request, artifacts_dir):
    """The Azure OpenAI providers pointed at our fake service, which refuses and throttles on cue."""
    from tests.e2e.conftest import DESKTOP, _finish, _new_page

    context, page = _new_page(browser, azure_host.base_url, console, DESKTOP)
    try:
        open_site(page)
        page.fill("#keywords", "남산타워, 야경")
        fake_openai.reset()
        for operation in ("images", "edits"):  # with references found, the image model is asked to edit
            fake_openai.content_filter_next(5, api=operation)
        page.click("#submit")
        error = page.locator("#job-error")
        expect(error).to_be_visible(timeout=GENERATION_TIMEOUT)
        expect(error).to_contain_text("안전 정책")
        expect(page.locator("#progress")).to_have_attribute("data-state", "failed")
        # Nothing is lost on failure: the history says the job failed and why.
        failed_card = page.locator("#history-list .history-item").first
        expect(failed_card.locator(".badge.status")).to_have_text("실패", timeout=10_000)
        expect(failed_card.locator(".history-error")).to_contain_text("안전 정책")
        page.screenshot(path=str(artifacts_dir / "e2e" / "content_refused.png"), full_page=True)

        fake_openai.reset()
        for operation in ("images", "edits"):
            fake_openai.rate_limit_next(20, retry_after=0.2, api=operation)
        page.click("#submit")
        expect(page.locator("#progress")).to_have_attribute("data-state", "running")
        expect(error).to_contain_text("잠시 후 다시 시도", timeout=GENERATION_TIMEOUT)
        expect(page.locator("#progress")).to_have_attribute("data-state", "failed")
        assert "Traceback" not in page.locator("body").inner_text()
    finally:
        fake_openai.reset()
        _finish(request, page, context, console, artifacts_dir)


def test_form_from_the_catalog_keyboard_and_phone_layout(phone_page, base_url, artifacts_dir):
    from tests.integration.generation.generation_client import GenerationClient

    page = phone_page
    # A finished generation of this user, so the history has one to open (whatever ran before).
    done = GenerationClient(base_url).run({"category": "음식", "stage": "배경", "keywords": "떡볶이 포장마차"})
    assert done["runtimeStatus"] == "Completed", done
    open_site(page)

    categories = page.locator("#category-options label.choice")
    expect(categories).to_have_text([c.label for c in catalog.CATEGORIES])
    values = page.eval_on_selector_all('input[name="category"]', "els => els.map(e => e.value)")
    assert values == [c.value for c in catalog.CATEGORIES]
    expect(page.locator("#stage-options label.choice")).to_have_text([s.label for s in catalog.STAGES])
    stage_values = page.eval_on_selector_all('input[name="stage"]', "els => els.map(e => e.value)")
    assert stage_values == [s.value for s in catalog.STAGES]  # "채색 기본", not the label "채색(기본)"
    assert checked_value(page, "stage") == catalog.DEFAULT_STAGE
    choose(page, "stage", "채색(기본)")
    assert checked_value(page, "stage") == "채색 기본"
    # Every control has a name a screen reader can say.
    expect(page.get_by_label("키워드")).to_have_attribute("id", "keywords")
    expect(page.get_by_label("장면 설명")).to_have_attribute("id", "description")
    expect(page.get_by_role("switch", name="프롬프트 검토")).not_to_be_checked()
    expect(page.get_by_role("group", name="분류").get_by_role("radio", name="명소")).to_be_checked()
    expect(page.get_by_role("group", name="작화 단계").get_by_role("radio")).to_have_count(len(catalog.STAGES))
    expect(page.get_by_role("group", name="참고 사진").get_by_role("button", name="사진 선택")).to_be_visible()
    page.focus('input[name="category"]:checked')
    page.keyboard.press("ArrowRight")  # keyboard: arrows move between the buttons of a group
    assert checked_value(page, "category") == catalog.CATEGORIES[1].value
    # the aspects the configured model family can make (offline: the renderer makes every size)
    expect(page.locator("#aspect-options .choice-label")).to_have_text([a.label for a in catalog.aspects_for("local")])
    assert checked_value(page, "aspect") == catalog.DEFAULT_ASPECT
    expect(page.locator("#variation-options label.choice")).to_have_count(catalog.MAX_VARIATIONS)

    # Keyboard: the description grows to six lines, Shift+Enter breaks the line, Enter submits.
    description = page.locator("#description")
    description.click()
    start_height = description.bounding_box()["height"]
    for i in range(10):
        description.type(f"{i + 1}번째 줄")
        description.press("Shift+Enter")
    assert description.input_value().count("\n") == 10
    grown = description.bounding_box()["height"]
    assert grown > start_height * 2
    line = float(page.eval_on_selector("#description", "e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert grown <= line * 6 + 40  # stops at six lines, then scrolls
    expect(page.locator("#description-count")).to_have_text(f"{len(description.input_value())} / 500")
    # Enter that ends a Hangul syllable being composed (IME) must not submit.
    page.eval_on_selector("#description", """e => e.dispatchEvent(new KeyboardEvent("keydown",
        {key: "Enter", keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""")
    expect(page.locator("#form-error")).to_be_hidden()
    description.press("Enter")  # submits: keywords are missing, so the form says so in Korean
    expect(page.locator("#form-error")).to_have_text("키워드를 입력해 주세요.")
    expect(page.locator("#keywords")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#keywords")).to_be_focused()

    # Microphone: the offline stack has no speech token, so the browser's own recognition is used
    # when Chromium has it; otherwise the button is disabled with the reason shown.
    mic = page.locator("#mic")
    page.wait_for_function("() => document.getElementById('mic').dataset.mode || document.getElementById('mic-status').textContent")
    if mic.is_disabled():
        expect(page.locator("#mic-status")).to_contain_text("음성 입력")
    else:
        assert mic.get_attribute("data-mode") == "browser"

    # Nothing overflows the phone's width (a mobile viewport widens itself to fit wide content,
    # so compare with the device width, not innerWidth).
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / "e2e" / "phone_form.png"), full_page=True)

    # A finished generation from the history, large on the phone.
    opened = page.locator(f'#history-list li[data-instance="{done["instanceId"]}"] button.history-open')
    expect(opened).to_be_enabled()
    opened.click()
    expect(page.locator("#result-images figure").first).to_be_visible()
    page.wait_for_function("() => [...document.querySelectorAll('#result-images img')]"
                           ".every(i => i.complete && i.naturalWidth > 0)")
    width = page.locator("#result-images img").first.bounding_box()["width"]
    assert width >= 300  # the image uses the phone's width
    page.screenshot(path=str(artifacts_dir / "e2e" / "phone_result.png"), full_page=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_review_left_unanswered_goes_on_with_the_draft(browser, start_app_host, console, request, artifacts_dir):
    """On a host whose review timeout is short, the page drops the stale review box and shows
    the server's warning with the result."""
    from tests.e2e.conftest import DESKTOP, _finish, _new_page

    host = start_app_host(REVIEW_TIMEOUT_SECONDS="3", REVIEW_TIMEOUT_OUTCOME="use_draft")
    context, page = _new_page(browser, host.base_url, console, DESKTOP)
    try:
        open_site(page)
        page.fill("#keywords", "전주 한옥마을, 오후")
        page.locator("label.switch").click()
        page.click("#submit")
        expect(page.locator("#review-box")).to_be_visible(timeout=GENERATION_TIMEOUT)
        wait_for_result(page)
        expect(page.locator("#review-box")).to_be_hidden()
        warnings = page.locator("#result .result-warnings li").all_text_contents()
        assert warnings and all(HANGUL.search(w) for w in warnings), warnings
    finally:
        _finish(request, page, context, console, artifacts_dir)
