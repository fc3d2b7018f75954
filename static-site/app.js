// The page: builds the form from GET /api/catalog, uploads the reference photo, starts a generation,
// shows its progress (and the prompt review), the result and the history.
// Text from users or the server only ever reaches the page through textContent.

import {
  ApiError, MESSAGES, getCatalog, koreanOr, listGenerations, startGeneration, uploadPhoto,
} from "./api.js";
import { HISTORY_PAGE_SIZE, MAX_UPLOAD_BYTES, apiUrl } from "./config.js";
import { $, clear, el, formatBytes, show } from "./dom.js";
import { GenerationJob } from "./job.js";
import { setupMicrophone } from "./speech.js";

const ACCEPTED_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);
const DESCRIPTION_MAX_LINES = 6;
const HIDDEN_STEPS = new Set(["queued", "failed", "cancelled"]);
const EMPTY_TEXT = "장면을 설명하고 '배경 생성'을 누르면 여기에 결과가 나타납니다.";

const state = {
  catalog: null,
  labels: { category: new Map(), stage: new Map(), aspect: new Map(), step: new Map() },
  photo: null, // {file, objectUrl, upload: Promise<{id,...}>, id}
  job: null,
  reviewShown: false,
  history: { page: 0, total: 0, loading: false },
};

const ui = {};

