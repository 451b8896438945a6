// @ts-check
// Unit tests of the widget's pure parts (section 2 of widget.js): `npm test`, or `node --test tests/js/`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  AudioParts,
  RecordingClock,
  ResultStore,
  STATUS,
  STORE_LIMIT_MB,
  checkEnvironment,
  containerFamily,
  describeMediaError,
  describeUnsent,
  editedWords,
  findMatches,
  isUnsure,
  recordingTime,
  speakerLabel,
  wordAt,
  wordText,
  wordTitle,
  entryOffset,
  errorText,
  formatClock,
  formatDuration,
  keptFrom,
  recoveryPieces,
  recoveryStep,
  storeLimitBytes,
  interimSeparator,
  loudness,
  nextLevel,
  pickMimeType,
  startsUtterance,
  statusLine,
  utteranceHeading,
} from "../../js/widget.js";

/** @typedef {import("../../js/widget.js").FinalResult} FinalResult */

/**
 * Final results with these indexes, as the kernel syncs them (one utterance each).
 * @param {number[]} indexes
 */
function results(...indexes) {
  return indexes.map((index) => result(index, index));
}

/**
 * @param {number} index
 * @param {number} utterance
 * @param {Partial<FinalResult>} [fields]
 * @returns {FinalResult}
 */
function result(index, utterance, fields = {}) {
  return { index, utterance, speaker: null, text: `result ${index}.`, start: index, end: index + 0.5, ...fields };
}

/** @param {ResultStore} store */
function indexes(store) {
  return store.items.map((r) => r.index);
}

describe("formatClock", () => {
  test("minutes and seconds, hours only when there are some", () => {
    assert.equal(formatClock(0), "00:00");
    assert.equal(formatClock(59.9), "00:59");
    assert.equal(formatClock(61), "01:01");
    assert.equal(formatClock(3599), "59:59");
    assert.equal(formatClock(3600), "1:00:00");
    assert.equal(formatClock(3725), "1:02:05");
    assert.equal(formatClock(36000), "10:00:00");
  });

  test("never negative", () => {
    assert.equal(formatClock(-3), "00:00");
  });
});

describe("statusLine", () => {
  test("the recorder's own phases come first, without the kernel's detail", () => {
    assert.deepEqual(statusLine("requesting", false, "idle", "no speech heard"), { label: "waiting for microphone", detail: "" });
    assert.deepEqual(statusLine("recording", true, "recording", "4 s behind"), { label: "paused", detail: "" });
  });

  test("a recording the kernel has not heard of yet shows as recording", () => {
    assert.equal(statusLine("recording", false, "idle", "").label, "recording");
    assert.equal(statusLine("recording", false, "paused", "").label, "recording"); // resumed, kernel behind
  });

  test("otherwise the kernel's status and its detail", () => {
    assert.deepEqual(statusLine("recording", false, "reconnecting", "attempt 2 of 5"), { label: "reconnecting", detail: "attempt 2 of 5" });
    assert.deepEqual(statusLine("off", false, "loading model", "tiny.en"), { label: "loading model", detail: "tiny.en" });
    assert.deepEqual(statusLine("stopping", false, "finishing", ""), { label: "finishing", detail: "" });
    assert.deepEqual(statusLine("off", false, "idle", "no speech heard"), { label: "idle", detail: "no speech heard" });
    assert.deepEqual(statusLine("off", false, "", ""), { label: "idle", detail: "" });
  });

  test("every label the kernel can send is shown as it is", () => {
    for (const status of Object.values(STATUS)) {
      assert.deepEqual(statusLine("off", false, status, "why"), { label: status, detail: "why" });
    }
  });
});

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

