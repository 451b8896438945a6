// @ts-check
/**
 * Front end of `LiveTranscriber`: records the microphone with MediaRecorder and sends the
 * audio to the kernel as binary custom messages; renders the transcript the kernel syncs back.
 *
 * Browser → kernel (custom messages):
 *   {type: "start", stream, mime_type}          recorder created, before recorder.start()
 *   {type: "chunk", stream, seq, size} + [buf]  every non-empty 250 ms blob, in recording order
 *   {type: "pause"} / {type: "resume"}          the recorder was paused / resumed (same stream)
 *   {type: "stop", stream, chunks}              after the recorder's last blob has been sent
 *   {type: "client_error", kind, message}       a browser-side failure (also shown at once)
 *   {type: "clear"}                             forget the transcript
 *   {type: "history"}                           send every final result (a new or reloaded view)
 *   {type: "export", format}                    send the transcript as txt, srt, vtt or json
 * Kernel → browser (custom messages): {type: "stop_recording", reason} asks for a normal stop;
 *   {type: "history", results} answers "history"; {type: "export", filename, mime_type, content}
 *   answers "export" and becomes a download.
 * Kernel → browser (traits): status, error, transcript, interim, engine_label, and results (the
 *   latest final results, each with its `index`: views append only the ones they have not shown).
 *
 * The recorder belongs to the model, not to a view, so a widget displayed twice records once.
 */

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

/**
 * The part of the anywidget model this file uses.
 * @typedef {object} Model
 * @property {(name: string) => any} get
 * @property {(event: string, callback: (...args: any[]) => void) => void} on
 * @property {(event: string, callback: (...args: any[]) => void) => void} off
 * @property {(content: object, callbacks?: unknown, buffers?: ArrayBuffer[]) => void} send
 */

/** @typedef {"off" | "requesting" | "recording" | "stopping"} Phase */
/** @typedef {"permission" | "no-device" | "insecure" | "unsupported" | "recorder" | "other"} ErrorKind */
/** @typedef {{kind: ErrorKind, message: string}} ClientError */
/** What changed: views repaint their controls on "state", only meter and clock on "tick". */
/** @typedef {"state" | "tick" | "devices" | "results"} Change */

/**
 * A final result as the kernel sends it.
 * @typedef {object} FinalResult
 * @property {number} index
 * @property {string} text
 * @property {number} start
 * @property {number} end
 * @property {boolean} [speech_final]
 * @property {{start: number, speaker?: number}[]} [words]
 */

/**
 * One recording, from "start" to "stop".
 * @typedef {object} Take
 * @property {string} id             the `stream` field of every message about this recording
 * @property {MediaStream} stream
 * @property {MediaRecorder} recorder
 * @property {number} sent           chunks sent so far, which is also the next chunk's seq
 * @property {Promise<void>} queue   chunk sends, chained so they leave in recording order
 * @property {ClientError | null} failure  reported to the kernel after the "stop" message
 * @property {boolean} stopping
 * @property {boolean} finished
 * @property {ReturnType<typeof setTimeout> | undefined} stopTimer
 */

/**
 * The final results this browser knows, contiguous from index `base`. The kernel syncs only the
 * latest few; the full list comes once, in answer to "history".
 */
class ResultStore {
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

/** Microphone and recorder state shared by every view of one model. */
class MicSession {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    /** @type {Phase} */
    this.phase = "off";
    this.paused = false;
    /** Browser-side error or kernel stop reason, shown next to the `error` trait. */
    this.localError = "";
    /** @type {Take | null} */
    this.take = null;
    this.views = 0;
    this.disposed = false;
    /** Bumped to discard a getUserMedia answer that arrives after a cancel or dispose. */
    this.attempt = 0;
    /** @type {{id: string, label: string}[]} */
    this.devices = [];
    /** The chosen microphone's deviceId, "" for the browser's default. */
    this.deviceId = readStored(DEVICE_KEY);
    this.showTimes = false;
    /** Recording time of the current (or last) take, paused time excluded. */
    this.elapsedMs = 0;
    this.runningSince = 0;
    /** Input level, 0 to 1, while recording. */
    this.level = 0;
    /** @type {{context: AudioContext, analyser: AnalyserNode, samples: Float32Array} | null} */
    this.meter = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    this.results = new ResultStore();
    this.results.merge(model.get("results") ?? []);
    this.historyAsked = false;
    /** @type {Set<(change: Change) => void>} */
    this.listeners = new Set();
    /** @param {any} msg */
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

