// RecorderControl: the recorder worked from Python (start, pause, resume, stop): a start waits for a view of the widget, or for the recording before it to end, and a pause asked while the microphone is being requested applies once it records.

/** @typedef {import("./environment.js").ClientError} ClientError */
/** @typedef {import("./recorder.js").Phase} Phase */

/**
 * How long a start asked from Python waits for a view of the widget on this page: with
 * `display(w); w.start()` in one cell, the view is drawn just after the request arrives.
 */
export const VIEW_WAIT_MS = 5000;

/** Said when a start asked from Python finds no view of the widget on this page. */
export const NO_VIEW =
  "Recording was asked for from Python, but no view of this widget is shown on the page (its output was " +
  "cleared or closed?), and the widget records through one. Show it again (display(w)), then call start().";

/**
 * What RecorderControl drives: the model's recorder (recorder.js).
 * @typedef {object} ControlledRecorder
 * @property {Phase} phase
 * @property {boolean} paused
 * @property {() => unknown} start
 * @property {(reason?: string, handedOver?: boolean) => void} stop
 * @property {() => void} pause
 * @property {() => void} resume
 */

export class RecorderControl {
  /**
   * @param {object} parts
   * @param {ControlledRecorder} parts.recorder
   * @param {() => number} parts.views how many views of the model this page shows
   * @param {() => boolean} parts.stillAsked whether the `recording` trait still asks for a recording
   * @param {() => Promise<boolean>} parts.recordedElsewhere whether another tab of this browser records with this widget
   * @param {(error: ClientError) => void} parts.refuse shows and reports why the start cannot happen here
   */
  constructor({ recorder, views, stillAsked, recordedElsewhere, refuse }) {
    this.recorder = recorder;
    this.views = views;
    this.stillAsked = stillAsked;
    this.recordedElsewhere = recordedElsewhere;
    this.refuse = refuse;
    /** A start waits: for a view (`viewTimer` runs), or for the recording before it to end. */
    this.startWanted = false;
    /** A pause asked while the microphone is being requested. */
    this.pauseWanted = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.viewTimer = undefined;
  }

  /** Python asked for a recording (`start_recording`): nothing changes while one is asked for or open. */
  start() {
    const phase = this.recorder.phase;
    if (phase === "requesting" || phase === "recording") return;
    this.startWanted = true;
    if (this.views() === 0 && this.viewTimer === undefined) this.viewTimer = setTimeout(() => void this.noView(), VIEW_WAIT_MS);
    this.carryOn();
  }

  /**
   * Stops the recording, or what was asked before it started (`stop_recording`).
   * @param {string} [reason] shown to the user
   * @param {boolean} [handedOver] another tab records now: this one does not report the end
   */
  stop(reason = "", handedOver = false) {
    this.forget();
    this.recorder.stop(reason, handedOver);
  }

  pause() {
    if (this.recorder.phase === "requesting" || (this.startWanted && this.recorder.phase !== "recording")) this.pauseWanted = true;
    else this.recorder.pause();
  }

  resume() {
    this.pauseWanted = false;
    this.recorder.resume();
  }

  /** A view of the model was drawn on this page. */
  viewShown() {
    this.carryOn();
  }

  /** The recorder changed: go on with what waits for it. */
  recorderChanged() {
    this.carryOn();
  }

  carryOn() {
    const phase = this.recorder.phase;
    if (this.startWanted && phase === "off" && this.views() > 0) {
      clearTimeout(this.viewTimer);
      this.viewTimer = undefined;
      this.startWanted = false;
      void this.recorder.start();
    } else if (this.pauseWanted && phase === "recording") {
      this.pauseWanted = false;
      if (!this.recorder.paused) this.recorder.pause();
    } else if (phase === "off" && !this.startWanted) {
      this.pauseWanted = false; // the start it was for failed
    }
  }

  /** No view came: say so, unless the start was called off or another tab of this browser records. */
  async noView() {
    this.viewTimer = undefined;
    if (!this.startWanted || this.views() > 0) return;
    this.forget();
    if (!this.stillAsked() || (await this.recordedElsewhere())) return;
    this.refuse({ kind: "no-view", message: NO_VIEW });
  }

  forget() {
    clearTimeout(this.viewTimer);
    this.viewTimer = undefined;
    this.startWanted = false;
    this.pauseWanted = false;
  }

  dispose() {
    this.forget();
  }
}