describe("pickMimeType", () => {
  /** @param {string[]} supported */
  const browser = (...supported) => ({ isTypeSupported: (/** @type {string} */ type) => supported.includes(type) });

  test("the first preferred type the browser records", () => {
    assert.equal(pickMimeType(browser("audio/webm;codecs=opus", "audio/ogg;codecs=opus")), "audio/webm;codecs=opus");
    assert.equal(pickMimeType(browser("audio/ogg;codecs=opus")), "audio/ogg;codecs=opus"); // Firefox
    assert.equal(pickMimeType(browser("audio/mp4")), "audio/mp4"); // Safari: no WebM
  });

  test("the browser's own choice when none is supported or it cannot say", () => {
    assert.equal(pickMimeType(browser("audio/wav")), "");
    assert.equal(pickMimeType({}), "");
  });
});

describe("checkEnvironment", () => {
  const origin = "http://192.168.1.5:8888";
  const mediaDevices = { getUserMedia: () => {} };
  class MediaRecorder {}

  test("a page that is not a secure context says where to open Jupyter", () => {
    const problem = checkEnvironment({ isSecureContext: false, location: { origin }, navigator: {}, MediaRecorder });
    assert.equal(problem?.kind, "insecure");
    assert.match(problem?.message ?? "", /192\.168\.1\.5:8888/);
    assert.match(problem?.message ?? "", /http:\/\/localhost/);
  });

  test("no mediaDevices and no word on the context: insecure, the usual cause", () => {
    assert.equal(checkEnvironment({ location: { origin }, navigator: {}, MediaRecorder })?.kind, "insecure");
  });

  test("a secure page without getUserMedia or MediaRecorder cannot record", () => {
    const noGetUserMedia = checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices: {} }, MediaRecorder });
    assert.equal(noGetUserMedia?.kind, "unsupported");
    assert.match(noGetUserMedia?.message ?? "", /mediaDevices/);
    const noRecorder = checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices } });
    assert.equal(noRecorder?.kind, "unsupported");
    assert.match(noRecorder?.message ?? "", /MediaRecorder is missing/);
  });

  test("a secure page with both can try", () => {
    assert.equal(checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices }, MediaRecorder }), null);
  });

  test("a static export of a marimo notebook has no kernel to send to", () => {
    const page = { isSecureContext: true, location: { origin }, navigator: { mediaDevices }, MediaRecorder, __MARIMO_STATIC__: { files: {} } };
    const problem = checkEnvironment(page);
    assert.equal(problem?.kind, "unsupported");
    assert.match(problem?.message ?? "", /static export of a marimo notebook/);
    assert.match(problem?.message ?? "", /marimo edit/);
  });
});

