// The result panel: one generation (a fresh output, or a history item) shown large, with its downloads,
// layers, prompt, the references it used and its warnings.

import { apiUrl } from "./config.js";
import { $, clear, el, show } from "./dom.js";
import { describe, downloadLink, downloadName, koreanLines, parseInput, renderReferences } from "./view.js";

function resultTitle(output, info) {
  return typeof output.title === "string" && output.title ? output.title : info.keywords || "결과";
}

function figureFor(image, output, title, many) {
  const index = image.index || 1;
  const png = image.png || {};
  const src = apiUrl(png.assetUrl) || apiUrl((image.thumbnail || {}).assetUrl);
  const alt = many ? `${title} — 변형 ${index}` : title;
  const img = el("img", {
    class: "result-image",
    attrs: { src, alt, width: image.width, height: image.height, decoding: "async" },
  });
  return el("figure", { class: "result-figure", attrs: { "data-index": index } }, [
    el("a", { class: "result-image-link", attrs: { href: src, target: "_blank", rel: "noopener" } }, [img]),
    el("figcaption", { class: "downloads" }, [
      many ? el("span", { class: "variant", text: `변형 ${index}` }) : null,
      downloadLink(image.png, "PNG 내려받기", downloadName(title, output.instanceId, index, "png")),
      downloadLink(image.psd, "PSD 내려받기", downloadName(title, output.instanceId, index, "psd")),
    ]),
  ]);
}

function replaceBox(body, selector, build) {
  const old = body.querySelector(selector);
  if (old) old.remove();
  return build();
}

/** Show one generation large in the result panel. */
export function renderResult(output, input) {
  const info = parseInput(input);
  const title = resultTitle(output, info);
  const body = $("#result-body");
  const meta = $("#result-meta");
  $("#result-title").textContent = title;
  const styled = output.style && typeof output.style === "object" ? "그림체 고정 적용" : "";
  meta.textContent = [describe({ ...info, ...output, keywords: info.keywords || output.keywords }), styled]
    .filter(Boolean).join(" · ");
  const imagesBox = $("#result-images");
  clear(imagesBox);
  const images = Array.isArray(output.images) ? output.images : [];
  imagesBox.classList.toggle("many", images.length > 1);
  for (const image of images) imagesBox.append(figureFor(image, output, title, images.length > 1));

  const layers = Array.isArray(output.layers) ? output.layers.filter((l) => typeof l === "string") : [];
  const layerList = $("#layer-list");
  clear(layerList);
  for (const layer of layers) layerList.append(el("li", { text: layer }));
  show($("#result-layers"), layers.length > 0);
  const prompt = typeof output.prompt === "string" ? output.prompt : "";
  $("#result-prompt").textContent = prompt;
  show($("#result-prompt-box"), Boolean(prompt));

  const refs = Array.isArray(output.references) ? output.references : [];
  replaceBox(body, ".result-references", () => {
    if (!refs.length) return;
    const list = el("div", { class: "reference-list" });
    renderReferences(list, refs);
    body.append(el("div", { class: "references result-references" }, [el("h3", { text: "참고한 이미지" }), list]));
  });
  const warnings = koreanLines(output.warnings);
  replaceBox(body, ".result-warnings", () => {
    if (warnings.length) meta.after(el("ul", { class: "warnings result-warnings" }, warnings.map((w) => el("li", { text: w }))));
  });
  $("#result").dataset.instance = output.instanceId || "";
  show($("#result-empty"), false);
  show(body, true);
}
