// Search: the search field of one view: the matches lit in the transcript, their count, and Enter, Shift+Enter or the arrows to step from one to the next.

import { setText } from "../dom.js";
import { findMatches } from "../review/words.js";

/** @typedef {import("./final-text.js").ShownWord} ShownWord */
/** @typedef {import("./layout.js").ViewElements} ViewElements */
/** @typedef {import("./transcript.js").Transcript} Transcript */

export class Search {
  /**
   * @param {ViewElements} ui
   * @param {Transcript} transcript
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, transcript, signal) {
    this.ui = ui;
    this.transcript = transcript;
    this.query = "";
    /** The matches, as words on screen. @type {ShownWord[][]} */
    this.matches = [];
    /** Which match is current, -1 for none. */
    this.current = -1;
    const onSearch = () => {
      this.query = ui.search.value;
      this.current = -1;
      this.paint();
    };
    /** @param {KeyboardEvent} event */
    const onSearchKey = (event) => {
      if (!event.altKey) event.stopPropagation(); // typing is not the notebook's shortcuts; Alt+B still bookmarks
      if (event.key === "Enter") {
        event.preventDefault();
        this.jump(event.shiftKey ? -1 : 1);
      } else if (event.key === "Escape") {
        ui.search.value = "";
        onSearch();
      }
    };
    ui.search.addEventListener("input", onSearch, { signal });
    ui.search.addEventListener("keydown", onSearchKey, { signal });
    ui.searchPrevious.addEventListener("click", () => this.jump(-1), { signal });
    ui.searchNext.addEventListener("click", () => this.jump(1), { signal });
  }

  /** Finds the matches again (in words that may have been drawn again) and lights them. */
  paint() {
    const { ui } = this;
    const words = this.transcript.words;
    for (const node of ui.final.querySelectorAll(".lt-match")) node.classList.remove("lt-match", "lt-match-current");
    const matches = findMatches(words.map((w) => w.el.textContent ?? ""), this.query);
    this.matches = matches.map((positions) => positions.map((i) => words[i]));
    if (this.current >= this.matches.length) this.current = this.matches.length - 1;
    this.matches.forEach((match, m) => {
      for (const word of match) word.el.classList.add("lt-match", ...(m === this.current ? ["lt-match-current"] : []));
    });
    const count = this.matches.length;
    setText(ui.searchCount, !this.query.trim() ? "" : count === 0 ? "no matches" : this.current >= 0 ? `${this.current + 1} of ${count}` : `${count} found`);
    ui.searchPrevious.disabled = ui.searchNext.disabled = count === 0;
  }

  /** @param {number} step +1: next match, -1: previous */
  jump(step) {
    const count = this.matches.length;
    if (!count) return;
    this.current = this.current < 0 ? (step > 0 ? 0 : count - 1) : (this.current + step + count) % count;
    this.paint();
    this.transcript.focusWord(this.matches[this.current][0].el);
  }
}
