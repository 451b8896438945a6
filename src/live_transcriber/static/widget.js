// Built from js/ by build.mjs (`npm run build`): edit the sources there, not this file.

// js/dom.js
function element(doc, tag, className, attributes = {}, text = "") {
  const node = doc.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function isNearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 16;
}
function scrollIntoBox(box, target) {
  const outer = box.getBoundingClientRect();
  const inner = target.getBoundingClientRect();
  if (inner.top < outer.top) box.scrollTop += inner.top - outer.top - 8;
  else if (inner.bottom > outer.bottom) box.scrollTop += inner.bottom - outer.bottom + 8;
}
function editInPlace(target, value, label, done) {
  const doc = target.ownerDocument;
  const input = element(doc, "input", "lt-inline-edit", { type: "text", "aria-label": label, spellcheck: "true" });
  input.value = value;
  input.size = Math.max(4, value.length + 2);
  let finished = false;
  const finish = (save) => {
    if (finished) return;
    finished = true;
    input.replaceWith(target);
    target.focus({ preventScroll: true });
    if (save && input.value.trim() !== value) done(input.value.trim());
  };
  input.addEventListener("keydown", (event) => {
    event.stopPropagation();
    if (event.key === "Enter") {
      event.preventDefault();
      finish(true);
    } else if (event.key === "Escape") {
      event.preventDefault();
      finish(false);
    }
  });
  input.addEventListener("input", () => {
    input.size = Math.max(4, input.value.length + 2);
  });
  input.addEventListener("blur", () => finish(false));
  target.replaceWith(input);
  input.focus();
  input.select();
}

// js/browser.js
function errorName(err) {
  const name = typeof err === "object" && err !== null && "name" in err ? err.name : "";
  return typeof name === "string" ? name : "";
}
function errorText(err) {
  const name = errorName(err);
  const message = typeof err === "object" && err !== null && "message" in err ? err.message : "";
  if (message) return name && name !== "Error" ? `${name}: ${message}` : String(message);
  return name || String(err);
}
function stopTracks(microphone) {
  for (const track of microphone.getTracks()) track.stop();
}
function randomId() {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}
function readStored(key) {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}
function writeStored(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
  }
}
function download(msg) {
  const blob = new Blob([String(msg.content ?? "")], { type: msg.mime_type || "text/plain" });
  saveFile(blob, msg.filename || `transcript.${msg.format || "txt"}`);
}
function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 3e4);
}
async function copyText(text, doc) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
    }
  }
  const focused = doc.activeElement instanceof HTMLElement ? doc.activeElement : null;
  const area = element(doc, "textarea", "lt-offscreen", { readonly: "", "aria-hidden": "true" });
  area.value = text;
  doc.body.append(area);
  area.select();
  let copied = false;
  try {
    copied = doc.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  focused?.focus();
  return copied;
}

// js/time.js
function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const mmss = `${String(Math.floor(whole / 60) % 60).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  return hours ? `${hours}:${mmss}` : mmss;
}
function formatDuration(seconds) {
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor(whole / 60) % 60} min`;
}
function timeOfDay(time) {
  const date = new Date(time);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

// js/vocabulary.js
var PAGE = Object.freeze({
  START: "start",
  CHUNK: "chunk",
  STOP: "stop",
  RECOVER: "recover",
  PAUSE: "pause",
  RESUME: "resume",
  CLEAR: "clear",
  HISTORY: "history",
  VIEW: "view",
  EXPORT: "export",
  CLIENT_ERROR: "client_error",
  EDIT: "edit",
  SPEAKER: "speaker",
  BOOKMARK: "bookmark",
  AUDIO: "audio"
});
var PAGE_MESSAGES = Object.freeze(Object.values(PAGE));
var KERNEL = Object.freeze({
  STOP_RECORDING: "stop_recording",
  START_RECORDING: "start_recording",
  PAUSE_RECORDING: "pause_recording",
  RESUME_RECORDING: "resume_recording",
  HISTORY: "history",
  EXPORT: "export",
  ACK: "ack",
  RECOVER: "recover",
  RESULTS_CHANGED: "results_changed",
  AUDIO: "audio"
});
var KERNEL_MESSAGES = Object.freeze(Object.values(KERNEL));
var STATUS = Object.freeze({
  IDLE: "idle",
  LOADING_MODEL: "loading model",
  CONNECTING: "connecting",
  RECORDING: "recording",
  PAUSED: "paused",
  RECONNECTING: "reconnecting",
  FINISHING: "finishing",
  ERROR: "error"
});

// js/keeper/audio-store.js
var STORE_DB = "live-transcriber";
var AudioStore = class _AudioStore {
  /** @returns {Promise<AudioStore | null>} the page's store, or null where IndexedDB is not available */
  static open() {
    storeOpening ??= new Promise((resolve) => {
      let request;
      try {
        request = indexedDB.open(STORE_DB, 1);
      } catch (err) {
        console.warn("[live-transcriber] no IndexedDB: unconfirmed audio is not kept", err);
        resolve(null);
        return;
      }
      request.onupgradeneeded = () => {
        request.result.createObjectStore("recordings", { keyPath: "id" });
        request.result.createObjectStore("chunks", { keyPath: ["recording", "seq"] });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close();
        resolve(new _AudioStore(db));
      };
      request.onerror = () => {
        console.warn("[live-transcriber] IndexedDB refused: unconfirmed audio is not kept", request.error);
        resolve(null);
      };
    });
    return storeOpening;
  }
  /** @param {IDBDatabase} db */
  constructor(db) {
    this.db = db;
    this.bytes = 0;
  }
  /** @param {KeptRecording} kept */
  add(kept) {
    return this.write(["recordings"], (tx) => tx.objectStore("recordings").put(kept));
  }
  /**
   * @param {KeptChunk} chunk
   * @param {number} seconds the recording's time at the end of this chunk
   */
  addChunk(chunk, seconds) {
    return this.update(chunk.recording, (kept, tx) => {
      this.bytes += chunk.data.byteLength;
      kept.chunks = Math.max(kept.chunks, chunk.seq + 1);
      kept.bytes += chunk.data.byteLength;
      kept.seconds = seconds;
      kept.updated = Date.now();
      tx.objectStore("chunks").put(chunk);
    });
  }
  /**
   * The kernel confirmed the first `confirmed` chunks: remember it, delete chunks [from, to).
   * @param {string} id
   * @param {number} confirmed
   * @param {number} from
   * @param {number} to
   * @param {number} freed their bytes
   */
  confirm(id, confirmed, from = 0, to = 0, freed = 0) {
    return this.update(id, (kept, tx) => {
      this.bytes -= freed;
      kept.confirmed = Math.max(kept.confirmed, confirmed);
      kept.bytes -= freed;
      if (to > from) tx.objectStore("chunks").delete(IDBKeyRange.bound([id, from], [id, to - 1]));
    });
  }
  /** @param {string} id */
  markOwnerGone(id) {
    return this.update(id, (kept) => {
      kept.ownerGone = true;
    });
  }
  /** @param {string} id */
  remove(id) {
    return this.write(["recordings", "chunks"], (tx) => {
      const recordings = tx.objectStore("recordings");
      const request = recordings.get(id);
      request.onsuccess = () => {
        if (request.result) this.bytes -= /** @type {KeptRecording} */
        request.result.bytes;
        recordings.delete(id);
      };
      tx.objectStore("chunks").delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
    });
  }
  /** @returns {Promise<KeptRecording[]>} */
  async list() {
    let all = [];
    await this.write(["recordings"], (tx) => {
      const request = tx.objectStore("recordings").getAll();
      request.onsuccess = () => {
        all = request.result;
      };
    }, "readonly");
    this.bytes = all.reduce((sum, kept) => sum + kept.bytes, 0);
    return all;
  }
  /**
   * @param {string} id
   * @returns {Promise<KeptChunk[]>} its kept chunks, ascending
   */
  async chunks(id) {
    let chunks = [];
    await this.write(["chunks"], (tx) => {
      const request = tx.objectStore("chunks").getAll(IDBKeyRange.bound([id, 0], [id, Infinity]));
      request.onsuccess = () => {
        chunks = request.result;
      };
    }, "readonly");
    return chunks;
  }
  /**
   * Changes a kept recording in one transaction (nothing happens if it is gone).
   * @param {string} id
   * @param {(kept: KeptRecording, tx: IDBTransaction) => void} change
   */
  update(id, change) {
    return this.write(["recordings", "chunks"], (tx) => {
      const recordings = tx.objectStore("recordings");
      const request = recordings.get(id);
      request.onsuccess = () => {
        const kept = (
          /** @type {KeptRecording | undefined} */
          request.result
        );
        if (!kept) return;
        change(kept, tx);
        recordings.put(kept);
      };
    });
  }
  /**
   * @param {string[]} stores
   * @param {(tx: IDBTransaction) => void} work
   * @param {IDBTransactionMode} [mode]
   * @returns {Promise<void>} settles when the transaction has; rejects with its error (e.g. QuotaExceededError)
   */
  write(stores, work, mode = "readwrite") {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(stores, mode);
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
      work(tx);
    });
  }
};
var storeOpening;

// js/keeper/locks.js
var LOCK_PREFIX = "live-transcriber:";
function takeLock(name) {
  const locks = navigator.locks;
  if (!locks?.request) return Promise.resolve(() => {
  });
  return new Promise((resolve) => {
    locks.request(LOCK_PREFIX + name, { ifAvailable: true }, (lock) => {
      if (!lock) {
        resolve(null);
        return void 0;
      }
      return new Promise((release) => resolve(() => release(void 0)));
    }).catch(() => resolve(() => {
    }));
  });
}
async function heldLocks() {
  try {
    const state = await navigator.locks.query();
    return new Set((state.held ?? []).map((lock) => lock.name ?? ""));
  } catch {
    return null;
  }
}

