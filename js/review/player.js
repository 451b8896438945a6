// Listening back in review mode: the kernel's audio replies joined, and the Player that plays a recording from a word with the word being heard lit.

/**
 * The parts of the kernel's `audio` replies, joined per recording (see protocol.py).
 */
export class AudioParts {
  constructor() {
    /** @type {Map<number, {parts: number, buffers: (BlobPart | undefined)[]}>} */
    this.pending = new Map();
  }

  /**
   * @param {any} msg an `audio` reply without `error`
   * @param {BlobPart | undefined} buffer its buffer
   * @returns {{recording: number, mimeType: string, offset: number, done: boolean, buffers: BlobPart[]} | null}
   *   the whole recording once its last part came, else null
   */
  add(msg, buffer) {
    const { recording, parts, part } = msg;
    if (!Number.isInteger(parts) || !Number.isInteger(part) || part < 0 || part >= parts || !buffer) return null;
    let entry = this.pending.get(recording);
    if (!entry || entry.parts !== parts || part === 0) {
      entry = { parts, buffers: [] };
      this.pending.set(recording, entry);
    }
    entry.buffers[part] = buffer;
    if (entry.buffers.filter(Boolean).length < parts) return null;
    this.pending.delete(recording);
    return {
      recording,
      mimeType: String(msg.mime_type ?? ""),
      offset: Number(msg.offset) || 0,
      done: msg.done === true,
      buffers: /** @type {BlobPart[]} */ (entry.buffers),
    };
  }
}
