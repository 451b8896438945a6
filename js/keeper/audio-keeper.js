// AudioKeeper: keeps each chunk of one model's recordings until the kernel confirms it, and offers to send again (or save) what a kernel never got.
/*
 * Each chunk is kept in IndexedDB (database "live-transcriber", filed under its recording and
 * _identity) until the kernel acknowledges it; chunk 0 (the container header) and the chunks from
 * the last entry point before the first unconfirmed one (a WebM Cluster, an Ogg page, an MP4
 * fragment) stay until the recording is done, so that what was not confirmed can be decoded on its
 * own. A recording still being recorded holds a Web Lock, so no other tab takes it for lost. When a
 * view is shown, and after each Stop, the page asks its kernel about the recordings it keeps that
 * belong here: this widget's own, those of a widget the kernel closed, and those of a kernel process
 * that a restart replaced. A busy kernel answers late, never wrongly: its queue holds the chunks
 * sent before the question. Then:
 *   - open, chunks missing: offer to send them under the same id and numbers, then "stop";
 *     open, none missing: just send "stop" (a page reloaded mid-recording);
 *   - ended or unknown, chunks missing: offer to send them as a new recording (`recovered: true`):
 *     chunk 0 up to its entry point, then the media from the last entry point before the first
 *     missing chunk; the kept recording is deleted once the kernel confirms the new one;
 *   - ended and done (or failed with everything received): delete; ended, still transcribing: wait.
 * The offer says how much audio it is, and can download it instead, or discard it. At most
 * STORE_LIMIT_MB are kept (localStorage "live-transcriber:store-limit-mb" overrides it): past it,
 * new audio is still sent but no longer kept, and the widget says so.
 */

import { errorName, randomId, readStored, saveFile } from "../browser.js";
import { formatDuration } from "../time.js";
import { PAGE } from "../vocabulary.js";
import { AudioStore } from "./audio-store.js";
import { LOCK_PREFIX, heldLocks, takeLock } from "./locks.js";
import { containerFamily, entryOffset, keptFrom, recoveryPieces, recoveryStep, storeLimitBytes } from "./rules.js";

/** @typedef {import("../model.js").Identity} Identity */
/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../vocabulary.js").PageMessage} PageMessage */
/** @typedef {import("./audio-store.js").KeptRecording} KeptRecording */
/** @typedef {import("./rules.js").RecoveryAnswer} RecoveryAnswer */
/** @typedef {import("./rules.js").RecoveryStep} RecoveryStep */

/** localStorage key whose value (in MB) overrides STORE_LIMIT_MB. */
const STORE_LIMIT_KEY = "live-transcriber:store-limit-mb";
/** Without Web Locks, a kept recording is taken for interrupted once no chunk came for this long. */
const QUIET_MS = 15_000;

/**
 * Kept audio the kernel does not have, offered to the user.
 * @typedef {object} Unsent
 * @property {KeptRecording} kept
 * @property {RecoveryStep} step  "continue" or "send"
 * @property {number} seconds     about how much audio it is
 */

/**
 * A recording whose audio this page keeps and answers for, while the page lives.
 * @typedef {object} Tracked
 * @property {string} id
 * @property {boolean} live        still being recorded here: never offered again
 * @property {boolean} storing     new chunks are kept (false once the store is full or failed)
 * @property {number[]} entries    the chunks that hold an entry point, ascending
 * @property {number[]} sizes      bytes of each kept chunk, by seq
 * @property {number} confirmed
 * @property {number} pruned       chunks 1 to pruned - 1 are deleted
 * @property {() => void} release  gives its Web Lock back
 * @property {string} [carries]    a recovered recording sent from here: the kept one it carries...
 * @property {number} [total]      ...and how many chunks it was sent in
 */

/**
 * The unconfirmed audio of one model's recordings (see the top of this file): keeps each chunk
 * until the kernel confirms it, and offers what a kernel never got.
 */