// js/keeper/rules.js
var STORE_LIMIT_MB = 256;
function containerFamily(mimeType) {
  const base = mimeType.split(";")[0].trim().toLowerCase();
  if (/^(audio|video)\/(webm|x-matroska|matroska)$/.test(base)) return "webm";
  if (/^(audio|video)\/ogg$/.test(base) || base === "audio/opus") return "ogg";
  if (/^(audio|video)\/mp4$/.test(base) || base === "audio/x-m4a") return "mp4";
  return "";
}
var ENTRY_MARKS = {
  webm: { pattern: [31, 67, 182, 117], shift: 0 },
  // a Cluster's element id
  ogg: { pattern: [79, 103, 103, 83], shift: 0 },
  // "OggS", a page
  mp4: { pattern: [109, 111, 111, 102], shift: -4 }
  // "moof", after its box size
};
function entryOffset(bytes, family) {
  const mark = family === "webm" || family === "ogg" || family === "mp4" ? ENTRY_MARKS[family] : null;
  if (!mark) return -1;
  const [first, ...rest] = mark.pattern;
  for (let i = -mark.shift; i + mark.pattern.length <= bytes.length; i += 1) {
    if (bytes[i] === first && rest.every((byte, k) => bytes[i + 1 + k] === byte)) return i + mark.shift;
  }
  return -1;
}
function keptFrom(entries, confirmed) {
  let from = 0;
  for (const seq of entries) {
    if (seq >= confirmed) break;
    from = seq;
  }
  return from;
}
function recoveryStep(answer, kept) {
  const received = Number.isInteger(answer.received) && answer.received > 0 ? answer.received : 0;
  if (answer.state === "open") {
    return { action: received < kept.chunks ? "continue" : "finish", from: received };
  }
  if (answer.state === "ended") {
    if (received < kept.chunks) return { action: "send", from: received };
    return { action: answer.done || answer.failed ? "forget" : "wait", from: received };
  }
  return { action: kept.confirmed < kept.chunks ? "send" : "forget", from: kept.confirmed };
}
function recoveryPieces(chunks, from, continuing) {
  if (continuing) return chunks.filter((c) => c.seq >= from).map((c) => ({ seq: c.seq, data: new Uint8Array(c.data) }));
  const header = chunks[0];
  if (!header || header.seq !== 0) return [];
  let start = 0;
  for (const chunk of chunks) if (chunk.seq > 0 && chunk.seq < from && chunk.entry >= 0) start = chunk.seq;
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
function describeUnsent(items, clock = timeOfDay) {
  const seconds = items.reduce((sum, item) => sum + item.seconds, 0);
  const times = items.map((item) => clock(item.created)).join(", ");
  const which = items.length === 1 ? `recorded at ${times}` : `from ${items.length} recordings (${times})`;
  return `About ${formatDuration(seconds)} of audio ${which} did not reach the kernel (a reload, a kernel restart or a closed widget cut it off), so it is not in the transcript. This browser kept it.`;
}
function storeLimitBytes(stored) {
  const mb = stored === null || stored.trim() === "" ? NaN : Number(stored);
  return (Number.isFinite(mb) && mb >= 0 ? mb : STORE_LIMIT_MB) * 1024 * 1024;
}

// js/keeper/audio-keeper.js
var STORE_LIMIT_KEY = "live-transcriber:store-limit-mb";
var QUIET_MS = 15e3;
var AudioKeeper = class {
  /**
   * @param {Model} model
   * @param {(content: PageMessage, buffers?: ArrayBuffer[]) => Promise<void>} send settles once the host took the message
   * @param {() => void} changed
   * @param {() => boolean} [recorderBusy]
   * @param {() => void} [endedOpen] called after ending a recording the kernel still had open (a page reloaded mid-recording)
   */
  constructor(model, send, changed, recorderBusy = () => false, endedOpen = () => {
  }) {
    this.model = model;
    this.send = send;
    this.changed = changed;
    this.endedOpen = endedOpen;
    this.recorderBusy = recorderBusy;
    this.store = null;
    this.opening = AudioStore.open().then((store) => {
      this.store = store;
      return store;
    });
    this.limit = storeLimitBytes(readStored(STORE_LIMIT_KEY) || null);
    this.tracked = /* @__PURE__ */ new Map();
    this.asked = /* @__PURE__ */ new Map();
    this.sending = /* @__PURE__ */ new Set();
    this.unsent = [];
    this.note = "";
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
      const mb = Math.round(this.limit / 1024 / 1024 * 10) / 10;
      this.note = `This browser keeps at most ${mb} MB of audio the kernel has not confirmed, and that is full: new audio is still sent, but no longer kept in case it does not arrive. Send or discard the audio kept earlier to make room.`;
      this.changed();
      return;
    }
    const entry = entryOffset(new Uint8Array(buffer), containerFamily(mimeType));
    if (entry >= 0) tracked.entries.push(seq);
    tracked.sizes[seq] = buffer.byteLength;
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
    if (tracked?.carries !== void 0) {
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
    let found;
    try {
      found = await Promise.all([store.list(), heldLocks()]);
    } catch (err) {
      console.warn("[live-transcriber] could not read the kept audio", err);
      return;
    }
    const [all, held] = found;
    const belongs = (kept) => kept.widget === identity.widget || kept.ownerGone || kept.process !== identity.process && kept.kernel !== "" && kept.kernel === identity.kernel;
    const idle = (kept) => held ? !held.has(`${LOCK_PREFIX}recording:${kept.id}`) : Date.now() - kept.updated > QUIET_MS;
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
    const answers = (
      /** @type {RecoveryAnswer[]} */
      Array.isArray(msg.recordings) ? msg.recordings : []
    );
    const offered = [];
    for (const answer of answers) {
      const kept = this.asked.get(String(answer?.recording));
      if (!kept) continue;
      this.asked.delete(kept.id);
      const step = recoveryStep(answer, kept);
      if (step.action === "forget") this.forget(kept.id);
      else if (step.action === "finish") {
        this.track(kept.id, { live: false, storing: false });
        this.send({ type: PAGE.STOP, recording: kept.id, chunks: kept.chunks });
        this.endedOpen();
      } else if (step.action === "continue" || step.action === "send") {
        const seconds = kept.chunks > 0 ? kept.seconds * (kept.chunks - step.from) / kept.chunks : 0;
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
      tracked.release = own ? () => {
      } : release;
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
    const fresh = { id, ...state, entries: [], sizes: [], confirmed: 0, pruned: 1, release: () => {
    } };
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
    if (this.ownerGone && tracked.carries === void 0) this.withStore((store) => store.markOwnerGone(tracked.id));
    this.untrack(tracked.id);
  }
};

// js/kernel/link.js
var NEWS_EVENTS = ["change:transcript", "change:status", "change:error"];
var KernelLink = class {
  /**
   * @param {Model} model
   * @param {object} on
   * @param {KernelHandlers} on.message
   * @param {() => void} on.close the kernel closed the widget (w.close()): no acknowledgement will come
   * @param {() => void} on.lost a send found the comm gone for good
   */
  constructor(model, on) {
    this.model = model;
    this.lost = on.lost;
    this.onMessage = (msg) => {
      const type = msg?.type;
      if (typeof type === "string" && Object.hasOwn(on.message, type)) on.message[
        /** @type {KernelMessage} */
        type
      ]?.(msg);
    };
    this.onClose = on.close;
    this.onNews = () => {
      const revision = model.get("revision");
      if (typeof revision !== "number") return;
      model.set("revision", revision + 1);
      model.save_changes();
    };
    model.on("msg:custom", this.onMessage);
    model.on("comm:close", this.onClose);
    for (const event of NEWS_EVENTS) model.on(event, this.onNews);
  }
  /**
   * Messages leave in the order sent; over HTTP (marimo) one may overtake another unless the next
   * waits for this one to settle.
   * @param {PageMessage} content
   * @param {ArrayBuffer[]} [buffers]
   * @returns {Promise<void>} settles (never rejects) once the host has taken the message
   */
  send(content, buffers) {
    const failed = (err) => console.warn("[live-transcriber] could not send to the kernel", err);
    try {
      return Promise.resolve(this.model.send(content, void 0, buffers)).then(() => {
      }, failed);
    } catch (err) {
      failed(err);
      this.lost();
      return Promise.resolve();
    }
  }
  dispose() {
    this.model.off("msg:custom", this.onMessage);
    this.model.off("comm:close", this.onClose);
    for (const event of NEWS_EVENTS) this.model.off(event, this.onNews);
  }
};

// js/recorder/control.js
var VIEW_WAIT_MS = 5e3;
var NO_VIEW = "Recording was asked for from Python, but no view of this widget is shown on the page (its output was cleared or closed?), and the widget records through one. Show it again (display(w)), then call start().";
var RecorderControl = class {
  /**
   * @param {object} parts
   * @param {ControlledRecorder} parts.recorder
   * @param {() => number} parts.views how many views of the model this page shows
   * @param {() => boolean} parts.stillAsked whether the `recording` trait still asks for a recording
   * @param {() => Promise<boolean>} parts.recordedElsewhere whether another tab of this browser records with this widget
   * @param {(error: ClientError) => void} parts.refuse shows and reports why the start cannot happen here
   */
  constructor({ recorder, views, stillAsked, recordedElsewhere, refuse }) {
    this.recorder = recorder;
    this.views = views;
    this.stillAsked = stillAsked;
    this.recordedElsewhere = recordedElsewhere;
    this.refuse = refuse;
    this.startWanted = false;
    this.pauseWanted = false;
    this.viewTimer = void 0;
  }
  /** Python asked for a recording (`start_recording`): nothing changes while one is asked for or open. */
  start() {
    const phase = this.recorder.phase;
    if (phase === "requesting" || phase === "recording") return;
    this.startWanted = true;
    if (this.views() === 0 && this.viewTimer === void 0) this.viewTimer = setTimeout(() => void this.noView(), VIEW_WAIT_MS);
    this.carryOn();
  }
  /**
   * Stops the recording, or what was asked before it started (`stop_recording`).
   * @param {string} [reason] shown to the user
   * @param {boolean} [handedOver] another tab records now: this one does not report the end
   */
  stop(reason = "", handedOver = false) {
    this.forget();
    this.recorder.stop(reason, handedOver);
  }
  pause() {
    if (this.recorder.phase === "requesting" || this.startWanted && this.recorder.phase !== "recording") this.pauseWanted = true;
    else this.recorder.pause();
  }
  resume() {
    this.pauseWanted = false;
    this.recorder.resume();
  }
  /** A view of the model was drawn on this page. */
  viewShown() {
    this.carryOn();
  }
  /** The recorder changed: go on with what waits for it. */
  recorderChanged() {
    this.carryOn();
  }
  carryOn() {
    const phase = this.recorder.phase;
    if (this.startWanted && phase === "off" && this.views() > 0) {
      clearTimeout(this.viewTimer);
      this.viewTimer = void 0;
      this.startWanted = false;
      void this.recorder.start();
    } else if (this.pauseWanted && phase === "recording") {
      this.pauseWanted = false;
      if (!this.recorder.paused) this.recorder.pause();
    } else if (phase === "off" && !this.startWanted) {
      this.pauseWanted = false;
    }
  }
  /** No view came: say so, unless the start was called off or another tab of this browser records. */
  async noView() {
    this.viewTimer = void 0;
    if (!this.startWanted || this.views() > 0) return;
    this.forget();
    if (!this.stillAsked() || await this.recordedElsewhere()) return;
    this.refuse({ kind: "no-view", message: NO_VIEW });
  }
  forget() {
    clearTimeout(this.viewTimer);
    this.viewTimer = void 0;
    this.startWanted = false;
    this.pauseWanted = false;
  }
  dispose() {
    this.forget();
  }
};

// js/kernel/send-queue.js
var SendQueue = class {
  /**
   * @param {string} recording the recording's id: the `recording` field of its chunks
   * @param {Send} send
   */
  constructor(recording, send) {
    this.recording = recording;
    this.send = send;
    this.sent = 0;
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
    this.tail = this.tail.then(async () => {
      const buffer = await blob.arrayBuffer();
      keep(this.sent, buffer);
      const sent = this.send({ type: PAGE.CHUNK, recording: this.recording, seq: this.sent, size: buffer.byteLength }, [buffer]);
      this.sent += 1;
      await sent;
    }).catch((err) => console.warn("[live-transcriber] could not read an audio chunk", err));
  }
  /**
   * @param {() => void} then
   * @returns {Promise<void>} runs `then` once every message made so far has been sent
   */
  whenSent(then) {
    return this.tail.then(then);
  }
};

// js/recorder/clock.js
var RecordingClock = class {
  /** @param {() => number} [now] a monotonic time in milliseconds */
  constructor(now = () => performance.now()) {
    this.now = now;
    this.countedMs = 0;
    this.since = null;
  }
  /** From zero. */
  start() {
    this.countedMs = 0;
    this.since = this.now();
  }
  /** Stops counting (a pause, or the end): the time so far stays. */
  stop() {
    if (this.since !== null) this.countedMs += this.now() - this.since;
    this.since = null;
  }
  /** Counts on from the time so far. */
  resume() {
    if (this.since === null) this.since = this.now();
  }
  elapsedMs() {
    return this.countedMs + (this.since === null ? 0 : this.now() - this.since);
  }
};

// js/recorder/environment.js
var PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
function pickMimeType(recorderClass) {
  if (typeof recorderClass.isTypeSupported !== "function") return "";
  return PREFERRED_TYPES.find((type) => recorderClass.isTypeSupported?.(type)) ?? "";
}
function checkEnvironment(page) {
  if (page.__MARIMO_STATIC__ !== void 0) {
    return {
      kind: "unsupported",
      message: "This page is a static export of a marimo notebook: no Python runs behind it, so nothing can be transcribed. Open the notebook with `marimo edit` or `marimo run`."
    };
  }
  const mediaDevices = page.navigator.mediaDevices;
  if (page.isSecureContext === false || !mediaDevices && page.isSecureContext !== true) {
    return {
      kind: "insecure",
      message: `The microphone is only available on secure pages, and this page (${page.location.origin}) is not one. Open Jupyter over https, or at http://localhost or http://127.0.0.1 (not a LAN address such as 192.168.x.x, and not 0.0.0.0).`
    };
  }
  if (!mediaDevices?.getUserMedia) {
    return {
      kind: "unsupported",
      message: "This browser does not offer microphone access (navigator.mediaDevices is missing)."
    };
  }
  if (page.MediaRecorder === void 0) {
    return {
      kind: "unsupported",
      message: "This browser cannot record audio (MediaRecorder is missing). Use a current Chrome, Edge, Firefox or Safari."
    };
  }
  return null;
}
function describeMediaError(err, host) {
  switch (errorName(err)) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      if (host.vscode) {
        return {
          kind: "permission",
          message: "VS Code notebooks cannot use the microphone (microsoft/vscode#119127). Open this notebook in JupyterLab or Jupyter Notebook in a browser."
        };
      }
      return {
        kind: "permission",
        message: "Microphone access was blocked. Allow the microphone for this site (click the icon at the left of the address bar, or open the browser's site settings), then press Start again." + (host.inFrame ? " If the browser never asks, the page around this notebook does not let it use the microphone." : "")
      };
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return {
        kind: "no-device",
        message: "No microphone was found. Connect one (and check the system's sound settings), then press Start again."
      };
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return {
        kind: "other",
        message: "The microphone could not be started: it may be in use by another application, or the system blocks the browser from using it. Close the other application or check the system's privacy settings, then press Start again."
      };
    default:
      return { kind: "other", message: `Could not start the microphone (${errorText(err)}).` };
  }
}
function thisHost() {
  return { vscode: isVSCodeWebview(), inFrame: isInFrame() };
}
function isVSCodeWebview() {
  const userAgent = navigator.userAgent;
  return location.protocol === "vscode-webview:" || location.hostname.endsWith(".vscode-cdn.net") || typeof /** @type {{acquireVsCodeApi?: unknown}} */
  globalThis.acquireVsCodeApi === "function" || /\bCode\/\d/.test(userAgent) && /\bElectron\//.test(userAgent);
}
function isInFrame() {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
}

// js/recorder/level-meter.js
function loudness(samples) {
  if (!samples.length) return 0;
  let sum = 0;
  for (const x of samples) sum += x * x;
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
}
function nextLevel(shown, measured) {
  const level = Math.max(measured, shown * 0.6);
  return level < 0.01 ? 0 : level;
}
function wakeOnGesture(context, target) {
  const events = ["pointerdown", "keydown"];
  const stop = () => {
    for (const event of events) target.removeEventListener(event, wake, { capture: true });
  };
  const wake = () => {
    context.resume().then(
      () => {
        if (context.state !== "suspended") stop();
      },
      () => {
      }
    );
  };
  for (const event of events) target.addEventListener(event, wake, { capture: true });
  return stop;
}
var LevelMeter = class _LevelMeter {
  /**
   * @param {MediaStream} microphone
   * @returns {LevelMeter | null} null where Web Audio is missing or refuses the stream
   */
  static open(microphone) {
    const AudioContextClass = window.AudioContext ?? /** @type {{webkitAudioContext?: typeof AudioContext}} */
    window.webkitAudioContext;
    if (!AudioContextClass) return null;
    try {
      const context = new AudioContextClass();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(microphone).connect(analyser);
      const meter = new _LevelMeter(context, analyser);
      if (context.state === "suspended") meter.stopWaking = wakeOnGesture(context, document);
      void context.resume().catch(() => {
      });
      return meter;
    } catch (err) {
      console.warn("[live-transcriber] no level meter", err);
      return null;
    }
  }
  /**
   * @param {AudioContext} context
   * @param {AnalyserNode} analyser
   */
  constructor(context, analyser) {
    this.context = context;
    this.analyser = analyser;
    this.samples = new Float32Array(analyser.fftSize);
    this.level = 0;
    this.stopWaking = () => {
    };
  }
  /** Whether the browser holds the audio processing back until a click or key press on the page. */
  get asleep() {
    return this.context.state === "suspended";
  }
  /** @param {boolean} paused a paused recorder hears nothing: the level drops to 0 at once */
  update(paused) {
    if (paused) {
      this.level = 0;
      return;
    }
    this.analyser.getFloatTimeDomainData(this.samples);
    this.level = nextLevel(this.level, loudness(this.samples));
  }
  close() {
    this.level = 0;
    this.stopWaking();
    void this.context.close().catch(() => {
    });
  }
};

// js/recorder/microphones.js
var AUDIO_CONSTRAINTS = { channelCount: 1, echoCancellation: true, noiseSuppression: true };
var DEVICE_KEY = "live-transcriber:microphone";
var Microphones = class {
  /** @param {() => void} changed called when the list or the choice changed */
  constructor(changed) {
    this.changed = changed;
    this.devices = [];
    this.deviceId = readStored(DEVICE_KEY);
    this.disposed = false;
    this.onDeviceChange = () => void this.refresh();
    navigator.mediaDevices?.addEventListener?.("devicechange", this.onDeviceChange);
    void this.refresh();
  }
  /** @param {string} id a deviceId, or "" for the default microphone */
  choose(id) {
    this.deviceId = id;
    writeStored(DEVICE_KEY, id);
    this.changed();
  }
  /** Device labels are empty until the page may use the microphone: call again after that. */
  async refresh() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    let all;
    try {
      all = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    if (this.disposed) return;
    this.devices = all.filter((d) => d.kind === "audioinput" && d.deviceId).map((d, i) => ({ id: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
    this.changed();
  }
  /**
   * The chosen microphone, or the default one (saying so) when the chosen one is gone.
   * @returns {Promise<{microphone: MediaStream, notice: string}>} `notice`: what to tell the user, or ""
   */
  async open() {
    const wanted = this.deviceId;
    if (!wanted) return { microphone: await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS }), notice: "" };
    try {
      const microphone2 = await navigator.mediaDevices.getUserMedia({ audio: { ...AUDIO_CONSTRAINTS, deviceId: { exact: wanted } } });
      return { microphone: microphone2, notice: "" };
    } catch (err) {
      const name = errorName(err);
      if (name !== "OverconstrainedError" && name !== "NotFoundError") throw err;
    }
    const microphone = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    const label = this.devices.find((d) => d.id === wanted)?.label;
    const notice = `The chosen microphone${label ? ` (${label})` : ""} is not available: recording from the default microphone instead. Pick another one in the list to change it.`;
    return { microphone, notice };
  }
  dispose() {
    this.disposed = true;
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.onDeviceChange);
  }
};

// js/recorder/recorder.js
var TIMESLICE_MS = 250;
var STOP_TIMEOUT_MS = 5e3;
var TICK_MS = 100;
var Recorder = class {
  /**
   * @param {AudioKeeper} keeper keeps each chunk until the kernel confirms it
   * @param {Send} send
   * @param {(change?: Change) => void} changed tells the views
   * @param {(recording: boolean) => void} onRecording reports that this tab records, or asks for the
   *   microphone (true), or that its recording ended or could not start (false): the `recording` trait
   */
  constructor(keeper, send, changed, onRecording) {
    this.keeper = keeper;
    this.send = send;
    this.changed = changed;
    this.onRecording = onRecording;
    this.phase = "off";
    this.paused = false;
    this.localError = "";
    this.recording = null;
    this.disposed = false;
    this.attempt = 0;
    this.clock = new RecordingClock();
    this.meter = null;
    this.ticker = void 0;
    this.releaseWidget = () => {
    };
    this.microphones = new Microphones(() => this.changed("devices"));
  }
  /** Input level, 0 to 1, while recording. */
  get level() {
    return this.meter?.level ?? 0;
  }
  /** Whether the level waits for a click or key press on the page (see wakeOnGesture). */
  get levelAsleep() {
    return this.phase === "recording" && Boolean(this.meter?.asleep);
  }
  toggle() {
    if (this.phase === "off") void this.start();
    else this.stop();
  }
  togglePause() {
    if (this.paused) this.resume();
    else this.pause();
  }
  async start() {
    if (this.phase !== "off" || this.disposed) return;
    this.localError = "";
    const unavailable = checkEnvironment(globalThis);
    if (unavailable) {
      this.report(unavailable);
      this.onRecording(false);
      return;
    }
    const attempt = ++this.attempt;
    this.phase = "requesting";
    this.changed();
    const widget = this.keeper.identity?.widget;
    const id = randomId();
    const [release, recordingLock] = await Promise.all([
      widget ? takeLock(`widget:${widget}`) : Promise.resolve(() => {
      }),
      takeLock(`recording:${id}`)
    ]);
    const releaseRecording = recordingLock ?? (() => {
    });
    if (attempt !== this.attempt) {
      release?.();
      releaseRecording();
      return;
    }
    if (!release) {
      releaseRecording();
      this.phase = "off";
      this.localError = "This widget is recording in another tab or window: stop it there (or close that tab) to record here.";
      this.changed();
      return;
    }
    this.releaseWidget = release;
    this.onRecording(true);
    let microphone;
    try {
      const opened = await this.microphones.open();
      microphone = opened.microphone;
      if (opened.notice) this.localError = opened.notice;
    } catch (err) {
      this.releaseWidget();
      releaseRecording();
      if (attempt !== this.attempt) return;
      this.phase = "off";
      this.report(describeMediaError(err, thisHost()));
      this.onRecording(false);
      return;
    }
    if (attempt !== this.attempt) {
      this.releaseWidget();
      releaseRecording();
      stopTracks(microphone);
      return;
    }
    this.record(microphone, id, releaseRecording);
    void this.microphones.refresh();
  }
  /**
   * @param {MediaStream} microphone
   * @param {string} id the recording's id
   * @param {() => void} releaseLock gives back the recording's lock (held from here on by what keeps its audio)
   */
  record(microphone, id, releaseLock) {
    const mimeType = pickMimeType(MediaRecorder);
    let mediaRecorder;
    try {
      mediaRecorder = new MediaRecorder(microphone, mimeType ? { mimeType } : void 0);
    } catch (err) {
      stopTracks(microphone);
      this.releaseWidget();
      releaseLock();
      this.phase = "off";
      this.report({
        kind: "unsupported",
        message: `This browser cannot record audio from the microphone (${errorText(err)}).`
      });
      this.onRecording(false);
      return;
    }
    const recording = {
      id,
      microphone,
      mediaRecorder,
      queue: new SendQueue(id, this.send),
      failure: null,
      stopping: false,
      finished: false,
      ended: false,
      handedOver: false,
      stopTimer: void 0
    };
    this.recording = recording;
    mediaRecorder.addEventListener("dataavailable", (event) => this.enqueueChunk(recording, event.data));
    mediaRecorder.addEventListener("stop", () => this.finishRecording(recording));
    mediaRecorder.addEventListener("error", (event) => {
      const cause = "error" in event ? event.error : void 0;
      this.failRecording(recording, {
        kind: "recorder",
        message: `The browser's recorder failed (${cause ? errorText(cause) : "unknown error"}). Recording stopped.`
      });
    });
    for (const track of microphone.getAudioTracks()) {
      track.addEventListener(
        "ended",
        () => this.failRecording(recording, {
          kind: "no-device",
          message: "The microphone was disconnected or turned off. Recording stopped."
        })
      );
    }
    const announce = () => {
      const type = mediaRecorder.mimeType || mimeType;
      this.keeper.begin(recording.id, type, releaseLock);
      recording.queue.message({ type: PAGE.START, recording: recording.id, mime_type: type });
    };
    if (mediaRecorder.mimeType || mimeType) announce();
    else mediaRecorder.addEventListener("start", announce, { once: true });
    try {
      mediaRecorder.start(TIMESLICE_MS);
    } catch (err) {
      recording.failure = { kind: "recorder", message: `The recorder did not start (${errorText(err)}).` };
      this.localError = recording.failure.message;
      this.finishRecording(recording);
      return;
    }
    this.phase = "recording";
    this.paused = false;
    this.clock.start();
    this.meter = LevelMeter.open(microphone);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.changed();
  }
  /** Drops a bookmark at the recording's time now, as the widget's clock shows it (pauses left out). */
  bookmark() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording) return;
    recording.queue.message({ type: PAGE.BOOKMARK, elapsed: this.clock.elapsedMs() / 1e3 });
  }
  /** The recorder pauses; the same container stream goes on after resume, so nothing restarts. */
  pause() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording || this.paused || recording.mediaRecorder.state !== "recording") return;
    try {
      recording.mediaRecorder.pause();
    } catch (err) {
      console.warn("[live-transcriber] recorder.pause() failed", err);
      return;
    }
    this.paused = true;
    this.clock.stop();
    recording.queue.message({ type: PAGE.PAUSE });
    this.tick();
    this.changed();
  }
  resume() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording || !this.paused || recording.mediaRecorder.state !== "paused") return;
    try {
      recording.mediaRecorder.resume();
    } catch (err) {
      console.warn("[live-transcriber] recorder.resume() failed", err);
      return;
    }
    this.paused = false;
    this.clock.resume();
    recording.queue.message({ type: PAGE.RESUME });
    this.changed();
  }
  /** Refreshes the level; views repaint the meter and the clock. */
  tick() {
    this.meter?.update(this.paused);
    this.changed("tick");
  }
  stopTicking() {
    clearInterval(this.ticker);
    this.ticker = void 0;
    this.meter?.close();
    this.meter = null;
  }
  /**
   * @param {Recording} recording
   * @param {Blob} blob
   */
  enqueueChunk(recording, blob) {
    if (recording.finished || !blob || blob.size === 0) return;
    const seconds = this.clock.elapsedMs() / 1e3;
    recording.queue.chunk(
      blob,
      (seq, buffer) => this.keeper.keep(recording.id, seq, buffer, seconds, blob.type || recording.mediaRecorder.mimeType)
    );
  }
  /**
   * Stops recording the normal way: the recorder delivers its last chunk, then "stop" fires.
   * @param {string} [reason] shown to the user (the kernel's reason for asking)
   * @param {boolean} [handedOver] another tab records with this widget now
   */
  stop(reason = "", handedOver = false) {
    if (reason) this.localError = reason;
    if (this.phase === "requesting") {
      this.attempt += 1;
      this.phase = "off";
      this.onRecording(false);
    } else if (this.recording) {
      if (handedOver) this.recording.handedOver = true;
      this.stopRecording(this.recording);
    }
    this.changed();
  }
  /**
   * Reports once that a recording ended (the tab that took over from it reports for itself).
   * @param {Recording} recording
   */
  reportEnd(recording) {
    if (recording.ended || recording.handedOver) return;
    recording.ended = true;
    this.onRecording(false);
  }
  /** @param {Recording} recording */
  stopRecording(recording) {
    if (recording.stopping || recording.finished) return;
    recording.stopping = true;
    this.reportEnd(recording);
    if (this.recording === recording) {
      this.phase = "stopping";
      this.paused = false;
      this.clock.stop();
      this.stopTicking();
      this.changed("tick");
    }
    this.changed();
    if (recording.mediaRecorder.state !== "inactive") {
      try {
        recording.mediaRecorder.stop();
      } catch (err) {
        console.warn("[live-transcriber] recorder.stop() failed", err);
      }
    }
    recording.stopTimer = setTimeout(() => this.finishRecording(recording), STOP_TIMEOUT_MS);
  }
  /**
   * A failure during a recording: shown at once, reported after the tail has been sent.
   * @param {Recording} recording
   * @param {ClientError} failure
   */
  failRecording(recording, failure) {
    if (recording.finished || recording.failure) return;
    recording.failure = failure;
    this.localError = failure.message;
    this.changed();
    this.stopRecording(recording);
  }
  /**
   * Runs once the recorder has stopped and delivered its last chunk.
   * @param {Recording} recording
   */
  finishRecording(recording) {
    if (recording.finished) return;
    recording.finished = true;
    clearTimeout(recording.stopTimer);
    this.reportEnd(recording);
    stopTracks(recording.microphone);
    if (this.recording === recording) {
      this.clock.stop();
      this.stopTicking();
    }
    void recording.queue.whenSent(() => {
      const stopped = this.send({ type: PAGE.STOP, recording: recording.id, chunks: recording.queue.sent });
      const failure = recording.failure;
      if (failure) void stopped.then(() => this.send({ type: PAGE.CLIENT_ERROR, ...failure }));
      this.keeper.ended(recording.id);
      if (this.recording === recording) {
        this.recording = null;
        this.phase = "off";
        this.paused = false;
        this.releaseWidget();
        this.changed("tick");
        this.changed();
      }
    });
  }
  /**
   * A failure before any recording started: shown and reported at once.
   * @param {ClientError} error
   */
  report(error) {
    this.localError = error.message;
    this.send({ type: PAGE.CLIENT_ERROR, kind: error.kind, message: error.message });
    this.changed();
  }
  /** The comm is gone for good. Whatever the kernel did not confirm stays in this browser. */
  kernelLost() {
    if (this.disposed || this.keeper.disposed) return;
    this.keeper.lost();
    const failure = {
      kind: (
        /** @type {const} */
        "other"
      ),
      message: "The kernel stopped (it died, or was restarted or shut down), so this widget can no longer reach it. This browser kept the audio the kernel did not confirm: run the widget's cell again to send it."
    };
    if (this.recording && !this.recording.finished) this.failRecording(this.recording, failure);
    else {
      this.localError = failure.message;
      this.changed();
    }
  }
  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.attempt += 1;
    this.microphones.dispose();
    this.stopTicking();
    const recording = this.recording;
    if (recording) {
      this.stopRecording(recording);
      clearTimeout(recording.stopTimer);
      stopTracks(recording.microphone);
    }
    this.releaseWidget();
  }
};

