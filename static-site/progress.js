// The progress panel of the running generation: its steps, bar and stage label, the references found,
// warnings and the prompt review; and the sessionStorage entry that lets a reload pick it up again.

import { koreanOr } from "./api.js";
import { clear, el, show } from "./dom.js";
import { koreanLines, labels, renderReferences } from "./view.js";

const HIDDEN_STEPS = new Set(["queued", "failed", "cancelled"]);

const ui = {};
const panel = { steps: [], reviewWanted: false, lastStage: null, reviewShown: false };

function bind() {
  for (const id of [
    "progress", "cancel", "stage-label", "progress-bar", "progress-fill", "steps", "warnings", "job-error",
    "review-box", "review-draft-title", "review-prompt", "review-avoid", "approve", "references", "reference-list",
  ]) {
    ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  }
}

/** The catalog's steps (GET /api/catalog → steps). */
export function setSteps(steps) {
  if (!ui.progress) bind();
  panel.steps = Array.isArray(steps) ? steps : [];
}

/** Empty the panel for a new (or resumed) generation and show it at its first step. */
export function resetProgress(instanceId, review) {
  if (!ui.progress) bind();
  panel.reviewShown = false;
  panel.reviewWanted = Boolean(review);
  panel.lastStage = null;
  ui.jobError.textContent = "";
  show(ui.jobError, false);
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
  ui.progress.dataset.instance = instanceId || "";
  setStageLabel(labels.step.get("queued") || "대기 중");
  setProgress(0);
  renderSteps("queued");
}

function stepsFor(review) {
  return panel.steps.filter((s) => !HIDDEN_STEPS.has(s.value) && (review || s.value !== "review"));
}

export function renderSteps(current) {
  clear(ui.steps);
  const steps = stepsFor(panel.reviewWanted);
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

export function setProgress(fraction) {
  const value = Math.max(0, Math.min(1, Number(fraction) || 0));
  ui.progressFill.style.width = `${(value * 100).toFixed(1)}%`;
  ui.progressBar.setAttribute("aria-valuenow", String(Math.round(value * 100)));
}

export function setStageLabel(text) {
  if (ui.stageLabel.textContent !== text) ui.stageLabel.textContent = text;
}

// The running generation is kept in sessionStorage, so a reload picks its progress up again.
const RUNNING_KEY = "webtoon.running";

export function rememberJob(start, payload) {
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

/** The generation a reload should pick up again ({start, payload}), or null. */
export function savedJob() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(RUNNING_KEY) || "null");
  } catch {
    saved = null;
  }
  if (!saved || !saved.start || typeof saved.start.statusQueryGetUri !== "string" || !saved.payload) {
    rememberJob(null);
    return null;
  }
  return saved;
}

/** Show one status answer of the running `job`. */
export function renderStatus(status, job) {
  const custom = status && typeof status.customStatus === "object" && status.customStatus ? status.customStatus : {};
  const stage = typeof custom.stage === "string" ? custom.stage : status.runtimeStatus === "Pending" ? "queued" : null;
  if (stage && stage !== panel.lastStage) {
    panel.lastStage = stage;
    ui.progress.dataset.stage = stage;
    if (stage === "failed" || stage === "cancelled") {
      // keep the steps as they were; the step that was running is where it stopped
      const current = ui.steps.querySelector(".step-current");
      if (current && stage === "failed") current.classList.replace("step-current", "step-failed");
    } else {
      renderSteps(stage);
    }
  }
  const label = koreanOr(custom.stageLabel, stage ? labels.step.get(stage) : null);
  if (label && !(job && job.cancelRequested)) setStageLabel(label);
  if (custom.progress !== undefined) setProgress(custom.progress);

  if (Array.isArray(custom.references) && custom.references.length && !ui.referenceList.childElementCount) {
    renderReferences(ui.referenceList, custom.references);
    show(ui.references, true);
  }
  renderWarnings(custom.warnings);

  if (custom.awaitingApproval && custom.draft && !panel.reviewShown && job && !job.approvalSent) {
    panel.reviewShown = true;
    showReview(custom.draft);
  } else if (!custom.awaitingApproval && stage && stage !== "review" && !ui.reviewBox.hidden) {
    // the review ended without us (it timed out on the server): the warnings say what happened
    show(ui.reviewBox, false);
  }
}

function renderWarnings(warnings) {
  const list = koreanLines(warnings);
  if (list.length === ui.warnings.childElementCount) return;
  clear(ui.warnings);
  for (const warning of list) ui.warnings.append(el("li", { text: warning }));
  show(ui.warnings, list.length > 0);
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
