// The page: signs the user in (Static Web Apps) or uses the local user, builds the form from
// GET /api/catalog, uploads the reference photo (or takes an earlier result as the photo or the style),
// starts a generation, shows its progress (and the prompt review); the result and the history panels
// are result.js and history.js, making layers from the artist's own image is layer-tool.js.
// Text from users or the server only ever reaches the page through textContent.

import { ApiError, MESSAGES, getCatalog, koreanOr, startGeneration } from "./api.js";
import { loadSession, renderAccount, renderSignIn } from "./auth.js";
import { autoGrow, insertSpokenText, updateCounter, wireDescription } from "./description.js";
import { clear, el, show } from "./dom.js";
import { loadHistory, wireHistory } from "./history.js";
import { GenerationJob } from "./job.js";
import { applyLayerOptions, wireLayerTool } from "./layer-tool.js";
import {
  rememberJob, renderStatus, renderSteps, resetProgress, savedJob, setProgress, setStageLabel, setSteps,
} from "./progress.js";
import { pictureFields, setStyle, useResultAsPhoto, wirePhoto } from "./photo.js";
import { renderResult } from "./result.js";
import { setupMicrophone } from "./speech.js";
import { labels, parseInput } from "./view.js";

const EMPTY_TEXT = "장면을 설명하고 '배경 생성'을 누르면 여기에 결과가 나타납니다.";

const state = {
  session: { mode: "local" },
  catalog: null,
  job: null,
};

const ui = {};