// js/results.js
var ResultStore = class {
  constructor() {
    this.items = [];
    this.base = 0;
    this.generation = 0;
  }
  get end() {
    return this.base + this.items.length;
  }
  /** @param {FinalResult[]} results */
  reset(results) {
    this.items = results.filter((r) => typeof r?.index === "number");
    this.base = this.items.length ? this.items[0].index : 0;
    this.generation += 1;
  }
  /**
   * Takes in the synced tail.
   * @param {FinalResult[]} tail
   * @returns {boolean} true when earlier results are missing, so the history is needed
   */
  merge(tail) {
    if (!tail.length) {
      if (this.end > 0) this.reset([]);
      return false;
    }
    const first = tail[0].index;
    const last = tail[tail.length - 1].index;
    if (last < this.end - 1 || first > this.end) {
      this.reset(tail);
      return first > 0;
    }
    for (const result of tail) if (result.index === this.end) this.items.push(result);
    return false;
  }
  /**
   * Takes in corrected results (`results_changed`): each replaces the one with its index.
   * @param {FinalResult[]} changed
   * @returns {boolean} whether any of them is shown here (then views rebuild)
   */
  replace(changed) {
    let any = false;
    for (const result of changed) {
      const at = typeof result?.index === "number" ? result.index - this.base : -1;
      if (at < 0 || at >= this.items.length) continue;
      this.items[at] = result;
      any = true;
    }
    if (any) this.generation += 1;
    return any;
  }
};
function startsUtterance(previous, result) {
  return previous === null || result.utterance !== previous.utterance;
}
function utteranceHeading(result, names = {}) {
  const start = result.words?.[0]?.start ?? result.start ?? 0;
  const speaker = typeof result.speaker === "number" ? `${speakerLabel(result.speaker, names)}: ` : "";
  return { time: `[${formatClock(start)}]`, speaker };
}
function interimSeparator(last, interim) {
  if (!last || !interim) return "";
  return last.speech_final ? "\n" : " ";
}
function speakerLabel(speaker, names = {}) {
  return names[String(speaker)] || `Speaker ${speaker + 1}`;
}

