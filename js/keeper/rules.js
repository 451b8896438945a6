// Keep-until-ack rules (no I/O): where a decoder can enter a chunk, which kept chunks must stay, what to do with a kept recording once the kernel says what it has, what to send again, and how to say so.

import { formatDuration, timeOfDay } from "../time.js";

/** @typedef {import("./audio-store.js").KeptChunk} KeptChunk */

/** The most unconfirmed audio this page keeps, all recordings together: about 17 hours of Chrome's Opus. */
export const STORE_LIMIT_MB = 256;

/**
 * The kernel's answer about one kept recording (a `recover` reply; see protocol.py).
 * @typedef {object} RecoveryAnswer
 * @property {string} recording
 * @property {string} state  "open", "ended" or "unknown"
 * @property {number} received
 * @property {boolean} [done]
 * @property {boolean} [failed]
 */

/** @typedef {{action: "continue" | "finish" | "send" | "wait" | "forget", from: number}} RecoveryStep */

/**
 * @param {string} mimeType
 * @returns {"webm" | "ogg" | "mp4" | ""} the container family, for finding entry points
 */
export function containerFamily(mimeType) {
  const base = mimeType.split(";")[0].trim().toLowerCase();
  if (/^(audio|video)\/(webm|x-matroska|matroska)$/.test(base)) return "webm";
  if (/^(audio|video)\/ogg$/.test(base) || base === "audio/opus") return "ogg";
  if (/^(audio|video)\/mp4$/.test(base) || base === "audio/x-m4a") return "mp4";
  return "";
}

/** The bytes that start an entry point, and where the entry starts relative to them. */
const ENTRY_MARKS = {
  webm: { pattern: [0x1f, 0x43, 0xb6, 0x75], shift: 0 }, // a Cluster's element id
  ogg: { pattern: [0x4f, 0x67, 0x67, 0x53], shift: 0 }, // "OggS", a page
  mp4: { pattern: [0x6d, 0x6f, 0x6f, 0x66], shift: -4 }, // "moof", after its box size
};

/**
 * Where a decoder can first enter the stream in this chunk: a WebM Cluster, an Ogg page, an
 * MP4 fragment. Found by its marker bytes, which audio data may contain by chance (about once in
 * 4 GB): that only makes the page keep a few chunks less, or send some twice.
 * @param {Uint8Array} bytes one chunk
 * @param {string} family from containerFamily
 * @returns {number} its offset in the chunk, or -1
 */
export function entryOffset(bytes, family) {
  const mark = family === "webm" || family === "ogg" || family === "mp4" ? ENTRY_MARKS[family] : null;
  if (!mark) return -1;
  const [first, ...rest] = mark.pattern;
  for (let i = -mark.shift; i + mark.pattern.length <= bytes.length; i += 1) {
    if (bytes[i] === first && rest.every((byte, k) => bytes[i + 1 + k] === byte)) return i + mark.shift;
  }
  return -1;
}

/**
 * The first chunk (after chunk 0, the header) that must stay once the kernel confirmed the
 * first `confirmed`: the last one before them that holds an entry point, so that the chunks not
 * confirmed can still be decoded without the ones before.
 * @param {number[]} entries the chunks that hold an entry point, ascending
 * @param {number} confirmed
 * @returns {number} chunks 1 to this - 1 may be deleted (0: none)
 */
export function keptFrom(entries, confirmed) {
  let from = 0;
  for (const seq of entries) {
    if (seq >= confirmed) break;
    from = seq;
  }
  return from;
}

/**
 * What to do with a kept recording, from the kernel's answer.
 * @param {RecoveryAnswer} answer
 * @param {{chunks: number, confirmed: number}} kept
 * @returns {RecoveryStep}
 */
export function recoveryStep(answer, kept) {
  const received = Number.isInteger(answer.received) && answer.received > 0 ? answer.received : 0;
  if (answer.state === "open") {
    // Still recording in the kernel (the page was reloaded mid-recording): go on with it.
    return { action: received < kept.chunks ? "continue" : "finish", from: received };
  }
  if (answer.state === "ended") {
    if (received < kept.chunks) return { action: "send", from: received };
    return { action: answer.done || answer.failed ? "forget" : "wait", from: received };
  }
  // A kernel that never had it (a restart): all but what an earlier kernel put in its journal.
  return { action: kept.confirmed < kept.chunks ? "send" : "forget", from: kept.confirmed };
}

/**
 * The pieces to send (or download) of a kept recording, from chunk `from` on.
 * @param {KeptChunk[]} chunks the kept chunks, ascending
 * @param {number} from the first chunk the kernel does not have
 * @param {boolean} continuing the kernel has the recording open: its own chunks, under their own
 *   numbers; else a stream of its own, numbered from 0: the container header (chunk 0 up to its
 *   entry point), then the media from the last entry point before `from`
 * @returns {{seq: number, data: Uint8Array<ArrayBuffer>}[]}
 */
export function recoveryPieces(chunks, from, continuing) {
  if (continuing) return chunks.filter((c) => c.seq >= from).map((c) => ({ seq: c.seq, data: new Uint8Array(c.data) }));
  const header = chunks[0];
  if (!header || header.seq !== 0) return [];
  let start = 0;
  for (const chunk of chunks) if (chunk.seq > 0 && chunk.seq < from && chunk.entry >= 0) start = chunk.seq;
  /** @type {Uint8Array<ArrayBuffer>[]} */
  const pieces = [];
  if (start === 0) {
    for (const chunk of chunks) pieces.push(new Uint8Array(chunk.data));
  } else {
    const whole = new Uint8Array(header.data);
    pieces.push(header.entry > 0 ? whole.subarray(0, header.entry) : whole);
    for (const chunk of chunks) {
      if (chunk.seq === start) pieces.push(new Uint8Array(chunk.data).subarray(chunk.entry));
      else if (chunk.seq > start) pieces.push(new Uint8Array(chunk.data));
    }
  }
  return pieces.map((data, seq) => ({ seq, data }));
}

/**
 * What the offer to send kept audio says.
 * @param {{seconds: number, created: number}[]} items
 * @param {(time: number) => string} [clock]
 */
export function describeUnsent(items, clock = timeOfDay) {
  const seconds = items.reduce((sum, item) => sum + item.seconds, 0);
  const times = items.map((item) => clock(item.created)).join(", ");
  const which = items.length === 1 ? `recorded at ${times}` : `from ${items.length} recordings (${times})`;
  return (
    `About ${formatDuration(seconds)} of audio ${which} did not reach the kernel (a reload, a kernel ` +
    "restart or a closed widget cut it off), so it is not in the transcript. This browser kept it."
  );
}

/**
 * @param {string | null} stored the localStorage override, in MB
 * @returns {number} bytes
 */
export function storeLimitBytes(stored) {
  const mb = stored === null || stored.trim() === "" ? NaN : Number(stored);
  return (Number.isFinite(mb) && mb >= 0 ? mb : STORE_LIMIT_MB) * 1024 * 1024;
}
