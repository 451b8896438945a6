// The keyterms field: words and names the engine should listen for, typed as text and kept in the `keyterms` trait.

import { element } from "../dom.js";

/** @typedef {import("../model.js").Model} Model */

/** The kernel's bounds on keyterms (live_transcriber.engines.base): what the field sends stays within them. */
const MAX_KEYTERMS = 100;
const MAX_KEYTERM_LENGTH = 100;

/**
 * The keyterms typed in the field: separated by commas or new lines, spaces tidied, empty and
 * repeated ones (ignoring case) dropped, within the kernel's bounds.
 * @param {string} text
 * @returns {string[]}
 */
export function parseKeyterms(text) {
  /** @type {Map<string, string>} */
  const terms = new Map();
  for (const piece of text.split(/[,\n]/)) {
    const term = piece.split(/\s+/).filter(Boolean).join(" ").slice(0, MAX_KEYTERM_LENGTH);
    if (term && !terms.has(term.toLowerCase())) terms.set(term.toLowerCase(), term);
  }
  return [...terms.values()].slice(0, MAX_KEYTERMS);
}

/**
 * @param {unknown} terms the `keyterms` trait
 * @returns {string}
 */
export function formatKeyterms(terms) {
  return Array.isArray(terms) ? terms.join(", ") : "";
}

/**
 * The keyterms field: words and names the engine should listen for, kept in the `keyterms` trait.
 * Enter (or leaving the field) applies them, also while recording; the kernel's tidied list then
 * comes back and is shown, unless the field is being edited.
 * @param {Document} doc
 * @param {Model} model
 * @returns {{node: HTMLLabelElement, cleanup: () => void}}
 */
export function keytermsField(doc, model) {
  const node = element(doc, "label", "lt-keyterms");
  const input = element(doc, "input", "lt-keyterms-input", {
    type: "text", autocomplete: "off", spellcheck: "false", placeholder: "names, jargon, …",
  });
  node.append(doc.createTextNode("Keyterms"), input);
  const paint = () => {
    const supported = Boolean(model.get("keyterms_supported"));
    input.disabled = !supported;
    node.title = supported
      ? "Words and names to listen for, separated by commas; Enter applies them, also while recording"
      : "This engine does not use keyterms";
    if (doc.activeElement !== input) input.value = formatKeyterms(model.get("keyterms"));
  };
  const apply = () => {
    model.set("keyterms", parseKeyterms(input.value));
    model.save_changes();
    input.value = formatKeyterms(model.get("keyterms"));
  };
  // Notebook front ends may take Enter for themselves before the input commits its value.
  /** @param {KeyboardEvent} event */
  const onKey = (event) => {
    if (event.key === "Enter") apply();
  };
  input.addEventListener("change", apply);
  input.addEventListener("keydown", onKey);
  model.on("change:keyterms", paint);
  model.on("change:keyterms_supported", paint);
  paint();
  return {
    node,
    cleanup() {
      input.removeEventListener("change", apply);
      input.removeEventListener("keydown", onKey);
      model.off("change:keyterms", paint);
      model.off("change:keyterms_supported", paint);
    },
  };
}
