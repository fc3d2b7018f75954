// Checks on a picked image before it is uploaded (the server checks again): type and size.

import { MAX_UPLOAD_BYTES } from "./config.js";
import { formatBytes } from "./dom.js";

export const ACCEPTED_TYPES = new Set(["image/jpeg", "image/png", "image/webp"]);

/** A Korean sentence saying why `file` cannot be sent, or "" when it can. `limit`: the server's bytes. */
export function photoProblem(file, limit) {
  if (!ACCEPTED_TYPES.has(file.type)) return "JPG, PNG, WebP 사진만 올릴 수 있습니다.";
  const max = Number(limit) || MAX_UPLOAD_BYTES;
  if (file.size > max) {
    const limitText = max % (1024 * 1024) === 0 ? `${max / (1024 * 1024)}MB` : formatBytes(max);
    return `사진이 너무 큽니다 (${formatBytes(file.size)}). ${limitText} 이하의 사진을 골라 주세요.`;
  }
  return "";
}

export function firstFile(list) {
  return list && list.length ? list[0] : null;
}
