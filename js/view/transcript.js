// Transcript: the transcript pane of one view: the final text, the interim words after it, the hint when there is nothing yet; it follows new text unless the reader scrolled up, and keyboard focus moves one word at a time.

import { isNearBottom, scrollIntoBox, setText } from "../dom.js";
import { interimSeparator } from "../results.js";
import { FinalText } from "./final-text.js";

/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../results.js").ResultStore} ResultStore */
/** @typedef {import("../recorder/recorder.js").Recorder} Recorder */
/** @typedef {import("./final-text.js").ShownWord} ShownWord */
/** @typedef {import("./final-text.js").TextOptions} TextOptions */
/** @typedef {import("./layout.js").ViewElements} ViewElements */

export class Transcript {
  /**
   * @param {ViewElements} ui
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, signal) {
    this.ui = ui;
    this.finals = new FinalText(ui.final);
    // Follows new text unless the reader scrolled up; scrolling back to the bottom follows again.
    this.followTail = true;
    ui.transcript.addEventListener(
      "scroll",
      () => {
        this.followTail = isNearBottom(ui.transcript);
      },
      { passive: true, signal },
    );
  }

  /** Every word shown, in order. */
  get words() {
    return this.finals.words;
  }

  /**
   * Shows the results not shown yet, or all of them again (the reader's place kept).
   * @param {ResultStore} store
   * @param {TextOptions} options
   * @returns {boolean} whether the words were drawn again
   */
  update(store, options) {
    const box = this.ui.transcript;
    const top = box.scrollTop;
    const rebuilt = this.finals.update(store, options);
    if (rebuilt) box.scrollTop = top;
    return rebuilt;
  }

  /**
   * The interim words and the hint.
   * @param {Model} model
   * @param {Recorder} recorder
   */
  paint(model, recorder) {
    const { ui } = this;
    const finalText = String(model.get("transcript") ?? "");
    const interimText = String(model.get("interim") ?? "");
    ui.gap.data = interimSeparator(this.finals.last, interimText);
    setText(ui.interim, interimText);
    setText(ui.hint, recorder.phase !== "off" ? "Listening…" : "Press Start and speak");
    ui.hint.hidden = Boolean(finalText || interimText);
  }

  /** @param {boolean} playing playback keeps the word being heard in sight instead */
  followNewText(playing) {
    const box = this.ui.transcript;
    if (this.followTail && !playing) box.scrollTop = box.scrollHeight;
  }

  /** @param {HTMLElement} word the one keyboard focus comes back to (roving tabindex) */
  focusWord(word) {
    for (const other of this.ui.final.querySelectorAll('.lt-word[tabindex="0"]')) other.setAttribute("tabindex", "-1");
    word.setAttribute("tabindex", "0");
    word.focus({ preventScroll: true });
    this.reveal(word);
  }

  /** @param {HTMLElement} node kept in sight, inside the pane */
  reveal(node) {
    scrollIntoBox(this.ui.transcript, node);
    this.followTail = isNearBottom(this.ui.transcript);
  }

  /**
   * @param {HTMLElement} span
   * @returns {ShownWord | undefined} the word this span shows
   */
  wordOf(span) {
    return this.finals.words.find((w) => w.el === span);
  }

  /**
   * @param {number} recording
   * @returns {ShownWord[]} the words shown of this recording, in time order
   */
  wordsOf(recording) {
    return this.finals.byRecording.get(recording) ?? [];
  }
}
