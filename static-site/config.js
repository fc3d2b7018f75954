// Site configuration. The API base URL comes from <meta name="api-base" content="..."> in index.html
// (empty = same origin, as on devhost and on Azure Static Web Apps with a linked Function App).
// A different origin also needs that origin added to connect-src/img-src in both CSPs
// (index.html and staticwebapp.config.json).

const meta = document.querySelector('meta[name="api-base"]');

export const API_BASE = (meta && meta.content ? meta.content : "").trim().replace(/\/+$/, "");

/** Largest reference photo accepted, checked in the browser before any upload, until GET /api/catalog
 * tells the server's own limit (maxUploadBytes). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

export const POLL = {
  /** First status check after the start response (its Retry-After is a fixed SDK constant). */
  firstDelayMs: 700,
  /** Used when a status answer carries no Retry-After. */
  defaultDelayMs: 1000,
  /** Never poll faster than this, whatever the server says. */
  minDelayMs: 300,
  /** A Retry-After larger than this is capped (a stuck value must not freeze the page). */
  maxDelayMs: 30000,
  /** Stop polling after this long, not counting time spent waiting for the artist's approval. */
  timeoutMs: 10 * 60 * 1000,
  /** Consecutive network failures tolerated before giving up. */
  maxNetworkFailures: 5,
};

export const HISTORY_PAGE_SIZE = 12;

/** Speech SDK bundle, copied from node_modules by scripts/vendor_site.sh; loaded only when needed. */
export const SPEECH_SDK_URL = "vendor/microsoft.cognitiveservices.speech.sdk.bundle-min.js";
export const SPEECH_WORKLET_URL = "vendor/speech-processor.js";
export const SPEECH_LANGUAGE = "ko-KR";

/** Resolve an API path ("/api/...") against the configured base; anything else must be http(s). */
export function apiUrl(path) {
  if (typeof path !== "string" || path === "") return null;
  if (path.startsWith("/")) return API_BASE + path;
  try {
    const url = new URL(path, document.baseURI);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}
