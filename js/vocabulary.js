// The words page and kernel exchange: the type of every message each way, and the kernel's statuses.
// The protocol itself (fields, order, answers) is documented once, in live_transcriber/protocol.py;
// tests/js/test_vocabulary.py checks that these lists equal its own, in the same order.

/** The `type` of each message the page sends the kernel. */
export const PAGE = Object.freeze({
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
  AUDIO: "audio",
});
export const PAGE_MESSAGES = Object.freeze(Object.values(PAGE));

/** The `type` of each message the kernel sends the page. */
export const KERNEL = Object.freeze({
  STOP_RECORDING: "stop_recording",
  START_RECORDING: "start_recording",
  PAUSE_RECORDING: "pause_recording",
  RESUME_RECORDING: "resume_recording",
  HISTORY: "history",
  EXPORT: "export",
  ACK: "ack",
  RECOVER: "recover",
  RESULTS_CHANGED: "results_changed",
  AUDIO: "audio",
});
export const KERNEL_MESSAGES = Object.freeze(Object.values(KERNEL));

/** Every value of the kernel's `status` trait: `live_transcriber.Status`. */
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
/** @typedef {typeof KERNEL[keyof typeof KERNEL]} KernelMessage */
/**
 * A message to the kernel: its `type`, and the fields protocol.py documents for that type.
 * @typedef {{type: typeof PAGE[keyof typeof PAGE], [field: string]: unknown}} PageMessage
 */