describe("describeMediaError", () => {
  const browser = { vscode: false, inFrame: false };
  /** @param {string} name */
  const domError = (name, message = "") => ({ name, message });

  test("a blocked permission says how to allow it", () => {
    for (const name of ["NotAllowedError", "PermissionDeniedError", "SecurityError"]) {
      const { kind, message } = describeMediaError(domError(name), browser);
      assert.equal(kind, "permission");
      assert.match(message, /Allow the microphone for this site/);
      assert.doesNotMatch(message, /page around this notebook/);
    }
    assert.match(describeMediaError(domError("NotAllowedError"), { vscode: false, inFrame: true }).message, /page around this notebook/);
  });

  test("in VS Code, a blocked permission points to JupyterLab", () => {
    const { kind, message } = describeMediaError(domError("NotAllowedError"), { vscode: true, inFrame: true });
    assert.equal(kind, "permission");
    assert.match(message, /vscode#119127/);
  });

  test("a missing or busy microphone", () => {
    assert.equal(describeMediaError(domError("NotFoundError"), browser).kind, "no-device");
    assert.equal(describeMediaError(domError("OverconstrainedError"), browser).kind, "no-device");
    const busy = describeMediaError(domError("NotReadableError", "Could not start audio source"), browser);
    assert.equal(busy.kind, "other");
    assert.match(busy.message, /in use by another application/);
  });

  test("anything else is named", () => {
    assert.equal(describeMediaError(new TypeError("bad constraints"), browser).message, "Could not start the microphone (TypeError: bad constraints).");
    assert.equal(describeMediaError("boom", browser).message, "Could not start the microphone (boom).");
  });
});

describe("errorText", () => {
  test("name and message, the message alone for a plain Error", () => {
    assert.equal(errorText({ name: "NotSupportedError", message: "mimeType is not supported" }), "NotSupportedError: mimeType is not supported");
    assert.equal(errorText(new Error("it broke")), "it broke");
    assert.equal(errorText({ name: "AbortError" }), "AbortError");
    assert.equal(errorText(null), "null");
  });
});

describe("level meter", () => {
  test("loudness: -60 dBFS and below is 0, full scale is 1", () => {
    assert.equal(loudness(new Float32Array(0)), 0);
    assert.equal(loudness(new Float32Array(1024)), 0);
    assert.equal(loudness(new Float32Array(1024).fill(1)), 1);
    assert.equal(loudness(new Float32Array(1024).fill(0.0001)), 0);
    assert.ok(Math.abs(loudness(new Float32Array(1024).fill(0.1)) - 2 / 3) < 1e-6); // -20 dBFS
    const sine = Float32Array.from({ length: 1024 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * i) / 64));
    assert.ok(Math.abs(loudness(sine) - (1 + Math.log10(0.5 / Math.SQRT2) / 3)) < 1e-3); // RMS, not peak
  });

  test("nextLevel rises at once, falls back gently, and settles at 0", () => {
    assert.equal(nextLevel(0.2, 0.9), 0.9);
    assert.ok(Math.abs(nextLevel(0.9, 0.1) - 0.54) < 1e-9);
    let level = 0.9;
    for (let i = 0; i < 20; i += 1) level = nextLevel(level, 0);
    assert.equal(level, 0);
  });
});

describe("RecordingClock", () => {
  function fakeTime() {
    const time = { now: 1000 };
    return { time, clock: new RecordingClock(() => time.now) };
  }

  test("counts recording time, pauses excluded", () => {
    const { time, clock } = fakeTime();
    assert.equal(clock.elapsedMs(), 0);
    clock.start();
    time.now += 1500;
    assert.equal(clock.elapsedMs(), 1500);
    clock.stop(); // pause
    time.now += 10_000;
    assert.equal(clock.elapsedMs(), 1500);
    clock.resume();
    time.now += 500;
    assert.equal(clock.elapsedMs(), 2000);
    clock.stop(); // the end
    clock.stop();
    time.now += 500;
    assert.equal(clock.elapsedMs(), 2000);
  });

  test("resume while running changes nothing; start begins at zero", () => {
    const { time, clock } = fakeTime();
    clock.start();
    time.now += 700;
    clock.resume();
    time.now += 300;
    assert.equal(clock.elapsedMs(), 1000);
    clock.stop();
    clock.start();
    time.now += 200;
    assert.equal(clock.elapsedMs(), 200);
  });
});

// --- unconfirmed audio ------------------------------------------------------------------------

const CLUSTER = [0x1f, 0x43, 0xb6, 0x75];

/**
 * A kept chunk whose bytes are its seq repeated, with an entry point at `entry` (-1: none).
 * @param {number} seq
 * @param {number} entry
 * @returns {import("../../js/widget.js").KeptChunk}
 */
function kept(seq, entry = -1) {
  const bytes = new Uint8Array(8).fill(seq + 100);
  if (entry >= 0) bytes.set(CLUSTER, entry);
  return { recording: "r", seq, data: bytes.buffer, entry };
}

/**
 * @param {{seq: number, data: Uint8Array}[]} pieces
 * @returns {[number, number[]][]}
 */
function shown(pieces) {
  return pieces.map((p) => [p.seq, [...p.data]]);
}

