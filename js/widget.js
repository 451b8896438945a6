// @ts-check
/**
 * Front end of `LiveTranscriber`: records the microphone with MediaRecorder and sends the
 * audio to the kernel as binary custom messages; renders the transcript the kernel syncs back.
 *
 * Browser → kernel (custom messages; a recording is one Start..Stop, `recording` its random id):
 *   {type: "start", recording, mime_type}          recorder created, before recorder.start()
 *   {type: "start", recording, mime_type, recovered: true}
 *                                                  audio kept from an interrupted recording, sent
 *                                                  again as a recording of its own (see below)
 *   {type: "chunk", recording, seq, size} + [buf]  every non-empty 250 ms blob, in recording order
 *   {type: "pause"} / {type: "resume"}             the recorder was paused / resumed (same recording)
 *   {type: "stop", recording, chunks}              after the recorder's last blob has been sent
 *   {type: "client_error", kind, message}          a browser-side failure (also shown at once)
 *   {type: "clear"}                                forget the transcript
 *   {type: "history"}                              send every final result (a new or reloaded view)
 *   {type: "export", format}                       send the transcript as txt, srt, vtt or json
 *   {type: "recover", recordings: [id, ...]}       what do you have of these recordings? (below)
 * Review mode (at any time; see live_transcriber/protocol.py):
 *   {type: "audio", recording}                     send me recording number `recording` (the
 *                                                  results' `recording`), to play it from a word
 *   {type: "edit", index, word, text}              a word corrected in place
 *   {type: "speaker", speaker, name}               a speaker renamed
 *   {type: "bookmark", elapsed}                    a bookmark now, in the recording in progress
 * Kernel → browser (custom messages): {type: "stop_recording", reason, recording?} asks for a
 *   normal stop (of that recording only, when named: another tab took over);
 *   {type: "history", results} answers "history"; {type: "export", filename, mime_type, content}
 *   answers "export" and becomes a download; {type: "ack", recording, chunks, done}: the first
 *   `chunks` chunks of the recording are safe (on disk in the kernel's journal), `done`: all of it
 *   is transcribed; {type: "recover", recordings: [{recording, state, received, done?, failed?}]}
 *   answers "recover": state "open" (still recording in the kernel, which has chunks
 *   0..received-1), "ended" (done: transcribed; failed: ended in an error) or "unknown";
 *   {type: "results_changed", results} after a correction: these results replace the ones with
 *   their `index`; {type: "audio", recording, mime_type, offset, done, part, parts} + [buf]
 *   answers "audio" in `parts` pieces (offset: where the recording starts on the timeline; done:
 *   it has ended, so the view keeps it), or {type: "audio", recording, error}.
 * Both ways (trait): keyterms, the words the engine listens for (the page sets it from its field,
 *   the kernel tidies it); keyterms_supported (kernel → browser) says whether the engine uses them.
 * Kernel → browser (traits): status (one of STATUS below) and status_detail (e.g. "attempt 2 of 5",
 *   shown beside it, may be empty), error, transcript, interim, engine_label, and results: the
 *   latest final results, each with its `index` (views append only the ones they have not shown),
 *   its `utterance` number (the kernel decides where utterances end: results with the same number
 *   form one block on screen) and that utterance's `speaker` (a number, or null); _identity:
 *   {widget, process, kernel}, who records (a random id per widget, per kernel process, and the
 *   Jupyter kernel id, which a restart keeps); speakers (names by speaker number), bookmarks,
 *   keep_audio (false: nothing to play back), confidence_threshold (null: no marks).
 * Browser → kernel (trait): revision, counted up on every change of transcript, status or error
 *   where the kernel set it to a number (in marimo, which re-runs the cells that read a widget
 *   only when the browser changes one of its traits); null elsewhere, and then never written.
 * Messages leave in order: `send` settles once the host has taken a message (at once in Jupyter,
 *   after its HTTP request in marimo, where one request can overtake another), and the messages
 *   of a recording wait for the one before.
 *
 * Unconfirmed audio. Each chunk is also kept in IndexedDB (database "live-transcriber", filed
 * under its recording and _identity) until the kernel acknowledges it; chunk 0 (the container
 * header) and the chunks from the last entry point before the first unconfirmed one (a WebM
 * Cluster, an Ogg page, an MP4 fragment) stay until the recording is done, so that what was not
 * confirmed can be decoded on its own. A recording still being recorded holds a Web Lock, so no
 * other tab takes it for lost. When a view is shown, and after each Stop, the page asks its
 * kernel about the recordings it keeps that belong here: this widget's own, those of a widget
 * the kernel closed, and those of a kernel process that a restart replaced. A busy kernel
 * answers late, never wrongly: its queue holds the chunks sent before the question. Then:
 *   - open, chunks missing: offer to send them under the same id and numbers, then "stop";
 *     open, none missing: just send "stop" (a page reloaded mid-recording);
 *   - ended or unknown, chunks missing: offer to send them as a new recording (`recovered: true`):
 *     chunk 0 up to its entry point, then the media from the last entry point before the first
 *     missing chunk; the kept recording is deleted once the kernel confirms the new one;
 *   - ended and done (or failed with everything received): delete; ended, still transcribing: wait.
 * The offer says how much audio it is, and can download it instead, or discard it. At most
 * STORE_LIMIT_MB are kept (localStorage "live-transcriber:store-limit-mb" overrides it): past it,
 * new audio is still sent but no longer kept, and the widget says so.
 *
 * The recorder belongs to the model, not to a view, so a widget displayed twice records once.
 *
 * Sections, in order:
 *   1. Settings and types
 *   2. Pure logic, exported for the unit tests (tests/js/widget.test.mjs): status line, clock
 *      format, ResultStore, utterance blocks, MIME type choice, environment checks and media error
 *      descriptions, loudness, RecordingClock, the keyterms field's text; unconfirmed audio:
 *      entry points, what to keep, what to send again, how to say it; review mode: the word at a
 *      time, confidence marks, corrected words, speaker labels, search matches, the parts of an
 *      audio reply
 *   3. LevelMeter: the microphone's level, from Web Audio
 *   4. SharedRecorder: microphone, MediaRecorder and comm of one model, shared by its views;
 *      the unconfirmed audio it keeps, and the offer to send it again
 *   5. Browser helpers: AudioStore (IndexedDB), Web Locks, storage, downloads, clipboard
 *   6. View: the DOM of one view, painted from the model and the recorder; review mode: words
 *      as FinalText draws them, Player (play back from a word, the word heard lit), corrections
 *      and speaker names typed in place, search, bookmarks
 *   7. anywidget entry point
 * The styles are in widget.css, which anywidget loads through the widget's `_css`.
 */

// ---------------------------------------------------------------------------------------------
// 1. Settings and types

const TIMESLICE_MS = 250;
const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
/** @type {MediaTrackConstraints} */
const AUDIO_CONSTRAINTS = { channelCount: 1, echoCancellation: true, noiseSuppression: true };
/** Browsers fire the recorder's "stop" event promptly; this only guards against a stuck button. */
const STOP_TIMEOUT_MS = 5000;
/** How often the level meter and the elapsed time are refreshed while recording. */
const TICK_MS = 100;
/** Where the chosen microphone is remembered, per browser and Jupyter origin. */
const DEVICE_KEY = "live-transcriber:microphone";
const EXPORT_FORMATS = ["txt", "srt", "vtt", "json"];
/** Playback speeds offered in review mode. */
const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
/** The bookmark shortcut, while focus is in the widget: Alt+B (the key's position, so any layout). */
const BOOKMARK_KEY = "KeyB";
const BOOKMARK_KEY_LABEL = "Alt+B";
const BOOKMARK_KEY_ARIA = "Alt+B";
/** Why nothing can be played, on hover. */
const NO_AUDIO = "The audio was not kept (keep_audio=False), so it cannot be played back.";
/** The most unconfirmed audio this page keeps, all recordings together: about 17 hours of Chrome's Opus. */
export const STORE_LIMIT_MB = 256;
/** localStorage key whose value (in MB) overrides STORE_LIMIT_MB. */
const STORE_LIMIT_KEY = "live-transcriber:store-limit-mb";
const STORE_DB = "live-transcriber";
/** Web Lock names start with this; see "Unconfirmed audio" above. */
const LOCK_PREFIX = "live-transcriber:";
/** The trait changes counted in `revision`: new final text, a new status, a new error (not interim words). */
const NEWS_EVENTS = ["change:transcript", "change:status", "change:error"];

/** Every value of the kernel's `status` trait: `live_transcriber.Status` (tests/js/test_vocabulary.py checks they agree). */
export const STATUS = Object.freeze({
  IDLE: "idle",
  LOADING_MODEL: "loading model",
  CONNECTING: "connecting",
  RECORDING: "recording",
  PAUSED: "paused",
  RECONNECTING: "reconnecting",
  FINISHING: "finishing",
  ERROR: "error",
});
/** @typedef {typeof STATUS[keyof typeof STATUS]} Status */

/**
 * A final result as the kernel sends it (the fields this file uses).
 * @typedef {object} FinalResult
 * @property {number} index          its place in the transcript, from 0
 * @property {string} text
 * @property {number} start
 * @property {number} end
 * @property {boolean} [speech_final] the last result of its utterance
 * @property {number} utterance      results with the same number form one utterance
 * @property {number | null} speaker the utterance's speaker (0, 1, …), null when not told apart
 * @property {number} [recording] its recording (an index into the kernel's `recordings`)
 * @property {Word[]} [words]
 * @property {boolean} [edited]      a person corrected it...
 * @property {{text: string, words?: Word[]}} [original] ...and this is what the engine heard
 */

