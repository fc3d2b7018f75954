"""Starting again from an earlier result (issue 12, item 4) and layers from the artist's own image (issue 11,
item 6), site side. The history card is a real finished generation of this user; what the site SENDS is
asserted by intercepting the request (the server side of photoSource/styleSource and POST /api/layers is
the lead's), and the answers it then polls are staged in the browser in the API's own shapes, pointing
at that real generation's files so every image and download is a real one."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import choose, open_site, photo_bytes

pytestmark = pytest.mark.e2e

HEX32 = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def finished(base_url) -> dict:
    """One finished generation of the local user (its status answer: input, output with real assets)."""
    from tests.integration.generation.generation_client import GenerationClient

    done = GenerationClient(base_url).run({"category": "한국문화", "stage": "채색 기본", "keywords": "한옥 대청마루, 여름 오후",
                                           "description": "대청마루에 햇살이 드는 오후", "aspect": "square"})
    assert done["runtimeStatus"] == "Completed", done
    return done


def start_answer(instance_id: str) -> str:
    """A 202 body of POST /api/generations (or /api/layers) pointing at this app's own routes."""
    base = f"/api/generations/{instance_id}"
    return json.dumps({"id": instance_id, "statusQueryGetUri": base,
                       "sendEventPostUri": f"{base}/events/{{eventName}}",
                       "terminatePostUri": f"{base}/terminate?reason={{text}}"})


def completed(instance_id: str, output: dict, input_: dict | None = None) -> str:
    return json.dumps({"name": "generate_background", "instanceId": instance_id, "runtimeStatus": "Completed",
                       "input": input_ or {}, "customStatus": {"stage": "done", "progress": 1.0},
                       "output": {**output, "instanceId": instance_id}})


def intercept_start(page, path: str, instance_id: str) -> list[dict]:
    """Capture the JSON bodies POSTed to `path` and answer 202 as the server does."""
    sent: list[dict] = []

    def handle(route):
        if route.request.method != "POST":
            return route.continue_()
        sent.append(route.request.post_data_json)
        route.fulfill(status=202, content_type="application/json", body=start_answer(instance_id),
                      headers={"Retry-After": "1"})

    page.route(f"**{path}", handle)
    return sent


def test_again_from_a_history_card_as_the_photo_and_as_the_style(page, finished):
    open_site(page)
    instance, output = finished["instanceId"], finished["output"]
    card = page.locator(f'#history-list li[data-instance="{instance}"]')
    expect(card).to_be_visible()

    # "이 결과로 다시": the result becomes the photo, the form takes the card's request back
    card.get_by_role("button", name=re.compile("^이 결과로 다시")).click()
    expect(page.locator("#photo-preview")).to_be_visible()
    expect(page.locator("#photo-name")).to_have_text(f"지난 결과: {output['title']}")
    expect(page.locator("#photo-img")).to_have_attribute("src", re.compile(r"/api/assets/outputs/"))
    expect(page.locator("#keywords")).to_have_value("한옥 대청마루, 여름 오후")
    expect(page.locator("#keywords")).to_be_focused()
    assert page.eval_on_selector('input[name="category"]:checked', "e => e.value") == "한국문화"
    assert page.eval_on_selector('input[name="aspect"]:checked', "e => e.value") == "square"

    # "이 그림체로": a visible style chip that can be cleared
    card.get_by_role("button", name=re.compile("^이 그림체로")).click()
    chip = page.locator("#style-field")
    expect(chip).to_be_visible()
    expect(page.locator("#style-name")).to_have_text(output["title"])
    expect(page.get_by_role("button", name="그림체 빼기")).to_be_focused()

    sent = intercept_start(page, "/api/generations", "again-1")
    styled = {**output, "style": {"instanceId": instance, "index": 1}}  # the result records the style applied
    page.route("**/api/generations/again-1", lambda route: route.fulfill(
        status=200, content_type="application/json", body=completed("again-1", styled)))
    page.click("#submit")
    expect(page.locator("#result-body")).to_be_visible()
    expect(page.locator("#result-meta")).to_contain_text("그림체 고정 적용")
    expect(page.locator("#submit")).to_be_enabled()
    body = sent[0]
    assert body["photoSource"] == {"instanceId": instance, "index": 1}
    assert body["styleSource"] == {"instanceId": instance, "index": 1}
    assert "uploadId" not in body  # nothing was uploaded: the earlier result is the photo
    assert body["keywords"] == "한옥 대청마루, 여름 오후" and body["category"] == "한국문화"

    # cleared chip and removed photo: neither goes with the next request
    page.get_by_role("button", name="그림체 빼기").click()
    expect(chip).to_be_hidden()
    page.click("#photo-remove")
    page.click("#submit")
    expect(page.locator("#submit")).to_be_enabled()
    page.wait_for_function("() => document.getElementById('result').dataset.instance === 'again-1'")
    assert len(sent) == 2
    assert not {"photoSource", "styleSource", "uploadId"} & set(sent[1]), sent[1]


