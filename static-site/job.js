// One running generation: polls the Durable status URL, honours Retry-After, stops on every
// terminal state and after a time limit, and sends the approval event or the terminate request.

import { ApiError, MESSAGES, errorFromResponse, postJson, retryAfterMs, send } from "./api.js";
import { POLL } from "./config.js";
import { sleep } from "./dom.js";

export const TERMINAL = new Set(["Completed", "Failed", "Terminated", "Canceled"]);

const TIMEOUT_MESSAGE =
  "생성이 너무 오래 걸려 진행 상황 확인을 멈췄습니다. 잠시 뒤 아래 '지난 작업'에서 결과를 확인해 주세요.";

/** Same-origin-relative form of a management URL, so the API base and the page agree. */
function managementUrl(template, replacements = {}) {
  let url = String(template || "");
  for (const [key, value] of Object.entries(replacements)) {
    url = url.split(`{${key}}`).join(encodeURIComponent(value));
  }
  return url;
}

export class GenerationJob {
  /**
   * @param {object} start the 202 body of POST /api/generations
   * @param {{onStatus: Function, onDone: Function}} handlers
   */
  constructor(start, { onStatus, onDone }) {
    this.id = start.id;
    this.urls = start;
    this.onStatus = onStatus;
    this.onDone = onDone;
    this.controller = new AbortController();
    this.finished = false;
    this.approvalSent = false;
    this.cancelRequested = false;
  }

  async run() {
    const signal = this.controller.signal;
    let delay = POLL.firstDelayMs;
    let activeMs = 0; // time counted against the limit (not while waiting for the artist)
    let networkFailures = 0;
    let last = null;
    try {
      for (;;) {
        const before = performance.now();
        await sleep(delay, signal);
        let response;
        try {
          response = await send(this.urls.statusQueryGetUri, { signal });
        } catch (err) {
          if (err instanceof ApiError && err.code === "network" && ++networkFailures < POLL.maxNetworkFailures) {
            delay = Math.min(POLL.maxDelayMs, POLL.defaultDelayMs * 2 ** networkFailures);
            continue;
          }
          throw err;
        }
        networkFailures = 0;
        if (response.status !== 200 && response.status !== 202) {
          const error = await errorFromResponse(response);
          if (response.status >= 500 && ++networkFailures < POLL.maxNetworkFailures) {
            delay = Math.min(POLL.maxDelayMs, POLL.defaultDelayMs * 2 ** networkFailures);
            continue;
          }
          throw error;
        }
        let status;
        try {
          status = await response.json();
        } catch {
          throw new ApiError(MESSAGES.server, { code: "bad_response" });
        }
        last = status;
        this.onStatus(status);
        if (TERMINAL.has(status.runtimeStatus)) {
          this.finish({ status });
          return;
        }
        const waiting = Boolean(status.customStatus && status.customStatus.awaitingApproval) && !this.approvalSent;
        if (!waiting) activeMs += performance.now() - before;
        if (activeMs > POLL.timeoutMs) {
          throw new ApiError(TIMEOUT_MESSAGE, { code: "poll_timeout" });
        }
        const told = retryAfterMs(response);
        delay = Math.min(POLL.maxDelayMs, Math.max(POLL.minDelayMs, told === null ? POLL.defaultDelayMs : told));
      }
    } catch (err) {
      if (signal.aborted) return;
      this.finish({ status: last, error: err instanceof ApiError ? err : new ApiError(MESSAGES.unknown) });
    }
  }

  finish(result) {
    if (this.finished) return;
    this.finished = true;
    this.controller.abort();
    this.onDone(result);
  }

  /** Stop polling without touching the server (page reset). */
  abandon() {
    this.finished = true;
    this.controller.abort();
  }

  /** Send the artist's (edited) prompt as the prompt_approved event. */
  async approve(prompt) {
    const url = managementUrl(this.urls.sendEventPostUri, { eventName: "prompt_approved" });
    const response = await postJson(url, { prompt });
    if (response.status === 410) throw new ApiError("이미 끝난 작업이라 프롬프트를 보낼 수 없습니다.", { status: 410 });
    if (!response.ok) throw await errorFromResponse(response);
    this.approvalSent = true;
  }

  /** Terminate the orchestration; polling then sees runtimeStatus Terminated. */
  async cancel() {
    this.cancelRequested = true;
    const url = managementUrl(this.urls.terminatePostUri, { text: "사용자가 취소함" });
    const response = await send(url, { method: "POST" });
    if (response.status === 410) return; // already finished: the next poll shows how
    if (!response.ok) {
      this.cancelRequested = false;
      throw await errorFromResponse(response);
    }
  }
}