/**
 * A word of a final result. Times are seconds on the transcript's timeline.
 * @typedef {object} Word
 * @property {string} word
 * @property {number} start
 * @property {number} [end]
 * @property {number} [confidence]
 * @property {string} [punctuated_word]
 */

/**
 * A bookmark (the `bookmarks` trait).
 * @typedef {object} Bookmark
 * @property {number} time       on the transcript's timeline
 * @property {string} label
 * @property {number | null} recording
 */

/**
 * The synced traits this file reads (see widget.py).
 * @typedef {object} ModelState
 * @property {Status} status
 * @property {string} status_detail
 * @property {string} error
 * @property {string} transcript
 * @property {string} interim
 * @property {string} engine_label
 * @property {FinalResult[]} results
 * @property {Record<string, string>} speakers   speaker names, by speaker number
 * @property {Bookmark[]} bookmarks
 * @property {boolean} keep_audio               false: nothing to play back
 * @property {number | null} confidence_threshold words below it are marked; null: none
 * @property {Partial<Identity>} _identity
 * @property {number | null} revision
 * @property {string[]} keyterms
 * @property {boolean} keyterms_supported
 */

/**
 * Who records: the `_identity` trait.
 * @typedef {object} Identity
 * @property {string} widget  a random id of the widget
 * @property {string} process a random id of the kernel process
 * @property {string} kernel  the Jupyter kernel id ("" when unknown), which a restart keeps
 */

/**
 * A recording whose audio this page keeps (IndexedDB store "recordings").
 * @typedef {object} KeptRecording
 * @property {string} id
 * @property {string} mimeType
 * @property {string} widget     its Identity, when it was recorded
 * @property {string} process
 * @property {string} kernel
 * @property {number} created    when it started, in ms since the epoch
 * @property {number} updated    when its latest chunk was kept
 * @property {number} chunks     chunks kept so far: the next one's seq
 * @property {number} bytes      bytes kept now
 * @property {number} seconds    recording time up to its latest chunk
 * @property {number} confirmed  how many of its first chunks the kernel said are safe
 * @property {boolean} ownerGone the kernel closed its widget: no acknowledgement will come
 */

/**
 * One kept chunk (IndexedDB store "chunks").
 * @typedef {object} KeptChunk
 * @property {string} recording
 * @property {number} seq
 * @property {ArrayBuffer} data
 * @property {number} entry  where its first entry point is (see entryOffset), or -1
 */

/**
 * The kernel's answer about one kept recording (see the protocol above).
 * @typedef {object} RecoveryAnswer
 * @property {string} recording
 * @property {string} state  "open", "ended" or "unknown"
 * @property {number} received
 * @property {boolean} [done]
 * @property {boolean} [failed]
 */

/** @typedef {{action: "continue" | "finish" | "send" | "wait" | "forget", from: number}} RecoveryStep */

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

/** @typedef {import("@anywidget/types").AnyModel<ModelState>} Model */
/** @typedef {"off" | "requesting" | "recording" | "stopping"} Phase */
/** @typedef {"permission" | "no-device" | "insecure" | "unsupported" | "recorder" | "other"} ErrorKind */
/** @typedef {{kind: ErrorKind, message: string}} ClientError */
/** What changed: views repaint their controls on "state", only meter and clock on "tick". */
/** @typedef {"state" | "tick" | "devices" | "results"} Change */

/**
 * One recording, from "start" to "stop".
 * @typedef {object} Recording
 * @property {string} id             the `recording` field of every message about this recording
 * @property {MediaStream} microphone
 * @property {MediaRecorder} mediaRecorder
 * @property {number} sent           chunks sent so far, which is also the next chunk's seq
 * @property {Promise<void>} queue   the recording's messages (start, chunks, pause, resume), chained so they leave in order
 * @property {ClientError | null} failure  reported to the kernel after the "stop" message
 * @property {boolean} stopping
 * @property {boolean} finished
 * @property {ReturnType<typeof setTimeout> | undefined} stopTimer
 */

// ---------------------------------------------------------------------------------------------
// 2. Pure logic (no DOM, no globals unless passed in): exported for tests/js/widget.test.mjs

/**
 * The status shown next to the dot, and its detail: the recorder knows some states before the
 * kernel does, and the kernel's detail belongs to the kernel's status only.
 * @param {Phase} phase the shared recorder's phase
 * @param {boolean} paused
 * @param {string} status the kernel's `status` trait
 * @param {string} detail the kernel's `status_detail` trait
 * @returns {{label: string, detail: string}}
 */
export function statusLine(phase, paused, status, detail) {
  const label = statusLabel(phase, paused, status);
  return { label, detail: label === status ? detail : "" };
}

/**
 * @param {Phase} phase
 * @param {boolean} paused
 * @param {string} status
 */
function statusLabel(phase, paused, status) {
  if (phase === "requesting") return "waiting for microphone";
  if (phase === "recording" && paused) return STATUS.PAUSED;
  // The kernel handles messages only when idle, so its status can lag behind the recorder.
  if (phase === "recording" && (status === STATUS.IDLE || status === STATUS.PAUSED)) return STATUS.RECORDING;
  return status || STATUS.IDLE;
}

/**
 * @param {number} seconds
 * @returns {string} "mm:ss", or "h:mm:ss" from an hour on
 */
export function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const mmss = `${String(Math.floor(whole / 60) % 60).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  return hours ? `${hours}:${mmss}` : mmss;
}

/**
 * The final results this browser knows, contiguous from index `base`. The kernel syncs only the
 * latest few; the full list comes once, in answer to "history".
 */
export class ResultStore {
  constructor() {
    /** @type {FinalResult[]} */
    this.items = [];
    this.base = 0;
    /** Bumped whenever views must rebuild instead of append. */
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
    // A tail that ends before what is shown follows a clear; one that starts after it, a gap.
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
}

/**
 * Whether `result` opens a new utterance block: the kernel numbers utterances, and a block starts
 * wherever the number changes. The browser never decides where an utterance ends.
 * @param {FinalResult | null} previous the last result shown, null when none is
 * @param {FinalResult} result
 */
export function startsUtterance(previous, result) {
  return previous === null || result.utterance !== previous.utterance;
}

/**
 * The heading of an utterance block: when it began (shown with Timestamps on) and who speaks.
 * @param {FinalResult} result the block's first result
 * @param {Record<string, string>} [names] the `speakers` trait
 * @returns {{time: string, speaker: string}} e.g. "[01:05]" and "Speaker 2: " or "Ana: " ("" when not known)
 */
export function utteranceHeading(result, names = {}) {
  const start = result.words?.[0]?.start ?? result.start ?? 0;
  const speaker = typeof result.speaker === "number" ? `${speakerLabel(result.speaker, names)}: ` : "";
  return { time: `[${formatClock(start)}]`, speaker };
}

/**
 * What goes between the final text and the interim words: nothing when either is missing, else a
 * space, or a line break once the last final result ended its utterance (the words being
 * recognised then belong to the next one).
 * @param {FinalResult | null} last the last result shown
 * @param {string} interim
 */
export function interimSeparator(last, interim) {
  if (!last || !interim) return "";
  return last.speech_final ? "\n" : " ";
}

/**
 * @param {{isTypeSupported?: (type: string) => boolean}} recorderClass `MediaRecorder`
 * @returns {string} the first preferred type the browser records, or "" to let it choose
 */
export function pickMimeType(recorderClass) {
  if (typeof recorderClass.isTypeSupported !== "function") return "";
  return PREFERRED_TYPES.find((type) => recorderClass.isTypeSupported?.(type)) ?? "";
}

/**
 * The parts of the page `checkEnvironment` looks at (`globalThis` in a browser).
 * @typedef {object} PageScope
 * @property {boolean} [isSecureContext]
 * @property {{origin: string}} location
 * @property {{mediaDevices?: {getUserMedia?: unknown}}} navigator
 * @property {unknown} [MediaRecorder]
 * @property {unknown} [__MARIMO_STATIC__] set in a static HTML export of a marimo notebook
 */

/**
 * @param {PageScope} page
 * @returns {ClientError | null} why recording cannot even be attempted here
 */
export function checkEnvironment(page) {
  if (page.__MARIMO_STATIC__ !== undefined) {
    return {
      kind: "unsupported",
      message:
        "This page is a static export of a marimo notebook: no Python runs behind it, so nothing can be " +
        "transcribed. Open the notebook with `marimo edit` or `marimo run`.",
    };
  }
  const mediaDevices = page.navigator.mediaDevices;
  if (page.isSecureContext === false || (!mediaDevices && page.isSecureContext !== true)) {
    return {
      kind: "insecure",
      message:
        `The microphone is only available on secure pages, and this page (${page.location.origin}) is not one. ` +
        "Open Jupyter over https, or at http://localhost or http://127.0.0.1 " +
        "(not a LAN address such as 192.168.x.x, and not 0.0.0.0).",
    };
  }
  if (!mediaDevices?.getUserMedia) {
    return {
      kind: "unsupported",
      message: "This browser does not offer microphone access (navigator.mediaDevices is missing).",
    };
  }
  if (page.MediaRecorder === undefined) {
    return {
      kind: "unsupported",
      message: "This browser cannot record audio (MediaRecorder is missing). Use a current Chrome, Edge, Firefox or Safari.",
    };
  }
  return null;
}

/**
 * Where the page runs, as far as error messages care.
 * @typedef {object} Host
 * @property {boolean} vscode  a VS Code notebook webview, which never gets the microphone
 * @property {boolean} inFrame the notebook is inside another page's frame
 */

/**
 * @param {unknown} err from getUserMedia
 * @param {Host} host
 * @returns {ClientError}
 */
export function describeMediaError(err, host) {
  switch (errorName(err)) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      if (host.vscode) {
        return {
          kind: "permission",
          message:
            "VS Code notebooks cannot use the microphone (microsoft/vscode#119127). " +
            "Open this notebook in JupyterLab or Jupyter Notebook in a browser.",
        };
      }
      return {
        kind: "permission",
        message:
          "Microphone access was blocked. Allow the microphone for this site (click the icon at the left " +
          "of the address bar, or open the browser's site settings), then press Start again." +
          (host.inFrame
            ? " If the browser never asks, the page around this notebook does not let it use the microphone."
            : ""),
      };
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return {
        kind: "no-device",
        message: "No microphone was found. Connect one (and check the system's sound settings), then press Start again.",
      };
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return {
        kind: "other",
        message:
          "The microphone could not be started: it may be in use by another application, or the system " +
          "blocks the browser from using it. Close the other application or check the system's privacy " +
          "settings, then press Start again.",
      };
    default:
      return { kind: "other", message: `Could not start the microphone (${errorText(err)}).` };
  }
}

/**
 * @param {unknown} err anything thrown
 * @returns {string} its `name` ("NotAllowedError", …), or ""
 */
function errorName(err) {
  const name = typeof err === "object" && err !== null && "name" in err ? err.name : "";
  return typeof name === "string" ? name : "";
}

/**
 * @param {unknown} err anything thrown
 * @returns {string} "Name: message", the message alone for a plain Error, or what there is
 */
export function errorText(err) {
  const name = errorName(err);
  const message = typeof err === "object" && err !== null && "message" in err ? err.message : "";
  if (message) return name && name !== "Error" ? `${name}: ${message}` : String(message);
  return name || String(err);
}

/**
 * Input level as loudness: -60 dBFS (or silence) is 0, full scale is 1.
 * @param {Float32Array} samples
 */
export function loudness(samples) {
  if (!samples.length) return 0;
  let sum = 0;
  for (const x of samples) sum += x * x;
  const rms = Math.sqrt(sum / samples.length);
  return rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
}

/**
 * The meter's next reading: it rises at once and falls back gently while sound goes on.
 * @param {number} shown the level shown now
 * @param {number} measured the latest loudness
 */
export function nextLevel(shown, measured) {
  const level = Math.max(measured, shown * 0.6);
  return level < 0.01 ? 0 : level;
}

/** Recording time of one recording, paused time excluded. */
export class RecordingClock {
  /** @param {() => number} [now] a monotonic time in milliseconds */
  constructor(now = () => performance.now()) {
    this.now = now;
    this.countedMs = 0;
    /** When counting last (re)started, or null while stopped. @type {number | null} */
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
}

// Unconfirmed audio (see the top of this file)

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
 * @param {number} seconds
 * @returns {string} e.g. "42 s", "3 min 5 s", "1 h 12 min"
 */
export function formatDuration(seconds) {
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor(whole / 60) % 60} min`;
}