// js/session.js
var WidgetSession = class {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    this.views = 0;
    this.disposed = false;
    this.showTimes = false;
    this.results = new ResultStore();
    this.results.merge(model.get("results") ?? []);
    this.historyAsked = false;
    this.listeners = /* @__PURE__ */ new Set();
    this.send = (content, buffers) => this.link.send(content, buffers);
    this.keeper = new AudioKeeper(
      model,
      this.send,
      () => this.changed(),
      () => this.recorder.phase !== "off",
      // A page reloaded mid-recording ended the recording the kernel had open: nothing records now.
      () => {
        if (this.recorder.phase === "off") this.reportRecording(false);
      }
    );
    this.link = new KernelLink(model, {
      message: {
        [KERNEL.STOP_RECORDING]: (msg) => {
          const reason = msg.reason ? String(msg.reason) : "";
          if (!msg.recording) this.control.stop(reason);
          else if (msg.recording === this.recorder.recording?.id) this.control.stop(reason, true);
        },
        [KERNEL.START_RECORDING]: () => this.control.start(),
        [KERNEL.PAUSE_RECORDING]: () => this.control.pause(),
        [KERNEL.RESUME_RECORDING]: () => this.control.resume(),
        [KERNEL.HISTORY]: (msg) => {
          if (!Array.isArray(msg.results)) return;
          this.results.reset(msg.results);
          this.changed("results");
        },
        [KERNEL.RESULTS_CHANGED]: (msg) => {
          if (Array.isArray(msg.results) && this.results.replace(msg.results)) this.changed("results");
        },
        [KERNEL.EXPORT]: (msg) => download(msg),
        [KERNEL.ACK]: (msg) => this.keeper.onAck(msg),
        [KERNEL.RECOVER]: (msg) => this.keeper.onRecover(msg)
      },
      close: () => {
        this.keeper.ownerGone = true;
      },
      lost: () => this.recorder.kernelLost()
    });
    this.onResults = () => {
      if (this.results.merge(model.get("results") ?? [])) this.send({ type: PAGE.HISTORY });
      this.changed("results");
    };
    model.on("change:results", this.onResults);
    this.recorder = new Recorder(
      this.keeper,
      this.send,
      (change) => this.changed(change),
      (recording) => this.reportRecording(recording)
    );
    this.control = new RecorderControl({
      recorder: this.recorder,
      views: () => this.views,
      stillAsked: () => model.get("recording") === true,
      recordedElsewhere: async () => {
        const widget = this.keeper.identity?.widget;
        return Boolean(widget && (await heldLocks())?.has(`${LOCK_PREFIX}widget:${widget}`));
      },
      refuse: (error) => {
        this.recorder.report(error);
        this.reportRecording(false);
      }
    });
  }
  /**
   * The `recording` trait, as this page's recorder goes (Python's requests come as messages:
   * the trait alone never starts or stops a recorder, so that one page's report moves no other).
   * @param {boolean} recording
   */
  reportRecording(recording) {
    if (this.disposed || this.model.get("recording") === recording) return;
    try {
      this.model.set("recording", recording);
      this.model.save_changes();
    } catch (err) {
      console.warn("[live-transcriber] could not tell the kernel whether it records", err);
    }
  }
  /**
   * @param {(change: Change) => void} listener called after every change
   * @returns {() => void} unsubscribe
   */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** @param {Change} [change] */
  changed(change = "state") {
    if (change === "state") this.control?.recorderChanged();
    for (const listener of this.listeners) listener(change);
  }
  attachView() {
    this.views += 1;
    if (!this.historyAsked) {
      this.historyAsked = true;
      this.send({ type: PAGE.HISTORY });
      this.send({ type: PAGE.VIEW });
      void this.keeper.check();
    }
    this.control.viewShown();
  }
  /** Nobody can see or stop a recording without a view, so the last view leaving stops it. */
  detachView() {
    this.views -= 1;
    if (this.views <= 0) this.control.stop();
  }
  /** @param {boolean} show */
  setShowTimes(show) {
    this.showTimes = show;
    this.changed();
  }
  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.control.dispose();
    this.link.dispose();
    this.model.off("change:results", this.onResults);
    this.listeners.clear();
    this.recorder.dispose();
    this.keeper.dispose();
  }
};