function bindElements() {
  for (const id of [
    "compose", "catalog-error", "category-options", "stage-options", "keywords", "description",
    "description-count", "mic", "mic-status", "dropzone", "photo-pick", "photo-input", "photo-empty",
    "photo-preview", "photo-img", "photo-name", "photo-state", "photo-remove", "photo-error",
    "aspect-options", "variation-options", "review", "form-error", "submit", "progress", "cancel",
    "stage-label", "progress-bar", "progress-fill", "steps", "warnings", "job-error", "review-box",
    "review-draft-title", "review-prompt", "review-avoid", "approve", "references", "reference-list",
    "result", "result-empty", "result-empty-text", "result-body", "result-meta", "result-images", "result-layers",
    "layer-list", "result-prompt-box", "result-prompt", "history", "history-error", "history-empty",
    "history-list", "history-more", "history-refresh", "announcer",
  ]) {
    ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

function showNotice(node, message) {
  node.textContent = message || "";
  show(node, Boolean(message));
}

function messageOf(err) {
  if (err instanceof ApiError) return err.message;
  return MESSAGES.unknown;
}

// ---------------------------------------------------------------------------------------------
// Catalog → choices

function choice(name, option, checked, extra) {
  const input = el("input", { attrs: { type: "radio", name, value: option.value, checked } });
  const children = [input];
  if (extra) children.push(extra);
  children.push(el("span", { class: "choice-label", text: option.label }));
  if (option.hint) children.push(el("span", { class: "choice-hint", text: option.hint }));
  return el("label", { class: "choice" }, children);
}

function buildChoices(container, name, options, selected) {
  clear(container);
  for (const option of options) container.append(choice(name, option, option.value === selected, option.shape));
}

function selectedValue(name) {
  const input = ui.compose.querySelector(`input[name="${name}"]:checked`);
  return input ? input.value : null;
}

function applyCatalog(catalog) {
  state.catalog = catalog;
  for (const c of catalog.categories || []) state.labels.category.set(c.value, c.label);
  for (const s of catalog.stages || []) state.labels.stage.set(s.value, s.label);
  for (const a of catalog.aspects || []) state.labels.aspect.set(a.value, a.label);
  for (const s of catalog.steps || []) state.labels.step.set(s.value, s.label);

  const categories = catalog.categories || [];
  const stages = catalog.stages || [];
  buildChoices(ui.categoryOptions, "category", categories, categories.length ? categories[0].value : null);
  const preferred = stages.find((s) => s.value === catalog.defaultStage);
  buildChoices(ui.stageOptions, "stage", stages, (preferred || stages[0] || {}).value);

  const aspects = (catalog.aspects || []).map((a) => {
    const shape = el("span", { class: "aspect-shape", attrs: { "aria-hidden": "true", "data-aspect": a.value } });
    return { value: a.value, label: a.label, hint: `${a.width}×${a.height}`, shape };
  });
  buildChoices(ui.aspectOptions, "aspect", aspects, catalog.defaultAspect || (aspects[0] || {}).value);

  const max = Number(catalog.maxVariations) || 4;
  const variations = Array.from({ length: max }, (_, i) => ({ value: String(i + 1), label: `${i + 1}장` }));
  buildChoices(ui.variationOptions, "variations", variations, "1");

  if (Number(catalog.maxKeywordsChars) > 0) ui.keywords.maxLength = Number(catalog.maxKeywordsChars);
  const maxChars = Number(catalog.maxDescriptionChars) || 500;
  ui.description.maxLength = maxChars;
  updateCounter();
  ui.submit.disabled = false;
}

// ---------------------------------------------------------------------------------------------
// Description: grows to six lines, counter, Enter submits

function descriptionLimit() {
  return ui.description.maxLength > 0 ? ui.description.maxLength : 500;
}

function updateCounter() {
  const length = ui.description.value.length;
  const limit = descriptionLimit();
  ui.descriptionCount.textContent = `${length} / ${limit}`;
  ui.descriptionCount.classList.toggle("over", length > limit);
  ui.descriptionCount.classList.toggle("near", length <= limit && length >= limit * 0.9);
}

function autoGrow() {
  const area = ui.description;
  const style = getComputedStyle(area);
  const line = parseFloat(style.lineHeight) || 22;
  const chrome = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
    + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
  area.style.height = "auto";
  const max = line * DESCRIPTION_MAX_LINES + chrome;
  const wanted = area.scrollHeight + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
  area.style.height = `${Math.min(wanted, max)}px`;
  area.style.overflowY = wanted > max ? "auto" : "hidden";
}

function wireDescription() {
  ui.description.addEventListener("input", () => {
    updateCounter();
    autoGrow();
  });
  ui.description.addEventListener("keydown", (event) => {
    // Enter submits; Shift+Enter breaks the line; never while a Hangul syllable is being composed.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    ui.compose.requestSubmit();
  });
  autoGrow();
}

function insertSpokenText(text) {
  const current = ui.description.value.trim();
  const joined = current ? `${current} ${text.trim()}` : text.trim();
  ui.description.value = joined.slice(0, descriptionLimit());
  updateCounter();
  autoGrow();
  ui.description.focus();
}

// ---------------------------------------------------------------------------------------------
// Reference photo: button, paste, drag-and-drop; checked before upload; uploaded at once

function photoError(message) {
  showNotice(ui.photoError, message);
}

function removePhoto() {
  if (state.photo) {
    if (state.photo.controller) state.photo.controller.abort();
    URL.revokeObjectURL(state.photo.objectUrl);
  }
  state.photo = null;
  ui.photoInput.value = "";
  ui.photoImg.removeAttribute("src");
  ui.photoName.textContent = "";
  ui.photoState.textContent = "";
  show(ui.photoPreview, false);
  show(ui.photoEmpty, true);
}

function acceptFile(file, note) {
  photoError("");
  if (!file) return;
  if (!ACCEPTED_TYPES.has(file.type)) {
    photoError("JPG, PNG, WebP 사진만 올릴 수 있습니다.");
    return;
  }
  const limit = Number(state.catalog && state.catalog.maxUploadBytes) || MAX_UPLOAD_BYTES;
  if (file.size > limit) {
    const limitText = limit % (1024 * 1024) === 0 ? `${limit / (1024 * 1024)}MB` : formatBytes(limit);
    photoError(`사진이 너무 큽니다 (${formatBytes(file.size)}). ${limitText} 이하의 사진을 골라 주세요.`);
    return;
  }
  removePhoto();
  const controller = new AbortController();
  const photo = { file, objectUrl: URL.createObjectURL(file), controller, id: null };
  photo.upload = uploadPhoto(file, controller.signal).then(
    (body) => {
      if (state.photo !== photo) return body;
      photo.id = body.id;
      const size = body.width && body.height ? ` (${body.width}×${body.height})` : "";
      ui.photoState.textContent = `올림 완료${size}`;
      ui.dropzone.classList.remove("uploading");
      return body;
    },
    (err) => {
      if (state.photo !== photo) throw err;
      removePhoto();
      photoError(err && err.name === "AbortError" ? "" : messageOf(err));
      throw err;
    },
  );
  photo.upload.catch(() => {}); // handled above; awaited again at submit
  state.photo = photo;
  ui.photoImg.src = photo.objectUrl;
  ui.photoName.textContent = file.name || "붙여넣은 이미지";
  ui.photoState.textContent = note ? `${note} 올리는 중…` : "올리는 중…";
  ui.dropzone.classList.add("uploading");
  show(ui.photoEmpty, false);
  show(ui.photoPreview, true);
}

function firstFile(list) {
  return list && list.length ? list[0] : null;
}

function wirePhoto() {
  ui.photoPick.addEventListener("click", () => ui.photoInput.click());
  ui.photoInput.addEventListener("change", () => acceptFile(firstFile(ui.photoInput.files)));
  ui.photoRemove.addEventListener("click", () => {
    removePhoto();
    photoError("");
    ui.photoPick.focus();
  });

  const hasFiles = (event) => event.dataTransfer && Array.from(event.dataTransfer.types || []).includes("Files");
  ui.dropzone.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    ui.dropzone.classList.add("dragging");
  });
  ui.dropzone.addEventListener("dragover", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  ui.dropzone.addEventListener("dragleave", (event) => {
    if (!ui.dropzone.contains(event.relatedTarget)) ui.dropzone.classList.remove("dragging");
  });
  ui.dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    ui.dropzone.classList.remove("dragging");
    const files = event.dataTransfer ? event.dataTransfer.files : null;
    acceptFile(firstFile(files), files && files.length > 1 ? "한 장만 쓸 수 있어 첫 번째 사진을" : "");
  });
  // A file dropped elsewhere must not make the browser navigate away from the page.
  for (const type of ["dragover", "drop"]) {
    document.addEventListener(type, (event) => {
      if (hasFiles(event) && !ui.dropzone.contains(event.target)) event.preventDefault();
    });
  }
  document.addEventListener("paste", (event) => {
    const file = firstFile(event.clipboardData ? event.clipboardData.files : null);
    if (!file) return; // ordinary text paste
    event.preventDefault();
    acceptFile(file);
  });
}

