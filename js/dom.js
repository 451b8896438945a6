// DOM helpers shared by the views: making an element, writing text only when it changed, scrolling inside a box, editing a word or a name in place.

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {Document} doc
 * @param {K} tag
 * @param {string} className
 * @param {Record<string, string>} [attributes]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function element(doc, tag, className, attributes = {}, text = "") {
  const node = doc.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/**
 * Live regions (status, alert) may announce any rewrite, even of the same text: write only changes.
 * @param {HTMLElement} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** @param {HTMLElement} box */
export function isNearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 16;
}

/**
 * Keeps `target` in sight inside `box`, never scrolling the page (as scrollIntoView would).
 * @param {HTMLElement} box
 * @param {HTMLElement} target
 */
export function scrollIntoBox(box, target) {
  const outer = box.getBoundingClientRect();
  const inner = target.getBoundingClientRect();
  if (inner.top < outer.top) box.scrollTop += inner.top - outer.top - 8;
  else if (inner.bottom > outer.bottom) box.scrollTop += inner.bottom - outer.bottom + 8;
}

/**
 * An inline text field in place of `target`: Enter calls `done` with its text, Escape (or leaving
 * it) puts `target` back.
 * @param {HTMLElement} target
 * @param {string} value
 * @param {string} label
 * @param {(text: string) => void} done
 */
export function editInPlace(target, value, label, done) {
  const doc = target.ownerDocument;
  const input = element(doc, "input", "lt-inline-edit", { type: "text", "aria-label": label, spellcheck: "true" });
  input.value = value;
  input.size = Math.max(4, value.length + 2);
  let finished = false;
  /** @param {boolean} save */
  const finish = (save) => {
    if (finished) return;
    finished = true;
    input.replaceWith(target);
    target.focus({ preventScroll: true });
    if (save && input.value.trim() !== value) done(input.value.trim());
  };
  input.addEventListener("keydown", (event) => {
    event.stopPropagation(); // keys typed here are not the notebook's shortcuts
    if (event.key === "Enter") {
      event.preventDefault();
      finish(true);
    } else if (event.key === "Escape") {
      event.preventDefault();
      finish(false);
    }
  });
  input.addEventListener("input", () => {
    input.size = Math.max(4, input.value.length + 2);
  });
  input.addEventListener("blur", () => finish(false));
  target.replaceWith(input);
  input.focus();
  input.select();
}