/**
 * @param {number} time ms since the epoch
 * @returns {string} "hh:mm", local time
 */
export function timeOfDay(time) {
  const date = new Date(time);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
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

/** The kernel's bounds on keyterms (live_transcriber.engines.base): what the field sends stays within them. */
const MAX_KEYTERMS = 100;
const MAX_KEYTERM_LENGTH = 100;

/**
 * The keyterms typed in the field: separated by commas or new lines, spaces tidied, empty and
 * repeated ones (ignoring case) dropped, within the kernel's bounds.
 * @param {string} text
 * @returns {string[]}
 */
export function parseKeyterms(text) {
  /** @type {Map<string, string>} */
  const terms = new Map();
  for (const piece of text.split(/[,\n]/)) {
    const term = piece.split(/\s+/).filter(Boolean).join(" ").slice(0, MAX_KEYTERM_LENGTH);
    if (term && !terms.has(term.toLowerCase())) terms.set(term.toLowerCase(), term);
  }
  return [...terms.values()].slice(0, MAX_KEYTERMS);
}

/**
 * @param {unknown} terms the `keyterms` trait
 * @returns {string}
 */
export function formatKeyterms(terms) {
  return Array.isArray(terms) ? terms.join(", ") : "";
}

// Review mode: listening back, confidence, corrections, search.

/**
 * The word being played at `time`: the last word that starts by then (it stays lit through the
 * silence after it), -1 before the first.
 * @param {{start: number}[]} words in time order
 * @param {number} time
 */
export function wordAt(words, time) {
  let low = 0;
  let high = words.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (words[middle].start <= time) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/**
 * Where playback of a recording starts for a word: word times are on the transcript's timeline,
 * where the recording begins at `offset`.
 * @param {number} start the word's start on the timeline
 * @param {number} offset the recording's offset on the timeline
 */
export function recordingTime(start, offset) {
  return Math.max(0, start - offset);
}

/**
 * Whether a word is marked as uncertain. Engines that give no confidence report 1 (or nothing):
 * those words are never marked.
 * @param {number | undefined} confidence
 * @param {number | null} threshold null: no marks
 */
export function isUnsure(confidence, threshold) {
  return typeof threshold === "number" && typeof confidence === "number" && confidence < threshold;
}

/**
 * What a word says on hover and focus.
 * @param {Word} word
 * @param {boolean} edited a person corrected it
 */
export function wordTitle(word, edited) {
  const parts = [formatClock(word.start)];
  if (typeof word.confidence === "number" && word.confidence < 1) parts.push(`confidence ${Math.round(word.confidence * 100)}%`);
  if (edited) parts.push("corrected");
  return parts.join(" · ");
}

/**
 * The word's text as shown (with its punctuation, when the engine gives it).
 * @param {Word} word
 */
export function wordText(word) {
  return word.punctuated_word ?? word.word;
}

/**
 * Which words of a corrected result a person changed: those the engine did not give at that time.
 * @param {FinalResult} result
 * @returns {Set<number>} positions in `result.words`
 */
export function editedWords(result) {
  const changed = new Set();
  if (!result.edited || !result.original) return changed;
  const heard = result.original.words ?? [];
  (result.words ?? []).forEach((word, i) => {
    if (!heard.some((o) => o.start === word.start && wordText(o) === wordText(word))) changed.add(i);
  });
  return changed;
}

/**
 * What a speaker is called: the name given (the `speakers` trait), else "Speaker 1" for speaker 0
 * (as `live_transcriber.results.speaker_label` says it).
 * @param {number} speaker
 * @param {Record<string, string>} [names]
 */
export function speakerLabel(speaker, names = {}) {
  return names[String(speaker)] || `Speaker ${speaker + 1}`;
}

/** @param {string} text */
function searchForm(text) {
  return text.toLocaleLowerCase().replace(/[^\p{L}\p{N}'\s]+/gu, "");
}

/**
 * Where `query` occurs in a run of words: case and punctuation ignored, words that begin with it
 * ("the" finds "The" and "there", not "weather"); a query of several words matches consecutive
 * words (the last may begin with its last word, as the user is still typing it).
 * @param {string[]} words
 * @param {string} query
 * @returns {number[][]} each match as the positions of its words, in order
 */
export function findMatches(words, query) {
  const wanted = searchForm(query).split(/\s+/).filter(Boolean);
  if (!wanted.length) return [];
  const forms = words.map(searchForm);
  const last = wanted.length - 1;
  /** @type {number[][]} */
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

/**
 * The parts of the kernel's `audio` replies, joined per recording (see the protocol at the top).
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

// ---------------------------------------------------------------------------------------------
// 3. LevelMeter

/** The microphone's level while recording, read from a Web Audio analyser on its stream. */
class LevelMeter {
  /**
   * @param {MediaStream} microphone
   * @returns {LevelMeter | null} null where Web Audio is missing or refuses the stream
   */
  static open(microphone) {
    const AudioContextClass = window.AudioContext ?? /** @type {{webkitAudioContext?: typeof AudioContext}} */ (window).webkitAudioContext;
    if (!AudioContextClass) return null;
    try {
      const context = new AudioContextClass();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(microphone).connect(analyser);
      void context.resume().catch(() => {});
      return new LevelMeter(context, analyser);
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
    /** 0 to 1. */
    this.level = 0;
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
    void this.context.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// 4. SharedRecorder

/** Microphone, recorder and comm of one model: every view of the model shows and drives this. */
class SharedRecorder {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    /** @type {Phase} */
    this.phase = "off";
    this.paused = false;
    /** Browser-side error or kernel stop reason, shown next to the `error` trait. */
    this.localError = "";
    /** @type {Recording | null} */
    this.recording = null;
    this.views = 0;
    this.disposed = false;
    /** Bumped to discard a getUserMedia answer that arrives after a cancel or dispose. */
    this.attempt = 0;
    /** @type {{id: string, label: string}[]} */
    this.devices = [];
    /** The chosen microphone's deviceId, "" for the browser's default. */
    this.deviceId = readStored(DEVICE_KEY);
    this.showTimes = false;
    /** The current (or last) recording's time. */
    this.clock = new RecordingClock();
    /** @type {LevelMeter | null} */
    this.meter = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    this.results = new ResultStore();
    this.results.merge(model.get("results") ?? []);
    this.historyAsked = false;
    /** @type {Set<(change: Change) => void>} */
    this.listeners = new Set();
    /** The unconfirmed audio of this model's recordings. */
    this.keeper = new AudioKeeper(
      model,
      (content, buffers) => this.send(content, buffers),
      () => this.changed(),
      () => this.phase !== "off",
    );
    /** Released when the recording ends: while held, other tabs cannot record with this widget. */
    this.releaseWidget = () => {};
    /** @param {any} msg a custom message from the kernel */
    this.onMessage = (msg) => {
      if (msg?.type === "stop_recording") {
        // A named recording is stopped only where it records (another tab took over).
        if (!msg.recording || msg.recording === this.recording?.id) this.stop(msg.reason ? String(msg.reason) : "");
      } else if (msg?.type === "history" && Array.isArray(msg.results)) {
        this.results.reset(msg.results);
        this.changed("results");
      } else if (msg?.type === "results_changed" && Array.isArray(msg.results)) {
        if (this.results.replace(msg.results)) this.changed("results");
      } else if (msg?.type === "export") download(msg);
      else if (msg?.type === "ack") this.keeper.onAck(msg);
      else if (msg?.type === "recover") this.keeper.onRecover(msg);
    };
    this.onCommClose = () => {
      this.keeper.ownerGone = true;
    };
    this.onResults = () => {
      if (this.results.merge(model.get("results") ?? [])) this.send({ type: "history" });
      this.changed("results");
    };
    this.onDeviceChange = () => void this.refreshDevices();
    this.onNews = () => {
      const revision = model.get("revision");
      if (typeof revision !== "number") return;
      model.set("revision", revision + 1);
      model.save_changes();
    };
    model.on("msg:custom", this.onMessage);
    model.on("change:results", this.onResults);
    // Fired when the kernel closes the widget (w.close()): then no acknowledgement will come.
    model.on("comm:close", this.onCommClose);
    for (const event of NEWS_EVENTS) model.on(event, this.onNews);
    navigator.mediaDevices?.addEventListener?.("devicechange", this.onDeviceChange);
    void this.refreshDevices();
  }

  /** Input level, 0 to 1, while recording. */
  get level() {
    return this.meter?.level ?? 0;
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
    for (const listener of this.listeners) listener(change);
  }

  attachView() {
    this.views += 1;
    // A view that comes late (or after a reload) shows the whole transcript, not just the tail.
    if (!this.historyAsked) {
      this.historyAsked = true;
      this.send({ type: "history" });
      void this.keeper.check();
    }
  }

  /** Nobody can see or stop a recording without a view, so the last view leaving stops it. */
  detachView() {
    this.views -= 1;
    if (this.views <= 0) this.stop();
  }

  toggle() {
    if (this.phase === "off") void this.start();
    else this.stop();
  }

  togglePause() {
    if (this.paused) this.resume();
    else this.pause();
  }

  /** @param {string} id a deviceId, or "" for the default microphone */
  chooseDevice(id) {
    this.deviceId = id;
    writeStored(DEVICE_KEY, id);
    this.changed("devices");
  }

  /** @param {boolean} show */
  setShowTimes(show) {
    this.showTimes = show;
    this.changed();
  }

  /** Device labels are empty until the page may use the microphone: call again after that. */
  async refreshDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    /** @type {MediaDeviceInfo[]} */
    let all;
    try {
      all = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    if (this.disposed) return;
    this.devices = all
      .filter((d) => d.kind === "audioinput" && d.deviceId)
      .map((d, i) => ({ id: d.deviceId, label: d.label || `Microphone ${i + 1}` }));
    this.changed("devices");
  }

  async start() {
    if (this.phase !== "off" || this.disposed) return;
    this.localError = "";
    const unavailable = checkEnvironment(globalThis);
    if (unavailable) {
      this.report(unavailable);
      return;
    }
    const attempt = ++this.attempt;
    this.phase = "requesting";
    this.changed();
    // One recording per widget: a tab that records holds the widget's lock. The recording's own
    // lock is held before anything of it is kept, so that no other tab takes it for interrupted.
    const widget = this.keeper.identity?.widget;
    const id = randomId();
    const [release, recordingLock] = await Promise.all([
      widget ? takeLock(`widget:${widget}`) : Promise.resolve(() => {}),
      takeLock(`recording:${id}`),
    ]);
    const releaseRecording = recordingLock ?? (() => {});
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
    /** @type {MediaStream} */
    let microphone;
    try {
      microphone = await this.openMicrophone();
    } catch (err) {
      this.releaseWidget();
      releaseRecording();
      if (attempt !== this.attempt) return;
      this.phase = "off";
      this.report(describeMediaError(err, { vscode: isVSCodeWebview(), inFrame: isInFrame() }));
      return;
    }
    if (attempt !== this.attempt) {
      this.releaseWidget();
      releaseRecording();
      stopTracks(microphone);
      return;
    }
    this.record(microphone, id, releaseRecording);
    void this.refreshDevices();
  }

  /** The chosen microphone, or the default one (saying so) when the chosen one is gone. */
  async openMicrophone() {
    const wanted = this.deviceId;
    if (!wanted) return navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: { ...AUDIO_CONSTRAINTS, deviceId: { exact: wanted } } });
    } catch (err) {
      const name = errorName(err);
      if (name !== "OverconstrainedError" && name !== "NotFoundError") throw err;
    }
    const microphone = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    const label = this.devices.find((d) => d.id === wanted)?.label;
    this.localError =
      `The chosen microphone${label ? ` (${label})` : ""} is not available: recording from the ` +
      "default microphone instead. Pick another one in the list to change it.";
    return microphone;
  }

  /**
   * @param {MediaStream} microphone
   * @param {string} id the recording's id
   * @param {() => void} releaseLock gives back the recording's lock (held from here on by what keeps its audio)
   */
  record(microphone, id, releaseLock) {
    const mimeType = pickMimeType(MediaRecorder);
    /** @type {MediaRecorder} */
    let mediaRecorder;
    try {
      mediaRecorder = new MediaRecorder(microphone, mimeType ? { mimeType } : undefined);
    } catch (err) {
      stopTracks(microphone);
      this.releaseWidget();
      releaseLock();
      this.phase = "off";
      this.report({
        kind: "unsupported",
        message: `This browser cannot record audio from the microphone (${errorText(err)}).`,
      });
      return;
    }
    /** @type {Recording} */
    const recording = {
      id,
      microphone,
      mediaRecorder,
      sent: 0,
      queue: Promise.resolve(),
      failure: null,
      stopping: false,
      finished: false,
      stopTimer: undefined,
    };
    this.recording = recording;
    mediaRecorder.addEventListener("dataavailable", (event) => this.enqueueChunk(recording, event.data));
    mediaRecorder.addEventListener("stop", () => this.finishRecording(recording));
    mediaRecorder.addEventListener("error", (event) => {
      const cause = "error" in event ? event.error : undefined;
      this.failRecording(recording, {
        kind: "recorder",
        message: `The browser's recorder failed (${cause ? errorText(cause) : "unknown error"}). Recording stopped.`,
      });
    });
    for (const track of microphone.getAudioTracks()) {
      // "ended" fires only when the browser ends the track (device unplugged or revoked),
      // never for our own track.stop().
      track.addEventListener("ended", () =>
        this.failRecording(recording, {
          kind: "no-device",
          message: "The microphone was disconnected or turned off. Recording stopped.",
        }),
      );
    }

    const announce = () => {
      const type = mediaRecorder.mimeType || mimeType;
      this.keeper.begin(recording.id, type, releaseLock);
      this.sendInOrder(recording, { type: "start", recording: recording.id, mime_type: type });
    };
    // A recorder left to choose its own type may name it only once it has started; its "start"
    // event still comes before the first chunk.
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

  /** The recorder pauses; the same container stream goes on after resume, so nothing restarts. */
  /** Drops a bookmark at the recording's time now, as the widget's clock shows it (pauses left out). */
  bookmark() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording) return;
    this.sendInOrder(recording, { type: "bookmark", elapsed: this.clock.elapsedMs() / 1000 });
  }

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
    // Through the chunk queue, so the kernel hears it after the chunks recorded before it.
    this.sendInOrder(recording, { type: "pause" });
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
    this.sendInOrder(recording, { type: "resume" });
    this.changed();
  }

  /** Refreshes the level; views repaint the meter and the clock. */
  tick() {
    this.meter?.update(this.paused);
    this.changed("tick");
  }

  stopTicking() {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.meter?.close();
    this.meter = null;
  }

  /**
   * Reading a Blob is asynchronous, so each send waits for the previous one.
   * @param {Recording} recording
   * @param {Blob} blob
   */
  enqueueChunk(recording, blob) {
    if (recording.finished || !blob || blob.size === 0) return;
    const seconds = this.clock.elapsedMs() / 1000;
    recording.queue = recording.queue
      .then(async () => {
        const buffer = await blob.arrayBuffer();
        // Kept first: the kernel's acknowledgement of this chunk may delete it.
        this.keeper.keep(recording.id, recording.sent, buffer, seconds, blob.type || recording.mediaRecorder.mimeType);
        const sent = this.send({ type: "chunk", recording: recording.id, seq: recording.sent, size: buffer.byteLength }, [buffer]);
        recording.sent += 1;
        await sent;
      })
      .catch((err) => console.warn("[live-transcriber] could not read an audio chunk", err));
  }

  /**
   * @param {Recording} recording
   * @param {object} content
   */
  sendInOrder(recording, content) {
    recording.queue = recording.queue.then(() => this.send(content));
  }

  /**
   * Stops recording the normal way: the recorder delivers its last chunk, then "stop" fires.
   * @param {string} [reason] shown to the user (the kernel's reason for asking)
   */
  stop(reason = "") {
    if (reason) this.localError = reason;
    if (this.phase === "requesting") {
      this.attempt += 1;
      this.phase = "off";
    } else if (this.recording) {
      this.stopRecording(this.recording);
    }
    this.changed();
  }

  /** @param {Recording} recording */
  stopRecording(recording) {
    if (recording.stopping || recording.finished) return;
    recording.stopping = true;
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
    stopTracks(recording.microphone);
    if (this.recording === recording) {
      this.clock.stop();
      this.stopTicking();
    }
    void recording.queue.then(() => {
      const stopped = this.send({ type: "stop", recording: recording.id, chunks: recording.sent });
      const failure = recording.failure;
      if (failure) void stopped.then(() => this.send({ type: "client_error", ...failure }));
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
    this.send({ type: "client_error", kind: error.kind, message: error.message });
    this.changed();
  }

  /**
   * @param {object} content
   * @param {ArrayBuffer[]} [buffers]
   * @returns {Promise<void>} settles (never rejects) once the host has taken the message
   */
  send(content, buffers) {
    // The comm is gone once the widget is closed; the tail of a recording is then lost anyway.
    const failed = (/** @type {unknown} */ err) => console.warn("[live-transcriber] could not send to the kernel", err);
    try {
      // Jupyter's send returns nothing; marimo's a promise of its HTTP request.
      return Promise.resolve(this.model.send(content, undefined, buffers)).then(() => {}, failed);
    } catch (err) {
      // The comm is gone for good: the kernel died or was restarted (the page keeps showing the
      // widget), or the widget was closed. Whatever was not confirmed stays in this browser.
      failed(err);
      if (this.disposed || this.keeper.disposed) return Promise.resolve();
      this.keeper.lost();
      const failure = {
        kind: /** @type {const} */ ("other"),
        message:
          "The kernel stopped (it died, or was restarted or shut down), so this widget can no longer reach it. " +
          "This browser kept the audio the kernel did not confirm: run the widget's cell again to send it.",
      };
      if (this.recording && !this.recording.finished) this.failRecording(this.recording, failure);
      else {
        this.localError = failure.message;
        this.changed();
      }
      return Promise.resolve();
    }
  }

  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.attempt += 1;
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:results", this.onResults);
    this.model.off("comm:close", this.onCommClose);
    for (const event of NEWS_EVENTS) this.model.off(event, this.onNews);
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.onDeviceChange);
    this.listeners.clear();
    this.stopTicking();
    const recording = this.recording;
    if (recording) {
      this.stopRecording(recording);
      clearTimeout(recording.stopTimer);
      stopTracks(recording.microphone);
    }
    this.releaseWidget();
    this.keeper.dispose();
  }
}

/** Without Web Locks, a kept recording is taken for interrupted once no chunk came for this long. */
const QUIET_MS = 15_000;

/**
 * The unconfirmed audio of one model's recordings (see "Unconfirmed audio" at the top of this
 * file): keeps each chunk until the kernel confirms it, and offers what a kernel never got.
 */
class AudioKeeper {
  /**
   * @param {Model} model
   * @param {(content: object, buffers?: ArrayBuffer[]) => Promise<void>} send settles once the host took the message
   * @param {() => void} changed
   * @param {() => boolean} [recorderBusy]
   */
  constructor(model, send, changed, recorderBusy = () => false) {
    this.model = model;
    this.send = send;
    this.changed = changed;
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
    this.send({ type: "recover", recordings: ask.map((kept) => kept.id) });
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
        this.send({ type: "stop", recording: kept.id, chunks: kept.chunks });
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
    if (!continuing) await this.send({ type: "start", recording: id, mime_type: kept.mimeType, recovered: true });
    for (const piece of pieces) {
      const data = piece.data.slice().buffer;
      await this.send({ type: "chunk", recording: id, seq: piece.seq, size: data.byteLength }, [data]);
    }
    await this.send({ type: "stop", recording: id, chunks: continuing ? kept.chunks : pieces.length });
    if (continuing) {
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
      if (step.action === "continue") this.send({ type: "stop", recording: kept.id, chunks: step.from });
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

// ---------------------------------------------------------------------------------------------
// 5. Browser helpers

/**
 * The page's IndexedDB store of unconfirmed audio: recordings (KeptRecording) and their chunks
 * (KeptChunk, keyed by [recording, seq]). Every write is one transaction; transactions on the
 * same stores run in the order they were made, so a chunk kept before it is sent is kept before
 * its acknowledgement deletes it.
 */
class AudioStore {
  /** @returns {Promise<AudioStore | null>} the page's store, or null where IndexedDB is not available */
  static open() {
    storeOpening ??= new Promise((resolve) => {
      /** @type {IDBOpenDBRequest} */
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
        resolve(new AudioStore(db));
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
    /** Bytes kept, all recordings together (as of the latest list(), plus this page's writes since). */
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
        if (request.result) this.bytes -= /** @type {KeptRecording} */ (request.result).bytes;
        recordings.delete(id);
      };
      tx.objectStore("chunks").delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
    });
  }

  /** @returns {Promise<KeptRecording[]>} */
  async list() {
    /** @type {KeptRecording[]} */
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
    /** @type {KeptChunk[]} */
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
        const kept = /** @type {KeptRecording | undefined} */ (request.result);
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
}

/** @type {Promise<AudioStore | null> | undefined} */
let storeOpening;

/**
 * Takes a Web Lock if no one holds it, and holds it until released.
 * @param {string} name
 * @returns {Promise<(() => void) | null>} its release, or null if another page or widget holds it
 */
function takeLock(name) {
  const locks = navigator.locks;
  if (!locks?.request) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    locks
      .request(LOCK_PREFIX + name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(() => release(undefined)));
      })
      .catch(() => resolve(() => {}));
  });
}

/** @returns {Promise<Set<string> | null>} the Web Locks held in this browser (null: unknown) */
async function heldLocks() {
  try {
    const state = await navigator.locks.query();
    return new Set((state.held ?? []).map((lock) => lock.name ?? ""));
  } catch {
    return null;
  }
}

/** @param {MediaStream} microphone */
function stopTracks(microphone) {
  for (const track of microphone.getTracks()) track.stop();
}

function randomId() {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function isVSCodeWebview() {
  const userAgent = navigator.userAgent;
  return (
    location.protocol === "vscode-webview:" ||
    location.hostname.endsWith(".vscode-cdn.net") ||
    typeof (/** @type {{acquireVsCodeApi?: unknown}} */ (globalThis)).acquireVsCodeApi === "function" ||
    (/\bCode\/\d/.test(userAgent) && /\bElectron\//.test(userAgent))
  );
}

function isInFrame() {
  try {
    return window.self !== window.top;
  } catch {
    return true;
  }
}

/** @param {string} key */
function readStored(key) {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return ""; // storage blocked (sandboxed frame, privacy settings): nothing remembered
  }
}

/**
 * @param {string} key
 * @param {string} value "" removes the key
 */
function writeStored(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    // storage blocked: the choice lasts until the page is reloaded
  }
}

/**
 * The kernel's answer to "export": saved by the browser as a file.
 * @param {{format?: string, filename?: string, mime_type?: string, content?: string}} msg
 */
function download(msg) {
  const blob = new Blob([String(msg.content ?? "")], { type: msg.mime_type || "text/plain" });
  saveFile(blob, msg.filename || `transcript.${msg.format || "txt"}`);
}

/**
 * Has the browser save `blob` as a file.
 * @param {Blob} blob
 * @param {string} filename
 */
function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started by then; revoking at once can cancel it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * The clipboard API needs a secure context and permission; the old way works in more places.
 * @param {string} text
 * @param {Document} doc
 */
async function copyText(text, doc) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // denied or insecure: fall through
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

// ---------------------------------------------------------------------------------------------
// 6. View

/**
 * @typedef {object} ViewElements
 * @property {HTMLDivElement} root
 * @property {HTMLButtonElement} toggle
 * @property {HTMLButtonElement} pause
 * @property {HTMLButtonElement} mark
 * @property {HTMLSpanElement} elapsed
 * @property {HTMLDivElement} meter
 * @property {HTMLDivElement} meterFill
 * @property {HTMLSpanElement} statusText
 * @property {HTMLSpanElement} statusDetail
 * @property {HTMLSpanElement} engine
 * @property {HTMLDivElement} progress
 * @property {HTMLSelectElement} device
 * @property {HTMLInputElement} times
 * @property {HTMLButtonElement} clear
 * @property {HTMLButtonElement} copy
 * @property {HTMLDetailsElement} exportMenu
 * @property {HTMLButtonElement[]} exportButtons
 * @property {HTMLDivElement} error
 * @property {HTMLDivElement} unsent
 * @property {HTMLParagraphElement} unsentText
 * @property {HTMLDivElement} unsentActions
 * @property {HTMLButtonElement} unsentSend
 * @property {HTMLButtonElement} unsentDownload
 * @property {HTMLButtonElement} unsentDiscard
 * @property {HTMLDivElement} review
 * @property {HTMLButtonElement} play
 * @property {HTMLSelectElement} speed
 * @property {HTMLSpanElement} playerNote
 * @property {HTMLInputElement} search
 * @property {HTMLSpanElement} searchCount
 * @property {HTMLButtonElement} searchPrevious
 * @property {HTMLButtonElement} searchNext
 * @property {HTMLAudioElement} audio
 * @property {HTMLDivElement} bookmarks
 * @property {HTMLDivElement} transcript
 * @property {HTMLSpanElement} final
 * @property {Text} gap
 * @property {HTMLSpanElement} interim
 * @property {HTMLParagraphElement} hint
 */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {Document} doc
 * @param {K} tag
 * @param {string} className
 * @param {Record<string, string>} [attributes]
 * @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(doc, tag, className, attributes = {}, text = "") {
  const node = doc.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

/**
 * @param {Document} doc
 * @returns {ViewElements}
 */
function buildView(doc) {
  const root = element(doc, "div", "lt-root");

  const bar = element(doc, "div", "lt-bar");
  const toggle = element(doc, "button", "lt-toggle", { type: "button", "aria-pressed": "false" });
  const pause = element(doc, "button", "lt-button lt-pause", { type: "button", title: "Pause the recording" }, "Pause");
  const mark = element(
    doc, "button", "lt-button lt-mark",
    { type: "button", title: `Bookmark this moment (${BOOKMARK_KEY_LABEL})`, "aria-keyshortcuts": BOOKMARK_KEY_ARIA },
    "Bookmark",
  );
  const elapsed = element(doc, "span", "lt-elapsed", { role: "timer", "aria-label": "Recording time", title: "Recording time, pauses excluded" }, "00:00");
  const meter = element(doc, "div", "lt-meter", {
    role: "meter",
    "aria-label": "Microphone level",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-valuenow": "0",
    "data-level": "0",
    title: "Microphone level",
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
  // A strip beside the button rather than a list below it: output areas clip what overflows them.
  const menu = element(doc, "div", "lt-export-menu", { role: "group", "aria-label": "Export formats" });
  const exportButtons = EXPORT_FORMATS.map((format) => {
    const name = format.toUpperCase();
    return element(doc, "button", "lt-export-item", { type: "button", "data-format": format, "aria-label": `Download ${name}`, title: `Download transcript.${format}` }, name);
  });
  menu.append(element(doc, "span", "lt-export-label", { "aria-hidden": "true" }, "Download"), ...exportButtons);
  exportMenu.append(summary, menu);
  tools.append(device, timesLabel, spacer, clear, copy, exportMenu);

  const error = element(doc, "div", "lt-error", { role: "alert" });

  // Audio kept by the browser that did not reach the kernel (see "Unconfirmed audio" at the top).
  const unsent = element(doc, "div", "lt-unsent", { role: "region", "aria-label": "Audio not transcribed" });
  const unsentText = element(doc, "p", "lt-unsent-text", { role: "status" });
  const unsentActions = element(doc, "div", "lt-unsent-actions");
  const unsentSend = element(doc, "button", "lt-button", { type: "button", title: "Send the kept audio to the kernel, to be transcribed" }, "Send to the kernel");
  const unsentDownload = element(doc, "button", "lt-button", { type: "button", title: "Save the kept audio as a file" }, "Download");
  const unsentDiscard = element(doc, "button", "lt-button", { type: "button", title: "Delete the kept audio from this browser" }, "Discard");
  unsentActions.append(unsentSend, unsentDownload, unsentDiscard);
  unsent.append(unsentText, unsentActions);

  // Review mode: play back from any word, search; shown once there are final words.
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
    title: "Search the transcript (Enter: next match, Shift+Enter: previous)",
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
    tabindex: "0",
  });
  const final = element(doc, "span", "lt-final");
  const gap = doc.createTextNode("");
  // Interim text rewrites itself several times a second; announcing every rewrite would drown
  // screen-reader users, who hear each phrase once it is final.
  const interim = element(doc, "span", "lt-interim", { "aria-hidden": "true" });
  transcript.append(final, gap, interim);
  const hint = element(doc, "p", "lt-hint");
  body.append(transcript, hint);

  root.append(bar, tools, error, unsent, review, body, bookmarks);
  return {
    root, toggle, pause, mark, review, play, speed, playerNote, search, searchCount, searchPrevious, searchNext, audio, bookmarks, elapsed, meter, meterFill, statusText, statusDetail, engine, progress, device,
    times, clear, copy, exportMenu, exportButtons, error, unsent, unsentText, unsentActions, unsentSend,
    unsentDownload, unsentDiscard, transcript, final, gap, interim, hint,
  };
}

/**
 * How final words are shown: the speakers' names, and where the confidence marks start.
 * @typedef {object} TextOptions
 * @property {Record<string, string>} names
 * @property {number | null} threshold
 */

/**
 * A word on screen, for playback and search.
 * @typedef {object} ShownWord
 * @property {HTMLSpanElement} el
 * @property {number} start
 * @property {number} recording
 */

/**
 * Final results as utterance blocks: one `.lt-utt` per utterance (see `startsUtterance`), each
 * result's words in a `.lt-text` span, each word a `.lt-word` span. Only results not shown yet
 * are appended, so a long transcript is never re-rendered while it grows; a correction, a new
 * speaker name or threshold rebuilds it.
 */
class FinalText {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    /** @type {TextOptions} */
    this.options = { names: {}, threshold: null };
    this.optionsKey = "";
    /** The block results are appended to. @type {HTMLSpanElement | null} */
    this.open = null;
    /** The last result shown. @type {FinalResult | null} */
    this.last = null;
    /** Every word shown, in order. @type {ShownWord[]} */
    this.words = [];
    /** The words of each recording, in time order (for playback). @type {Map<number, ShownWord[]>} */
    this.byRecording = new Map();
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
            heading.speaker,
          ),
        );
      }
      this.container.append(block);
      this.open = block;
    } else {
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
    if (!shown) this.byRecording.set(recording, (shown = []));
    words.forEach((word, i) => {
      if (i) text.append(" ");
      const span = element(doc, "span", "lt-word", {
        tabindex: this.words.length ? "-1" : "0",
        "data-word": String(i),
        "data-start": String(word.start),
        title: wordTitle(word, edited.has(i)),
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
}

/**
 * Plays the recordings back from any word, for one view. Each recording's audio comes from the
 * kernel once (an "audio" request) and is kept as a Blob URL until the view goes; while it plays,
 * the word being heard is lit (`.lt-playing`) and kept in sight.
 */
class Player {
  /**
   * @param {HTMLAudioElement} audio
   * @param {(content: any) => void} send
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
      this.send({ type: "audio", recording });
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

/**
 * @param {ViewElements} ui
 * @param {SharedRecorder} recorder
 * @param {Model} model
 * @param {FinalResult | null} lastShown the last final result this view shows
 */
function paintView(ui, recorder, model, lastShown) {
  const status = String(model.get("status") ?? "");
  const finalText = String(model.get("transcript") ?? "");
  const interimText = String(model.get("interim") ?? "");
  const engineLabel = String(model.get("engine_label") ?? "");
  const active = recorder.phase !== "off";
  const recording = recorder.phase === "recording";

  ui.root.dataset.phase = recorder.phase;
  ui.root.dataset.status = status;
  ui.root.dataset.paused = String(recorder.paused);
  ui.root.classList.toggle("lt-show-times", recorder.showTimes);
  setText(ui.toggle, active ? "Stop" : "Start");
  ui.toggle.setAttribute("aria-pressed", String(active));
  ui.toggle.disabled = recorder.phase === "stopping" || (!active && status === STATUS.FINISHING);
  setText(ui.pause, recorder.paused ? "Resume" : "Pause");
  ui.pause.title = recorder.paused ? "Go on recording" : "Pause the recording";
  ui.pause.disabled = !recording;
  const line = statusLine(recorder.phase, recorder.paused, status, String(model.get("status_detail") ?? ""));
  setText(ui.statusText, line.label);
  setText(ui.statusDetail, line.detail);
  setText(ui.engine, engineLabel);
  ui.progress.hidden = status !== STATUS.LOADING_MODEL;
  ui.device.disabled = active;
  ui.times.checked = recorder.showTimes;
  ui.clear.disabled = !finalText && !interimText;
  ui.copy.disabled = !finalText;
  ui.mark.disabled = !recording;

  const errors = [...new Set([String(model.get("error") ?? ""), recorder.localError])].filter(Boolean);
  setText(ui.error, errors.join("\n"));

  const keeper = recorder.keeper;
  const offer = keeper.unsent.length ? describeUnsent(keeper.unsent.map((u) => ({ seconds: u.seconds, created: u.kept.created }))) : "";
  setText(ui.unsentText, [offer, keeper.note].filter(Boolean).join("\n"));
  ui.unsent.hidden = !offer && !keeper.note;
  ui.unsentActions.hidden = !offer;
  // A recovered recording would take the place of the one being recorded: send once it is done.
  ui.unsentSend.disabled = recorder.phase !== "off";
  ui.unsentSend.title =
    recorder.phase === "off" ? "Send the kept audio to the kernel, to be transcribed" : "Stop recording first: the kept audio is sent as a recording of its own";

  ui.gap.data = interimSeparator(lastShown, interimText);
  setText(ui.interim, interimText);
  setText(ui.hint, active ? "Listening…" : "Press Start and speak");
  ui.hint.hidden = Boolean(finalText || interimText);
}

/**
 * Live regions (status, alert) may announce any rewrite, even of the same text: write only changes.
 * @param {HTMLElement} node
 * @param {string} text
 */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * @param {ViewElements} ui
 * @param {SharedRecorder} recorder
 */
function paintTick(ui, recorder) {
  const level = recorder.phase === "recording" ? recorder.level : 0;
  ui.meter.dataset.level = level.toFixed(2);
  ui.meter.setAttribute("aria-valuenow", String(Math.round(level * 100)));
  ui.meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
  setText(ui.elapsed, formatClock(recorder.clock.elapsedMs() / 1000));
}

/**
 * @param {ViewElements} ui
 * @param {SharedRecorder} recorder
 */
function paintDevices(ui, recorder) {
  const doc = ui.device.ownerDocument;
  const options = [element(doc, "option", "", { value: "" }, "Default microphone")];
  for (const device of recorder.devices) options.push(element(doc, "option", "", { value: device.id }, device.label));
  if (recorder.deviceId && !recorder.devices.some((d) => d.id === recorder.deviceId)) {
    options.push(element(doc, "option", "", { value: recorder.deviceId }, "Chosen microphone (not found)"));
  }
  ui.device.replaceChildren(...options);
  ui.device.value = recorder.deviceId;
}

/** @param {HTMLElement} box */
function isNearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 16;
}

/**
 * The keyterms field: words and names the engine should listen for, kept in the `keyterms` trait.
 * Enter (or leaving the field) applies them, also while recording; the kernel's tidied list then
 * comes back and is shown, unless the field is being edited.
 * @param {Document} doc
 * @param {Model} model
 * @returns {{node: HTMLLabelElement, cleanup: () => void}}
 */
function keytermsField(doc, model) {
  const node = element(doc, "label", "lt-keyterms");
  const input = element(doc, "input", "lt-keyterms-input", {
    type: "text", autocomplete: "off", spellcheck: "false", placeholder: "names, jargon, …",
  });
  node.append(doc.createTextNode("Keyterms"), input);
  const paint = () => {
    const supported = Boolean(model.get("keyterms_supported"));
    input.disabled = !supported;
    node.title = supported
      ? "Words and names to listen for, separated by commas; Enter applies them, also while recording"
      : "This engine does not use keyterms";
    if (doc.activeElement !== input) input.value = formatKeyterms(model.get("keyterms"));
  };
  const apply = () => {
    model.set("keyterms", parseKeyterms(input.value));
    model.save_changes();
    input.value = formatKeyterms(model.get("keyterms"));
  };
  // Notebook front ends may take Enter for themselves before the input commits its value.
  /** @param {KeyboardEvent} event */
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
    },
  };
}

/**
 * The review controls: play/pause, the player's note, the bookmarks.
 * @param {ViewElements} ui
 * @param {Player} player
 * @param {Model} model
 * @param {boolean} hasWords
 */
function paintReview(ui, player, model, hasWords) {
  const playable = model.get("keep_audio") !== false;
  ui.review.hidden = !hasWords;
  ui.root.classList.toggle("lt-playable", playable);
  ui.play.disabled = !playable;
  setText(ui.play, player.playing ? "Pause" : "Play");
  ui.play.setAttribute("aria-label", player.playing ? "Pause playback" : "Play the recording");
  ui.play.title = playable ? (player.playing ? "Pause playback" : "Play from the selected word (or click a word)") : NO_AUDIO;
  ui.speed.disabled = !playable;
  ui.speed.title = playable ? "Playback speed" : NO_AUDIO;
  setText(ui.playerNote, player.error || (player.loading ? "Loading the audio…" : ""));
}

/**
 * @param {ViewElements} ui
 * @param {Model} model
 */
function paintBookmarks(ui, model) {
  const doc = ui.bookmarks.ownerDocument;
  const marks = /** @type {Bookmark[]} */ (model.get("bookmarks") ?? []);
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
        title: canPlay ? `Play from this bookmark (${formatClock(mark.time)})` : `Bookmark at ${formatClock(mark.time)}`,
      }, text);
      button.disabled = !canPlay;
      item.append(button);
      return item;
    }),
  );
  ui.bookmarks.hidden = !marks.length;
}

