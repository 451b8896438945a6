// The microphones a page can record from: their list, the one chosen (remembered per browser), and opening it.

import { errorName, readStored, writeStored } from "../browser.js";

/** @type {MediaTrackConstraints} */
const AUDIO_CONSTRAINTS = { channelCount: 1, echoCancellation: true, noiseSuppression: true };
/** Where the chosen microphone is remembered, per browser and Jupyter origin. */
const DEVICE_KEY = "live-transcriber:microphone";

export class Microphones {
  /** @param {() => void} changed called when the list or the choice changed */
  constructor(changed) {
    this.changed = changed;
    /** @type {{id: string, label: string}[]} */
    this.devices = [];
    /** The chosen microphone's deviceId, "" for the browser's default. */
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
      const microphone = await navigator.mediaDevices.getUserMedia({ audio: { ...AUDIO_CONSTRAINTS, deviceId: { exact: wanted } } });
      return { microphone, notice: "" };
    } catch (err) {
      const name = errorName(err);
      if (name !== "OverconstrainedError" && name !== "NotFoundError") throw err;
    }
    const microphone = await navigator.mediaDevices.getUserMedia({ audio: AUDIO_CONSTRAINTS });
    const label = this.devices.find((d) => d.id === wanted)?.label;
    const notice =
      `The chosen microphone${label ? ` (${label})` : ""} is not available: recording from the ` +
      "default microphone instead. Pick another one in the list to change it.";
    return { microphone, notice };
  }

  dispose() {
    this.disposed = true;
    navigator.mediaDevices?.removeEventListener?.("devicechange", this.onDeviceChange);
  }
}