describe("entry points", () => {
  test("the container family of the recorder's MIME types", () => {
    assert.equal(containerFamily("audio/webm;codecs=opus"), "webm");
    assert.equal(containerFamily("video/x-matroska"), "webm");
    assert.equal(containerFamily("audio/ogg; codecs=opus"), "ogg");
    assert.equal(containerFamily("audio/mp4"), "mp4");
    assert.equal(containerFamily("audio/wav"), "");
    assert.equal(containerFamily(""), "");
  });

  test("a WebM Cluster, an Ogg page, an MP4 fragment (from its box size), or none", () => {
    const bytes = new Uint8Array([1, 2, 0x1f, 0x43, 0xb6, 0x75, 9, 0x4f, 0x67, 0x67, 0x53, 0, 0, 0, 8, 0x6d, 0x6f, 0x6f, 0x66]);
    assert.equal(entryOffset(bytes, "webm"), 2);
    assert.equal(entryOffset(bytes, "ogg"), 7);
    assert.equal(entryOffset(bytes, "mp4"), 11);
    assert.equal(entryOffset(bytes, ""), -1);
    assert.equal(entryOffset(new Uint8Array([0x1f, 0x43, 0xb6]), "webm"), -1); // cut at the chunk's end
    assert.equal(entryOffset(new Uint8Array([0x6d, 0x6f, 0x6f, 0x66]), "mp4"), -1); // no room for its size
  });
});

describe("keptFrom", () => {
  test("keeps from the last entry point before the first chunk not confirmed", () => {
    assert.equal(keptFrom([0, 3, 7], 9), 7);
    assert.equal(keptFrom([0, 3, 7], 7), 3); // chunk 7 may start with the end of the cluster begun in 3
    assert.equal(keptFrom([0, 3, 7], 3), 0);
    assert.equal(keptFrom([], 50), 0); // no entry point found: keep everything
  });
});

describe("recoveryStep", () => {
  const keptRecording = { chunks: 10, confirmed: 4 };

  test("a recording the kernel has open goes on where the kernel is, or just ends", () => {
    assert.deepEqual(recoveryStep({ recording: "r", state: "open", received: 6 }, keptRecording), { action: "continue", from: 6 });
    assert.deepEqual(recoveryStep({ recording: "r", state: "open", received: 10 }, keptRecording), { action: "finish", from: 10 });
  });

  test("an ended recording: send what never arrived, else wait for it to be transcribed, or forget it", () => {
    assert.deepEqual(recoveryStep({ recording: "r", state: "ended", received: 7 }, keptRecording), { action: "send", from: 7 });
    assert.equal(recoveryStep({ recording: "r", state: "ended", received: 10 }, keptRecording).action, "wait");
    assert.equal(recoveryStep({ recording: "r", state: "ended", received: 10, done: true }, keptRecording).action, "forget");
    assert.equal(recoveryStep({ recording: "r", state: "ended", received: 10, failed: true }, keptRecording).action, "forget");
  });

  test("a kernel that never had it (restarted) gets all but what an earlier one confirmed", () => {
    assert.deepEqual(recoveryStep({ recording: "r", state: "unknown", received: 0 }, keptRecording), { action: "send", from: 4 });
    assert.equal(recoveryStep({ recording: "r", state: "unknown", received: 0 }, { chunks: 4, confirmed: 4 }).action, "forget");
  });

  test("a nonsense count counts as nothing received", () => {
    assert.deepEqual(recoveryStep({ recording: "r", state: "ended", received: /** @type {any} */ ("7") }, keptRecording), { action: "send", from: 0 });
    assert.deepEqual(recoveryStep({ recording: "r", state: "open", received: -3 }, keptRecording), { action: "continue", from: 0 });
  });
});