/**
 * Keeps `target` in sight inside `box`, never scrolling the page (as scrollIntoView would).
 * @param {HTMLElement} box
 * @param {HTMLElement} target
 */
function scrollIntoBox(box, target) {
  const outer = box.getBoundingClientRect();
  const inner = target.getBoundingClientRect();
  if (inner.top < outer.top) box.scrollTop += inner.top - outer.top - 8;
  else if (inner.bottom > outer.bottom) box.scrollTop += inner.bottom - outer.bottom + 8;
}

/**
 * An inline text field in place of `target`: Enter calls `done` with its text, Escape (or leaving
 * it) puts `target` back.
 * @param {HTMLElement} target
 * @param {string} value
 * @param {string} label
 * @param {(text: string) => void} done
 */
function editInPlace(target, value, label, done) {
  const doc = target.ownerDocument;
  const input = element(doc, "input", "lt-inline-edit", { type: "text", "aria-label": label, spellcheck: "true" });
  input.value = value;
  input.size = Math.max(4, value.length + 2);
  let finished = false;
  /** @param {boolean} save */
  const finish = (save) => {
    if (finished) return;
    finished = true;
    input.replaceWith(target);
    target.focus({ preventScroll: true });
    if (save && input.value.trim() !== value) done(input.value.trim());
  };
  input.addEventListener("keydown", (event) => {
    event.stopPropagation(); // keys typed here are not the notebook's shortcuts
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

/**
 * @param {SharedRecorder} recorder
 * @param {Model} model this view's handle on the model
 * @param {HTMLElement} el
 * @returns {() => void} cleanup
 */
function renderView(recorder, model, el) {
  const doc = el.ownerDocument;
  const ui = buildView(doc);
  const finals = new FinalText(ui.final);
  const keyterms = keytermsField(doc, model);
  ui.times.parentElement?.after(keyterms.node);
  el.append(ui.root);

  // Follows new text unless the reader scrolled up; scrolling back to the bottom follows again.
  let followTail = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let copyTimer;
  /** The word to focus once the words are drawn again (after a correction). @type {{index: string, word: string} | null} */
  let refocus = null;
  /** The search: its matches (words on screen) and which one is current. */
  /** @type {{query: string, matches: ShownWord[][], current: number}} */
  const search = { query: "", matches: [], current: -1 };

  /** @param {ShownWord} word */
  const reveal = (word) => {
    scrollIntoBox(ui.transcript, word.el);
    followTail = isNearBottom(ui.transcript);
  };
  const player = new Player(
    ui.audio,
    (content) => void recorder.send(content),
    () => paintReview(ui, player, model, finals.words.length > 0),
    (recording) => finals.byRecording.get(recording) ?? [],
    reveal,
  );
  /** @returns {TextOptions} */
  const textOptions = () => {
    const threshold = model.get("confidence_threshold");
    return { names: model.get("speakers") ?? {}, threshold: typeof threshold === "number" ? threshold : null };
  };
  /** @param {HTMLElement} word the one keyboard focus comes back to (roving tabindex) */
  const focusWord = (word) => {
    for (const other of ui.final.querySelectorAll('.lt-word[tabindex="0"]')) other.setAttribute("tabindex", "-1");
    word.setAttribute("tabindex", "0");
    word.focus({ preventScroll: true });
    scrollIntoBox(ui.transcript, word);
    followTail = isNearBottom(ui.transcript);
  };
  /** @param {HTMLElement} span */
  const shownWord = (span) => finals.words.find((w) => w.el === span);

  const paintSearch = () => {
    for (const node of ui.final.querySelectorAll(".lt-match")) node.classList.remove("lt-match", "lt-match-current");
    const matches = findMatches(finals.words.map((w) => w.el.textContent ?? ""), search.query);
    search.matches = matches.map((positions) => positions.map((i) => finals.words[i]));
    if (search.current >= search.matches.length) search.current = search.matches.length - 1;
    search.matches.forEach((match, m) => {
      for (const word of match) word.el.classList.add("lt-match", ...(m === search.current ? ["lt-match-current"] : []));
    });
    const count = search.matches.length;
    setText(ui.searchCount, !search.query.trim() ? "" : count === 0 ? "no matches" : search.current >= 0 ? `${search.current + 1} of ${count}` : `${count} found`);
    ui.searchPrevious.disabled = ui.searchNext.disabled = count === 0;
  };
  /** @param {number} step +1: next match, -1: previous */
  const jump = (step) => {
    const count = search.matches.length;
    if (!count) return;
    search.current = search.current < 0 ? (step > 0 ? 0 : count - 1) : (search.current + step + count) % count;
    paintSearch();
    focusWord(search.matches[search.current][0].el);
  };

  const onScroll = () => {
    followTail = isNearBottom(ui.transcript);
  };
  const scroll = () => {
    if (followTail && !player.playing) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  };
  const paint = () => {
    paintView(ui, recorder, model, finals.last);
    paintReview(ui, player, model, finals.words.length > 0);
    scroll();
  };
  const paintResults = () => {
    const top = ui.transcript.scrollTop;
    const rebuilt = finals.update(recorder.results, textOptions());
    if (rebuilt) {
      ui.transcript.scrollTop = top;
      player.redrawn();
      const again = refocus && ui.final.querySelector(`.lt-text[data-index="${refocus.index}"] .lt-word[data-word="${refocus.word}"]`);
      if (again instanceof HTMLElement) focusWord(again);
      refocus = null;
    }
    if (search.query) paintSearch();
    paint();
  };
  /** @param {Change} change */
  const onChange = (change) => {
    if (change === "tick") paintTick(ui, recorder);
    else if (change === "devices") paintDevices(ui, recorder);
    else if (change === "results") paintResults();
    else paint();
  };
  /**
   * @param {any} msg
   * @param {DataView<ArrayBuffer>[]} [buffers] (the comm's buffers are never shared memory)
   */
  const onCustom = (msg, buffers) => {
    if (msg?.type === "audio") player.onAudio(msg, buffers);
  };
  /** @param {HTMLElement} span */
  const playWord = (span) => {
    const word = shownWord(span);
    if (word && model.get("keep_audio") !== false) player.playFrom(word.recording, word.start);
  };
  /** @param {HTMLElement} span */
  const editWord = (span) => {
    const index = span.closest(".lt-text")?.getAttribute("data-index");
    const number = span.dataset.word;
    if (index == null || number == null) return;
    player.audio.pause();
    editInPlace(span, span.textContent ?? "", `Correct the word “${span.textContent}”`, (text) => {
      refocus = { index, word: number };
      void recorder.send({ type: "edit", index: Number(index), word: Number(number), text });
    });
  };
  /** @param {HTMLElement} label */
  const renameSpeaker = (label) => {
    const speaker = Number(label.dataset.speaker);
    const name = speakerLabel(speaker, model.get("speakers") ?? {});
    editInPlace(label, name, `Rename ${name}`, (text) => void recorder.send({ type: "speaker", speaker, name: text }));
  };
  /** @param {MouseEvent} event */
  const onTranscriptClick = (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const speaker = target?.closest(".lt-speaker");
    if (speaker instanceof HTMLElement) return renameSpeaker(speaker);
    const word = target?.closest(".lt-word");
    if (!(word instanceof HTMLElement) || (doc.getSelection()?.toString() ?? "") !== "") return; // selecting text, not playing
    focusWord(word);
    playWord(word);
  };
  /** @param {MouseEvent} event */
  const onTranscriptDoubleClick = (event) => {
    const word = event.target instanceof Element ? event.target.closest(".lt-word") : null;
    if (word instanceof HTMLElement) editWord(word);
  };
  /** @param {KeyboardEvent} event */
  const onTranscriptKey = (event) => {
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (target?.classList.contains("lt-speaker") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      renameSpeaker(target);
      return;
    }
    if (!target?.classList.contains("lt-word")) return;
    const at = finals.words.findIndex((w) => w.el === target);
    /** @type {Record<string, () => void>} */
    const keys = {
      Enter: () => playWord(target),
      F2: () => editWord(target),
      ArrowRight: () => at + 1 < finals.words.length && focusWord(finals.words[at + 1].el),
      ArrowLeft: () => at > 0 && focusWord(finals.words[at - 1].el),
      Home: () => focusWord(finals.words[0].el),
      End: () => focusWord(finals.words[finals.words.length - 1].el),
    };
    const action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // not the notebook's shortcuts
    action();
  };
  /** @param {KeyboardEvent} event */
  const onRootKey = (event) => {
    if (event.code === BOOKMARK_KEY && event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      event.stopPropagation();
      recorder.bookmark();
    }
  };
  const onPlay = () => {
    const focused = finals.words.find((w) => w.el.getAttribute("tabindex") === "0");
    player.toggle(focused ?? finals.words[0]);
  };
  const onSpeed = () => player.setSpeed(Number(ui.speed.value));
  const onSearch = () => {
    search.query = ui.search.value;
    search.current = -1;
    paintSearch();
  };
  /** @param {KeyboardEvent} event */
  const onSearchKey = (event) => {
    if (!event.altKey) event.stopPropagation(); // typing is not the notebook's shortcuts; Alt+B still bookmarks
    if (event.key === "Enter") {
      event.preventDefault();
      jump(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape") {
      ui.search.value = "";
      onSearch();
    }
  };
  /** @param {MouseEvent} event */
  const onBookmarkClick = (event) => {
    const button = event.target instanceof Element ? event.target.closest(".lt-bookmark") : null;
    if (!(button instanceof HTMLElement) || !button.dataset.recording) return;
    player.playFrom(Number(button.dataset.recording), Number(button.dataset.time));
  };
  const onToggle = () => recorder.toggle();
  const onPause = () => recorder.togglePause();
  const onMark = () => recorder.bookmark();
  const onDevice = () => recorder.chooseDevice(ui.device.value);
  const onTimes = () => recorder.setShowTimes(ui.times.checked);
  const onClear = () => recorder.send({ type: "clear" });
  const onSendUnsent = () => void recorder.keeper.sendUnsent();
  const onDownloadUnsent = () => void recorder.keeper.downloadUnsent();
  const onDiscardUnsent = () => recorder.keeper.discardUnsent();
  const onCopy = async () => {
    const copied = await copyText(String(model.get("transcript") ?? ""), doc);
    ui.copy.textContent = copied ? "Copied" : "Copy failed";
    clearTimeout(copyTimer);
    copyTimer = setTimeout(() => {
      ui.copy.textContent = "Copy";
    }, 1500);
  };
  /** @param {Event} event */
  const onExport = (event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    ui.exportMenu.open = false;
    recorder.send({ type: "export", format: button.dataset.format });
  };
  /** @param {KeyboardEvent} event */
  const onMenuKey = (event) => {
    if (event.key === "Escape" && ui.exportMenu.open) {
      ui.exportMenu.open = false;
      ui.exportMenu.querySelector("summary")?.focus();
    }
  };
  /** @param {MouseEvent} event */
  const onDocumentClick = (event) => {
    if (ui.exportMenu.open && !(event.target instanceof Node && ui.exportMenu.contains(event.target))) {
      ui.exportMenu.open = false;
    }
  };
  const onBookmarks = () => paintBookmarks(ui, model);
  const traitEvents = ["status", "status_detail", "error", "transcript", "interim", "engine_label"].map((name) => `change:${name}`);
  const textEvents = ["speakers", "confidence_threshold"].map((name) => `change:${name}`);

  // One signal removes every DOM listener of this view at cleanup.
  const listening = new AbortController();
  const { signal } = listening;
  ui.toggle.addEventListener("click", onToggle, { signal });
  ui.pause.addEventListener("click", onPause, { signal });
  ui.mark.addEventListener("click", onMark, { signal });
  ui.device.addEventListener("change", onDevice, { signal });
  ui.times.addEventListener("change", onTimes, { signal });
  ui.clear.addEventListener("click", onClear, { signal });
  ui.unsentSend.addEventListener("click", onSendUnsent, { signal });
  ui.unsentDownload.addEventListener("click", onDownloadUnsent, { signal });
  ui.unsentDiscard.addEventListener("click", onDiscardUnsent, { signal });
  ui.copy.addEventListener("click", onCopy, { signal });
  for (const button of ui.exportButtons) button.addEventListener("click", onExport, { signal });
  ui.exportMenu.addEventListener("keydown", onMenuKey, { signal });
  ui.play.addEventListener("click", onPlay, { signal });
  ui.speed.addEventListener("change", onSpeed, { signal });
  ui.search.addEventListener("input", onSearch, { signal });
  ui.search.addEventListener("keydown", onSearchKey, { signal });
  ui.searchPrevious.addEventListener("click", () => jump(-1), { signal });
  ui.searchNext.addEventListener("click", () => jump(1), { signal });
  ui.bookmarks.addEventListener("click", onBookmarkClick, { signal });
  ui.transcript.addEventListener("click", onTranscriptClick, { signal });
  ui.transcript.addEventListener("dblclick", onTranscriptDoubleClick, { signal });
  ui.transcript.addEventListener("keydown", onTranscriptKey, { signal });
  ui.root.addEventListener("keydown", onRootKey, { signal });
  doc.addEventListener("click", onDocumentClick, { capture: true, signal });
  ui.transcript.addEventListener("scroll", onScroll, { passive: true, signal });
  for (const event of [...traitEvents, "change:keep_audio"]) model.on(event, paint);
  for (const event of textEvents) model.on(event, paintResults);
  model.on("change:bookmarks", onBookmarks);
  model.on("msg:custom", onCustom);
  const unsubscribe = recorder.subscribe(onChange);
  recorder.attachView();
  paintDevices(ui, recorder);
  paintTick(ui, recorder);
  paintBookmarks(ui, model);
  paintResults();

  return () => {
    clearTimeout(copyTimer);
    keyterms.cleanup();
    listening.abort();
    player.dispose();
    for (const event of [...traitEvents, "change:keep_audio"]) model.off(event, paint);
    for (const event of textEvents) model.off(event, paintResults);
    model.off("change:bookmarks", onBookmarks);
    model.off("msg:custom", onCustom);
    unsubscribe();
    ui.root.remove();
    recorder.detachView();
  };
}

// ---------------------------------------------------------------------------------------------
// 7. anywidget entry point

/**
 * anywidget calls this factory once per widget model and gives `initialize` and each `render`
 * different model proxies (anywidget 0.11), so a WeakMap keyed by the model alone cannot connect
 * them; the factory's closure does. The WeakMap still serves hosts that pass one model object to
 * both, even if they share a factory between models.
 * @type {import("@anywidget/types").AnyWidget<ModelState>}
 */
export default () => {
  /** @type {WeakMap<object, SharedRecorder>} */
  const recorders = new WeakMap();
  /** @type {SharedRecorder | undefined} */
  let latest;

  /** @param {Model} model */
  function createRecorder(model) {
    const recorder = new SharedRecorder(model);
    recorders.set(model, recorder);
    latest = recorder;
    return recorder;
  }

  return {
    initialize({ model }) {
      const recorder = createRecorder(model);
      return () => recorder.dispose();
    },
    render({ model, el }) {
      let recorder = recorders.get(model) ?? latest;
      // A host that skipped initialize (or a render after it was cleaned up) gets a recorder here.
      if (!recorder || recorder.disposed) recorder = createRecorder(model);
      return renderView(recorder, model, el);
    },
  };
};
