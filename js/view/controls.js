// The bar and tools of a view: record, pause and bookmark buttons, the status line, meter and clock, the microphone list, timestamps, clear, copy and export.

import { STATUS } from "../vocabulary.js";

/** @typedef {import("../recorder/recorder.js").Phase} Phase */

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
