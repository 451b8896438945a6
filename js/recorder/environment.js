// Whether this page can record, which audio type to ask the recorder for, and what a failure to open the microphone means, said so that the user knows what to do.

import { errorName, errorText } from "../browser.js";

const PREFERRED_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"];

/** @typedef {"permission" | "no-device" | "insecure" | "unsupported" | "recorder" | "no-view" | "other"} ErrorKind */
/** A browser-side failure, shown at once and sent to the kernel as a `client_error`. @typedef {{kind: ErrorKind, message: string}} ClientError */

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

/** @returns {Host} where this page runs */
export function thisHost() {
  return { vscode: isVSCodeWebview(), inFrame: isInFrame() };
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