// js/view/bookmarks.js
var Bookmarks = class {
  /**
   * @param {ViewElements} ui
   * @param {Model} model this view's handle on the model
   * @param {Player} player
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, model, player, signal) {
    this.ui = ui;
    this.model = model;
    const onClick = (event) => {
      const button = event.target instanceof Element ? event.target.closest(".lt-bookmark") : null;
      if (!(button instanceof HTMLElement) || !button.dataset.recording) return;
      player.playFrom(Number(button.dataset.recording), Number(button.dataset.time));
    };
    ui.bookmarks.addEventListener("click", onClick, { signal });
  }
  paint() {
    const { ui, model } = this;
    const doc = ui.bookmarks.ownerDocument;
    const marks = (
      /** @type {Bookmark[]} */
      model.get("bookmarks") ?? []
    );
    const playable = model.get("keep_audio") !== false;
    ui.bookmarks.replaceChildren(
      ...marks.map((mark) => {
        const item = element(doc, "span", "lt-bookmark-item", { role: "listitem" });
        const canPlay = playable && typeof mark.recording === "number";
        const text = `${formatClock(mark.time)}${mark.label ? ` ${mark.label}` : ""}`;
        const button = element(doc, "button", "lt-bookmark", {
          type: "button",
          "data-time": String(mark.time),
          "data-recording": String(mark.recording ?? ""),
          title: canPlay ? `Play from this bookmark (${formatClock(mark.time)})` : `Bookmark at ${formatClock(mark.time)}`
        }, text);
        button.disabled = !canPlay;
        item.append(button);
        return item;
      })
    );
    ui.bookmarks.hidden = !marks.length;
  }
};

// js/view/layout.js
var EXPORT_FORMATS = ["txt", "srt", "vtt", "json"];
var SPEEDS = [0.75, 1, 1.25, 1.5, 2];
var BOOKMARK_KEY = "KeyB";
var BOOKMARK_KEY_LABEL = "Alt+B";
var BOOKMARK_KEY_ARIA = "Alt+B";
function buildView(doc) {
  const root = element(doc, "div", "lt-root");
  const bar = element(doc, "div", "lt-bar");
  const toggle = element(doc, "button", "lt-toggle", { type: "button", "aria-pressed": "false" });
  const pause = element(doc, "button", "lt-button lt-pause", { type: "button", title: "Pause the recording" }, "Pause");
  const mark = element(
    doc,
    "button",
    "lt-button lt-mark",
    { type: "button", title: `Bookmark this moment (${BOOKMARK_KEY_LABEL})`, "aria-keyshortcuts": BOOKMARK_KEY_ARIA },
    "Bookmark"
  );
  const elapsed = element(doc, "span", "lt-elapsed", { role: "timer", "aria-label": "Recording time", title: "Recording time, pauses excluded" }, "00:00");
  const meter = element(doc, "div", "lt-meter", {
    role: "meter",
    "aria-label": "Microphone level",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-valuenow": "0",
    "data-level": "0",
    title: "Microphone level"
  });
  const meterFill = element(doc, "div", "lt-meter-fill");
  meter.append(meterFill);
  const status = element(doc, "div", "lt-status", { role: "status" });
  const dot = element(doc, "span", "lt-dot", { "aria-hidden": "true" });
  const statusText = element(doc, "span", "lt-status-text");
  const statusDetail = element(doc, "span", "lt-status-detail");
  const engine = element(doc, "span", "lt-engine");
  status.append(dot, statusText, statusDetail, engine);
  const progress = element(doc, "div", "lt-progress", { role: "progressbar", "aria-label": "Loading the speech model" });
  progress.append(element(doc, "span", "lt-progress-bar"));
  bar.append(toggle, pause, mark, elapsed, meter, status, progress);
  const tools = element(doc, "div", "lt-tools");
  const device = element(doc, "select", "lt-device", { "aria-label": "Microphone", title: "Microphone (used from the next Start)" });
  const timesLabel = element(doc, "label", "lt-check", { title: "Show when each utterance began" });
  const times = element(doc, "input", "lt-times", { type: "checkbox" });
  timesLabel.append(times, doc.createTextNode("Timestamps"));
  const spacer = element(doc, "span", "lt-spacer");
  const clear = element(doc, "button", "lt-button lt-clear", { type: "button", title: "Forget the transcript" }, "Clear");
  const copy = element(doc, "button", "lt-button lt-copy", { type: "button", title: "Copy the transcript to the clipboard" }, "Copy");
  const exportMenu = element(doc, "details", "lt-export");
  const summary = element(doc, "summary", "lt-button", { title: "Download the transcript" }, "Export");
  const menu = element(doc, "div", "lt-export-menu", { role: "group", "aria-label": "Export formats" });
  const exportButtons = EXPORT_FORMATS.map((format) => {
    const name = format.toUpperCase();
    return element(doc, "button", "lt-export-item", { type: "button", "data-format": format, "aria-label": `Download ${name}`, title: `Download transcript.${format}` }, name);
  });
  menu.append(element(doc, "span", "lt-export-label", { "aria-hidden": "true" }, "Download"), ...exportButtons);
  exportMenu.append(summary, menu);
  tools.append(device, timesLabel, spacer, clear, copy, exportMenu);
  const error = element(doc, "div", "lt-error", { role: "alert" });
  const unsent = element(doc, "div", "lt-unsent", { role: "region", "aria-label": "Audio not transcribed" });
  const unsentText = element(doc, "p", "lt-unsent-text", { role: "status" });
  const unsentActions = element(doc, "div", "lt-unsent-actions");
  const unsentSend = element(doc, "button", "lt-button", { type: "button", title: "Send the kept audio to the kernel, to be transcribed" }, "Send to the kernel");
  const unsentDownload = element(doc, "button", "lt-button", { type: "button", title: "Save the kept audio as a file" }, "Download");
  const unsentDiscard = element(doc, "button", "lt-button", { type: "button", title: "Delete the kept audio from this browser" }, "Discard");
  unsentActions.append(unsentSend, unsentDownload, unsentDiscard);
  unsent.append(unsentText, unsentActions);
  const review = element(doc, "div", "lt-review", { role: "group", "aria-label": "Review" });
  const play = element(doc, "button", "lt-button lt-play", { type: "button" }, "Play");
  const speed = element(doc, "select", "lt-speed", { "aria-label": "Playback speed", title: "Playback speed" });
  for (const rate of SPEEDS) speed.append(element(doc, "option", "", { value: String(rate) }, `${rate}×`));
  speed.value = "1";
  const playerNote = element(doc, "span", "lt-player-note", { role: "status" });
  const search = element(doc, "input", "lt-search", {
    type: "search",
    placeholder: "Search",
    "aria-label": "Search the transcript",
    title: "Search the transcript (Enter: next match, Shift+Enter: previous)"
  });
  const searchCount = element(doc, "span", "lt-search-count", { "aria-live": "polite" });
  const searchPrevious = element(doc, "button", "lt-button lt-search-step", { type: "button", "aria-label": "Previous match", title: "Previous match" }, "↑");
  const searchNext = element(doc, "button", "lt-button lt-search-step", { type: "button", "aria-label": "Next match", title: "Next match" }, "↓");
  const audio = element(doc, "audio", "lt-audio", { preload: "auto" });
  audio.hidden = true;
  review.append(play, speed, playerNote, element(doc, "span", "lt-spacer"), search, searchCount, searchPrevious, searchNext, audio);
  const bookmarks = element(doc, "div", "lt-bookmarks", { role: "list", "aria-label": "Bookmarks" });
  const body = element(doc, "div", "lt-body");
  const transcript = element(doc, "div", "lt-transcript", {
    role: "log",
    "aria-live": "polite",
    "aria-label": "Transcript",
    tabindex: "0"
  });
  const final = element(doc, "span", "lt-final");
  const gap = doc.createTextNode("");
  const interim = element(doc, "span", "lt-interim", { "aria-hidden": "true" });
  transcript.append(final, gap, interim);
  const hint = element(doc, "p", "lt-hint");
  body.append(transcript, hint);
  root.append(bar, tools, error, unsent, review, body, bookmarks);
  return {
    root,
    toggle,
    pause,
    mark,
    review,
    play,
    speed,
    playerNote,
    search,
    searchCount,
    searchPrevious,
    searchNext,
    audio,
    bookmarks,
    elapsed,
    meter,
    meterFill,
    statusText,
    statusDetail,
    engine,
    progress,
    device,
    times,
    clear,
    copy,
    exportMenu,
    exportButtons,
    error,
    unsent,
    unsentText,
    unsentActions,
    unsentSend,
    unsentDownload,
    unsentDiscard,
    transcript,
    final,
    gap,
    interim,
    hint
  };
}