// ---------------------------------------------------------------------------------------------
// Submit

const FIELD_INPUT = {
  keywords: "keywords", description: "description", uploadId: "photo-pick", prompt: "review-prompt",
};

function markInvalid(field) {
  for (const node of ui.compose.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  const id = FIELD_INPUT[field];
  const node = id ? document.getElementById(id) : ui.compose.querySelector(`input[name="${CSS.escape(String(field))}"]`);
  if (node) {
    node.setAttribute("aria-invalid", "true");
    node.focus();
  }
}

async function onSubmit(event) {
  event.preventDefault();
  if (state.job || !state.catalog) return;
  showNotice(ui.formError, "");
  const keywords = ui.keywords.value.trim();
  if (!keywords) {
    showNotice(ui.formError, "키워드를 입력해 주세요.");
    markInvalid("keywords");
    return;
  }
  const category = selectedValue("category");
  const stage = selectedValue("stage");
  if (!category || !stage) {
    showNotice(ui.formError, "분류와 작화 단계를 골라 주세요.");
    return;
  }
  markInvalid(null);
  const payload = {
    category,
    stage,
    keywords,
    description: ui.description.value.trim(),
    aspect: selectedValue("aspect") || state.catalog.defaultAspect,
    variations: Number(selectedValue("variations") || 1),
    review: ui.review.checked,
  };
  setBusy(true, "보내는 중…");
  try {
    if (state.photo) {
      const uploaded = await state.photo.upload;
      payload.uploadId = uploaded.id;
    }
    const start = await startGeneration(payload);
    beginJob(start, payload);
  } catch (err) {
    setBusy(false);
    if (err && err.name === "AbortError") return;
    showNotice(ui.formError, messageOf(err));
    if (err instanceof ApiError && err.details && err.details.field) markInvalid(err.details.field);
  }
}

/** A short sentence for screen readers when something ends out of sight. */
function announce(text) {
  ui.announcer.textContent = "";
  window.setTimeout(() => {
    ui.announcer.textContent = text;
  }, 50);
}

function smoothScroll() {
  return window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
}

function setBusy(busy, label) {
  ui.submit.disabled = busy;
  ui.submit.textContent = busy ? label || "생성 중…" : "배경 생성";
  ui.compose.setAttribute("aria-busy", busy ? "true" : "false");
}

// ---------------------------------------------------------------------------------------------
// Progress

function stepsFor(review) {
  return (state.catalog.steps || []).filter((s) => !HIDDEN_STEPS.has(s.value) && (review || s.value !== "review"));
}

function renderSteps(current) {
  clear(ui.steps);
  const steps = stepsFor(state.reviewWanted);
  const index = steps.findIndex((s) => s.value === current);
  steps.forEach((step, i) => {
    const stateName = current === "done" || i < index ? "done" : i === index ? "current" : "todo";
    const item = el("li", { class: `step step-${stateName}`, attrs: { "data-step": step.value } }, [
      el("span", { class: "step-dot", attrs: { "aria-hidden": "true" } }),
      el("span", { class: "step-name", text: step.label }),
    ]);
    if (stateName === "current") item.setAttribute("aria-current", "step");
    ui.steps.append(item);
  });
}

function setProgress(fraction) {
  const value = Math.max(0, Math.min(1, Number(fraction) || 0));
  ui.progressFill.style.width = `${(value * 100).toFixed(1)}%`;
  ui.progressBar.setAttribute("aria-valuenow", String(Math.round(value * 100)));
}

function setStageLabel(text) {
  if (ui.stageLabel.textContent !== text) ui.stageLabel.textContent = text;
}

// The running generation is kept in sessionStorage, so a reload picks its progress up again.
const RUNNING_KEY = "webtoon.running";

function rememberJob(start, payload) {
  try {
    if (start) {
      const urls = {
        id: start.id, statusQueryGetUri: start.statusQueryGetUri,
        sendEventPostUri: start.sendEventPostUri, terminatePostUri: start.terminatePostUri,
      };
      sessionStorage.setItem(RUNNING_KEY, JSON.stringify({ start: urls, payload }));
    } else {
      sessionStorage.removeItem(RUNNING_KEY);
    }
  } catch {
    // storage unavailable (private mode): the job just is not resumed after a reload
  }
}

function resumeJob() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RUNNING_KEY) || "null");
  } catch {
    saved = null;
  }
  if (!saved || !saved.start || typeof saved.start.statusQueryGetUri !== "string" || !saved.payload) {
    rememberJob(null);
    return;
  }
  fillForm(saved.payload);
  beginJob(saved.start, saved.payload);
}

