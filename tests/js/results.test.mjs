// Unit tests of js/results.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ResultStore, interimSeparator, speakerLabel, startsUtterance, utteranceHeading } from "../../js/results.js";
import { indexes, result, results } from "./fixtures.mjs";

describe("ResultStore", () => {
  test("appends the new results of each synced tail once", () => {
    const store = new ResultStore();
    assert.equal(store.merge(results(0, 1)), false);
    assert.equal(store.merge(results(0, 1, 2)), false);
    assert.equal(store.merge(results(1, 2, 3)), false);
    assert.deepEqual(indexes(store), [0, 1, 2, 3]);
    assert.equal(store.end, 4);
    assert.equal(store.generation, 0); // appended, never rebuilt
  });

  test("a tail that starts after what it holds asks for the history", () => {
    const store = new ResultStore();
    store.merge(results(0, 1));
    assert.equal(store.merge(results(5, 6)), true);
    assert.deepEqual(indexes(store), [5, 6]);
    assert.equal(store.base, 5);
    assert.equal(store.generation, 1);
    assert.equal(store.merge(results(8)), true); // 7 is missing: one is a gap too
    assert.deepEqual(indexes(store), [8]);
  });

  test("a first tail that does not start at 0 asks for the history", () => {
    const store = new ResultStore();
    assert.equal(store.merge(results(50, 51)), true);
    assert.equal(store.base, 50);
  });

  test("the history replaces the tail", () => {
    const store = new ResultStore();
    store.merge(results(50, 51));
    store.reset(results(...Array.from({ length: 52 }, (_, i) => i)));
    assert.equal(store.base, 0);
    assert.equal(store.end, 52);
    assert.equal(store.merge(results(51, 52)), false);
    assert.equal(store.end, 53);
  });

  test("an empty tail after a clear empties it", () => {
    const store = new ResultStore();
    store.merge(results(0, 1, 2));
    assert.equal(store.merge([]), false);
    assert.deepEqual(indexes(store), []);
    assert.equal(store.generation, 1);
    assert.equal(store.merge([]), false);
    assert.equal(store.generation, 1); // nothing to clear: views keep what they show
  });

  test("new results after a clear start from scratch", () => {
    const store = new ResultStore();
    store.merge(results(0, 1, 2, 3));
    assert.equal(store.merge(results(0)), false); // the kernel numbers from 0 again
    assert.deepEqual(indexes(store), [0]);
    assert.equal(store.generation, 1);
  });

  test("reset drops entries without an index", () => {
    const store = new ResultStore();
    store.reset(/** @type {any[]} */ ([null, { text: "no index" }, ...results(3, 4)]));
    assert.deepEqual(indexes(store), [3, 4]);
    assert.equal(store.base, 3);
  });
});

describe("utterance blocks", () => {
  test("a block starts at the first result and wherever the kernel's utterance number changes", () => {
    const shown = [result(0, 0), result(1, 0, { speech_final: true }), result(2, 1), result(3, 2), result(4, 2)];
    const starts = shown.map((r, i) => startsUtterance(i ? shown[i - 1] : null, r));
    assert.deepEqual(starts, [true, false, true, true, false]);
  });

  test("the browser does not second-guess the kernel: speech_final or a new speaker alone start nothing", () => {
    const ended = result(0, 7, { speech_final: true, speaker: 0 });
    assert.equal(startsUtterance(ended, result(1, 7, { speaker: 1 })), false);
  });

  test("the heading: the first word's time (else the result's) and the utterance's speaker", () => {
    assert.deepEqual(utteranceHeading(result(0, 0, { start: 65.2, words: [{ word: "hi", start: 65.9 }] })), { time: "[01:05]", speaker: "" });
    assert.deepEqual(utteranceHeading(result(0, 0, { start: 3725, words: [] })), { time: "[1:02:05]", speaker: "" });
    assert.deepEqual(utteranceHeading(result(0, 0, { start: 0, speaker: 1 })), { time: "[00:00]", speaker: "Speaker 2: " });
    assert.equal(utteranceHeading(result(0, 0, { speaker: 0 })).speaker, "Speaker 1: ");
    assert.equal(utteranceHeading(result(0, 0, { speaker: 0 }), { 0: "Ana" }).speaker, "Ana: ");
  });

  test("interim words follow on the line, or on the next one after the utterance ended", () => {
    assert.equal(interimSeparator(null, "and then"), "");
    assert.equal(interimSeparator(result(0, 0), ""), "");
    assert.equal(interimSeparator(result(0, 0), "and then"), " ");
    assert.equal(interimSeparator(result(0, 0, { speech_final: true }), "and then"), "\n");
  });
});

describe("ResultStore.replace", () => {
  test("corrected results replace the shown ones with their index; others are ignored", () => {
    const store = new ResultStore();
    store.reset(results(3, 4, 5));
    const generation = store.generation;
    assert.equal(store.replace([result(4, 4, { text: "fixed." }), result(9, 9)]), true);
    assert.equal(store.items[1].text, "fixed.");
    assert.equal(store.generation, generation + 1);
    assert.equal(store.replace([result(1, 1)]), false);
    assert.equal(store.generation, generation + 1);
  });
});

describe("speaker labels", () => {
  test("speakers are called by their names, else Speaker N", () => {
    assert.equal(speakerLabel(0), "Speaker 1");
    assert.equal(speakerLabel(1, { 1: "Ben" }), "Ben");
    assert.equal(speakerLabel(1, { 1: "" }), "Speaker 2");
  });
});
