// The history panel: the caller's ended generations, paged, each card with its downloads and the
// two ways to start again from it ("이 결과로 다시": that image as the photo; "이 그림체로": as the style).

import { koreanOr, listGenerations } from "./api.js";
import { HISTORY_PAGE_SIZE, apiUrl } from "./config.js";
import { $, clear, el, show } from "./dom.js";
import { renderResult } from "./result.js";
import { describe, downloadLink, downloadName } from "./view.js";

const STATUS_LABELS = {
  completed: null, failed: "실패", terminated: "취소됨", cancelled: "취소됨", canceled: "취소됨",
  running: "진행 중", pending: "대기 중",
};

const history = { page: 0, total: 0, loading: false, handlers: { onAgain: () => {}, onOpened: () => {}, messageOf: String } };

function formatDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("ko-KR", { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function titleOf(item) {
  return typeof item.title === "string" && item.title ? item.title : item.keywords || "제목 없음";
}

/** What "again from this" hands the form: the card's first image and how to show it. */
function sourceOf(item, image) {
  const thumb = apiUrl((image.thumbnail || {}).assetUrl) || apiUrl((image.png || {}).assetUrl);
  return {
    instanceId: String(item.instanceId), index: Number(image.index) || 1, title: titleOf(item), thumb,
    request: { category: item.category, stage: item.stage, keywords: item.keywords, description: item.description, aspect: item.aspect },
  };
}

function againButtons(item, first) {
  const title = titleOf(item);
  const again = (kind) => () => history.handlers.onAgain(kind, sourceOf(item, first));
  return el("div", { class: "history-again" }, [
    el("button", {
      class: "button button-quiet button-small", text: "이 결과로 다시",
      attrs: { type: "button", "data-again": "photo", "aria-label": `이 결과로 다시: ${title}` }, on: { click: again("photo") },
    }),
    el("button", {
      class: "button button-quiet button-small", text: "이 그림체로",
      attrs: { type: "button", "data-again": "style", "aria-label": `이 그림체로: ${title}` }, on: { click: again("style") },
    }),
  ]);
}

function openButton(item, images, thumb, title) {
  return el("button", {
    class: "history-open",
    attrs: { type: "button", "aria-label": `${title} 크게 보기`, disabled: images.length ? null : true },
    on: { click: () => openHistoryItem(item) },
  }, [
    thumb
      ? el("img", { attrs: { src: thumb, alt: "", loading: "lazy", decoding: "async" } })
      : el("span", { class: "history-placeholder", attrs: { "aria-hidden": "true" } }),
  ]);
}

/** How many images and how it ended: beside the button (over its picture), not inside it, so the
 * button's name is exactly what it says it does. */
function badges(item, images) {
  const statusKey = String(item.status || "").toLowerCase();
  const statusLabel = statusKey in STATUS_LABELS ? STATUS_LABELS[statusKey] : item.status ? String(item.status) : null;
  return [
    images.length > 1 ? el("span", { class: "badge count", text: `${images.length}장` }) : null,
    statusLabel ? el("span", { class: `badge status status-${statusKey}`, text: statusLabel }) : null,
  ];
}

function historyItem(item) {
  const images = Array.isArray(item.images) ? item.images : [];
  const first = images[0] || {};
  const thumb = apiUrl((first.thumbnail || {}).assetUrl) || apiUrl((first.png || {}).assetUrl);
  const title = titleOf(item);
  const index = first.index || 1;
  const error = item.error && koreanOr(item.error.message, null);
  return el("li", { class: "history-item", attrs: { "data-instance": item.instanceId || "" } }, [
    openButton(item, images, thumb, title),
    ...badges(item, images),
    el("div", { class: "history-text" }, [
      el("p", { class: "history-title", text: title }),
      el("p", { class: "history-meta", text: [describe({ category: item.category, stage: item.stage }), formatDate(item.createdAt)].filter(Boolean).join(" · ") }),
      // Why a job failed or was cancelled, in the server's Korean words (never a raw trace).
      error ? el("p", { class: "history-error", text: error }) : null,
    ]),
    el("div", { class: "history-links" }, [
      downloadLink(first.png, "PNG", downloadName(title, item.instanceId, index, "png")),
      downloadLink(first.psd, "PSD", downloadName(title, item.instanceId, index, "psd")),
    ]),
    images.length && item.instanceId ? againButtons(item, first) : null,
  ]);
}

function openHistoryItem(item) {
  renderResult(
    { instanceId: item.instanceId, title: item.title, images: item.images || [], keywords: item.keywords, style: item.style },
    { category: item.category, stage: item.stage, keywords: item.keywords },
  );
  history.handlers.onOpened();
}

/** `onAgain(kind, source)` starts again from a card; `onOpened()` after a card is shown large. */
export function wireHistory(handlers) {
  history.handlers = { ...history.handlers, ...handlers };
  $("#history-more").addEventListener("click", () => loadHistory(history.page + 1));
  $("#history-refresh").addEventListener("click", () => loadHistory(1));
}

export async function loadHistory(page) {
  if (history.loading) return;
  const list = $("#history-list");
  const more = $("#history-more");
  const error = $("#history-error");
  history.loading = true;
  more.disabled = true;
  try {
    const body = await listGenerations(page, HISTORY_PAGE_SIZE);
    const items = Array.isArray(body.items) ? body.items : [];
    if (page === 1) clear(list);
    for (const item of items) list.append(historyItem(item));
    history.page = page;
    history.total = Number(body.total) || 0;
    show(error, false);
    show($("#history-empty"), page === 1 && items.length === 0);
    show(more, list.childElementCount < history.total && items.length > 0);
  } catch (err) {
    error.textContent = `지난 작업을 불러오지 못했습니다. ${history.handlers.messageOf(err)}`;
    show(error, true);
    history.handlers.onFailure?.(err);
  } finally {
    history.loading = false;
    more.disabled = false;
  }
}
