// Final results as the kernel syncs them, for the tests of js/results.js and js/review/words.js.

/** @typedef {import("../../js/model.js").FinalResult} FinalResult */
/** @typedef {import("../../js/results.js").ResultStore} ResultStore */

/**
 * Final results with these indexes, as the kernel syncs them (one utterance each).
 * @param {number[]} indexes
 */
export function results(...indexes) {
  return indexes.map((index) => result(index, index));
}

/**
 * @param {number} index
 * @param {number} utterance
 * @param {Partial<FinalResult>} [fields]
 * @returns {FinalResult}
 */
export function result(index, utterance, fields = {}) {
  return { index, utterance, speaker: null, text: `result ${index}.`, start: index, end: index + 0.5, ...fields };
}

/** @param {ResultStore} store */
export function indexes(store) {
  return store.items.map((r) => r.index);
}
