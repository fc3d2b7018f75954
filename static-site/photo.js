// The form's picture inputs: the reference photo (button, paste, drag-and-drop; checked, then uploaded at
// once) or an earlier result used as the photo ("이 결과로 다시"), and the style source chip
// ("이 그림체로"). What they add to the request: uploadId or photoSource, and styleSource.

import { uploadPhoto } from "./api.js";
import { show } from "./dom.js";
import { firstFile, photoProblem } from "./files.js";

const ui = {};
const state = {
  // {file, objectUrl, controller, upload: Promise<{id,...}>, id} for an uploaded photo, or {source} for
  // an earlier result used as the photo (source = {instanceId, index, title, thumb})
  photo: null,
  style: null, // an earlier result {instanceId, index, title, thumb}
  limit: () => null,
  messageOf: String,
};

function bind() {
  for (const id of [
    "dropzone", "photo-pick", "photo-input", "photo-empty", "photo-preview", "photo-img", "photo-name",
    "photo-state", "photo-remove", "photo-error", "style-field", "style-img", "style-name", "style-clear",
  ]) {
    ui[id.replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = document.getElementById(id);
  }
}

function photoError(message) {
  ui.photoError.textContent = message || "";
  show(ui.photoError, Boolean(message));
}

export function removePhoto() {
  if (state.photo) {
    if (state.photo.controller) state.photo.controller.abort();
    if (state.photo.objectUrl) URL.revokeObjectURL(state.photo.objectUrl);
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
  const problem = photoProblem(file, state.limit());
  if (problem) {
    photoError(problem);
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
      photoError(err && err.name === "AbortError" ? "" : state.messageOf(err));
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

/** "이 결과로 다시": an earlier result is the photo (sent as photoSource, nothing is uploaded). */
export function useResultAsPhoto(source) {
  removePhoto();
  photoError("");
  state.photo = { source };
  if (source.thumb) ui.photoImg.src = source.thumb;
  ui.photoName.textContent = `지난 결과: ${source.title}`;
  ui.photoState.textContent = source.index > 1 ? `변형 ${source.index}을 사진으로 씁니다.` : "이 결과를 사진으로 씁니다.";
  show(ui.photoEmpty, false);
  show(ui.photoPreview, true);
}

/** "이 그림체로": an earlier result is the style source (styleSource), shown as a chip that can be cleared. */
export function setStyle(source) {
  state.style = source;
  if (source && source.thumb) ui.styleImg.src = source.thumb;
  else ui.styleImg.removeAttribute("src");
  ui.styleName.textContent = source ? source.title : "";
  show(ui.styleField, Boolean(source));
}

/** `limit()`: the server's upload limit in bytes (or null); `messageOf(err)`: a Korean sentence. */
export function wirePhoto({ limit, messageOf, announce }) {
  bind();
  state.limit = limit;
  state.messageOf = messageOf;
  ui.photoPick.addEventListener("click", () => ui.photoInput.click());
  ui.photoInput.addEventListener("change", () => acceptFile(firstFile(ui.photoInput.files)));
  ui.photoRemove.addEventListener("click", () => {
    removePhoto();
    photoError("");
    ui.photoPick.focus();
  });
  ui.styleClear.addEventListener("click", () => {
    setStyle(null);
    announce("그림체 고정을 뺐습니다.");
    document.getElementById("keywords").focus();
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

//

/** The request's picture fields: {uploadId} (waits for the upload) or {photoSource}, and {styleSource}. */
export async function pictureFields() {
  const fields = {};
  if (state.style) fields.styleSource = { instanceId: state.style.instanceId, index: state.style.index };
  if (state.photo && state.photo.source) {
    fields.photoSource = { instanceId: state.photo.source.instanceId, index: state.photo.source.index };
  } else if (state.photo) {
    fields.uploadId = (await state.photo.upload).id;
  }
  return fields;
}
