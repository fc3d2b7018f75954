// "내 이미지로 레이어 만들기": the artist's own image is uploaded, then POST /api/layers
// {uploadId, lineWeight, detail} answers 202 like a generation; its progress is polled the same way
// (job.js) and the layered PSD is offered here when it is done.

import { ApiError, MESSAGES, koreanOr, startLayers, uploadPhoto } from "./api.js";
import { apiUrl } from "./config.js";
import { clear, el, show } from "./dom.js";
import { firstFile, photoProblem } from "./files.js";
import { GenerationJob } from "./job.js";
import { downloadLink, downloadName, koreanLines } from "./view.js";

const ui = {};
const tool = { upload: null, job: null, limit: () => null, messageOf: String, signedOut: () => false };

function bind() {
  for (const id of [
    "layer-form", "layer-pick", "layer-input", "layer-file", "layer-error", "layer-submit", "layer-progress",
    "layer-stage", "layer-bar", "layer-fill", "layer-result",
  ]) {
    ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  }
}

function say(message) {
  ui.layerError.textContent = message || "";
  show(ui.layerError, Boolean(message));
}

function chosen(name) {
  const input = ui.layerForm.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : "normal";
}

/** The picked file: checked, then uploaded at once (the request needs its id). */
function pick(file) {
  say("");
  if (!file) return;
  const problem = photoProblem(file, tool.limit());
  if (problem) {
    say(problem);
    return;
  }
  const upload = { file, id: null, stem: (file.name || "내 이미지").replace(/\.[^.]*$/, "") };
  upload.done = uploadPhoto(file).then((body) => {
    upload.id = body.id;
    if (tool.upload === upload) ui.layerFile.textContent = `${file.name || "내 이미지"} · 올림 완료`;
    return body;
  }, (err) => {
    if (tool.upload === upload) {
      tool.upload = null;
      ui.layerFile.textContent = "선택한 이미지가 없습니다.";
      if (!tool.signedOut(err)) say(tool.messageOf(err));
    }
    throw err;
  });
  upload.done.catch(() => {}); // handled above; awaited again at submit
  tool.upload = upload;
  ui.layerFile.textContent = `${file.name || "내 이미지"} · 올리는 중…`;
}

function setBar(fraction) {
  const value = Math.max(0, Math.min(1, Number(fraction) || 0));
  ui.layerFill.style.width = `${(value * 100).toFixed(1)}%`;
  ui.layerBar.setAttribute("aria-valuenow", String(Math.round(value * 100)));
}

function onStatus(status) {
  const custom = status && status.customStatus && typeof status.customStatus === "object" ? status.customStatus : {};
  ui.layerStage.textContent = koreanOr(custom.stageLabel, "레이어를 만드는 중…");
  if (custom.progress !== undefined) setBar(custom.progress);
}

function showOutput(output, stem) {
  const image = Array.isArray(output.images) && output.images[0] ? output.images[0] : {};
  const id = output.instanceId || (tool.job && tool.job.id) || "";
  const title = `${stem} 레이어`;
  const src = apiUrl((image.png || {}).assetUrl) || apiUrl((image.thumbnail || {}).assetUrl);
  const layers = Array.isArray(output.layers) ? output.layers.filter((l) => typeof l === "string") : [];
  clear(ui.layerResult);
  ui.layerResult.append(
    src ? el("img", { class: "layer-preview", attrs: { src, alt: `${title} 미리보기`, decoding: "async" } }) : el("span"),
    el("div", { class: "layer-result-text" }, [
      el("p", { class: "layer-result-title", text: title }),
      layers.length ? el("ul", { class: "layer-list" }, layers.map((l) => el("li", { text: l }))) : null,
      ...koreanLines(output.warnings).map((w) => el("p", { class: "hint", text: w })),
      el("div", { class: "downloads" }, [
        downloadLink(image.psd, "PSD 내려받기", downloadName(title, id, image.index || 1, "psd")),
        downloadLink(image.png, "PNG 내려받기", downloadName(title, id, image.index || 1, "png")),
      ]),
    ]),
  );
  show(ui.layerResult, true);
}

