// Unit tests of js/review/words.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { editedWords, findMatches, isUnsure, recordingTime, wordAt, wordText, wordTitle } from "../../js/review/words.js";
import { result } from "./fixtures.mjs";

describe("review mode", () => {
  const words = [0.5, 1.0, 1.6, 3.2].map((start) => ({ start }));

  test("the word being played: the last one started, kept lit through the silence after it", () => {
    assert.equal(wordAt(words, 0.2), -1);
    assert.equal(wordAt(words, 0.5), 0);
    assert.equal(wordAt(words, 1.59), 1);
    assert.equal(wordAt(words, 2.9), 2);
    assert.equal(wordAt(words, 99), 3);
    assert.equal(wordAt([], 1), -1);
  });

  test("a word is played from its time in its own recording", () => {
    assert.equal(recordingTime(73.5, 60), 13.5);
    assert.equal(recordingTime(0.2, 0.25), 0);
  });

  test("words below the threshold are marked; no threshold or no confidence, no marks", () => {
    assert.equal(isUnsure(0.41, 0.6), true);
    assert.equal(isUnsure(0.6, 0.6), false);
    assert.equal(isUnsure(0.41, null), false);
    assert.equal(isUnsure(undefined, 0.6), false);
  });

  test("a word's title gives its time, its confidence (unless the engine gave none) and whether it was corrected", () => {
    assert.equal(wordTitle({ word: "so", start: 62, confidence: 0.416 }, false), "01:02 · confidence 42%");
    assert.equal(wordTitle({ word: "so", start: 1, confidence: 1 }, true), "00:01 · corrected");
    assert.equal(wordText({ word: "so", punctuated_word: "So,", start: 0 }), "So,");
    assert.equal(wordText({ word: "so", start: 0 }), "so");
  });

  test("the corrected words of a result are those the engine did not give at that time", () => {
    const heard = [{ word: "how", start: 0 }, { word: "are", start: 0.3 }, { word: "ewe", start: 0.6 }];
    const fixed = result(0, 0, {
      edited: true,
      words: [{ word: "how", start: 0 }, { word: "are", start: 0.3 }, { word: "you", start: 0.6 }],
      original: { text: "how are ewe", words: heard },
    });
    assert.deepEqual([...editedWords(fixed)], [2]);
    assert.deepEqual([...editedWords(result(0, 0, { words: heard }))], []);
  });

  test("search finds words that begin with the query, case and punctuation ignored, and phrases across words", () => {
    const text = ["Hello,", "world.", "The", "World", "turns;", "worldwide", "underworld"];
    assert.deepEqual(findMatches(text, "WORLD"), [[1], [3], [5]]);
    assert.deepEqual(findMatches(text, "world the"), [[1, 2]]);
    assert.deepEqual(findMatches(text, "hello, wor"), [[0, 1]]);
    assert.deepEqual(findMatches(text, "llo world"), []);
    assert.deepEqual(findMatches(text, "the world turns"), [[2, 3, 4]]);
    assert.deepEqual(findMatches(text, "  "), []);
    assert.deepEqual(findMatches(text, "moon"), []);
  });
});