// js/view/controls.js
function engineText(label, reason) {
  return label && reason ? `${label} (${reason})` : label;
}
var Controls = class {
  /**
   * @param {ViewElements} ui
   * @param {WidgetSession} session
   * @param {Model} model this view's handle on the model
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, session, model, signal) {
    this.ui = ui;
    this.session = session;
    this.model = model;
    this.copyTimer = void 0;
    const recorder = session.recorder;
    const doc = ui.root.ownerDocument;
    const onRootKey = (event) => {
      if (event.code === BOOKMARK_KEY && event.altKey && !event.ctrlKey && !event.metaKey) {
        event.preventDefault();
        event.stopPropagation();
        recorder.bookmark();
      }
    };
    const onCopy = async () => {
      const copied = await copyText(String(model.get("transcript") ?? ""), doc);
      ui.copy.textContent = copied ? "Copied" : "Copy failed";
      clearTimeout(this.copyTimer);
      this.copyTimer = setTimeout(() => {
        ui.copy.textContent = "Copy";
      }, 1500);
    };
    const onExport = (event) => {
      const button = (
        /** @type {HTMLButtonElement} */
        event.currentTarget
      );
      ui.exportMenu.open = false;
      session.send({ type: PAGE.EXPORT, format: button.dataset.format });
    };
    const onMenuKey = (event) => {
      if (event.key === "Escape" && ui.exportMenu.open) {
        ui.exportMenu.open = false;
        ui.exportMenu.querySelector("summary")?.focus();
      }
    };
    const onDocumentClick = (event) => {
      if (ui.exportMenu.open && !(event.target instanceof Node && ui.exportMenu.contains(event.target))) {
        ui.exportMenu.open = false;
      }
    };
    ui.toggle.addEventListener("click", () => recorder.toggle(), { signal });
    ui.pause.addEventListener("click", () => recorder.togglePause(), { signal });
    ui.mark.addEventListener("click", () => recorder.bookmark(), { signal });
    ui.device.addEventListener("change", () => recorder.microphones.choose(ui.device.value), { signal });
    ui.times.addEventListener("change", () => session.setShowTimes(ui.times.checked), { signal });
    ui.clear.addEventListener("click", () => session.send({ type: PAGE.CLEAR }), { signal });
    ui.copy.addEventListener("click", onCopy, { signal });
    for (const button of ui.exportButtons) button.addEventListener("click", onExport, { signal });
    ui.exportMenu.addEventListener("keydown", onMenuKey, { signal });
    ui.root.addEventListener("keydown", onRootKey, { signal });
    doc.addEventListener("click", onDocumentClick, { capture: true, signal });
  }
  paint() {
    const { ui, session, model } = this;
    const recorder = session.recorder;
    const status = String(model.get("status") ?? "");
    const finalText = String(model.get("transcript") ?? "");
    const interimText = String(model.get("interim") ?? "");
    const engineLabel = String(model.get("engine_label") ?? "");
    const active = recorder.phase !== "off";
    const recording = recorder.phase === "recording";
    ui.root.dataset.phase = recorder.phase;
    ui.root.dataset.status = status;
    ui.root.dataset.paused = String(recorder.paused);
    ui.root.classList.toggle("lt-show-times", session.showTimes);
    setText(ui.toggle, active ? "Stop" : "Start");
    ui.toggle.setAttribute("aria-pressed", String(active));
    ui.toggle.disabled = recorder.phase === "stopping" || !active && status === STATUS.FINISHING;
    setText(ui.pause, recorder.paused ? "Resume" : "Pause");
    ui.pause.title = recorder.paused ? "Go on recording" : "Pause the recording";
    ui.pause.disabled = !recording;
    const line = statusLine(recorder.phase, recorder.paused, status, String(model.get("status_detail") ?? ""));
    setText(ui.statusText, line.label);
    setText(ui.statusDetail, line.detail);
    setText(ui.engine, engineText(engineLabel, String(model.get("engine_reason") ?? "")));
    ui.engine.title = String(model.get("engine_notice") ?? "") || engineLabel;
    ui.progress.hidden = status !== STATUS.LOADING_MODEL;
    ui.device.disabled = active;
    ui.times.checked = session.showTimes;
    ui.clear.disabled = !finalText && !interimText;
    ui.copy.disabled = !finalText;
    ui.mark.disabled = !recording;
    const errors = [.../* @__PURE__ */ new Set([String(model.get("error") ?? ""), recorder.localError])].filter(Boolean);
    setText(ui.error, errors.join("\n"));
  }
  /** The meter and the clock. */
  paintTick() {
    const { ui } = this;
    const recorder = this.session.recorder;
    const level = recorder.phase === "recording" ? recorder.level : 0;
    ui.meter.dataset.level = level.toFixed(2);
    ui.meter.setAttribute("aria-valuenow", String(Math.round(level * 100)));
    ui.meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
    ui.meter.title = recorder.levelAsleep ? "Microphone level: the browser shows it after a click or key press on the page" : "Microphone level";
    setText(ui.elapsed, formatClock(recorder.clock.elapsedMs() / 1e3));
  }
  /** The microphone list. */
  paintDevices() {
    const { ui } = this;
    const microphones = this.session.recorder.microphones;
    const doc = ui.device.ownerDocument;
    const options = [element(doc, "option", "", { value: "" }, "Default microphone")];
    for (const device of microphones.devices) options.push(element(doc, "option", "", { value: device.id }, device.label));
    if (microphones.deviceId && !microphones.devices.some((d) => d.id === microphones.deviceId)) {
      options.push(element(doc, "option", "", { value: microphones.deviceId }, "Chosen microphone (not found)"));
    }
    ui.device.replaceChildren(...options);
    ui.device.value = microphones.deviceId;
  }
  dispose() {
    clearTimeout(this.copyTimer);
  }
};
function statusLine(phase, paused, status, detail) {
  const label = statusLabel(phase, paused, status);
  return { label, detail: label === status ? detail : "" };
}
function statusLabel(phase, paused, status) {
  if (phase === "requesting") return "waiting for microphone";
  if (phase === "recording" && paused) return STATUS.PAUSED;
  if (phase === "recording" && (status === STATUS.IDLE || status === STATUS.PAUSED)) return STATUS.RECORDING;
  return status || STATUS.IDLE;
}

// js/view/journal-line.js
var TURN_OFF = "LiveTranscriber(journal=False)";
function journalNote(home, keep) {
  const folder = typeof home === "string" ? home : "";
  if (!folder) return null;
  const rule = typeof keep === "string" && keep ? `${keep[0].toUpperCase()}${keep.slice(1)}. ` : "";
  return {
    folder,
    title: `Every recording's audio and final words are written to ${folder} as they come, so that a crash or a restart loses nothing (LiveTranscriber.resume() goes on with it). ${rule}To keep no audio on disk: ${TURN_OFF}, or set LIVE_TRANSCRIBER_JOURNAL=off.`
  };
}
function journalLine(doc, model) {
  const node = element(doc, "p", "lt-journal");
  const path = element(doc, "code", "lt-journal-folder");
  node.append(doc.createTextNode("Audio kept in "), path, doc.createTextNode(` · off: ${TURN_OFF}`));
  const paint = () => {
    const note = journalNote(model.get("journal_home"), model.get("keep_journals"));
    node.hidden = note === null;
    setText(path, note?.folder ?? "");
    node.title = note?.title ?? "";
  };
  model.on("change:journal_home", paint);
  model.on("change:keep_journals", paint);
  paint();
  return {
    node,
    cleanup() {
      model.off("change:journal_home", paint);
      model.off("change:keep_journals", paint);
    }
  };
}

