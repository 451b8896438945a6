// The final results a page knows (ResultStore, kept in step with the synced tail) and how they read: utterance blocks, their headings, speaker names, the gap before interim words.

import { formatClock } from "./time.js";

/** @typedef {import("./model.js").FinalResult} FinalResult */


/**
 * The final results this browser knows, contiguous from index `base`. The kernel syncs only the
 * latest few; the full list comes once, in answer to "history".
 */
export class ResultStore {
  constructor() {
    /** @type {FinalResult[]} */
    this.items = [];
    this.base = 0;
    /** Bumped whenever views must rebuild instead of append. */
    this.generation = 0;
  }

  get end() {
    return this.base + this.items.length;
  }

  /** @param {FinalResult[]} results */
  reset(results) {
    this.items = results.filter((r) => typeof r?.index === "number");
    this.base = this.items.length ? this.items[0].index : 0;
    this.generation += 1;
  }

  /**
   * Takes in the synced tail.
   * @param {FinalResult[]} tail
   * @returns {boolean} true when earlier results are missing, so the history is needed
   */
  merge(tail) {
    if (!tail.length) {
      if (this.end > 0) this.reset([]);
      return false;
    }
    const first = tail[0].index;
    const last = tail[tail.length - 1].index;
    // A tail that ends before what is shown follows a clear; one that starts after it, a gap.
    if (last < this.end - 1 || first > this.end) {
      this.reset(tail);
      return first > 0;
    }
    for (const result of tail) if (result.index === this.end) this.items.push(result);
    return false;
  }

  /**
   * Takes in corrected results (`results_changed`): each replaces the one with its index.
   * @param {FinalResult[]} changed
   * @returns {boolean} whether any of them is shown here (then views rebuild)
   */
  replace(changed) {
    let any = false;
    for (const result of changed) {
      const at = typeof result?.index === "number" ? result.index - this.base : -1;
      if (at < 0 || at >= this.items.length) continue;
      this.items[at] = result;
      any = true;
    }
    if (any) this.generation += 1;
    return any;
  }
}

/**
 * Whether `result` opens a new utterance block: the kernel numbers utterances, and a block starts
 * wherever the number changes. The browser never decides where an utterance ends.
 * @param {FinalResult | null} previous the last result shown, null when none is
 * @param {FinalResult} result
 */
export function startsUtterance(previous, result) {
  return previous === null || result.utterance !== previous.utterance;
}

/**
 * The heading of an utterance block: when it began (shown with Timestamps on) and who speaks.
 * @param {FinalResult} result the block's first result
 * @param {Record<string, string>} [names] the `speakers` trait
 * @returns {{time: string, speaker: string}} e.g. "[01:05]" and "Speaker 2: " or "Ana: " ("" when not known)
 */
export function utteranceHeading(result, names = {}) {
  const start = result.words?.[0]?.start ?? result.start ?? 0;
  const speaker = typeof result.speaker === "number" ? `${speakerLabel(result.speaker, names)}: ` : "";
  return { time: `[${formatClock(start)}]`, speaker };
}

/**
 * What goes between the final text and the interim words: nothing when either is missing, else a
 * space, or a line break once the last final result ended its utterance (the words being
 * recognised then belong to the next one).
 * @param {FinalResult | null} last the last result shown
 * @param {string} interim
 */
export function interimSeparator(last, interim) {
  if (!last || !interim) return "";
  return last.speech_final ? "\n" : " ";
}

/**
 * What a speaker is called: the name given (the `speakers` trait), else "Speaker 1" for speaker 0
 * (as `live_transcriber.results.speaker_label` says it).
 * @param {number} speaker
 * @param {Record<string, string>} [names]
 */
export function speakerLabel(speaker, names = {}) {
  return names[String(speaker)] || `Speaker ${speaker + 1}`;
}