export class AudioKeeper {
  /**
   * @param {Model} model
   * @param {(content: PageMessage, buffers?: ArrayBuffer[]) => Promise<void>} send settles once the host took the message
   * @param {() => void} changed
   * @param {() => boolean} [recorderBusy]
   * @param {() => void} [endedOpen] called after ending a recording the kernel still had open (a page reloaded mid-recording)
   */
  constructor(model, send, changed, recorderBusy = () => false, endedOpen = () => {}) {
    this.model = model;
    this.send = send;
    this.changed = changed;
    this.endedOpen = endedOpen;
    /** Whether this widget is recording now (kept audio is then not sent: it would replace it). */
    this.recorderBusy = recorderBusy;
    /** @type {AudioStore | null} */
    this.store = null;
    this.opening = AudioStore.open().then((store) => {
      this.store = store;
      return store;
    });
    this.limit = storeLimitBytes(readStored(STORE_LIMIT_KEY) || null);
    /** @type {Map<string, Tracked>} */
    this.tracked = new Map();
    /** Kept recordings asked about, until the kernel answers. @type {Map<string, KeptRecording>} */
    this.asked = new Map();
    /** Kept recordings being sent again, by id. @type {Set<string>} */
    this.sending = new Set();
    /** Offered to the user. @type {Unsent[]} */
    this.unsent = [];
    /** Said under the offer: audio on its way, or a store that is full. */
    this.note = "";
    /** The kernel closed the widget: what it did not confirm will never be. */
    this.ownerGone = false;
    this.disposed = false;
  }

  /** @returns {Identity | null} who records here, once the kernel said */
  get identity() {
    const identity = this.model.get("_identity");
    if (!identity?.widget) return null;
    return { widget: identity.widget, process: identity.process ?? "", kernel: identity.kernel ?? "" };
  }

  /**
   * Runs `work` with the store once it is open (at once if it is: its transaction then comes
   * before any made later), in the order asked.
   * @param {(store: AudioStore) => Promise<unknown>} work
   * @param {Tracked} [tracked] stops keeping its chunks if the store fails
   */
  withStore(work, tracked) {
    /** @param {AudioStore | null} store */
    const run = (store) => {
      if (!store) return;
      work(store).catch((err) => this.storeFailed(err, tracked));
    };
    if (this.store) run(this.store);
    else void this.opening.then(run);
  }

  /**
   * A recording starts here: keep its chunks from now on.
   * @param {string} id
   * @param {string} mimeType
   * @param {() => void} release gives back its Web Lock, held from before it started
   */
  begin(id, mimeType, release) {
    const identity = this.identity;
    const tracked = this.track(id, { live: true, storing: identity !== null });
    tracked.release = release;
    if (!identity) return;
    const now = Date.now();
    /** @type {KeptRecording} */
    const kept = { id, mimeType, ...identity, created: now, updated: now, chunks: 0, bytes: 0, seconds: 0, confirmed: 0, ownerGone: false };
    this.withStore((store) => store.add(kept), tracked);
  }

  /**
   * Keeps one chunk, before it is sent.
   * @param {string} id
   * @param {number} seq
   * @param {ArrayBuffer} buffer
   * @param {number} seconds the recording's time at the end of the chunk
   * @param {string} mimeType
   */
  keep(id, seq, buffer, seconds, mimeType) {
    const tracked = this.tracked.get(id);
    if (!tracked?.storing) return;
    if (this.store && this.store.bytes + buffer.byteLength > this.limit) {
      tracked.storing = false;
      const mb = Math.round((this.limit / 1024 / 1024) * 10) / 10;
      this.note =
        `This browser keeps at most ${mb} MB of audio the kernel has not confirmed, and that is full: ` +
        "new audio is still sent, but no longer kept in case it does not arrive. Send or discard the audio kept earlier to make room.";
      this.changed();
      return;
    }
    const entry = entryOffset(new Uint8Array(buffer), containerFamily(mimeType));
    if (entry >= 0) tracked.entries.push(seq);
    tracked.sizes[seq] = buffer.byteLength;
    // IndexedDB copies the buffer when put() is called, so sending it next changes nothing here.
    this.withStore((store) => store.addChunk({ recording: id, seq, data: buffer, entry }, seconds), tracked);
  }

  /**
   * The recording's stop was sent: ask the kernel what it has of every recording kept here.
   * @param {string} id
   */
  ended(id) {
    const tracked = this.tracked.get(id);
    if (tracked) tracked.live = false;
    if (!this.disposed) void this.check();
    else if (tracked) this.letGo(tracked);
  }

