// The scene description: grows to six lines, counts its characters, Enter submits the form, and
// spoken text is added to it.

const MAX_LINES = 6;

const area = () => document.getElementById("description");
const counter = () => document.getElementById("description-count");

function descriptionLimit() {
  return area().maxLength > 0 ? area().maxLength : 500;
}

export function updateCounter() {
  const length = area().value.length;
  const limit = descriptionLimit();
  counter().textContent = `${length} / ${limit}`;
  counter().classList.toggle("over", length > limit);
  counter().classList.toggle("near", length <= limit && length >= limit * 0.9);
}

export function autoGrow() {
  const textarea = area();
  const style = getComputedStyle(textarea);
  const line = parseFloat(style.lineHeight) || 22;
  const chrome = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom)
    + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
  textarea.style.height = "auto";
  const max = line * MAX_LINES + chrome;
  const wanted = textarea.scrollHeight + parseFloat(style.borderTopWidth) + parseFloat(style.borderBottomWidth);
  textarea.style.height = `${Math.min(wanted, max)}px`;
  textarea.style.overflowY = wanted > max ? "auto" : "hidden";
}

export function wireDescription() {
  area().addEventListener("input", () => {
    updateCounter();
    autoGrow();
  });
  area().addEventListener("keydown", (event) => {
    // Enter submits; Shift+Enter breaks the line; never while a Hangul syllable is being composed.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    area().form.requestSubmit();
  });
  autoGrow();
}

export function insertSpokenText(text) {
  const current = area().value.trim();
  const joined = current ? `${current} ${text.trim()}` : text.trim();
  area().value = joined.slice(0, descriptionLimit());
  updateCounter();
  autoGrow();
  area().focus();
}