def test_layers_from_my_own_image(page, finished, tmp_path):
    from psd_tools import PSDImage

    open_site(page)
    tool = page.locator("#layer-tool")
    expect(tool.get_by_role("heading", name="내 이미지로 레이어 만들기")).to_be_visible()
    expect(tool.get_by_role("group", name="선 굵기").get_by_role("radio", name="보통")).to_be_checked()
    page.set_input_files("#layer-input", files=[{"name": "내 그림.png", "mimeType": "image/png", "buffer": photo_bytes()}])
    expect(page.locator("#layer-file")).to_have_text("내 그림.png · 올림 완료", timeout=30_000)
    tool.get_by_role("radio", name="굵은 선").check()
    tool.get_by_role("group", name="디테일").get_by_role("radio", name="높음").check()

    sent = intercept_start(page, "/api/layers", "layers-7f3a")
    answers = iter([
        (202, {"runtimeStatus": "Running", "customStatus": {"stage": "make_layers", "stageLabel": "레이어 만들기",
                                                           "progress": 0.5}}),
    ])

    def status(route):
        code, body = next(answers, (200, None))
        if body is None:
            route.fulfill(status=200, content_type="application/json", body=completed("layers-7f3a", {
                "images": [{**finished["output"]["images"][0], "index": 1}], "layers": finished["output"]["layers"]}))
        else:
            route.fulfill(status=code, content_type="application/json", body=json.dumps(body), headers={"Retry-After": "1"})

    page.route("**/api/generations/layers-7f3a", status)
    labels: list[str] = []
    page.expose_function("noteLayerStage", lambda text: labels.append(text))
    page.evaluate("""() => new MutationObserver(() => window.noteLayerStage(document.getElementById('layer-stage').textContent))
        .observe(document.getElementById('layer-stage'), {childList: true, characterData: true, subtree: true})""")
    tool.get_by_role("button", name="레이어 만들기").click()
    expect(page.locator("#layer-stage")).to_have_text("레이어를 만들었습니다.", timeout=20_000)
    assert "레이어 만들기" in labels  # the running answer's Korean stage label was shown
    body = sent[0]
    assert set(body) == {"uploadId", "lineWeight", "detail"} and HEX32.fullmatch(body["uploadId"])
    assert body["lineWeight"] == "bold" and body["detail"] == "high"

    result = page.locator("#layer-result")
    expect(result.locator("li")).to_have_text(finished["output"]["layers"])
    page.wait_for_function("() => { const i = document.querySelector('#layer-result img'); return i && i.complete && i.naturalWidth > 0; }")
    psd_link = result.get_by_role("link", name="PSD 내려받기")
    with page.expect_download() as download_info:
        psd_link.click()
    download = download_info.value
    assert download.suggested_filename == "내 그림 레이어-layers-1.psd"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert PSDImage.open(target).size == (1024, 1024)


def test_a_variation_of_a_result_that_is_not_mine_is_refused_in_korean(page, finished, console):
    """The server refuses a photoSource it cannot use (here staged: the lead's validation answers 404):
    the page says so in Korean and stays usable."""
    console.allow("/api/generations", 404)
    open_site(page)
    page.locator(f'#history-list li[data-instance="{finished["instanceId"]}"]').get_by_role(
        "button", name=re.compile("^이 결과로 다시")).click()
    message = "다시 만들 결과를 찾을 수 없습니다."
    page.route("**/api/generations", lambda route: route.fulfill(
        status=404, content_type="application/json",
        body=json.dumps({"error": {"code": "generation_not_found", "message": message,
                                   "details": {"field": "photoSource"}}})) if route.request.method == "POST"
        else route.continue_())
    choose(page, "variation", "2장")
    page.click("#submit")
    expect(page.locator("#form-error")).to_have_text(message)
    expect(page.locator("#photo-remove")).to_be_focused()  # the field the server named
    expect(page.locator("#submit")).to_be_enabled()