describe("recoveryPieces", () => {
  // Chunk 0: a header of 2 bytes, then a cluster; chunks 3 and 5 start clusters; 1 and 2 were deleted.
  const chunks = [kept(0, 2), kept(3, 4), kept(4), kept(5, 0), kept(6)];

  test("going on with the kernel's open recording: the chunks it lacks, under their own numbers", () => {
    assert.deepEqual(shown(recoveryPieces(chunks, 5, true)).map(([seq]) => seq), [5, 6]);
  });

  test("a recording of its own: the header, then from the last entry point before the first chunk missing", () => {
    const pieces = recoveryPieces(chunks, 5, false);
    assert.deepEqual(shown(pieces), [
      [0, [100, 100]], // chunk 0 up to its cluster
      [1, CLUSTER], // chunk 3 from its cluster on (its last 4 bytes)
      [2, [...new Uint8Array(8).fill(104)]],
      [3, [...CLUSTER, 105, 105, 105, 105]],
      [4, [...new Uint8Array(8).fill(106)]],
    ]);
    // From chunk 6: the cluster begun in chunk 5 is the last one before it.
    assert.deepEqual(shown(recoveryPieces(chunks, 6, false)).map(([, data]) => data[0]), [100, 0x1f, 106]);
  });

  test("without an entry point before it, or from the start, everything kept goes whole", () => {
    const whole = [kept(0), kept(1), kept(2)];
    assert.deepEqual(shown(recoveryPieces(whole, 2, false)).map(([seq, data]) => [seq, data.length]), [[0, 8], [1, 8], [2, 8]]);
    assert.equal(recoveryPieces(chunks, 0, false).length, 5);
    assert.deepEqual(recoveryPieces([kept(3, 0)], 4, false), []); // no header: nothing that decodes
  });
});

describe("saying how much was kept", () => {
  test("durations", () => {
    assert.equal(formatDuration(0.2), "1 s");
    assert.equal(formatDuration(42.4), "42 s");
    assert.equal(formatDuration(185), "3 min 5 s");
    assert.equal(formatDuration(4320), "1 h 12 min");
  });

  test("one recording, or several", () => {
    const clock = (/** @type {number} */ t) => `t${t}`;
    assert.match(describeUnsent([{ seconds: 42, created: 1 }], clock), /^About 42 s of audio recorded at t1 did not reach the kernel/);
    assert.match(describeUnsent([{ seconds: 42, created: 1 }, { seconds: 30, created: 2 }], clock), /^About 1 min 12 s of audio from 2 recordings \(t1, t2\)/);
  });

  test("the store's bound, and its override", () => {
    assert.equal(storeLimitBytes(null), STORE_LIMIT_MB * 1024 * 1024);
    assert.equal(storeLimitBytes("0.5"), 512 * 1024);
    assert.equal(storeLimitBytes("lots"), STORE_LIMIT_MB * 1024 * 1024);
    assert.equal(storeLimitBytes("-1"), STORE_LIMIT_MB * 1024 * 1024);
  });
});

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

  test("speakers are called by their names, else Speaker N", () => {
    assert.equal(speakerLabel(0), "Speaker 1");
    assert.equal(speakerLabel(1, { 1: "Ben" }), "Ben");
    assert.equal(speakerLabel(1, { 1: "" }), "Speaker 2");
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

  test("an audio reply in parts is whole once every part came, in any order", () => {
    const parts = new AudioParts();
    const reply = { type: "audio", recording: 2, mime_type: "audio/webm", offset: 12.5, done: true, parts: 3 };
    const buffers = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    assert.equal(parts.add({ ...reply, part: 0 }, buffers[0]), null);
    assert.equal(parts.add({ ...reply, part: 2 }, buffers[2]), null);
    const whole = parts.add({ ...reply, part: 1 }, buffers[1]);
    assert.deepEqual(whole, { recording: 2, mimeType: "audio/webm", offset: 12.5, done: true, buffers });
    assert.equal(parts.add({ ...reply, parts: 1, part: 1 }, buffers[0]), null, "a part number out of range is ignored");
    assert.equal(parts.add({ ...reply, part: 0 }, undefined), null, "a part without its buffer is ignored");
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
