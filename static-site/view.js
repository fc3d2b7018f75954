// What several parts of the page show the same way: catalog labels, Korean lines from the server,
// reference thumbnails, download links and the names downloads are saved under.

import { koreanOr } from "./api.js";
import { apiUrl } from "./config.js";
import { clear, el } from "./dom.js";

/** Catalog labels by value (filled from GET /api/catalog). */
export const labels = { category: new Map(), stage: new Map(), aspect: new Map(), step: new Map() };

export function describe(item) {
  const parts = [];
  if (item.category) parts.push(labels.category.get(item.category) || item.category);
  if (item.stage) parts.push(labels.stage.get(item.stage) || item.stage);
  if (item.keywords) parts.push(item.keywords);
  return parts.join(" · ");
}

/** The Korean sentences of a list from the server (warnings); anything else is left out. */
export function koreanLines(list) {
  return Array.isArray(list) ? list.filter((line) => koreanOr(line, null) !== null) : [];
}

export function parseInput(input) {
  if (input && typeof input === "object") return input;
  if (typeof input === "string") {
    try {
      const value = JSON.parse(input);
      return value && typeof value === "object" ? value : {};
    } catch {
      return {};
    }
  }
  return {};
}

export function renderReferences(container, references) {
  clear(container);
  for (const ref of references.slice(0, 8)) {
    const src = apiUrl(ref.assetUrl);
    const caption = typeof ref.caption === "string" && ref.caption ? ref.caption : "참고 이미지";
    const figure = el("figure", { class: "reference" }, [
      src ? el("img", { attrs: { src, alt: caption, loading: "lazy", decoding: "async" } }) : null,
      el("figcaption", { text: caption }),
    ]);
    container.append(figure);
  }
}

// Characters no common file system accepts in a name, and control characters.
const UNSAFE_IN_NAMES = /[\u0000-\u001f\u007f\\/:*?"<>|]+/g;

/**
 * The name a download is saved under: the title, a short tag of the generation (two generations
 * may share a title) and the image's index, e.g. "경복궁의 밤-3f9a2c-2.psd", never "1.psd".
 */
export function downloadName(title, instanceId, index, extension) {
  const stem = String(title || "").normalize("NFC").replace(UNSAFE_IN_NAMES, " ").replace(/\s+/g, " ")
    .trim().slice(0, 60).replace(/[. ]+$/, "");
  const tag = String(instanceId || "").replace(/[^0-9A-Za-z]/g, "").slice(0, 6);
  const number = Number.isInteger(Number(index)) && Number(index) > 0 ? Number(index) : 1;
  return `${stem || "웹툰 배경"}${tag ? `-${tag}` : ""}-${number}.${extension}`;
}

/** The asset link that downloads (Content-Disposition: attachment) under `filename`. */
export function withDownload(url, filename) {
  if (!url) return null;
  const query = new URLSearchParams({ download: "1" });
  if (filename) query.set("name", filename);
  return url + (url.includes("?") ? "&" : "?") + query;
}

export function downloadLink(asset, label, filename, extraClass = "") {
  const href = asset && apiUrl(asset.assetUrl);
  if (!href) return null;
  return el("a", {
    class: `button button-quiet button-small ${extraClass}`.trim(),
    text: label,
    attrs: { href: withDownload(href, filename), download: filename },
  });
}