function bindElements() {
  for (const id of [
    "compose", "catalog-error", "category-options", "stage-options", "keywords", "description",
    "description-count", "mic", "mic-status",
    "aspect-options", "variation-options", "review", "form-error", "submit", "progress", "cancel", "steps",
    "job-error", "review-box", "review-prompt", "approve", "result", "result-empty-text", "announcer",
    "account", "signin", "main", "style-clear",
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
  for (const c of catalog.categories || []) labels.category.set(c.value, c.label);
  for (const s of catalog.stages || []) labels.stage.set(s.value, s.label);
  for (const a of catalog.aspects || []) labels.aspect.set(a.value, a.label);
  for (const s of catalog.steps || []) labels.step.set(s.value, s.label);
  setSteps(catalog.steps);
  applyLayerOptions(catalog);

  const categories = catalog.categories || [];
  const stages = catalog.stages || [];
  buildChoices(ui.categoryOptions, "category", categories, categories.length ? categories[0].value : null);
  const preferred = stages.find((s) => s.value === catalog.defaultStage);
  buildChoices(ui.stageOptions, "stage", stages, (preferred || stages[0] || {}).value);

  const aspects = (catalog.aspects || []).map((a) => {
    // the icon has the aspect's own proportions (26 px tall), whatever sizes the configured model offers
    const iconWidth = Math.round(Math.min(40, Math.max(12, (26 * a.width) / a.height)));
    const shape = el("span", { class: "aspect-shape", attrs: { "aria-hidden": "true", "data-aspect": a.value } });
    shape.style.width = `${iconWidth}px`; // CSSOM, not a style attribute: the page's CSP allows no inline styles
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
// Again from an earlier result (history cards)

function onAgain(kind, source) {
  if (state.job) {
    announce("진행 중인 생성이 끝난 뒤에 다시 눌러 주세요.");
    return;
  }
  if (kind === "photo") {
    fillForm(source.request || {});
    useResultAsPhoto(source);
    announce(`'${source.title}' 결과를 참고 사진으로 넣었습니다. 내용을 고친 뒤 '배경 생성'을 누르세요.`);
  } else {
    setStyle(source);
    announce(`'${source.title}'의 그림체로 고정했습니다.`);
  }
  ui.compose.scrollIntoView({ block: "start", behavior: smoothScroll() });
  (kind === "photo" ? ui.keywords : ui.styleClear).focus({ preventScroll: true });
}

// ---------------------------------------------------------------------------------------------
// Submit

const FIELD_INPUT = {
  keywords: "keywords", description: "description", uploadId: "photo-pick", photoSource: "photo-remove",
  styleSource: "style-clear", prompt: "review-prompt",
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
    Object.assign(payload, await pictureFields());
    const start = await startGeneration(payload);
    beginJob(start, payload);
  } catch (err) {
    setBusy(false);
    if (err && err.name === "AbortError") return;
    if (signedOut(err)) return;
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

function resumeJob() {
  const saved = savedJob();
  if (!saved) return;
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
  resetProgress(start.id, payload.review);
  setBusy(true);
  ui.resultEmptyText.textContent = "생성이 끝나면 여기에 결과가 나타납니다.";
  const job = new GenerationJob(start, { onStatus: (status) => renderStatus(status, job), onDone: endJob });
  state.job = job;
  ui.progress.scrollIntoView({ block: "nearest", behavior: smoothScroll() });
  job.run();
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
  if (error && signedOut(error)) return;
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
      setStageLabel(labels.step.get("cancelled") || "취소됨");
      stopStep("step-stopped");
      showNotice(ui.jobError, "프롬프트 확인 시간이 지나 생성을 취소했습니다. 다시 시도해 주세요.");
      loadHistory(1);
      return;
    }
    setProgress(1);
    renderSteps("done");
    setStageLabel(labels.step.get("done") || "완료");
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
  setStageLabel(labels.step.get("failed") || "실패");
  stopStep("step-failed");
  const failure = koreanOr(known, "이미지를 만들지 못했습니다. 잠시 후 다시 시도해 주세요.");
  showNotice(ui.jobError, failure);
  announce(failure);
  loadHistory(1);
}

// ---------------------------------------------------------------------------------------------
// Sign-in and start

/** A 401 on Static Web Apps: the sign-in ended. Show the sign-in panel instead of the work area. */
function signedOut(err) {
  if (!(err instanceof ApiError) || err.status !== 401 || state.session.mode !== "swa") return false;
  show(ui.main, false);
  renderSignIn(ui.signin, state.session, "로그인이 끝났습니다. 다시 로그인해 주세요.");
  return true;
}

async function loadCatalog() {
  try {
    applyCatalog(await getCatalog());
    showNotice(ui.catalogError, "");
  } catch (err) {
    if (signedOut(err)) return;
    showNotice(ui.catalogError, `선택 항목을 불러오지 못했습니다. ${messageOf(err)} 페이지를 새로 고쳐 주세요.`);
  }
}

function wireMicrophone(speechService) {
  setupMicrophone(ui.mic, {
    speechService,
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
}

function wire() {
  wireDescription();
  wirePhoto({ limit: () => state.catalog && state.catalog.maxUploadBytes, messageOf, announce });
  ui.compose.addEventListener("submit", onSubmit);
  ui.keywords.addEventListener("input", () => ui.keywords.removeAttribute("aria-invalid"));
  ui.approve.addEventListener("click", onApprove);
  ui.cancel.addEventListener("click", onCancel);
  wireHistory({
    onAgain,
    messageOf,
    onFailure: signedOut,
    onOpened: () => {
      ui.result.scrollIntoView({ block: "start", behavior: smoothScroll() });
      const firstLink = ui.result.querySelector("#result-images a");
      if (firstLink) firstLink.focus({ preventScroll: true });
    },
  });
  wireLayerTool({ limit: () => state.catalog && state.catalog.maxUploadBytes, messageOf, signedOut });
}

async function init() {
  bindElements();
  wire();
  state.session = await loadSession();
  renderAccount(ui.account, state.session);
  if (state.session.mode === "swa" && !state.session.user) {
    // Nothing under /api answers before sign-in: ask for nothing, show the sign-in buttons.
    show(ui.main, false);
    renderSignIn(ui.signin, state.session, "");
    document.documentElement.dataset.ready = "true";
    return;
  }
  // History cards show catalog labels, so they render once the catalog has settled; the microphone
  // asks for a speech token only when the catalog says Speech is configured.
  const catalogSettled = loadCatalog();
  catalogSettled.then(() => wireMicrophone(state.catalog ? state.catalog.speechService : false));
  Promise.all([catalogSettled.then(() => state.catalog && resumeJob()), catalogSettled.then(() => loadHistory(1))]).finally(() => {
    document.documentElement.dataset.ready = "true";
  });
}

init();
