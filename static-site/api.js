// Calls to the HTTP API (docs/API.md) and the one place where failures become Korean sentences.

import { apiUrl } from "./config.js";

export const MESSAGES = {
  network: "서버에 연결할 수 없습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요.",
  unauthenticated: "로그인이 필요합니다. 다시 로그인해 주세요.",
  rate_limited: "요청이 많아 잠시 후 다시 시도해 주세요.",
  content_filtered: "요청한 내용이 안전 정책에 걸려 이미지를 만들 수 없습니다. 표현을 바꿔 다시 시도해 주세요.",
  validation: "입력한 내용을 확인해 주세요.",
  not_found: "요청한 항목을 찾을 수 없습니다.",
  too_large: "파일이 너무 큽니다. 10MB 이하의 사진을 올려 주세요.",
  unsupported: "지원하지 않는 파일 형식입니다. JPG, PNG, WebP 사진을 올려 주세요.",
  server: "서버에 일시적인 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
  unknown: "알 수 없는 문제가 생겼습니다. 잠시 후 다시 시도해 주세요.",
};

const HANGUL = /[\u3131-\u318e\uac00-\ud7a3]/;

/** The text when it is a short Korean sentence (what the server means for the artist), else the fallback. */
export function koreanOr(text, fallback) {
  return typeof text === "string" && HANGUL.test(text) && text.length <= 500 ? text : fallback;
}

export class ApiError extends Error {
  constructor(message, { status = 0, code = "unknown", details = {}, retryAfterMs = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details || {};
    this.retryAfterMs = retryAfterMs;
  }
}

/** Retry-After (seconds or an HTTP date) in milliseconds, or null. */
export function retryAfterMs(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function fallbackMessage(status, code) {
  if (MESSAGES[code]) return MESSAGES[code];
  if (status === 401) return MESSAGES.unauthenticated;
  if (status === 429) return MESSAGES.rate_limited;
  if (status === 422) return MESSAGES.content_filtered;
  if (status === 413) return MESSAGES.too_large;
  if (status === 415) return MESSAGES.unsupported;
  if (status === 404) return MESSAGES.not_found;
  if (status === 400) return MESSAGES.validation;
  if (status >= 500) return MESSAGES.server;
  return MESSAGES.unknown;
}

/**
 * A Korean message for a failed response: the server's own message when it sent the agreed
 * {"error": {"code", "message"}} shape in Korean, otherwise one of ours. Never raw bodies.
 */
export async function errorFromResponse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : {};
  const code = typeof error.code === "string" ? error.code : "";
  const serverMessage = typeof error.message === "string" ? error.message.trim() : "";
  const message = koreanOr(serverMessage, fallbackMessage(response.status, code));
  return new ApiError(message, {
    status: response.status,
    code: code || `http_${response.status}`,
    details: error.details,
    retryAfterMs: retryAfterMs(response),
  });
}

/** fetch() that turns a network failure into an ApiError with a Korean message. */
export async function send(url, options = {}) {
  try {
    return await fetch(url, { credentials: "same-origin", cache: "no-store", ...options });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(MESSAGES.network, { code: "network" });
  }
}

async function jsonOrThrow(response) {
  if (!response.ok) throw await errorFromResponse(response);
  try {
    return await response.json();
  } catch {
    throw new ApiError(MESSAGES.server, { status: response.status, code: "bad_response" });
  }
}

export async function getJson(path, options = {}) {
  return jsonOrThrow(await send(apiUrl(path), options));
}

export async function postJson(url, body, options = {}) {
  return send(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...options,
  });
}

export function getCatalog() {
  return getJson("/api/catalog");
}

export async function startGeneration(payload) {
  const response = await postJson(apiUrl("/api/generations"), payload);
  return jsonOrThrow(response);
}

/** POST /api/layers: layers and a PSD from the artist's own image; answers like a generation (202). */
export async function startLayers(payload) {
  const response = await postJson(apiUrl("/api/layers"), payload);
  return jsonOrThrow(response);
}

export async function uploadPhoto(file, signal) {
  const form = new FormData();
  form.append("file", file, file.name || "photo");
  const response = await send(apiUrl("/api/uploads"), { method: "POST", body: form, signal });
  return jsonOrThrow(response);
}

export function listGenerations(page, pageSize) {
  const query = new URLSearchParams({ page: String(page), pageSize: String(pageSize) });
  return getJson(`/api/generations?${query}`);
}
