// SendQueue: the messages of one recording (start, chunks, pause, resume, bookmarks), chained so that they leave in the order they were made, each chunk kept before it is sent.

import { PAGE } from "../vocabulary.js";

/** @typedef {import("../vocabulary.js").PageMessage} PageMessage */
/** @typedef {import("./link.js").Send} Send */

export class SendQueue {
  /**
   * @param {string} recording the recording's id: the `recording` field of its chunks
   * @param {Send} send
   */
  constructor(recording, send) {
    this.recording = recording;
    this.send = send;
    /** Chunks sent so far, which is also the next chunk's seq. */
    this.sent = 0;
    /** @type {Promise<void>} */
    this.tail = Promise.resolve();
  }

  /** @param {PageMessage} content sent once every message before it has been */
  message(content) {
    this.tail = this.tail.then(() => this.send(content));
  }

  /**
   * Reading a Blob is asynchronous, so each chunk waits for the message before it.
   * @param {Blob} blob
   * @param {(seq: number, buffer: ArrayBuffer) => void} keep called just before the chunk is sent:
   *   the kernel's acknowledgement of it may delete what is kept
   */
  chunk(blob, keep) {
    this.tail = this.tail
      .then(async () => {
        const buffer = await blob.arrayBuffer();
        keep(this.sent, buffer);
        const sent = this.send({ type: PAGE.CHUNK, recording: this.recording, seq: this.sent, size: buffer.byteLength }, [buffer]);
        this.sent += 1;
        await sent;
      })
      .catch((err) => console.warn("[live-transcriber] could not read an audio chunk", err));
  }

  /**
   * @param {() => void} then
   * @returns {Promise<void>} runs `then` once every message made so far has been sent
   */
  whenSent(then) {
    return this.tail.then(then);
  }
}
