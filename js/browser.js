// Browser utilities: what an error is called, random ids, localStorage that may be blocked, stopping media tracks, saving a file, the clipboard.

import { element } from "./dom.js";

/**
 * @param {unknown} err anything thrown
 * @returns {string} its `name` ("NotAllowedError", …), or ""
 */
export function errorName(err) {
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

/** @param {MediaStream} microphone */
export function stopTracks(microphone) {
  for (const track of microphone.getTracks()) track.stop();
}

export function randomId() {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** @param {string} key */
export function readStored(key) {
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
export function writeStored(key, value) {
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
export function download(msg) {
  const blob = new Blob([String(msg.content ?? "")], { type: msg.mime_type || "text/plain" });
  saveFile(blob, msg.filename || `transcript.${msg.format || "txt"}`);
}

/**
 * Has the browser save `blob` as a file.
 * @param {Blob} blob
 * @param {string} filename
 */
export function saveFile(blob, filename) {
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
export async function copyText(text, doc) {
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
