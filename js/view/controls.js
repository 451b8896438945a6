// Controls: the bar and tools of one view (record, pause and bookmark buttons, the status line, meter and clock, the microphone list, timestamps, clear, copy, export) and the errors under them.

import { copyText } from "../browser.js";
import { element, setText } from "../dom.js";
import { formatClock } from "../time.js";
import { PAGE, STATUS } from "../vocabulary.js";
import { BOOKMARK_KEY } from "./layout.js";

/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../recorder/recorder.js").Phase} Phase */
/** @typedef {import("../session.js").WidgetSession} WidgetSession */
/** @typedef {import("./layout.js").ViewElements} ViewElements */

/**
 * The engine as the status line shows it: its label, and why it is that engine when it was not named.
 * @param {string} label e.g. "offline · tiny.en"
 * @param {string} reason e.g. "no Deepgram key found", or ""
 */
export function engineText(label, reason) {
  return label && reason ? `${label} (${reason})` : label;
}

export class Controls {
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
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.copyTimer = undefined;
    const recorder = session.recorder;
    const doc = ui.root.ownerDocument;
    /** @param {KeyboardEvent} event */
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
    /** @param {Event} event */
    const onExport = (event) => {
      const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
      ui.exportMenu.open = false;
      session.send({ type: PAGE.EXPORT, format: button.dataset.format });
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
    ui.toggle.disabled = recorder.phase === "stopping" || (!active && status === STATUS.FINISHING);
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

    const errors = [...new Set([String(model.get("error") ?? ""), recorder.localError])].filter(Boolean);
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
    setText(ui.elapsed, formatClock(recorder.clock.elapsedMs() / 1000));
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
}

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
