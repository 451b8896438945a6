// Unit tests of js/keeper/rules.js, the keep-until-ack rules: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  STORE_LIMIT_MB,
  containerFamily,
  describeUnsent,
  entryOffset,
  keptFrom,
  recoveryPieces,
  recoveryStep,
  storeLimitBytes,
} from "../../js/keeper/rules.js";
import { formatDuration } from "../../js/time.js";

const CLUSTER = [0x1f, 0x43, 0xb6, 0x75];

/**
 * A kept chunk whose bytes are its seq repeated, with an entry point at `entry` (-1: none).
 * @param {number} seq
 * @param {number} entry
 * @returns {import("../../js/keeper/audio-store.js").KeptChunk}
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
