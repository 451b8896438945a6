// @ts-check
/**
 * Front end of `LiveTranscriber`: records the microphone with MediaRecorder and sends the
 * audio to the kernel as binary custom messages; renders the transcript the kernel syncs back.
 *
 * Browser → kernel (custom messages):
 *   {type: "start", stream, mime_type}          recorder created, before recorder.start()
 *   {type: "chunk", stream, seq, size} + [buf]  every non-empty 250 ms blob, in recording order
 *   {type: "stop", stream, chunks}              after the recorder's last blob has been sent
 *   {type: "client_error", kind, message}       a browser-side failure (also shown at once)
 * Kernel → browser: {type: "stop_recording", reason} asks for a normal stop.
 * Kernel → browser (traits): status, error, transcript, interim, engine_label.
 *
 * The recorder belongs to the model, not to a view, so a widget displayed twice records once.
 */

const TIMESLICE_MS = 250;
const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];
/** @type {MediaTrackConstraints} */
const AUDIO_CONSTRAINTS = { channelCount: 1, echoCancellation: true, noiseSuppression: true };
/** Browsers fire the recorder's "stop" event promptly; this only guards against a stuck button. */
const STOP_TIMEOUT_MS = 5000;
const STYLE_ID = "lt-styles";

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

/** Microphone and recorder state shared by every view of one model. */
class MicSession {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    /** @type {Phase} */
    this.phase = "off";
    /** Browser-side error or kernel stop reason, shown next to the `error` trait. */
    this.localError = "";
    /** @type {Take | null} */
    this.take = null;
    this.views = 0;
    this.disposed = false;
    /** Bumped to discard a getUserMedia answer that arrives after a cancel or dispose. */
    this.attempt = 0;
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    /** @param {any} msg */
    this.onMessage = (msg) => {
      if (msg?.type === "stop_recording") this.stop(msg.reason ? String(msg.reason) : "");
    };
    model.on("msg:custom", this.onMessage);
  }

  /**
   * @param {() => void} listener called after every change of phase or localError
   * @returns {() => void} unsubscribe
   */
  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  attachView() {
    this.views += 1;
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
      stream = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
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
    this.changed();
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
    if (this.take === take) this.phase = "stopping";
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
    void take.queue.then(() => {
      this.send({ type: "stop", stream: take.id, chunks: take.sent });
      if (take.failure) this.send({ type: "client_error", ...take.failure });
      if (this.take === take) {
        this.take = null;
        this.phase = "off";
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
    this.listeners.clear();
    const take = this.take;
    if (take) {
      this.stopTake(take);
      clearTimeout(take.stopTimer);
      stopTracks(take.stream);
    }
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
 * @property {HTMLSpanElement} statusText
 * @property {HTMLSpanElement} engine
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
 * @returns {HTMLElementTagNameMap[K]}
 */
function element(doc, tag, className, attributes = {}) {
  const node = doc.createElement(tag);
  node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
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
  const status = element(doc, "div", "lt-status", { role: "status" });
  const dot = element(doc, "span", "lt-dot", { "aria-hidden": "true" });
  const statusText = element(doc, "span", "lt-status-text");
  const engine = element(doc, "span", "lt-engine");
  status.append(dot, statusText, engine);
  bar.append(toggle, status);

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

  root.append(bar, error, body);
  return { root, toggle, statusText, engine, error, transcript, final, gap, interim, hint };
}

/**
 * @param {Phase} phase
 * @param {string} status the kernel's status trait
 */
function statusLabel(phase, status) {
  if (phase === "requesting") return "waiting for microphone";
  // The kernel handles messages only when idle, so its status can lag behind the recorder.
  if (phase === "recording" && status === "idle") return "recording";
  return status || "idle";
}

/**
 * Appends when the final text only grew, so screen readers announce just the new words.
 * @param {HTMLElement} span
 * @param {string} text
 */
function setFinalText(span, text) {
  const shown = span.textContent ?? "";
  if (text === shown) return;
  if (shown && text.startsWith(shown)) span.append(text.slice(shown.length));
  else span.textContent = text;
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

  ui.root.dataset.phase = session.phase;
  ui.root.dataset.status = status;
  ui.toggle.textContent = active ? "Stop" : "Start";
  ui.toggle.setAttribute("aria-pressed", String(active));
  ui.toggle.disabled = session.phase === "stopping" || (!active && status === "finishing");
  ui.statusText.textContent = statusLabel(session.phase, status);
  ui.engine.textContent = engineLabel;

  const errors = [...new Set([String(model.get("error") ?? ""), session.localError])].filter(Boolean);
  ui.error.textContent = errors.join("\n");

  setFinalText(ui.final, finalText);
  ui.gap.data = finalText && interimText ? " " : "";
  ui.interim.textContent = interimText;
  ui.hint.textContent = active ? "Listening…" : "Press Start and speak";
  ui.hint.hidden = Boolean(finalText || interimText);
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
  ensureStyles(el.ownerDocument);
  const ui = buildView(el.ownerDocument);
  el.append(ui.root);

  let followTail = true;
  const onScroll = () => {
    followTail = isNearBottom(ui.transcript);
  };
  const paint = () => {
    paintView(ui, session, model);
    if (followTail) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  };
  const onToggle = () => session.toggle();
  const traitEvents = ["status", "error", "transcript", "interim", "engine_label"].map((name) => `change:${name}`);

  ui.toggle.addEventListener("click", onToggle);
  ui.transcript.addEventListener("scroll", onScroll, { passive: true });
  for (const event of traitEvents) model.on(event, paint);
  const unsubscribe = session.subscribe(paint);
  session.attachView();
  paint();

  return () => {
    ui.toggle.removeEventListener("click", onToggle);
    ui.transcript.removeEventListener("scroll", onScroll);
    for (const event of traitEvents) model.off(event, paint);
    unsubscribe();
    ui.root.remove();
    session.detachView();
  };
}

// ---------------------------------------------------------------------------------------------
// Styles: injected once per document (rewritten on reload, so edits show up during development).
// Colours come from JupyterLab's --jp-* variables; elsewhere they derive from the host's text
// colour (currentColor), which follows the host's theme better than the OS setting does.

const CSS = `
.lt-root {
  --lt-fg: var(--jp-ui-font-color1, currentColor);
  --lt-muted: var(--jp-ui-font-color2, color-mix(in srgb, currentColor 62%, transparent));
  --lt-border: var(--jp-border-color1, color-mix(in srgb, currentColor 28%, transparent));
  --lt-surface: var(--jp-layout-color2, color-mix(in srgb, currentColor 7%, transparent));
  --lt-accent: var(--jp-brand-color1, #0969da);
  --lt-danger: var(--jp-error-color1, #cf222e);
  --lt-warn: var(--jp-warn-color1, #bf8700);
  color: var(--lt-fg);
  font-family: var(--jp-ui-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: var(--jp-ui-font-size1, 13px);
  max-width: 60em;
  padding: 0.25em 0;
}
@media (prefers-color-scheme: dark) {
  .lt-root {
    --lt-accent: var(--jp-brand-color1, #4493f8);
    --lt-danger: var(--jp-error-color1, #f85149);
    --lt-warn: var(--jp-warn-color1, #d29922);
  }
}
.lt-bar {
  display: flex;
  align-items: center;
  gap: 0.6em;
  min-height: 2em;
  margin-bottom: 0.4em;
}
.lt-toggle {
  min-width: 5.5em;
  padding: 0.3em 0.9em;
  border: 1px solid var(--lt-border);
  border-radius: var(--jp-border-radius, 4px);
  background: var(--lt-surface);
  color: var(--lt-fg);
  font: inherit;
  cursor: pointer;
}
.lt-toggle[aria-pressed="true"] {
  background: var(--lt-danger);
  border-color: var(--lt-danger);
  color: #fff;
}
.lt-toggle:focus-visible {
  outline: 2px solid var(--lt-accent);
  outline-offset: 2px;
}
.lt-toggle:disabled {
  opacity: 0.55;
  cursor: default;
}
.lt-status {
  display: flex;
  align-items: center;
  gap: 0.45em;
  min-width: 0;
  color: var(--lt-muted);
  white-space: nowrap;
}
.lt-dot {
  flex: none;
  width: 0.6em;
  height: 0.6em;
  border-radius: 50%;
  background: var(--lt-border);
}
.lt-root[data-phase="recording"] .lt-dot {
  background: var(--lt-danger);
  animation: lt-pulse 1.2s ease-in-out infinite;
}
.lt-root[data-phase="requesting"] .lt-dot,
.lt-root[data-phase="stopping"] .lt-dot {
  background: var(--lt-warn);
}
@keyframes lt-pulse {
  50% { opacity: 0.35; }
}
@media (prefers-reduced-motion: reduce) {
  .lt-root .lt-dot { animation: none; }
}
.lt-engine {
  overflow: hidden;
  text-overflow: ellipsis;
  font-size: 0.9em;
}
.lt-engine:empty { display: none; }
.lt-engine::before {
  content: "·";
  margin-right: 0.45em;
}
.lt-error {
  margin: 0 0 0.4em;
  padding: 0.35em 0.6em;
  border-left: 3px solid var(--lt-danger);
  border-radius: 2px;
  background: color-mix(in srgb, var(--lt-danger) 10%, transparent);
  white-space: pre-line;
}
/* Empty but still rendered, so screen readers announce the alert when text arrives. */
.lt-error:empty {
  margin: 0;
  padding: 0;
  border: 0;
}
.lt-body { position: relative; }
.lt-transcript {
  box-sizing: border-box;
  min-height: 4.5em;
  max-height: 16em;
  overflow-y: auto;
  overscroll-behavior: contain;
  padding: 0.5em 0.7em;
  border: 1px solid var(--lt-border);
  border-radius: var(--jp-border-radius, 4px);
  font-family: var(--jp-content-font-family, system-ui, -apple-system, "Segoe UI", sans-serif);
  font-size: var(--jp-content-font-size1, 14px);
  line-height: 1.5;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
}
.lt-transcript:focus-visible {
  outline: 2px solid var(--lt-accent);
  outline-offset: 1px;
}
.lt-interim {
  color: var(--lt-muted);
  font-style: italic;
}
.lt-hint {
  position: absolute;
  inset: 0;
  margin: 0;
  padding: calc(0.5em + 1px) calc(0.7em + 1px);
  color: var(--lt-muted);
  font-size: var(--jp-content-font-size1, 14px);
  line-height: 1.5;
  pointer-events: none;
}
.lt-hint[hidden] { display: none; }
`;

/** @param {Document} doc */
function ensureStyles(doc) {
  let style = doc.getElementById(STYLE_ID);
  if (!style) {
    style = doc.createElement("style");
    style.id = STYLE_ID;
    doc.head.append(style);
  }
  if (style.textContent !== CSS) style.textContent = CSS;
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