/** Put a request's values back in the form (after a reload picked its generation up again). */
function fillForm(payload) {
  for (const name of ["category", "stage", "aspect", "variations"]) {
    const value = payload[name];
    if (value === undefined || value === null) continue;
    for (const input of ui.compose.querySelectorAll(`input[name="${name}"]`)) {
      if (input.value === String(value)) input.checked = true;
    }
  }
  if (typeof payload.keywords === "string") ui.keywords.value = payload.keywords;
  if (typeof payload.description === "string") ui.description.value = payload.description;
  ui.review.checked = Boolean(payload.review);
  updateCounter();
  autoGrow();
}

function beginJob(start, payload) {
  rememberJob(start, payload);
  state.payload = payload;
  state.reviewShown = false;
  state.reviewWanted = payload.review;
  state.lastStage = null;
  showNotice(ui.jobError, "");
  clear(ui.warnings);
  show(ui.warnings, false);
  show(ui.reviewBox, false);
  clear(ui.referenceList);
  show(ui.references, false);
  show(ui.progress, true);
  show(ui.cancel, true);
  ui.cancel.disabled = false;
  ui.cancel.textContent = "생성 취소";
  ui.progress.dataset.state = "running";
  ui.progress.dataset.instance = start.id || "";
  setStageLabel(state.labels.step.get("queued") || "대기 중");
  setProgress(0);
  renderSteps("queued");
  setBusy(true);
  ui.resultEmptyText.textContent = "생성이 끝나면 여기에 결과가 나타납니다.";
  const job = new GenerationJob(start, { onStatus: renderStatus, onDone: endJob });
  state.job = job;
  ui.progress.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  job.run();
}