  /**
   * The kernel confirmed chunks of a recording: delete what is no longer needed.
   * @param {{recording?: unknown, chunks?: unknown, done?: unknown}} msg
   */
  onAck(msg) {
    const id = String(msg.recording ?? "");
    const chunks = Number.isInteger(msg.chunks) ? Number(msg.chunks) : 0;
    const tracked = this.tracked.get(id);
    if (tracked?.carries !== undefined) {
      // Audio sent again: the kept recording goes once the kernel has all of it.
      if (msg.done === true || chunks >= (tracked.total ?? Infinity)) {
        this.forget(tracked.carries);
        this.untrack(id);
      }
      return;
    }
    if (msg.done === true) {
      this.forget(id);
      return;
    }
    if (!tracked) {
      this.withStore((store) => store.confirm(id, chunks));
      return;
    }
    tracked.confirmed = Math.max(tracked.confirmed, chunks);
    const from = keptFrom(tracked.entries, tracked.confirmed);
    const pruned = tracked.pruned;
    let freed = 0;
    for (let seq = pruned; seq < from; seq += 1) freed += tracked.sizes[seq] ?? 0;
    tracked.pruned = Math.max(pruned, from);
    this.withStore((store) => store.confirm(id, tracked.confirmed, pruned, from, freed), tracked);
  }

  /**
   * Asks the kernel what it has of the kept recordings that belong here and that no page is
   * recording: this widget's, a closed widget's, and those of a kernel process a restart replaced.
   */
  async check() {
    const identity = this.identity;
    const store = await this.opening;
    if (!identity || !store || this.disposed) return;
    /** @type {[KeptRecording[], Set<string> | null]} */
    let found;
    try {
      found = await Promise.all([store.list(), heldLocks()]);
    } catch (err) {
      console.warn("[live-transcriber] could not read the kept audio", err);
      return;
    }
    const [all, held] = found;
    const belongs = (/** @type {KeptRecording} */ kept) =>
      kept.widget === identity.widget ||
      kept.ownerGone ||
      (kept.process !== identity.process && kept.kernel !== "" && kept.kernel === identity.kernel);
    const idle = (/** @type {KeptRecording} */ kept) =>
      held ? !held.has(`${LOCK_PREFIX}recording:${kept.id}`) : Date.now() - kept.updated > QUIET_MS;
    const ask = all.filter((kept) => {
      if (this.sending.has(kept.id) || this.asked.has(kept.id)) return false;
      const tracked = this.tracked.get(kept.id);
      return tracked ? !tracked.live : belongs(kept) && idle(kept);
    });
    if (!ask.length || this.disposed) return;
    for (const kept of ask) this.asked.set(kept.id, kept);
    this.send({ type: PAGE.RECOVER, recordings: ask.map((kept) => kept.id) });
  }

  /**
   * The kernel's answer to "recover": forget, wait, finish, or offer what it does not have.
   * @param {{recordings?: unknown}} msg
   */
  onRecover(msg) {
    const answers = /** @type {RecoveryAnswer[]} */ (Array.isArray(msg.recordings) ? msg.recordings : []);
    /** @type {Unsent[]} */
    const offered = [];
    for (const answer of answers) {
      const kept = this.asked.get(String(answer?.recording));
      if (!kept) continue; // asked by another page
      this.asked.delete(kept.id);
      const step = recoveryStep(answer, kept);
      if (step.action === "forget") this.forget(kept.id);
      else if (step.action === "finish") {
        // A page reloaded mid-recording: the kernel has every chunk kept; end the recording there.
        this.track(kept.id, { live: false, storing: false });
        this.send({ type: PAGE.STOP, recording: kept.id, chunks: kept.chunks });
        this.endedOpen();
      } else if (step.action === "continue" || step.action === "send") {
        const seconds = kept.chunks > 0 ? (kept.seconds * (kept.chunks - step.from)) / kept.chunks : 0;
        offered.push({ kept, step, seconds });
      }
    }
    if (!offered.length) return;
    this.unsent = [...this.unsent.filter((u) => !offered.some((o) => o.kept.id === u.kept.id)), ...offered];
    this.changed();
  }

  /** Sends what is offered to the kernel (each recording kept until the kernel confirms it). */
  async sendUnsent() {
    if (this.recorderBusy()) return;
    const items = this.unsent;
    this.unsent = [];
    this.changed();
    let seconds = 0;
    for (const item of items) {
      if (await this.sendOne(item)) seconds += item.seconds;
    }
    if (seconds) this.note = `Sent ${formatDuration(seconds)} of kept audio to the kernel; this browser keeps it until the kernel confirms it.`;
    this.changed();
  }

