// Review helpers (no DOM): the word being heard at a time, where a word plays in its recording, confidence marks, a word's text and title, which words a person corrected, search matches.

import { formatClock } from "../time.js";

/** @typedef {import("../model.js").FinalResult} FinalResult */
/** @typedef {import("../model.js").Word} Word */

/**
 * The word being played at `time`: the last word that starts by then (it stays lit through the
 * silence after it), -1 before the first.
 * @param {{start: number}[]} words in time order
 * @param {number} time
 */
export function wordAt(words, time) {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (words[middle].start <= time) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * Where playback of a recording starts for a word: word times are on the transcript's timeline,
 * where the recording begins at `offset`.
 * @param {number} start the word's start on the timeline
 * @param {number} offset the recording's offset on the timeline
 */
export function recordingTime(start, offset) {
  return Math.max(0, start - offset);
}

/**
 * Whether a word is marked as uncertain. Engines that give no confidence report 1 (or nothing):
 * those words are never marked.
 * @param {number | undefined} confidence
 * @param {number | null} threshold null: no marks
 */
export function isUnsure(confidence, threshold) {
  return typeof threshold === "number" && typeof confidence === "number" && confidence < threshold;
}

/**
 * What a word says on hover and focus.
 * @param {Word} word
 * @param {boolean} edited a person corrected it
 */
export function wordTitle(word, edited) {
  const parts = [formatClock(word.start)];
  if (typeof word.confidence === "number" && word.confidence < 1) parts.push(`confidence ${Math.round(word.confidence * 100)}%`);
  if (edited) parts.push("corrected");
  return parts.join(" · ");
}

/**
 * The word's text as shown (with its punctuation, when the engine gives it).
 * @param {Word} word
 */
export function wordText(word) {
  return word.punctuated_word ?? word.word;
}

/**
 * Which words of a corrected result a person changed: those the engine did not give at that time.
 * @param {FinalResult} result
 * @returns {Set<number>} positions in `result.words`
 */
export function editedWords(result) {
  const changed = new Set();
  if (!result.edited || !result.original) return changed;
  const heard = result.original.words ?? [];
  (result.words ?? []).forEach((word, i) => {
    if (!heard.some((o) => o.start === word.start && wordText(o) === wordText(word))) changed.add(i);
  });
  return changed;
}

/** @param {string} text */
function searchForm(text) {
  return text.toLocaleLowerCase().replace(/[^\p{L}\p{N}'\s]+/gu, "");
}

/**
 * Where `query` occurs in a run of words: case and punctuation ignored, words that begin with it
 * ("the" finds "The" and "there", not "weather"); a query of several words matches consecutive
 * words (the last may begin with its last word, as the user is still typing it).
 * @param {string[]} words
 * @param {string} query
 * @returns {number[][]} each match as the positions of its words, in order
 */
export function findMatches(words, query) {
  const wanted = searchForm(query).split(/\s+/).filter(Boolean);
  if (!wanted.length) return [];
  const forms = words.map(searchForm);
  const last = wanted.length - 1;
  /** @type {number[][]} */
  const matches = [];
  for (let i = 0; i + last < forms.length; i += 1) {
    const fits = wanted.every((part, k) => {
      const form = forms[i + k];
      return k === last ? form.startsWith(part) : form === part;
    });
    if (fits) matches.push(wanted.map((_, k) => i + k));
  }
  return matches;
}