function renderStatus(status) {
  const custom = status && typeof status.customStatus === "object" && status.customStatus ? status.customStatus : {};
  const stage = typeof custom.stage === "string" ? custom.stage : status.runtimeStatus === "Pending" ? "queued" : null;
  if (stage && stage !== state.lastStage) {
    state.lastStage = stage;
    ui.progress.dataset.stage = stage;
    if (stage === "failed" || stage === "cancelled") {
      // keep the steps as they were; the step that was running is where it stopped
      const current = ui.steps.querySelector(".step-current");
      if (current && stage === "failed") current.classList.replace("step-current", "step-failed");
    } else {
      renderSteps(stage);
    }
  }
  const label = koreanOr(custom.stageLabel, stage ? state.labels.step.get(stage) : null);
  if (label && !(state.job && state.job.cancelRequested)) setStageLabel(label);
  if (custom.progress !== undefined) setProgress(custom.progress);

  if (Array.isArray(custom.references) && custom.references.length && !ui.referenceList.childElementCount) {
    renderReferences(ui.referenceList, custom.references);
    show(ui.references, true);
  }
  renderWarnings(custom.warnings);

  if (custom.awaitingApproval && custom.draft && !state.reviewShown && state.job && !state.job.approvalSent) {
    state.reviewShown = true;
    showReview(custom.draft);
  } else if (!custom.awaitingApproval && stage && stage !== "review" && !ui.reviewBox.hidden) {
    // the review ended without us (it timed out on the server): the warnings say what happened
    show(ui.reviewBox, false);
  }
}

/** The Korean sentences of a list from the server (warnings); anything else is left out. */
function koreanLines(list) {
  return Array.isArray(list) ? list.filter((line) => koreanOr(line, null) !== null) : [];
}

function renderWarnings(warnings) {
  const list = koreanLines(warnings);
  if (list.length === ui.warnings.childElementCount) return;
  clear(ui.warnings);
  for (const warning of list) ui.warnings.append(el("li", { text: warning }));
  show(ui.warnings, list.length > 0);
}