// js/view/keyterms.js
var MAX_KEYTERMS = 100;
var MAX_KEYTERM_LENGTH = 100;
function parseKeyterms(text) {
  const terms = /* @__PURE__ */ new Map();
  for (const piece of text.split(/[,\n]/)) {
    const term = piece.split(/\s+/).filter(Boolean).join(" ").slice(0, MAX_KEYTERM_LENGTH);
    if (term && !terms.has(term.toLowerCase())) terms.set(term.toLowerCase(), term);
  }
  return [...terms.values()].slice(0, MAX_KEYTERMS);
}
function formatKeyterms(terms) {
  return Array.isArray(terms) ? terms.join(", ") : "";
}
function keytermsField(doc, model) {
  const node = element(doc, "label", "lt-keyterms");
  const input = element(doc, "input", "lt-keyterms-input", {
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    placeholder: "names, jargon, …"
  });
  node.append(doc.createTextNode("Keyterms"), input);
  const paint = () => {
    const supported = Boolean(model.get("keyterms_supported"));
    input.disabled = !supported;
    node.title = supported ? "Words and names to listen for, separated by commas; Enter applies them, also while recording" : "This engine does not use keyterms";
    if (doc.activeElement !== input) input.value = formatKeyterms(model.get("keyterms"));
  };
  const apply = () => {
    model.set("keyterms", parseKeyterms(input.value));
    model.save_changes();
    input.value = formatKeyterms(model.get("keyterms"));
  };
  const onKey = (event) => {
    if (event.key === "Enter") apply();
  };
  input.addEventListener("change", apply);
  input.addEventListener("keydown", onKey);
  model.on("change:keyterms", paint);
  model.on("change:keyterms_supported", paint);
  paint();
  return {
    node,
    cleanup() {
      input.removeEventListener("change", apply);
      input.removeEventListener("keydown", onKey);
      model.off("change:keyterms", paint);
      model.off("change:keyterms_supported", paint);
    }
  };
}

// js/review/words.js
function wordAt(words, time) {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = low + high >> 1;
    if (words[middle].start <= time) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}
