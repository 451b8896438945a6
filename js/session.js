// WidgetSession: what one widget model has once, however many views show it: the link to the kernel, the results, the audio kept until the kernel confirms it, the recorder and its control from Python, and the views that watch them.

import { download } from "./browser.js";
import { AudioKeeper } from "./keeper/audio-keeper.js";
import { LOCK_PREFIX, heldLocks } from "./keeper/locks.js";
import { KernelLink } from "./kernel/link.js";
import { RecorderControl } from "./recorder/control.js";
import { Recorder } from "./recorder/recorder.js";
import { ResultStore } from "./results.js";
import { KERNEL, PAGE } from "./vocabulary.js";

/** @typedef {import("./model.js").Model} Model */
/** @typedef {import("./vocabulary.js").PageMessage} PageMessage */
/** What changed: views repaint their controls on "state", only meter and clock on "tick". */
/** @typedef {"state" | "tick" | "devices" | "results"} Change */

export class WidgetSession {
  /** @param {Model} model */
  constructor(model) {
    this.model = model;
    this.views = 0;
    this.disposed = false;
    this.showTimes = false;
    this.results = new ResultStore();
    this.results.merge(model.get("results") ?? []);
    this.historyAsked = false;
    /** @type {Set<(change: Change) => void>} */
    this.listeners = new Set();
    /** @type {(content: PageMessage, buffers?: ArrayBuffer[]) => Promise<void>} */
    this.send = (content, buffers) => this.link.send(content, buffers);
    /** The unconfirmed audio of this model's recordings. */
    this.keeper = new AudioKeeper(
      model,
      this.send,
      () => this.changed(),
      () => this.recorder.phase !== "off",
      // A page reloaded mid-recording ended the recording the kernel had open: nothing records now.
      () => {
        if (this.recorder.phase === "off") this.reportRecording(false);
      },
    );
    this.link = new KernelLink(model, {
      message: {
        [KERNEL.STOP_RECORDING]: (msg) => {
          // A named recording is stopped only where it records (another tab took over).
          const reason = msg.reason ? String(msg.reason) : "";
          if (!msg.recording) this.control.stop(reason);
          else if (msg.recording === this.recorder.recording?.id) this.control.stop(reason, true);
        },
        [KERNEL.START_RECORDING]: () => this.control.start(),
        [KERNEL.PAUSE_RECORDING]: () => this.control.pause(),
        [KERNEL.RESUME_RECORDING]: () => this.control.resume(),
        [KERNEL.HISTORY]: (msg) => {
          if (!Array.isArray(msg.results)) return;
          this.results.reset(msg.results);
          this.changed("results");
        },
        [KERNEL.RESULTS_CHANGED]: (msg) => {
          if (Array.isArray(msg.results) && this.results.replace(msg.results)) this.changed("results");
        },
        [KERNEL.EXPORT]: (msg) => download(msg),
        [KERNEL.ACK]: (msg) => this.keeper.onAck(msg),
        [KERNEL.RECOVER]: (msg) => this.keeper.onRecover(msg),
      },
      close: () => {
        this.keeper.ownerGone = true;
      },
      lost: () => this.recorder.kernelLost(),
    });
    this.onResults = () => {
      if (this.results.merge(model.get("results") ?? [])) this.send({ type: PAGE.HISTORY });
      this.changed("results");
    };
    model.on("change:results", this.onResults);
    this.recorder = new Recorder(
      this.keeper,
      this.send,
      (change) => this.changed(change),
      (recording) => this.reportRecording(recording),
    );
    this.control = new RecorderControl({
      recorder: this.recorder,
      views: () => this.views,
      stillAsked: () => model.get("recording") === true,
      recordedElsewhere: async () => {
        const widget = this.keeper.identity?.widget;
        return Boolean(widget && (await heldLocks())?.has(`${LOCK_PREFIX}widget:${widget}`));
      },
      refuse: (error) => {
        this.recorder.report(error);
        this.reportRecording(false);
      },
    });
  }

  /**
   * The `recording` trait, as this page's recorder goes (Python's requests come as messages:
   * the trait alone never starts or stops a recorder, so that one page's report moves no other).
   * @param {boolean} recording
   */
  reportRecording(recording) {
    if (this.disposed || this.model.get("recording") === recording) return;
    try {
      this.model.set("recording", recording);
      this.model.save_changes();
    } catch (err) {
      console.warn("[live-transcriber] could not tell the kernel whether it records", err);
    }
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
    if (change === "state") this.control?.recorderChanged();
    for (const listener of this.listeners) listener(change);
  }

  attachView() {
    this.views += 1;
    // A view that comes late (or after a reload) shows the whole transcript, not just the tail.
    if (!this.historyAsked) {
      this.historyAsked = true;
      this.send({ type: PAGE.HISTORY });
      this.send({ type: PAGE.VIEW });
      void this.keeper.check();
    }
    this.control.viewShown();
  }

  /** Nobody can see or stop a recording without a view, so the last view leaving stops it. */
  detachView() {
    this.views -= 1;
    if (this.views <= 0) this.control.stop();
  }

  /** @param {boolean} show */
  setShowTimes(show) {
    this.showTimes = show;
    this.changed();
  }

  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.control.dispose();
    this.link.dispose();
    this.model.off("change:results", this.onResults);
    this.listeners.clear();
    this.recorder.dispose();
    this.keeper.dispose();
  }
}