function onDone({ status, error }, stem) {
  tool.job = null;
  ui.layerSubmit.disabled = false;
  ui.layerSubmit.textContent = "레이어 만들기";
  if (error) {
    if (!tool.signedOut(error)) {
      ui.layerStage.textContent = "진행 상황을 확인하지 못했습니다";
      say(error.message);
    }
    return;
  }
  const output = status.output && typeof status.output === "object" ? status.output : null;
  if (status.runtimeStatus === "Completed" && output) {
    setBar(1);
    ui.layerStage.textContent = "레이어를 만들었습니다.";
    showOutput(output, stem);
    return;
  }
  const custom = status.customStatus && typeof status.customStatus === "object" ? status.customStatus : {};
  const known = custom.error && typeof custom.error === "object" ? custom.error.message : null;
  ui.layerStage.textContent = "레이어를 만들지 못했습니다";
  say(koreanOr(known, "레이어를 만들지 못했습니다. 잠시 후 다시 시도해 주세요."));
}

async function onSubmit(event) {
  event.preventDefault();
  if (tool.job) return;
  say("");
  const upload = tool.upload;
  if (!upload) {
    say("레이어를 만들 이미지를 먼저 골라 주세요.");
    ui.layerPick.focus();
    return;
  }
  ui.layerSubmit.disabled = true;
  ui.layerSubmit.textContent = "보내는 중…";
  try {
    await upload.done;
    const start = await startLayers({ uploadId: upload.id, lineWeight: chosen("lineWeight"), detail: chosen("detail") });
    clear(ui.layerResult);
    show(ui.layerResult, false);
    show(ui.layerProgress, true);
    ui.layerProgress.dataset.instance = start.id || "";
    ui.layerStage.textContent = "대기 중";
    setBar(0);
    ui.layerSubmit.textContent = "만드는 중…";
    const job = new GenerationJob(start, { onStatus, onDone: (result) => onDone(result, upload.stem) });
    tool.job = job;
    job.run();
  } catch (err) {
    ui.layerSubmit.disabled = false;
    ui.layerSubmit.textContent = "레이어 만들기";
    if (tool.signedOut(err)) return;
    say(err instanceof ApiError ? err.message : MESSAGES.unknown);
  }
}

function optionRow(name, options, selected) {
  return options.map((option) => el("label", { class: "choice" }, [
    el("input", { attrs: { type: "radio", name, value: option.value, checked: option.value === selected } }),
    el("span", { class: "choice-label", text: option.label }),
  ]));
}

/** The line weights and detail levels from GET /api/catalog (lineWeights, details) when it lists them;
 * otherwise the page keeps the ones written in index.html. */
export function applyLayerOptions(catalog) {
  for (const [name, key] of [["lineWeight", "lineWeights"], ["detail", "details"]]) {
    const options = Array.isArray(catalog[key]) ? catalog[key].filter((o) => o && o.value && o.label) : [];
    const row = document.getElementById(`layer-${name}-options`);
    if (!options.length || !row) continue;
    const selected = options.some((o) => o.value === "normal") ? "normal" : options[0].value;
    row.replaceChildren(...optionRow(name, options, selected));
  }
}

/** `limit()`: the server's upload limit; `messageOf(err)`: a Korean sentence; `signedOut(err)`: true
 * when the error was a lost sign-in (the page then shows the sign-in panel). */
export function wireLayerTool({ limit, messageOf, signedOut }) {
  bind();
  Object.assign(tool, { limit, messageOf, signedOut });
  ui.layerPick.addEventListener("click", () => ui.layerInput.click());
  ui.layerInput.addEventListener("change", () => pick(firstFile(ui.layerInput.files)));
  ui.layerForm.addEventListener("submit", onSubmit);
}