function recordingTime(start, offset) {
  return Math.max(0, start - offset);
}
function isUnsure(confidence, threshold) {
  return typeof threshold === "number" && typeof confidence === "number" && confidence < threshold;
}
function wordTitle(word, edited) {
  const parts = [formatClock(word.start)];
  if (typeof word.confidence === "number" && word.confidence < 1) parts.push(`confidence ${Math.round(word.confidence * 100)}%`);
  if (edited) parts.push("corrected");
  return parts.join(" · ");
}
function wordText(word) {
  return word.punctuated_word ?? word.word;
}
function editedWords(result) {
  const changed = /* @__PURE__ */ new Set();
  if (!result.edited || !result.original) return changed;
  const heard = result.original.words ?? [];
  (result.words ?? []).forEach((word, i) => {
    if (!heard.some((o) => o.start === word.start && wordText(o) === wordText(word))) changed.add(i);
  });
  return changed;
}
function searchForm(text) {
  return text.toLocaleLowerCase().replace(/[^\p{L}\p{N}'\s]+/gu, "");
}
function findMatches(words, query) {
  const wanted = searchForm(query).split(/\s+/).filter(Boolean);
  if (!wanted.length) return [];
  const forms = words.map(searchForm);
  const last = wanted.length - 1;
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

// js/review/player.js
var AudioParts = class {
  constructor() {
    this.pending = /* @__PURE__ */ new Map();
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
      buffers: (
        /** @type {BlobPart[]} */
        entry.buffers
      )
    };
  }
};
var Player = class {
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
    this.sources = /* @__PURE__ */ new Map();
    this.recording = -1;
    this.wanted = null;
    this.error = "";
    this.lit = null;
    this.frame = 0;
    this.disposed = false;
    this.follow = () => this.light();
    const onState = () => {
      this.light();
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
    if (!source || !source.done && !fresh) {
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
    const seekAndPlay = () => {
      this.audio.currentTime = at;
      this.play();
    };
    if (this.audio.readyState >= HTMLMediaElement.HAVE_METADATA) seekAndPlay();
    else this.audio.addEventListener("loadedmetadata", seekAndPlay, { once: true, signal: this.listening.signal });
    this.changed();
  }
  play() {
    this.audio.play().catch((err) => {
      if (errorName(err) === "AbortError") return;
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
};

// js/view/review.js
var NO_AUDIO = "The audio was not kept (keep_audio=False), so it cannot be played back.";
var Review = class {
  /**
   * @param {ViewElements} ui
   * @param {Transcript} transcript
   * @param {WidgetSession} session
   * @param {Model} model this view's handle on the model
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, transcript, session, model, signal) {
    this.ui = ui;
    this.transcript = transcript;
    this.session = session;
    this.model = model;
    this.refocus = null;
    this.player = new Player(
      ui.audio,
      (content) => void session.send(content),
      () => this.paint(),
      (recording) => transcript.wordsOf(recording),
      (word) => transcript.reveal(word.el)
    );
    const doc = ui.root.ownerDocument;
    const onTranscriptClick = (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const speaker = target?.closest(".lt-speaker");
      if (speaker instanceof HTMLElement) return this.renameSpeaker(speaker);
      const word = target?.closest(".lt-word");
      if (!(word instanceof HTMLElement) || (doc.getSelection()?.toString() ?? "") !== "") return;
      transcript.focusWord(word);
      this.playWord(word);
    };
    const onTranscriptDoubleClick = (event) => {
      const word = event.target instanceof Element ? event.target.closest(".lt-word") : null;
      if (word instanceof HTMLElement) this.editWord(word);
    };
    const onPlay = () => {
      const words = transcript.words;
      const focused = words.find((w) => w.el.getAttribute("tabindex") === "0");
      this.player.toggle(focused ?? words[0]);
    };
    ui.play.addEventListener("click", onPlay, { signal });
    ui.speed.addEventListener("change", () => this.player.setSpeed(Number(ui.speed.value)), { signal });
    ui.transcript.addEventListener("click", onTranscriptClick, { signal });
    ui.transcript.addEventListener("dblclick", onTranscriptDoubleClick, { signal });
    ui.transcript.addEventListener("keydown", (event) => this.onKey(event), { signal });
  }
  /** The review controls: play/pause, the player's note. */
  paint() {
    const { ui, player } = this;
    const playable = this.model.get("keep_audio") !== false;
    ui.review.hidden = this.transcript.words.length === 0;
    ui.root.classList.toggle("lt-playable", playable);
    ui.play.disabled = !playable;
    setText(ui.play, player.playing ? "Pause" : "Play");
    ui.play.setAttribute("aria-label", player.playing ? "Pause playback" : "Play the recording");
    ui.play.title = playable ? player.playing ? "Pause playback" : "Play from the selected word (or click a word)" : NO_AUDIO;
    ui.speed.disabled = !playable;
    ui.speed.title = playable ? "Playback speed" : NO_AUDIO;
    setText(ui.playerNote, player.error || (player.loading ? "Loading the audio…" : ""));
  }
  /** The words were drawn again: light the word being heard, focus the word just corrected. */
  redrawn() {
    this.player.redrawn();
    const refocus = this.refocus;
    const again = refocus && this.ui.final.querySelector(`.lt-text[data-index="${refocus.index}"] .lt-word[data-word="${refocus.word}"]`);
    if (again instanceof HTMLElement) this.transcript.focusWord(again);
    this.refocus = null;
  }
  /** @param {HTMLElement} span */
  playWord(span) {
    const word = this.transcript.wordOf(span);
    if (word && this.model.get("keep_audio") !== false) this.player.playFrom(word.recording, word.start);
  }
  /** @param {HTMLElement} span */
  editWord(span) {
    const index = span.closest(".lt-text")?.getAttribute("data-index");
    const number = span.dataset.word;
    if (index == null || number == null) return;
    this.player.audio.pause();
    editInPlace(span, span.textContent ?? "", `Correct the word “${span.textContent}”`, (text) => {
      this.refocus = { index, word: number };
      void this.session.send({ type: PAGE.EDIT, index: Number(index), word: Number(number), text });
    });
  }
  /** @param {HTMLElement} label */
  renameSpeaker(label) {
    const speaker = Number(label.dataset.speaker);
    const name = speakerLabel(speaker, this.model.get("speakers") ?? {});
    editInPlace(label, name, `Rename ${name}`, (text) => void this.session.send({ type: PAGE.SPEAKER, speaker, name: text }));
  }
  /** @param {KeyboardEvent} event a key on the transcript: on a speaker, or on a word */
  onKey(event) {
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (target?.classList.contains("lt-speaker") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      this.renameSpeaker(target);
      return;
    }
    if (!target?.classList.contains("lt-word")) return;
    const transcript = this.transcript;
    const words = transcript.words;
    const at = words.findIndex((w) => w.el === target);
    const keys = {
      Enter: () => this.playWord(target),
      F2: () => this.editWord(target),
      ArrowRight: () => at + 1 < words.length && transcript.focusWord(words[at + 1].el),
      ArrowLeft: () => at > 0 && transcript.focusWord(words[at - 1].el),
      Home: () => transcript.focusWord(words[0].el),
      End: () => transcript.focusWord(words[words.length - 1].el)
    };
    const action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation();
    action();
  }
  dispose() {
    this.player.dispose();
  }
};

// js/view/search.js
var Search = class {
  /**
   * @param {ViewElements} ui
   * @param {Transcript} transcript
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, transcript, signal) {
    this.ui = ui;
    this.transcript = transcript;
    this.query = "";
    this.matches = [];
    this.current = -1;
    const onSearch = () => {
      this.query = ui.search.value;
      this.current = -1;
      this.paint();
    };
    const onSearchKey = (event) => {
      if (!event.altKey) event.stopPropagation();
      if (event.key === "Enter") {
        event.preventDefault();
        this.jump(event.shiftKey ? -1 : 1);
      } else if (event.key === "Escape") {
        ui.search.value = "";
        onSearch();
      }
    };
    ui.search.addEventListener("input", onSearch, { signal });
    ui.search.addEventListener("keydown", onSearchKey, { signal });
    ui.searchPrevious.addEventListener("click", () => this.jump(-1), { signal });
    ui.searchNext.addEventListener("click", () => this.jump(1), { signal });
  }
  /** Finds the matches again (in words that may have been drawn again) and lights them. */
  paint() {
    const { ui } = this;
    const words = this.transcript.words;
    for (const node of ui.final.querySelectorAll(".lt-match")) node.classList.remove("lt-match", "lt-match-current");
    const matches = findMatches(words.map((w) => w.el.textContent ?? ""), this.query);
    this.matches = matches.map((positions) => positions.map((i) => words[i]));
    if (this.current >= this.matches.length) this.current = this.matches.length - 1;
    this.matches.forEach((match, m) => {
      for (const word of match) word.el.classList.add("lt-match", ...m === this.current ? ["lt-match-current"] : []);
    });
    const count = this.matches.length;
    setText(ui.searchCount, !this.query.trim() ? "" : count === 0 ? "no matches" : this.current >= 0 ? `${this.current + 1} of ${count}` : `${count} found`);
    ui.searchPrevious.disabled = ui.searchNext.disabled = count === 0;
  }
  /** @param {number} step +1: next match, -1: previous */
  jump(step) {
    const count = this.matches.length;
    if (!count) return;
    this.current = this.current < 0 ? step > 0 ? 0 : count - 1 : (this.current + step + count) % count;
    this.paint();
    this.transcript.focusWord(this.matches[this.current][0].el);
  }
};

// js/view/final-text.js
var FinalText = class {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    this.options = { names: {}, threshold: null };
    this.optionsKey = "";
    this.open = null;
    this.last = null;
    this.words = [];
    this.byRecording = /* @__PURE__ */ new Map();
  }
  /**
   * @param {ResultStore} store
   * @param {TextOptions} options
   * @returns {boolean} whether it was rebuilt
   */
  update(store, options) {
    const key = JSON.stringify(options);
    const rebuild = store.generation !== this.generation || key !== this.optionsKey;
    if (rebuild) {
      this.container.replaceChildren();
      this.generation = store.generation;
      this.options = options;
      this.optionsKey = key;
      this.shown = 0;
      this.open = null;
      this.last = null;
      this.words = [];
      this.byRecording.clear();
    }
    const doc = this.container.ownerDocument;
    for (; this.shown < store.items.length; this.shown += 1) this.append(doc, store.items[this.shown]);
    return rebuild;
  }
  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  append(doc, result) {
    if (!result.text) return;
    if (!this.open || startsUtterance(this.last, result)) {
      if (this.open) this.container.append("\n");
      const heading = utteranceHeading(result, this.options.names);
      const block = element(doc, "span", "lt-utt", { "data-time": heading.time, "data-utterance": String(result.utterance) });
      if (heading.speaker && typeof result.speaker === "number") {
        block.append(
          element(
            doc,
            "span",
            "lt-meta lt-speaker",
            { role: "button", tabindex: "0", "data-speaker": String(result.speaker), title: "Rename this speaker everywhere" },
            heading.speaker
          )
        );
      }
      this.container.append(block);
      this.open = block;
    } else if (!result.words?.[0]?.attached) {
      this.open.append(" ");
    }
    this.open.append(this.textOf(doc, result));
    this.last = result;
  }
  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  textOf(doc, result) {
    const recording = typeof result.recording === "number" ? result.recording : 0;
    const text = element(doc, "span", "lt-text", { "data-index": String(result.index), "data-recording": String(recording) });
    const words = result.words ?? [];
    if (!words.length) {
      text.textContent = result.text;
      return text;
    }
    const edited = editedWords(result);
    let shown = this.byRecording.get(recording);
    if (!shown) this.byRecording.set(recording, shown = []);
    words.forEach((word, i) => {
      if (i && !word.attached) text.append(" ");
      const span = element(doc, "span", "lt-word", {
        tabindex: this.words.length ? "-1" : "0",
        "data-word": String(i),
        "data-start": String(word.start),
        title: wordTitle(word, edited.has(i))
      }, wordText(word));
      if (isUnsure(word.confidence, this.options.threshold)) span.classList.add("lt-unsure");
      if (edited.has(i)) span.classList.add("lt-edited");
      const entry = { el: span, start: word.start, recording };
      this.words.push(entry);
      shown.push(entry);
      text.append(span);
    });
    return text;
  }
};

// js/view/transcript.js
var Transcript = class {
  /**
   * @param {ViewElements} ui
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, signal) {
    this.ui = ui;
    this.finals = new FinalText(ui.final);
    this.followTail = true;
    ui.transcript.addEventListener(
      "scroll",
      () => {
        this.followTail = isNearBottom(ui.transcript);
      },
      { passive: true, signal }
    );
  }
  /** Every word shown, in order. */
  get words() {
    return this.finals.words;
  }
  /**
   * Shows the results not shown yet, or all of them again (the reader's place kept).
   * @param {ResultStore} store
   * @param {TextOptions} options
   * @returns {boolean} whether the words were drawn again
   */
  update(store, options) {
    const box = this.ui.transcript;
    const top = box.scrollTop;
    const rebuilt = this.finals.update(store, options);
    if (rebuilt) box.scrollTop = top;
    return rebuilt;
  }
  /**
   * The interim words and the hint.
   * @param {Model} model
   * @param {Recorder} recorder
   */
  paint(model, recorder) {
    const { ui } = this;
    const finalText = String(model.get("transcript") ?? "");
    const interimText = String(model.get("interim") ?? "");
    ui.gap.data = interimSeparator(this.finals.last, interimText);
    setText(ui.interim, interimText);
    setText(ui.hint, recorder.phase !== "off" ? "Listening…" : "Press Start and speak");
    ui.hint.hidden = Boolean(finalText || interimText);
  }
  /** @param {boolean} playing playback keeps the word being heard in sight instead */
  followNewText(playing) {
    const box = this.ui.transcript;
    if (this.followTail && !playing) box.scrollTop = box.scrollHeight;
  }
  /** @param {HTMLElement} word the one keyboard focus comes back to (roving tabindex) */
  focusWord(word) {
    for (const other of this.ui.final.querySelectorAll('.lt-word[tabindex="0"]')) other.setAttribute("tabindex", "-1");
    word.setAttribute("tabindex", "0");
    word.focus({ preventScroll: true });
    this.reveal(word);
  }
  /** @param {HTMLElement} node kept in sight, inside the pane */
  reveal(node) {
    scrollIntoBox(this.ui.transcript, node);
    this.followTail = isNearBottom(this.ui.transcript);
  }
  /**
   * @param {HTMLElement} span
   * @returns {ShownWord | undefined} the word this span shows
   */
  wordOf(span) {
    return this.finals.words.find((w) => w.el === span);
  }
  /**
   * @param {number} recording
   * @returns {ShownWord[]} the words shown of this recording, in time order
   */
  wordsOf(recording) {
    return this.finals.byRecording.get(recording) ?? [];
  }
};

// js/view/unsent.js
var UnsentOffer = class {
  /**
   * @param {ViewElements} ui
   * @param {WidgetSession} session
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, session, signal) {
    this.ui = ui;
    this.session = session;
    const keeper = session.keeper;
    ui.unsentSend.addEventListener("click", () => void keeper.sendUnsent(), { signal });
    ui.unsentDownload.addEventListener("click", () => void keeper.downloadUnsent(), { signal });
    ui.unsentDiscard.addEventListener("click", () => keeper.discardUnsent(), { signal });
  }
  paint() {
    const { ui } = this;
    const keeper = this.session.keeper;
    const phase = this.session.recorder.phase;
    const offer = keeper.unsent.length ? describeUnsent(keeper.unsent.map((u) => ({ seconds: u.seconds, created: u.kept.created }))) : "";
    setText(ui.unsentText, [offer, keeper.note].filter(Boolean).join("\n"));
    ui.unsent.hidden = !offer && !keeper.note;
    ui.unsentActions.hidden = !offer;
    ui.unsentSend.disabled = phase !== "off";
    ui.unsentSend.title = phase === "off" ? "Send the kept audio to the kernel, to be transcribed" : "Stop recording first: the kept audio is sent as a recording of its own";
  }
};

// js/view/view.js
var TRAIT_EVENTS = ["status", "status_detail", "error", "transcript", "interim", "engine_label", "engine_reason", "engine_notice", "keep_audio"].map((name) => `change:${name}`);
var TEXT_EVENTS = ["speakers", "confidence_threshold"].map((name) => `change:${name}`);
function renderView(session, model, el) {
  const doc = el.ownerDocument;
  const ui = buildView(doc);
  const keyterms = keytermsField(doc, model);
  ui.times.parentElement?.after(keyterms.node);
  const journal = journalLine(doc, model);
  ui.error.before(journal.node);
  el.append(ui.root);
  const listening = new AbortController();
  const { signal } = listening;
  const controls = new Controls(ui, session, model, signal);
  const unsent = new UnsentOffer(ui, session, signal);
  const transcript = new Transcript(ui, signal);
  const review = new Review(ui, transcript, session, model, signal);
  const search = new Search(ui, transcript, signal);
  const bookmarks = new Bookmarks(ui, model, review.player, signal);
  const textOptions = () => {
    const threshold = model.get("confidence_threshold");
    return { names: model.get("speakers") ?? {}, threshold: typeof threshold === "number" ? threshold : null };
  };
  const paint = () => {
    controls.paint();
    unsent.paint();
    transcript.paint(model, session.recorder);
    review.paint();
    transcript.followNewText(review.player.playing);
  };
  const paintResults = () => {
    if (transcript.update(session.results, textOptions())) review.redrawn();
    if (search.query) search.paint();
    paint();
  };
  const onChange = (change) => {
    if (change === "tick") controls.paintTick();
    else if (change === "devices") controls.paintDevices();
    else if (change === "results") paintResults();
    else paint();
  };
  const onCustom = (msg, buffers) => {
    if (msg?.type === KERNEL.AUDIO) review.player.onAudio(msg, buffers);
  };
  const onBookmarks = () => bookmarks.paint();
  for (const event of TRAIT_EVENTS) model.on(event, paint);
  for (const event of TEXT_EVENTS) model.on(event, paintResults);
  model.on("change:bookmarks", onBookmarks);
  model.on("msg:custom", onCustom);
  const unsubscribe = session.subscribe(onChange);
  session.attachView();
  controls.paintDevices();
  controls.paintTick();
  bookmarks.paint();
  paintResults();
  return () => {
    controls.dispose();
    keyterms.cleanup();
    journal.cleanup();
    listening.abort();
    review.dispose();
    for (const event of TRAIT_EVENTS) model.off(event, paint);
    for (const event of TEXT_EVENTS) model.off(event, paintResults);
    model.off("change:bookmarks", onBookmarks);
    model.off("msg:custom", onCustom);
    unsubscribe();
    ui.root.remove();
    session.detachView();
  };
}

// js/widget.js
var widget_default = () => {
  const sessions = /* @__PURE__ */ new WeakMap();
  let latest;
  function createSession(model) {
    const session = new WidgetSession(model);
    sessions.set(model, session);
    latest = session;
    return session;
  }
  return {
    initialize({ model }) {
      const session = createSession(model);
      return () => session.dispose();
    },
    render({ model, el }) {
      let session = sessions.get(model) ?? latest;
      if (!session || session.disposed) session = createSession(model);
      return renderView(session, model, el);
    }
  };
};
export {
  widget_default as default
};