function renderReferences(container, references) {
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

function showReview(draft) {
  ui.reviewPrompt.value = typeof draft.prompt === "string" ? draft.prompt : "";
  ui.reviewDraftTitle.textContent = typeof draft.title === "string" ? draft.title : "";
  show(ui.reviewDraftTitle, Boolean(draft.title));
  const avoid = Array.isArray(draft.avoid) ? draft.avoid.filter((a) => typeof a === "string") : [];
  ui.reviewAvoid.textContent = avoid.length ? `피할 것: ${avoid.join(", ")}` : "";
  show(ui.reviewAvoid, avoid.length > 0);
  ui.approve.disabled = false;
  show(ui.reviewBox, true);
  ui.reviewPrompt.focus();
}

async function onApprove() {
  const job = state.job;
  if (!job) return;
  const prompt = ui.reviewPrompt.value.trim();
  if (!prompt) {
    showNotice(ui.jobError, "프롬프트가 비어 있습니다. 내용을 입력해 주세요.");
    ui.reviewPrompt.focus();
    return;
  }
  showNotice(ui.jobError, "");
  ui.approve.disabled = true;
  try {
    await job.approve(prompt);
    show(ui.reviewBox, false);
    setStageLabel("프롬프트를 보냈습니다. 이미지를 만드는 중…");
  } catch (err) {
    ui.approve.disabled = false;
    showNotice(ui.jobError, messageOf(err));
  }
}

async function onCancel() {
  const job = state.job;
  if (!job) return;
  ui.cancel.disabled = true;
  ui.cancel.textContent = "취소하는 중…";
  setStageLabel("취소하는 중…");
  try {
    await job.cancel();
  } catch (err) {
    ui.cancel.disabled = false;
    ui.cancel.textContent = "생성 취소";
    showNotice(ui.jobError, messageOf(err));
  }
}

function endJob({ status, error }) {
  state.job = null;
  rememberJob(null);
  ui.resultEmptyText.textContent = EMPTY_TEXT;
  setBusy(false);
  show(ui.cancel, false);
  show(ui.reviewBox, false);
  const runtime = status ? status.runtimeStatus : null;
  const custom = status && status.customStatus && typeof status.customStatus === "object" ? status.customStatus : {};
  ui.progress.dataset.state = error ? "error" : String(runtime || "").toLowerCase();

  const stopStep = (how) => {
    const current = ui.steps.querySelector(".step-current");
    if (current) current.classList.replace("step-current", how);
  };
  if (error) {
    setStageLabel("진행 상황을 확인하지 못했습니다");
    stopStep("step-stopped");
    showNotice(ui.jobError, error.message);
    announce(error.message);
    return;
  }
  if (runtime === "Completed") {
    const output = status.output && typeof status.output === "object" ? status.output : null;
    if (output && output.cancelled) {
      setStageLabel(state.labels.step.get("cancelled") || "취소됨");
      stopStep("step-stopped");
      showNotice(ui.jobError, "프롬프트 확인 시간이 지나 생성을 취소했습니다. 다시 시도해 주세요.");
      loadHistory(1);
      return;
    }
    setProgress(1);
    renderSteps("done");
    setStageLabel(state.labels.step.get("done") || "완료");
    show(ui.progress, false);
    if (output) renderResult(output, { ...parseInput(status.input), ...state.payload });
    const count = output && Array.isArray(output.images) ? output.images.length : 0;
    announce(count > 1 ? `배경 ${count}장을 만들었습니다.` : "배경을 만들었습니다.");
    loadHistory(1);
    return;
  }
  if (runtime === "Terminated" || runtime === "Canceled") {
    setStageLabel("생성을 취소했습니다.");
    stopStep("step-stopped");
    loadHistory(1);
    return;
  }
  // Failed: the orchestration leaves a Korean message in customStatus.error for known errors.
  const known = custom.error && typeof custom.error === "object" ? custom.error.message : null;
  setStageLabel(state.labels.step.get("failed") || "실패");
  stopStep("step-failed");
  const failure = koreanOr(known, "이미지를 만들지 못했습니다. 잠시 후 다시 시도해 주세요.");
  showNotice(ui.jobError, failure);
  announce(failure);
  loadHistory(1);
}

// ---------------------------------------------------------------------------------------------
// Result

function withDownload(url) {
  if (!url) return null;
  return url + (url.includes("?") ? "&" : "?") + "download=1";
}

function downloadLink(asset, label, filename) {
  const href = asset && apiUrl(asset.assetUrl);
  if (!href) return null;
  return el("a", { class: "button button-quiet button-small", text: label, attrs: { href: withDownload(href), download: filename } });
}

function parseInput(input) {
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

function describe(item) {
  const parts = [];
  if (item.category) parts.push(state.labels.category.get(item.category) || item.category);
  if (item.stage) parts.push(state.labels.stage.get(item.stage) || item.stage);
  if (item.keywords) parts.push(item.keywords);
  return parts.join(" · ");
}

/** Show one generation (a fresh output, or a history item) large in the result panel. */
function renderResult(output, input) {
  const info = parseInput(input);
  const title = typeof output.title === "string" && output.title ? output.title : info.keywords || "결과";
  $("#result-title").textContent = title;
  ui.resultMeta.textContent = describe({ ...info, ...output, keywords: info.keywords || output.keywords });
  clear(ui.resultImages);
  const images = Array.isArray(output.images) ? output.images : [];
  const many = images.length > 1;
  ui.resultImages.classList.toggle("many", many);
  for (const image of images) {
    const index = image.index || 1;
    const png = image.png || {};
    const src = apiUrl(png.assetUrl) || apiUrl((image.thumbnail || {}).assetUrl);
    const alt = many ? `${title} — 변형 ${index}` : title;
    const img = el("img", {
      class: "result-image",
      attrs: { src, alt, width: image.width, height: image.height, decoding: "async" },
    });
    const stem = `webtoon-${(output.instanceId || "background").slice(0, 12)}-${index}`;
    const figure = el("figure", { class: "result-figure", attrs: { "data-index": index } }, [
      el("a", { class: "result-image-link", attrs: { href: src, target: "_blank", rel: "noopener" } }, [img]),
      el("figcaption", { class: "downloads" }, [
        many ? el("span", { class: "variant", text: `변형 ${index}` }) : null,
        downloadLink(image.png, "PNG 내려받기", `${stem}.png`),
        downloadLink(image.psd, "PSD 내려받기", `${stem}.psd`),
      ]),
    ]);
    ui.resultImages.append(figure);
  }
  const layers = Array.isArray(output.layers) ? output.layers.filter((l) => typeof l === "string") : [];
  clear(ui.layerList);
  for (const layer of layers) ui.layerList.append(el("li", { text: layer }));
  show(ui.resultLayers, layers.length > 0);
  const prompt = typeof output.prompt === "string" ? output.prompt : "";
  ui.resultPrompt.textContent = prompt;
  show(ui.resultPromptBox, Boolean(prompt));

  const refs = Array.isArray(output.references) ? output.references : [];
  let refBox = ui.resultBody.querySelector(".result-references");
  if (refBox) refBox.remove();
  if (refs.length) {
    const list = el("div", { class: "reference-list" });
    renderReferences(list, refs);
    refBox = el("div", { class: "references result-references" }, [el("h3", { text: "참고한 이미지" }), list]);
    ui.resultBody.append(refBox);
  }
  const warnings = koreanLines(output.warnings);
  let warnBox = ui.resultBody.querySelector(".result-warnings");
  if (warnBox) warnBox.remove();
  if (warnings.length) {
    warnBox = el("ul", { class: "warnings result-warnings" }, warnings.map((w) => el("li", { text: w })));
    ui.resultMeta.after(warnBox);
  }
  ui.result.dataset.instance = output.instanceId || "";
  show(ui.resultEmpty, false);
  show(ui.resultBody, true);
}

// ---------------------------------------------------------------------------------------------
// History

const STATUS_LABELS = {
  completed: null, failed: "실패", terminated: "취소됨", cancelled: "취소됨", canceled: "취소됨",
  running: "진행 중", pending: "대기 중",
};

function formatDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("ko-KR", { month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

function historyItem(item) {
  const images = Array.isArray(item.images) ? item.images : [];
  const first = images[0] || {};
  const thumb = apiUrl((first.thumbnail || {}).assetUrl) || apiUrl((first.png || {}).assetUrl);
  const title = typeof item.title === "string" && item.title ? item.title : item.keywords || "제목 없음";
  const statusKey = String(item.status || "").toLowerCase();
  const statusLabel = statusKey in STATUS_LABELS ? STATUS_LABELS[statusKey] : item.status ? String(item.status) : null;
  const open = el("button", {
    class: "history-open",
    attrs: { type: "button", "aria-label": `${title} 크게 보기`, disabled: images.length ? null : true },
    on: { click: () => openHistoryItem(item) },
  }, [
    thumb
      ? el("img", { attrs: { src: thumb, alt: "", loading: "lazy", decoding: "async" } })
      : el("span", { class: "history-placeholder", attrs: { "aria-hidden": "true" } }),
    images.length > 1 ? el("span", { class: "badge count", text: `${images.length}장` }) : null,
    statusLabel ? el("span", { class: `badge status status-${statusKey}`, text: statusLabel }) : null,
  ]);
  const links = el("div", { class: "history-links" }, [
    downloadLink(first.png, "PNG", `webtoon-${String(item.instanceId || "").slice(0, 12)}.png`),
    downloadLink(first.psd, "PSD", `webtoon-${String(item.instanceId || "").slice(0, 12)}.psd`),
  ]);
  return el("li", { class: "history-item", attrs: { "data-instance": item.instanceId || "" } }, [
    open,
    el("div", { class: "history-text" }, [
      el("p", { class: "history-title", text: title }),
      el("p", { class: "history-meta", text: [describe({ category: item.category, stage: item.stage }), formatDate(item.createdAt)].filter(Boolean).join(" · ") }),
      // Why a job failed or was cancelled, in the server's Korean words (never a raw trace).
      item.error && koreanOr(item.error.message, null)
        ? el("p", { class: "history-error", text: koreanOr(item.error.message, null) })
        : null,
    ]),
    links,
  ]);
}

function openHistoryItem(item) {
  renderResult(
    { instanceId: item.instanceId, title: item.title, images: item.images || [], keywords: item.keywords },
    { category: item.category, stage: item.stage, keywords: item.keywords },
  );
  ui.result.scrollIntoView({ block: "start", behavior: smoothScroll() });
  const firstLink = ui.resultImages.querySelector("a");
  if (firstLink) firstLink.focus({ preventScroll: true });
}

async function loadHistory(page) {
  if (state.history.loading) return;
  state.history.loading = true;
  ui.historyMore.disabled = true;
  try {
    const body = await listGenerations(page, HISTORY_PAGE_SIZE);
    const items = Array.isArray(body.items) ? body.items : [];
    if (page === 1) clear(ui.historyList);
    for (const item of items) ui.historyList.append(historyItem(item));
    state.history.page = page;
    state.history.total = Number(body.total) || 0;
    showNotice(ui.historyError, "");
    show(ui.historyEmpty, page === 1 && items.length === 0);
    show(ui.historyMore, ui.historyList.childElementCount < state.history.total && items.length > 0);
  } catch (err) {
    showNotice(ui.historyError, `지난 작업을 불러오지 못했습니다. ${messageOf(err)}`);
  } finally {
    state.history.loading = false;
    ui.historyMore.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------

async function loadCatalog() {
  try {
    applyCatalog(await getCatalog());
    showNotice(ui.catalogError, "");
  } catch (err) {
    showNotice(ui.catalogError, `선택 항목을 불러오지 못했습니다. ${messageOf(err)} 페이지를 새로 고쳐 주세요.`);
  }
}

function init() {
  bindElements();
  wireDescription();
  wirePhoto();
  ui.compose.addEventListener("submit", onSubmit);
  ui.keywords.addEventListener("input", () => ui.keywords.removeAttribute("aria-invalid"));
  ui.approve.addEventListener("click", onApprove);
  ui.cancel.addEventListener("click", onCancel);
  ui.historyMore.addEventListener("click", () => loadHistory(state.history.page + 1));
  ui.historyRefresh.addEventListener("click", () => loadHistory(1));
  setupMicrophone(ui.mic, {
    onText: insertSpokenText,
    say: (message, kind) => {
      ui.micStatus.textContent = message;
      ui.micStatus.dataset.kind = kind || "";
    },
    setListening: (on) => {
      ui.mic.setAttribute("aria-pressed", on ? "true" : "false");
      ui.mic.classList.toggle("listening", on);
      ui.mic.querySelector(".mic-text").textContent = on ? "듣는 중… (눌러서 멈춤)" : "음성 입력";
    },
  });
  // History cards show catalog labels, so they render once the catalog has settled.
  const catalogSettled = loadCatalog();
  Promise.all([catalogSettled.then(() => state.catalog && resumeJob()), catalogSettled.then(() => loadHistory(1))]).finally(() => {
    document.documentElement.dataset.ready = "true";
  });
}

init();
