// @ts-check
/**
 * Front end of `LiveTranscriber`: records the microphone with MediaRecorder and sends the
 * audio to the kernel as binary custom messages; renders the transcript the kernel syncs back.
 *
 * Browser → kernel (custom messages; a recording is one Start..Stop, `recording` its random id):
 *   {type: "start", recording, mime_type}          recorder created, before recorder.start()
 *   {type: "chunk", recording, seq, size} + [buf]  every non-empty 250 ms blob, in recording order
 *   {type: "pause"} / {type: "resume"}             the recorder was paused / resumed (same recording)
 *   {type: "stop", recording, chunks}              after the recorder's last blob has been sent
 *   {type: "client_error", kind, message}          a browser-side failure (also shown at once)
 *   {type: "clear"}                                forget the transcript
 *   {type: "history"}                              send every final result (a new or reloaded view)
 *   {type: "export", format}                       send the transcript as txt, srt, vtt or json
 * Kernel → browser (custom messages): {type: "stop_recording", reason} asks for a normal stop;
 *   {type: "history", results} answers "history"; {type: "export", filename, mime_type, content}
 *   answers "export" and becomes a download.
 * Both ways (trait): keyterms, the words the engine listens for (the page sets it from its field,
 *   the kernel tidies it); keyterms_supported (kernel → browser) says whether the engine uses them.
 * Kernel → browser (traits): status (one of STATUS below) and status_detail (e.g. "attempt 2 of 5",
 *   shown beside it, may be empty), error, transcript, interim, engine_label, and results: the
 *   latest final results, each with its `index` (views append only the ones they have not shown),
 *   its `utterance` number (the kernel decides where utterances end: results with the same number
 *   form one block on screen) and that utterance's `speaker` (a number, or null).
 *
 * The recorder belongs to the model, not to a view, so a widget displayed twice records once.
 *
 * Sections, in order:
 *   1. Settings and types
 *   2. Pure logic, exported for the unit tests (tests/js/widget.test.mjs): status line, clock
 *      format, ResultStore, utterance blocks, MIME type choice, environment checks and media error
 *      descriptions, loudness, RecordingClock, the keyterms field's text
 *   3. LevelMeter: the microphone's level, from Web Audio
 *   4. SharedRecorder: microphone, MediaRecorder and comm of one model, shared by its views
 *   5. Browser helpers: storage, downloads, clipboard
 *   6. View: the DOM of one view, painted from the model and the recorder
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
 * @property {{start: number}[]} [words]
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
 * @property {string[]} keyterms
 * @property {boolean} keyterms_supported
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
 * @property {Promise<void>} queue   chunk sends, chained so they leave in recording order
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
 * @returns {{time: string, speaker: string}} e.g. "[01:05]" and "Speaker 2: " ("" when not known)
 */
