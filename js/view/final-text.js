// FinalText: the final results of one view as utterance blocks of words, appended as they come and rebuilt only when a correction, a speaker's name or the confidence threshold changes.

import { element } from "../dom.js";
import { startsUtterance, utteranceHeading } from "../results.js";
import { editedWords, isUnsure, wordText, wordTitle } from "../review/words.js";

/** @typedef {import("../model.js").FinalResult} FinalResult */
/** @typedef {import("../results.js").ResultStore} ResultStore */

/**
 * How final words are shown: the speakers' names, and where the confidence marks start.
 * @typedef {object} TextOptions
 * @property {Record<string, string>} names
 * @property {number | null} threshold
 */

/**
 * A word on screen, for playback and search.
 * @typedef {object} ShownWord
 * @property {HTMLSpanElement} el
 * @property {number} start
 * @property {number} recording
 */

/**
 * Final results as utterance blocks: one `.lt-utt` per utterance (see `startsUtterance`), each
 * result's words in a `.lt-text` span, each word a `.lt-word` span. Only results not shown yet
 * are appended, so a long transcript is never re-rendered while it grows; a correction, a new
 * speaker name or threshold rebuilds it.
 */
export class FinalText {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    /** @type {TextOptions} */
    this.options = { names: {}, threshold: null };
    this.optionsKey = "";
    /** The block results are appended to. @type {HTMLSpanElement | null} */
    this.open = null;
    /** The last result shown. @type {FinalResult | null} */
    this.last = null;
    /** Every word shown, in order. @type {ShownWord[]} */
    this.words = [];
    /** The words of each recording, in time order (for playback). @type {Map<number, ShownWord[]>} */
    this.byRecording = new Map();
  }

  /**
   * @param {ResultStore} store
   * @param {TextOptions} options
   * @returns {boolean} whether it was rebuilt
   */
  update(store, options) {
    const key = JSON.stringify(options);
    const rebuild = store.generation !== this.generation || key !== this.optionsKey;
    if (rebuild) {
      this.container.replaceChildren();
      this.generation = store.generation;
      this.options = options;
      this.optionsKey = key;
      this.shown = 0;
      this.open = null;
      this.last = null;
      this.words = [];
      this.byRecording.clear();
    }
    const doc = this.container.ownerDocument;
    for (; this.shown < store.items.length; this.shown += 1) this.append(doc, store.items[this.shown]);
    return rebuild;
  }

  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  append(doc, result) {
    if (!result.text) return;
    if (!this.open || startsUtterance(this.last, result)) {
      if (this.open) this.container.append("\n");
      const heading = utteranceHeading(result, this.options.names);
      const block = element(doc, "span", "lt-utt", { "data-time": heading.time, "data-utterance": String(result.utterance) });
      if (heading.speaker && typeof result.speaker === "number") {
        block.append(
          element(
            doc,
            "span",
            "lt-meta lt-speaker",
            { role: "button", tabindex: "0", "data-speaker": String(result.speaker), title: "Rename this speaker everywhere" },
            heading.speaker,
          ),
        );
      }
      this.container.append(block);
      this.open = block;
    } else if (!result.words?.[0]?.attached) {
      this.open.append(" ");
    }
    this.open.append(this.textOf(doc, result));
    this.last = result;
  }

  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  textOf(doc, result) {
    const recording = typeof result.recording === "number" ? result.recording : 0;
    const text = element(doc, "span", "lt-text", { "data-index": String(result.index), "data-recording": String(recording) });
    const words = result.words ?? [];
    if (!words.length) {
      text.textContent = result.text;
      return text;
    }
    const edited = editedWords(result);
    let shown = this.byRecording.get(recording);
    if (!shown) this.byRecording.set(recording, (shown = []));
    words.forEach((word, i) => {
      if (i && !word.attached) text.append(" ");
      const span = element(doc, "span", "lt-word", {
        tabindex: this.words.length ? "-1" : "0",
        "data-word": String(i),
        "data-start": String(word.start),
        title: wordTitle(word, edited.has(i)),
      }, wordText(word));
      if (isUnsure(word.confidence, this.options.threshold)) span.classList.add("lt-unsure");
      if (edited.has(i)) span.classList.add("lt-edited");
      const entry = { el: span, start: word.start, recording };
      this.words.push(entry);
      shown.push(entry);
      text.append(span);
    });
    return text;
  }
}
