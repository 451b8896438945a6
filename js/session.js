// WidgetSession: what one widget model has once, however many views show it: the link to the kernel, the results, the audio kept until the kernel confirms it, the recorder, and the views that watch them.

import { download } from "./browser.js";
import { AudioKeeper } from "./keeper/audio-keeper.js";
import { KernelLink } from "./kernel/link.js";
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
    );
    this.link = new KernelLink(model, {
      message: {
        [KERNEL.STOP_RECORDING]: (msg) => {
          // A named recording is stopped only where it records (another tab took over).
          if (!msg.recording || msg.recording === this.recorder.recording?.id) this.recorder.stop(msg.reason ? String(msg.reason) : "");
        },
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
    this.recorder = new Recorder(this.keeper, this.send, (change) => this.changed(change));
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
      this.send({ type: PAGE.HISTORY });
      void this.keeper.check();
    }
  }

  /** Nobody can see or stop a recording without a view, so the last view leaving stops it. */
  detachView() {
    this.views -= 1;
    if (this.views <= 0) this.recorder.stop();
  }

  /** @param {boolean} show */
  setShowTimes(show) {
    this.showTimes = show;
    this.changed();
  }

  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.link.dispose();
    this.model.off("change:results", this.onResults);
    this.listeners.clear();
    this.recorder.dispose();
    this.keeper.dispose();
  }
}