export function utteranceHeading(result) {
  const start = result.words?.[0]?.start ?? result.start ?? 0;
  const speaker = typeof result.speaker === "number" ? `Speaker ${result.speaker + 1}: ` : "";
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
 */

/**
 * @param {PageScope} page
 * @returns {ClientError | null} why recording cannot even be attempted here
 */
export function checkEnvironment(page) {
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
    /** @param {any} msg a custom message from the kernel */
    this.onMessage = (msg) => {
      if (msg?.type === "stop_recording") this.stop(msg.reason ? String(msg.reason) : "");
      else if (msg?.type === "history" && Array.isArray(msg.results)) {
        this.results.reset(msg.results);
        this.changed("results");
      } else if (msg?.type === "export") download(msg);
    };
    this.onResults = () => {
      if (this.results.merge(model.get("results") ?? [])) this.send({ type: "history" });
      this.changed("results");
    };
    this.onDeviceChange = () => void this.refreshDevices();
    model.on("msg:custom", this.onMessage);
    model.on("change:results", this.onResults);
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
    /** @type {MediaStream} */
    let microphone;
    try {
      microphone = await this.openMicrophone();
    } catch (err) {
      if (attempt !== this.attempt) return;
      this.phase = "off";
      this.report(describeMediaError(err, { vscode: isVSCodeWebview(), inFrame: isInFrame() }));
      return;
    }
    if (attempt !== this.attempt) {
      stopTracks(microphone);
      return;
    }
    this.record(microphone);
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

  /** @param {MediaStream} microphone */
  record(microphone) {
    const mimeType = pickMimeType(MediaRecorder);
    /** @type {MediaRecorder} */
    let mediaRecorder;
    try {
      mediaRecorder = new MediaRecorder(microphone, mimeType ? { mimeType } : undefined);
    } catch (err) {
      stopTracks(microphone);
      this.phase = "off";
      this.report({
        kind: "unsupported",
        message: `This browser cannot record audio from the microphone (${errorText(err)}).`,
      });
      return;
    }
    /** @type {Recording} */
    const recording = {
      id: randomId(),
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

    const announce = () =>
      this.send({ type: "start", recording: recording.id, mime_type: mediaRecorder.mimeType || mimeType });
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
    recording.queue = recording.queue
      .then(async () => {
        const buffer = await blob.arrayBuffer();
        this.send({ type: "chunk", recording: recording.id, seq: recording.sent, size: buffer.byteLength }, [buffer]);
        recording.sent += 1;
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
      this.send({ type: "stop", recording: recording.id, chunks: recording.sent });
      if (recording.failure) this.send({ type: "client_error", ...recording.failure });
      if (this.recording === recording) {
        this.recording = null;
        this.phase = "off";
        this.paused = false;
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
   */
  send(content, buffers) {
    try {
      this.model.send(content, undefined, buffers);
    } catch (err) {
      // The comm is gone once the widget is closed; the tail of a recording is then lost anyway.
      console.warn("[live-transcriber] could not send to the kernel", err);
    }
  }

  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.attempt += 1;
    this.model.off("msg:custom", this.onMessage);
    this.model.off("change:results", this.onResults);
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.onDeviceChange);
    this.listeners.clear();
    this.stopTicking();
    const recording = this.recording;
    if (recording) {
      this.stopRecording(recording);
      clearTimeout(recording.stopTimer);
      stopTracks(recording.microphone);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Browser helpers

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
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = msg.filename || `transcript.${msg.format || "txt"}`;
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
  bar.append(toggle, pause, elapsed, meter, status, progress);

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

  root.append(bar, tools, error, body);
  return {
    root, toggle, pause, elapsed, meter, meterFill, statusText, statusDetail, engine, progress, device,
    times, clear, copy, exportMenu, exportButtons, error, transcript, final, gap, interim, hint,
  };
}

/**
 * Final results as utterance blocks: one `.lt-utt` per utterance (see `startsUtterance`), each
 * result's words in a `.lt-text` span. Only results not shown yet are appended, so a long
 * transcript is never re-rendered.
 */
class FinalText {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    /** The block results are appended to. @type {HTMLSpanElement | null} */
    this.open = null;
    /** The last result shown. @type {FinalResult | null} */
    this.last = null;
  }

  /** @param {ResultStore} store */
  update(store) {
    if (store.generation !== this.generation) {
      this.container.replaceChildren();
      this.generation = store.generation;
      this.shown = 0;
      this.open = null;
      this.last = null;
    }
    const doc = this.container.ownerDocument;
    for (; this.shown < store.items.length; this.shown += 1) this.append(doc, store.items[this.shown]);
  }

  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  append(doc, result) {
    if (!result.text) return;
    if (!this.open || startsUtterance(this.last, result)) {
      if (this.open) this.container.append("\n");
      const heading = utteranceHeading(result);
      const block = element(doc, "span", "lt-utt", { "data-time": heading.time });
      if (heading.speaker) block.append(element(doc, "span", "lt-meta lt-speaker", {}, heading.speaker));
      this.container.append(block);
      this.open = block;
    } else {
      this.open.append(" ");
    }
    this.open.append(element(doc, "span", "lt-text", {}, result.text));
    this.last = result;
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

  const errors = [...new Set([String(model.get("error") ?? ""), recorder.localError])].filter(Boolean);
  setText(ui.error, errors.join("\n"));

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
  const onScroll = () => {
    followTail = isNearBottom(ui.transcript);
  };
  const scroll = () => {
    if (followTail) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  };
  const paint = () => {
    paintView(ui, recorder, model, finals.last);
    scroll();
  };
  const paintResults = () => {
    finals.update(recorder.results);
    paint();
  };
  /** @param {Change} change */
  const onChange = (change) => {
    if (change === "tick") paintTick(ui, recorder);
    else if (change === "devices") paintDevices(ui, recorder);
    else if (change === "results") paintResults();
    else paint();
  };
  const onToggle = () => recorder.toggle();
  const onPause = () => recorder.togglePause();
  const onDevice = () => recorder.chooseDevice(ui.device.value);
  const onTimes = () => recorder.setShowTimes(ui.times.checked);
  const onClear = () => recorder.send({ type: "clear" });
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
  const traitEvents = ["status", "status_detail", "error", "transcript", "interim", "engine_label"].map((name) => `change:${name}`);

  // One signal removes every DOM listener of this view at cleanup.
  const listening = new AbortController();
  const { signal } = listening;
  ui.toggle.addEventListener("click", onToggle, { signal });
  ui.pause.addEventListener("click", onPause, { signal });
  ui.device.addEventListener("change", onDevice, { signal });
  ui.times.addEventListener("change", onTimes, { signal });
  ui.clear.addEventListener("click", onClear, { signal });
  ui.copy.addEventListener("click", onCopy, { signal });
  for (const button of ui.exportButtons) button.addEventListener("click", onExport, { signal });
  ui.exportMenu.addEventListener("keydown", onMenuKey, { signal });
  doc.addEventListener("click", onDocumentClick, { capture: true, signal });
  ui.transcript.addEventListener("scroll", onScroll, { passive: true, signal });
  for (const event of traitEvents) model.on(event, paint);
  const unsubscribe = recorder.subscribe(onChange);
  recorder.attachView();
  paintDevices(ui, recorder);
  paintTick(ui, recorder);
  paintResults();

  return () => {
    clearTimeout(copyTimer);
    keyterms.cleanup();
    listening.abort();
    for (const event of traitEvents) model.off(event, paint);
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