  elapsed() {
    return this.elapsedMs + (this.runningSince ? performance.now() - this.runningSince : 0);
  }

  async start() {
    if (this.phase !== "off" || this.disposed) return;
    this.localError = "";
    const unavailable = checkEnvironment();
    if (unavailable) {
      this.report(unavailable);
      return;
    }
    const attempt = ++this.attempt;
    this.phase = "requesting";
    this.changed();
    /** @type {MediaStream} */
    let stream;
    try {
      stream = await this.openMicrophone();
    } catch (err) {
      if (attempt !== this.attempt) return;
      this.phase = "off";
      this.report(describeMediaError(err));
      return;
    }
    if (attempt !== this.attempt) {
      stopTracks(stream);
      return;
    }
    this.record(stream);
    void this.refreshDevices();
  }

  /** The chosen microphone, or the default one (saying so) when the chosen one is gone. */
  async openMicrophone() {
    const wanted = this.deviceId;
    if (!wanted) return navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: { ...AUDIO_CONSTRAINTS, deviceId: { exact: wanted } } });
    } catch (err) {
      const name = /** @type {any} */ (err)?.name;
      if (name !== "OverconstrainedError" && name !== "NotFoundError") throw err;
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    const label = this.devices.find((d) => d.id === wanted)?.label;
    this.localError =
      `The chosen microphone${label ? ` (${label})` : ""} is not available: recording from the ` +
      "default microphone instead. Pick another one in the list to change it.";
    return stream;
  }

  /** @param {MediaStream} stream */
  record(stream) {
    const mimeType = pickMimeType();
    /** @type {MediaRecorder} */
    let recorder;
    try {
      recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    } catch (err) {
      stopTracks(stream);
      this.phase = "off";
      this.report({
        kind: "unsupported",
        message: `This browser cannot record audio from the microphone (${errorText(err)}).`,
      });
      return;
    }
    /** @type {Take} */
    const take = {
      id: randomId(),
      stream,
      recorder,
      sent: 0,
      queue: Promise.resolve(),
      failure: null,
      stopping: false,
      finished: false,
      stopTimer: undefined,
    };
    this.take = take;
    recorder.addEventListener("dataavailable", (event) => this.enqueueChunk(take, event.data));
    recorder.addEventListener("stop", () => this.finishTake(take));
    recorder.addEventListener("error", (event) => {
      const cause = /** @type {any} */ (event).error;
      this.failTake(take, {
        kind: "recorder",
        message: `The browser's recorder failed (${cause ? errorText(cause) : "unknown error"}). Recording stopped.`,
      });
    });
    for (const track of stream.getAudioTracks()) {
      // "ended" fires only when the browser ends the track (device unplugged or revoked),
      // never for our own track.stop().
      track.addEventListener("ended", () =>
        this.failTake(take, {
          kind: "no-device",
          message: "The microphone was disconnected or turned off. Recording stopped.",
        }),
      );
    }

    const announce = () => this.send({ type: "start", stream: take.id, mime_type: recorder.mimeType || mimeType });
    // A recorder left to choose its own type may name it only once it has started; its "start"
    // event still comes before the first chunk.
    if (recorder.mimeType || mimeType) announce();
    else recorder.addEventListener("start", announce, { once: true });
    try {
      recorder.start(TIMESLICE_MS);
    } catch (err) {
      take.failure = { kind: "recorder", message: `The recorder did not start (${errorText(err)}).` };
      this.localError = take.failure.message;
      this.finishTake(take);
      return;
    }
    this.phase = "recording";
    this.paused = false;
    this.elapsedMs = 0;
    this.runningSince = performance.now();
    this.startMeter(stream);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.changed();
  }

  /** The recorder pauses; the same container stream goes on after resume, so nothing restarts. */
  pause() {
    const take = this.take;
    if (this.phase !== "recording" || !take || this.paused || take.recorder.state !== "recording") return;
    try {
      take.recorder.pause();
    } catch (err) {
      console.warn("[live-transcriber] recorder.pause() failed", err);
      return;
    }
    this.paused = true;
    this.freezeClock();
    // Through the chunk queue, so the kernel hears it after the chunks recorded before it.
    this.sendInOrder(take, { type: "pause" });
    this.tick();
    this.changed();
  }

  resume() {
    const take = this.take;
    if (this.phase !== "recording" || !take || !this.paused || take.recorder.state !== "paused") return;
    try {
      take.recorder.resume();
    } catch (err) {
      console.warn("[live-transcriber] recorder.resume() failed", err);
      return;
    }
    this.paused = false;
    this.runningSince = performance.now();
    this.sendInOrder(take, { type: "resume" });
    this.changed();
  }

  freezeClock() {
    if (this.runningSince) this.elapsedMs += performance.now() - this.runningSince;
    this.runningSince = 0;
  }

  /** @param {MediaStream} stream */
  startMeter(stream) {
    const AudioContextClass = window.AudioContext ?? /** @type {any} */ (window).webkitAudioContext;
    if (!AudioContextClass) return;
    try {
      /** @type {AudioContext} */
      const context = new AudioContextClass();
      const analyser = context.createAnalyser();
      analyser.fftSize = 1024;
      context.createMediaStreamSource(stream).connect(analyser);
      void context.resume().catch(() => {});
      this.meter = { context, analyser, samples: new Float32Array(analyser.fftSize) };
    } catch (err) {
      console.warn("[live-transcriber] no level meter", err);
    }
  }

  stopMeter() {
    clearInterval(this.ticker);
    this.ticker = undefined;
    const meter = this.meter;
    this.meter = null;
    if (meter) void meter.context.close().catch(() => {});
    this.level = 0;
  }

  /** Level as loudness: -60 dBFS (or silence) is 0, full scale is 1. */
  tick() {
    let level = 0;
    if (this.meter && !this.paused) {
      const { analyser, samples } = this.meter;
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const x of samples) sum += x * x;
      const rms = Math.sqrt(sum / samples.length);
      level = rms > 0 ? Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60)) : 0;
    }
    // Falls back gently while sound goes on, at once when the recorder pauses.
    this.level = this.paused ? 0 : Math.max(level, this.level * 0.6);
    if (this.level < 0.01) this.level = 0;
    this.changed("tick");
  }

  /**
   * Reading a Blob is asynchronous, so each send waits for the previous one.
   * @param {Take} take
   * @param {Blob} blob
   */
  enqueueChunk(take, blob) {
    if (take.finished || !blob || blob.size === 0) return;
    take.queue = take.queue
      .then(async () => {
        const buffer = await blob.arrayBuffer();
        this.send({ type: "chunk", stream: take.id, seq: take.sent, size: buffer.byteLength }, [buffer]);
        take.sent += 1;
      })
      .catch((err) => console.warn("[live-transcriber] could not read an audio chunk", err));
  }

  /**
   * @param {Take} take
   * @param {object} content
   */
  sendInOrder(take, content) {
    take.queue = take.queue.then(() => this.send(content));
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
    } else if (this.take) {
      this.stopTake(this.take);
    }
    this.changed();
  }

  /** @param {Take} take */
  stopTake(take) {
    if (take.stopping || take.finished) return;
    take.stopping = true;
    if (this.take === take) {
      this.phase = "stopping";
      this.paused = false;
      this.freezeClock();
      this.stopMeter();
      this.changed("tick");
    }
    this.changed();
    if (take.recorder.state !== "inactive") {
      try {
        take.recorder.stop();
      } catch (err) {
        console.warn("[live-transcriber] recorder.stop() failed", err);
      }
    }
    take.stopTimer = setTimeout(() => this.finishTake(take), STOP_TIMEOUT_MS);
  }

  /**
   * A failure during a recording: shown at once, reported after the tail has been sent.
   * @param {Take} take
   * @param {ClientError} failure
   */
  failTake(take, failure) {
    if (take.finished || take.failure) return;
    take.failure = failure;
    this.localError = failure.message;
    this.changed();
    this.stopTake(take);
  }

  /**
   * Runs once the recorder has stopped and delivered its last chunk.
   * @param {Take} take
   */
  finishTake(take) {
    if (take.finished) return;
    take.finished = true;
    clearTimeout(take.stopTimer);
    stopTracks(take.stream);
    if (this.take === take) {
      this.freezeClock();
      this.stopMeter();
    }
    void take.queue.then(() => {
      this.send({ type: "stop", stream: take.id, chunks: take.sent });
      if (take.failure) this.send({ type: "client_error", ...take.failure });
      if (this.take === take) {
        this.take = null;
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
    this.stopMeter();
    const take = this.take;
    if (take) {
      this.stopTake(take);
      clearTimeout(take.stopTimer);
      stopTracks(take.stream);
    }
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

// ---------------------------------------------------------------------------------------------
// Browser capabilities and error messages

/** @returns {ClientError | null} why recording cannot even be attempted here */
function checkEnvironment() {
  if (window.isSecureContext === false || (!navigator.mediaDevices && window.isSecureContext !== true)) {
    return {
      kind: "insecure",
      message:
        `The microphone is only available on secure pages, and this page (${location.origin}) is not one. ` +
        "Open Jupyter over https, or at http://localhost or http://127.0.0.1 " +
        "(not a LAN address such as 192.168.x.x, and not 0.0.0.0).",
    };
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    return {
      kind: "unsupported",
      message: "This browser does not offer microphone access (navigator.mediaDevices is missing).",
    };
  }
  if (typeof MediaRecorder === "undefined") {
    return {
      kind: "unsupported",
      message: "This browser cannot record audio (MediaRecorder is missing). Use a current Chrome, Edge, Firefox or Safari.",
    };
  }
  return null;
}

/** @returns {string} the first preferred type the browser records, or "" to let it choose */
function pickMimeType() {
  if (typeof MediaRecorder.isTypeSupported !== "function") return "";
  return PREFERRED_TYPES.find((type) => MediaRecorder.isTypeSupported(type)) ?? "";
}

/**
 * @param {unknown} err from getUserMedia
 * @returns {ClientError}
 */
function describeMediaError(err) {
  const name = /** @type {any} */ (err)?.name ?? "";
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      if (isVSCodeWebview()) {
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
          (isInFrame()
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

function isVSCodeWebview() {
  const userAgent = navigator.userAgent;
  return (
    location.protocol === "vscode-webview:" ||
    location.hostname.endsWith(".vscode-cdn.net") ||
    typeof (/** @type {any} */ (globalThis).acquireVsCodeApi) === "function" ||
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

/** @param {unknown} err */
function errorText(err) {
  const { name, message } = /** @type {any} */ (err) ?? {};
  if (message) return name && name !== "Error" ? `${name}: ${message}` : String(message);
  return name ? String(name) : String(err);
}

/** @param {MediaStream} stream */
function stopTracks(stream) {
  for (const track of stream.getTracks()) track.stop();
}

function randomId() {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

// ---------------------------------------------------------------------------------------------
// View

/**
 * @typedef {object} ViewElements
 * @property {HTMLDivElement} root
 * @property {HTMLButtonElement} toggle
 * @property {HTMLButtonElement} pause
 * @property {HTMLSpanElement} elapsed
 * @property {HTMLDivElement} meter
 * @property {HTMLDivElement} meterFill
 * @property {HTMLSpanElement} statusText
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
  const engine = element(doc, "span", "lt-engine");
  status.append(dot, statusText, engine);
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
    root, toggle, pause, elapsed, meter, meterFill, statusText, engine, progress, device, times, clear,
    copy, exportMenu, exportButtons, error, transcript, final, gap, interim, hint,
  };
}

/**
 * @param {MicSession} session
 * @param {string} status the kernel's status trait
 */
function statusLabel(session, status) {
  if (session.phase === "requesting") return "waiting for microphone";
  if (session.phase === "recording" && session.paused) return "paused";
  // The kernel handles messages only when idle, so its status can lag behind the recorder.
  if (session.phase === "recording" && (status === "idle" || status === "paused")) return "recording";
  return status || "idle";
}

/** @param {number} seconds */
function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const mmss = `${String(Math.floor(whole / 60) % 60).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  return hours ? `${hours}:${mmss}` : mmss;
}

/**
 * Final results as utterances: one `.lt-utt` per utterance (a new one after a result with
 * `speech_final`, or when the speaker changes), each result's words in a `.lt-text` span. Only
 * results not shown yet are appended, so a long session never re-renders its text.
 */
class FinalText {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    /** @type {HTMLSpanElement | null} */
    this.open = null;
    /** @type {number | undefined} */
    this.speaker = undefined;
    this.ended = true;
  }

  /** @param {ResultStore} store */
  update(store) {
    if (store.generation !== this.generation) {
      this.container.replaceChildren();
      this.generation = store.generation;
      this.shown = 0;
      this.open = null;
      this.ended = true;
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
    const first = result.words?.[0];
    const speaker = typeof first?.speaker === "number" ? first.speaker : undefined;
    if (!this.open || this.ended || speaker !== this.speaker) {
      if (this.open) this.container.append("\n");
      const utterance = element(doc, "span", "lt-utt", { "data-time": `[${clock(first?.start ?? result.start ?? 0)}]` });
      if (speaker !== undefined) utterance.append(element(doc, "span", "lt-meta lt-speaker", {}, `Speaker ${speaker + 1}: `));
      this.container.append(utterance);
      this.open = utterance;
      this.speaker = speaker;
    } else {
      this.open.append(" ");
    }
    this.open.append(element(doc, "span", "lt-text", {}, result.text));
    this.ended = Boolean(result.speech_final);
  }
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
  const focused = /** @type {HTMLElement | null} */ (doc.activeElement);
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

/**
 * @param {ViewElements} ui
 * @param {MicSession} session
 * @param {Model} model
 */
function paintView(ui, session, model) {
  const status = String(model.get("status") ?? "");
  const finalText = String(model.get("transcript") ?? "");
  const interimText = String(model.get("interim") ?? "");
  const engineLabel = String(model.get("engine_label") ?? "");
  const active = session.phase !== "off";
  const recording = session.phase === "recording";

  ui.root.dataset.phase = session.phase;
  ui.root.dataset.status = status;
  ui.root.dataset.paused = String(session.paused);
  ui.root.classList.toggle("lt-show-times", session.showTimes);
  setText(ui.toggle, active ? "Stop" : "Start");
  ui.toggle.setAttribute("aria-pressed", String(active));
  ui.toggle.disabled = session.phase === "stopping" || (!active && status === "finishing");
  setText(ui.pause, session.paused ? "Resume" : "Pause");
  ui.pause.title = session.paused ? "Go on recording" : "Pause the recording";
  ui.pause.disabled = !recording;
  setText(ui.statusText, statusLabel(session, status));
  setText(ui.engine, engineLabel);
  ui.progress.hidden = status !== "loading model";
  ui.device.disabled = active;
  ui.times.checked = session.showTimes;
  ui.clear.disabled = !finalText && !interimText;
  ui.copy.disabled = !finalText;

  const errors = [...new Set([String(model.get("error") ?? ""), session.localError])].filter(Boolean);
  setText(ui.error, errors.join("\n"));

  // Interim words go on the current utterance's line, or start a new one after a speech end.
  ui.gap.data = ui.final.firstChild && interimText ? (ui.final.dataset.ended === "true" ? "\n" : " ") : "";
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
 * @param {MicSession} session
 */
function paintTick(ui, session) {
  const level = session.phase === "recording" ? session.level : 0;
  ui.meter.dataset.level = level.toFixed(2);
  ui.meter.setAttribute("aria-valuenow", String(Math.round(level * 100)));
  ui.meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
  setText(ui.elapsed, clock(session.elapsed() / 1000));
}

/**
 * @param {ViewElements} ui
 * @param {MicSession} session
 */
function paintDevices(ui, session) {
  const doc = ui.device.ownerDocument;
  const options = [element(doc, "option", "", { value: "" }, "Default microphone")];
  for (const device of session.devices) options.push(element(doc, "option", "", { value: device.id }, device.label));
  if (session.deviceId && !session.devices.some((d) => d.id === session.deviceId)) {
    options.push(element(doc, "option", "", { value: session.deviceId }, "Chosen microphone (not found)"));
  }
  ui.device.replaceChildren(...options);
  ui.device.value = session.deviceId;
}

/** @param {HTMLElement} box */
function isNearBottom(box) {
  return box.scrollHeight - box.scrollTop - box.clientHeight < 16;
}

/**
 * @param {MicSession} session
 * @param {Model} model this view's handle on the model
 * @param {HTMLElement} el
 * @returns {() => void} cleanup
 */
function renderView(session, model, el) {
  const doc = el.ownerDocument;
  const ui = buildView(doc);
  const finals = new FinalText(ui.final);
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
    paintView(ui, session, model);
    scroll();
  };
  const paintResults = () => {
    finals.update(session.results);
    ui.final.dataset.ended = String(finals.ended);
    paint();
  };
  /** @param {Change} change */
  const onChange = (change) => {
    if (change === "tick") paintTick(ui, session);
    else if (change === "devices") paintDevices(ui, session);
    else if (change === "results") paintResults();
    else paint();
  };
  const onToggle = () => session.toggle();
  const onPause = () => session.togglePause();
  const onDevice = () => session.chooseDevice(ui.device.value);
  const onTimes = () => session.setShowTimes(ui.times.checked);
  const onClear = () => session.send({ type: "clear" });
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
    const format = /** @type {HTMLElement} */ (event.currentTarget).dataset.format;
    ui.exportMenu.open = false;
    session.send({ type: "export", format });
  };
  /** @param {KeyboardEvent} event */
  const onMenuKey = (event) => {
    if (event.key === "Escape" && ui.exportMenu.open) {
      ui.exportMenu.open = false;
      /** @type {HTMLElement | null} */ (ui.exportMenu.querySelector("summary"))?.focus();
    }
  };
  /** @param {MouseEvent} event */
  const onDocumentClick = (event) => {
    if (ui.exportMenu.open && !ui.exportMenu.contains(/** @type {Node} */ (event.target))) ui.exportMenu.open = false;
  };
  const traitEvents = ["status", "error", "transcript", "interim", "engine_label"].map((name) => `change:${name}`);

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
  const unsubscribe = session.subscribe(onChange);
  session.attachView();
  paintDevices(ui, session);
  paintTick(ui, session);
  paintResults();

  return () => {
    clearTimeout(copyTimer);
    listening.abort();
    for (const event of traitEvents) model.off(event, paint);
    unsubscribe();
    ui.root.remove();
    session.detachView();
  };
}

// ---------------------------------------------------------------------------------------------
// anywidget entry point

/**
 * anywidget calls this factory once per widget model and gives `initialize` and each `render`
 * different model proxies (anywidget 0.11), so a WeakMap keyed by the model alone cannot connect
 * them; the factory's closure does. The WeakMap still serves hosts that pass one model object to
 * both, even if they share a factory between models.
 */
export default () => {
  /** @type {WeakMap<object, MicSession>} */
  const sessions = new WeakMap();
  /** @type {MicSession | undefined} */
  let latest;

  /** @param {Model} model */
  function createSession(model) {
    const session = new MicSession(model);
    sessions.set(model, session);
    latest = session;
    return session;
  }

  return {
    /** @param {{model: Model}} props */
    initialize({ model }) {
      const session = createSession(model);
      return () => session.dispose();
    },
    /** @param {{model: Model, el: HTMLElement}} props */
    render({ model, el }) {
      let session = sessions.get(model) ?? latest;
      // A host that skipped initialize (or a render after it was cleaned up) gets a session here.
      if (!session || session.disposed) session = createSession(model);
      return renderView(session, model, el);
    },
  };
};
