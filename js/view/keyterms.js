// The keyterms field: words and names the engine should listen for, typed as text and kept in the `keyterms` trait.

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