  /**
   * @param {Unsent} item
   * @returns {Promise<boolean>} whether it was sent
   */
  async sendOne({ kept, step }) {
    const store = this.store;
    if (!store || this.disposed) return false;
    const own = this.tracked.get(kept.id);
    // Another tab may be sending it too: whoever holds its lock does.
    const release = own ? own.release : await takeLock(`recording:${kept.id}`);
    if (!release) return false;
    this.sending.add(kept.id);
    const continuing = step.action === "continue";
    const pieces = recoveryPieces(await store.chunks(kept.id), step.from, continuing);
    if (!pieces.length) {
      this.sending.delete(kept.id);
      if (!own) release();
      return false;
    }
    const id = continuing ? kept.id : randomId();
    // One after the other: over HTTP (marimo) a message may otherwise overtake the one before.
    if (!continuing) await this.send({ type: PAGE.START, recording: id, mime_type: kept.mimeType, recovered: true });
    for (const piece of pieces) {
      const data = piece.data.slice().buffer;
      await this.send({ type: PAGE.CHUNK, recording: id, seq: piece.seq, size: data.byteLength }, [data]);
    }
    await this.send({ type: PAGE.STOP, recording: id, chunks: continuing ? kept.chunks : pieces.length });
    if (continuing) {
      this.endedOpen();
      this.track(kept.id, { live: false, storing: false }).release = release;
    } else {
      const tracked = this.track(id, { live: false, storing: false });
      tracked.carries = kept.id;
      tracked.total = pieces.length;
      tracked.release = own ? () => {} : release;
    }
    return true;
  }

  /** Saves what is offered as audio files (the offer stays). */
  async downloadUnsent() {
    const store = this.store;
    if (!store) return;
    for (const { kept, step } of this.unsent) {
      const pieces = recoveryPieces(await store.chunks(kept.id), step.from, false);
      if (!pieces.length) continue;
      const stamp = new Date(kept.created).toISOString().slice(0, 16).replace(/[-:]/g, "").replace("T", "-");
      const suffix = { webm: ".webm", ogg: ".ogg", mp4: ".m4a", "": ".bin" }[containerFamily(kept.mimeType)];
      saveFile(new Blob(pieces.map((p) => p.data), { type: kept.mimeType }), `untranscribed-audio-${stamp}${suffix}`);
    }
  }

  /** Deletes what is offered (a recording the kernel still has open is ended there). */
  discardUnsent() {
    for (const { kept, step } of this.unsent) {
      if (step.action === "continue") {
        this.send({ type: PAGE.STOP, recording: kept.id, chunks: step.from });
        this.endedOpen();
      }
      this.forget(kept.id);
    }
    this.unsent = [];
    this.changed();
  }

  /**
   * @param {string} id
   * @param {{live: boolean, storing: boolean}} state
   * @returns {Tracked}
   */
  track(id, state) {
    const tracked = this.tracked.get(id);
    if (tracked) return Object.assign(tracked, state);
    /** @type {Tracked} */
    const fresh = { id, ...state, entries: [], sizes: [], confirmed: 0, pruned: 1, release: () => {} };
    this.tracked.set(id, fresh);
    return fresh;
  }

  /** @param {string} id */
  untrack(id) {
    this.tracked.get(id)?.release();
    this.tracked.delete(id);
  }

  /**
   * A kept recording is no longer needed: delete it.
   * @param {string} id
   */
  forget(id) {
    this.untrack(id);
    this.sending.delete(id);
    this.withStore((store) => store.remove(id));
    const before = this.unsent.length;
    this.unsent = this.unsent.filter((u) => u.kept.id !== id);
    if (!this.sending.size && this.note.startsWith("Sent ")) this.note = "";
    if (this.unsent.length !== before || !this.note) this.changed();
  }

  /**
   * @param {unknown} err
   * @param {Tracked} [tracked]
   */
  storeFailed(err, tracked) {
    if (tracked) tracked.storing = false;
    console.warn("[live-transcriber] could not keep audio in IndexedDB", err);
    if (errorName(err) === "QuotaExceededError") {
      this.note = "The browser's storage is full: new audio is still sent, but no longer kept in case it does not arrive.";
      this.changed();
    }
  }

  /** The kernel is gone: nothing will be confirmed here any more; another widget may offer it all. */
  lost() {
    this.ownerGone = true;
    this.dispose();
  }

  /**
   * The widget is gone. A recording still being recorded keeps its chunks until its recorder has
   * stopped (see ended); the others are let go now.
   */
  dispose() {
    this.disposed = true;
    for (const tracked of [...this.tracked.values()]) if (!tracked.live) this.letGo(tracked);
  }

  /**
   * No longer answers for a recording: gives its lock back, so that another widget may offer it
   * (any widget, if the kernel closed this one: it will never confirm it).
   * @param {Tracked} tracked
   */
  letGo(tracked) {
    if (this.ownerGone && tracked.carries === undefined) this.withStore((store) => store.markOwnerGone(tracked.id));
    this.untrack(tracked.id);
  }
}
