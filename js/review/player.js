// Listening back in review mode: the kernel's audio replies joined, and the Player that plays a recording from a word with the word being heard lit.

import { errorName, errorText } from "../browser.js";
import { PAGE } from "../vocabulary.js";
import { recordingTime, wordAt } from "./words.js";

/** @typedef {import("../vocabulary.js").PageMessage} PageMessage */
/** @typedef {import("../view/final-text.js").ShownWord} ShownWord */

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

/**
 * Plays the recordings back from any word, for one view. Each recording's audio comes from the
 * kernel once (an "audio" request) and is kept as a Blob URL until the view goes; while it plays,
 * the word being heard is lit (`.lt-playing`) and kept in sight.
 */
export class Player {
  /**
   * @param {HTMLAudioElement} audio
   * @param {(content: PageMessage) => void} send
   * @param {() => void} changed the player's state changed (playing, loading, an error)
   * @param {(recording: number) => ShownWord[]} wordsOf the words on screen of a recording
   * @param {(word: ShownWord) => void} reveal keeps a word in sight
   */
  constructor(audio, send, changed, wordsOf, reveal) {
    this.audio = audio;
    this.send = send;
    this.changed = changed;
    this.wordsOf = wordsOf;
    this.reveal = reveal;
    this.parts = new AudioParts();
    /** Each recording's audio, once it came. @type {Map<number, {url: string, offset: number, done: boolean}>} */
    this.sources = new Map();
    /** The recording whose audio is loaded (or loading) in the element, -1 for none. */
    this.recording = -1;
    /** What to play once a recording's audio comes. @type {{recording: number, time: number} | null} */
    this.wanted = null;
    this.error = "";
    /** @type {ShownWord | null} */
    this.lit = null;
    this.frame = 0;
    this.disposed = false;
    this.follow = () => this.light();
    const onState = () => {
      this.light(); // lights the word at once, and goes on while playing
      this.changed();
    };
    const onError = () => {
      if (!this.audio.getAttribute("src")) return;
      this.error = "This browser cannot play the recording's audio format.";
      this.changed();
    };
    this.listening = new AbortController();
    const { signal } = this.listening;
    for (const name of ["play", "pause", "ended"]) audio.addEventListener(name, onState, { signal });
    audio.addEventListener("error", onError, { signal });
    audio.addEventListener("seeked", this.follow, { signal });
  }

  get playing() {
    return !this.audio.paused && !this.audio.ended;
  }

  get loading() {
    return this.wanted !== null;
  }

  /**
   * Plays `recording` from `time` (seconds on the transcript's timeline).
   * @param {number} recording
   * @param {number} time
   * @param {boolean} [fresh] its audio just came
   */
  playFrom(recording, time, fresh = false) {
    this.error = "";
    const source = this.sources.get(recording);
    // A recording still going on is asked for again, to hear its latest audio.
    if (!source || (!source.done && !fresh)) {
      this.wanted = { recording, time };
      this.send({ type: PAGE.AUDIO, recording });
      this.changed();
      return;
    }
    this.wanted = null;
    if (this.recording !== recording || this.audio.src !== source.url) {
      this.recording = recording;
      this.audio.src = source.url;
    }
    const at = recordingTime(time, source.offset);
    // Seeking before the metadata is known is lost: wait for it.
    const seekAndPlay = () => {
      this.audio.currentTime = at;
      this.play();
    };
    if (this.audio.readyState >= HTMLMediaElement.HAVE_METADATA) seekAndPlay();
    else this.audio.addEventListener("loadedmetadata", seekAndPlay, { once: true, signal: this.listening.signal });
    this.changed();
  }

  play() {
    this.audio.play().catch((/** @type {unknown} */ err) => {
      if (errorName(err) === "AbortError") return; // another seek or pause came first
      this.error = `Cannot play the recording: ${errorText(err)}`;
      this.changed();
    });
  }

  /**
   * Play/pause: from where it was, or from `from` when nothing is loaded yet.
   * @param {ShownWord | undefined} from
   */
  toggle(from) {
    if (this.playing) this.audio.pause();
    else if (this.recording >= 0 && this.sources.has(this.recording)) this.play();
    else if (from) this.playFrom(from.recording, from.start);
  }

  /** @param {number} rate */
  setSpeed(rate) {
    this.audio.playbackRate = rate;
    this.audio.defaultPlaybackRate = rate;
  }

  /**
   * An "audio" reply of the kernel.
   * @param {any} msg
   * @param {BlobPart[] | undefined} buffers
   */
  onAudio(msg, buffers) {
    if (this.disposed || typeof msg.recording !== "number") return;
    if (msg.error) {
      if (this.wanted?.recording === msg.recording) {
        this.wanted = null;
        this.error = String(msg.error);
        this.changed();
      }
      return;
    }
    const whole = this.parts.add(msg, buffers?.[0]);
    if (!whole) return;
    const old = this.sources.get(whole.recording);
    if (old) URL.revokeObjectURL(old.url);
    const url = URL.createObjectURL(new Blob(whole.buffers, { type: whole.mimeType }));
    this.sources.set(whole.recording, { url, offset: whole.offset, done: whole.done });
    const wanted = this.wanted;
    if (wanted?.recording === whole.recording) this.playFrom(wanted.recording, wanted.time, true);
  }

  /** Lights the word being heard, and keeps going while playback does. */
  light() {
    cancelAnimationFrame(this.frame);
    const source = this.sources.get(this.recording);
    const offset = source?.offset ?? 0;
    const words = this.wordsOf(this.recording);
    const at = wordAt(words, this.audio.currentTime + offset);
    const word = at >= 0 ? words[at] : null;
    if (word !== this.lit) {
      this.lit?.el.classList.remove("lt-playing");
      this.lit?.el.removeAttribute("aria-current");
      this.lit = word;
      if (word) {
        word.el.classList.add("lt-playing");
        word.el.setAttribute("aria-current", "true");
        this.reveal(word);
      }
    }
    if (this.playing) this.frame = requestAnimationFrame(this.follow);
  }

  /** The words were drawn again: light the new element of the word being heard. */
  redrawn() {
    this.lit = null;
    this.light();
  }

  dispose() {
    this.disposed = true;
    cancelAnimationFrame(this.frame);
    this.listening.abort();
    this.audio.pause();
    this.audio.removeAttribute("src");
    for (const source of this.sources.values()) URL.revokeObjectURL(source.url);
    this.sources.clear();
  }
}
