// Recorder: the microphone and MediaRecorder of one widget model (one per model, driven by all its views and from Python): Start to Stop, pause, bookmarks, failures, the level and the clock.

import { errorText, randomId, stopTracks } from "../browser.js";
import { takeLock } from "../keeper/locks.js";
import { SendQueue } from "../kernel/send-queue.js";
import { PAGE } from "../vocabulary.js";
import { RecordingClock } from "./clock.js";
import { checkEnvironment, describeMediaError, pickMimeType, thisHost } from "./environment.js";
import { LevelMeter } from "./level-meter.js";
import { Microphones } from "./microphones.js";

/** @typedef {import("../keeper/audio-keeper.js").AudioKeeper} AudioKeeper */
/** @typedef {import("../kernel/link.js").Send} Send */
/** @typedef {import("../session.js").Change} Change */
/** @typedef {import("./environment.js").ClientError} ClientError */
/** @typedef {"off" | "requesting" | "recording" | "stopping"} Phase */

/**
 * One recording, from "start" to "stop".
 * @typedef {object} Recording
 * @property {string} id             the `recording` field of every message about this recording
 * @property {MediaStream} microphone
 * @property {MediaRecorder} mediaRecorder
 * @property {SendQueue} queue       its messages, in order; `queue.sent` chunks so far
 * @property {ClientError | null} failure  reported to the kernel after the "stop" message
 * @property {boolean} stopping
 * @property {boolean} finished
 * @property {boolean} ended        its end was reported (`onRecording(false)`)
 * @property {boolean} handedOver   stopped because another tab records now, which reports for itself
 * @property {ReturnType<typeof setTimeout> | undefined} stopTimer
 */

const TIMESLICE_MS = 250;
/** Browsers fire the recorder's "stop" event promptly; this only guards against a stuck button. */
const STOP_TIMEOUT_MS = 5000;
/** How often the level meter and the elapsed time are refreshed while recording. */
const TICK_MS = 100;

export class Recorder {
  /**
   * @param {AudioKeeper} keeper keeps each chunk until the kernel confirms it
   * @param {Send} send
   * @param {(change?: Change) => void} changed tells the views
   * @param {(recording: boolean) => void} onRecording reports that this tab records, or asks for the
   *   microphone (true), or that its recording ended or could not start (false): the `recording` trait
   */
  constructor(keeper, send, changed, onRecording) {
    this.keeper = keeper;
    this.send = send;
    this.changed = changed;
    this.onRecording = onRecording;
    /** @type {Phase} */
    this.phase = "off";
    this.paused = false;
    /** Browser-side error or kernel stop reason, shown next to the `error` trait. */
    this.localError = "";
    /** @type {Recording | null} */
    this.recording = null;
    this.disposed = false;
    /** Bumped to discard a getUserMedia answer that arrives after a cancel or dispose. */
    this.attempt = 0;
    /** The current (or last) recording's time. */
    this.clock = new RecordingClock();
    /** @type {LevelMeter | null} */
    this.meter = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.ticker = undefined;
    /** Released when the recording ends: while held, other tabs cannot record with this widget. */
    this.releaseWidget = () => {};
    this.microphones = new Microphones(() => this.changed("devices"));
  }

  /** Input level, 0 to 1, while recording. */
  get level() {
    return this.meter?.level ?? 0;
  }

  /** Whether the level waits for a click or key press on the page (see wakeOnGesture). */
  get levelAsleep() {
    return this.phase === "recording" && Boolean(this.meter?.asleep);
  }

  toggle() {
    if (this.phase === "off") void this.start();
    else this.stop();
  }

  togglePause() {
    if (this.paused) this.resume();
    else this.pause();
  }

  async start() {
    if (this.phase !== "off" || this.disposed) return;
    this.localError = "";
    const unavailable = checkEnvironment(globalThis);
    if (unavailable) {
      this.report(unavailable);
      this.onRecording(false);
      return;
    }
    const attempt = ++this.attempt;
    this.phase = "requesting";
    this.changed();
    // One recording per widget: a tab that records holds the widget's lock. The recording's own
    // lock is held before anything of it is kept, so that no other tab takes it for interrupted.
    const widget = this.keeper.identity?.widget;
    const id = randomId();
    const [release, recordingLock] = await Promise.all([
      widget ? takeLock(`widget:${widget}`) : Promise.resolve(() => {}),
      takeLock(`recording:${id}`),
    ]);
    const releaseRecording = recordingLock ?? (() => {});
    if (attempt !== this.attempt) {
      release?.();
      releaseRecording();
      return;
    }
    if (!release) {
      releaseRecording();
      this.phase = "off";
      this.localError = "This widget is recording in another tab or window: stop it there (or close that tab) to record here.";
      this.changed();
      return;
    }
    this.releaseWidget = release;
    // Only the tab that may record says so: one that found another recording leaves the trait alone.
    this.onRecording(true);
    /** @type {MediaStream} */
    let microphone;
    try {
      const opened = await this.microphones.open();
      microphone = opened.microphone;
      if (opened.notice) this.localError = opened.notice;
    } catch (err) {
      this.releaseWidget();
      releaseRecording();
      if (attempt !== this.attempt) return;
      this.phase = "off";
      this.report(describeMediaError(err, thisHost()));
      this.onRecording(false);
      return;
    }
    if (attempt !== this.attempt) {
      this.releaseWidget();
      releaseRecording();
      stopTracks(microphone);
      return;
    }
    this.record(microphone, id, releaseRecording);
    void this.microphones.refresh();
  }

  /**
   * @param {MediaStream} microphone
   * @param {string} id the recording's id
   * @param {() => void} releaseLock gives back the recording's lock (held from here on by what keeps its audio)
   */
  record(microphone, id, releaseLock) {
    const mimeType = pickMimeType(MediaRecorder);
    /** @type {MediaRecorder} */
    let mediaRecorder;
    try {
      mediaRecorder = new MediaRecorder(microphone, mimeType ? { mimeType } : undefined);
    } catch (err) {
      stopTracks(microphone);
      this.releaseWidget();
      releaseLock();
      this.phase = "off";
      this.report({
        kind: "unsupported",
        message: `This browser cannot record audio from the microphone (${errorText(err)}).`,
      });
      this.onRecording(false);
      return;
    }
    /** @type {Recording} */
    const recording = {
      id,
      microphone,
      mediaRecorder,
      queue: new SendQueue(id, this.send),
      failure: null,
      stopping: false,
      finished: false,
      ended: false,
      handedOver: false,
      stopTimer: undefined,
    };
    this.recording = recording;
    mediaRecorder.addEventListener("dataavailable", (event) => this.enqueueChunk(recording, event.data));
    mediaRecorder.addEventListener("stop", () => this.finishRecording(recording));
    mediaRecorder.addEventListener("error", (event) => {
      const cause = "error" in event ? event.error : undefined;
      this.failRecording(recording, {
        kind: "recorder",
        message: `The browser's recorder failed (${cause ? errorText(cause) : "unknown error"}). Recording stopped.`,
      });
    });
    for (const track of microphone.getAudioTracks()) {
      // "ended" fires only when the browser ends the track (device unplugged or revoked),
      // never for our own track.stop().
      track.addEventListener("ended", () =>
        this.failRecording(recording, {
          kind: "no-device",
          message: "The microphone was disconnected or turned off. Recording stopped.",
        }),
      );
    }

    const announce = () => {
      const type = mediaRecorder.mimeType || mimeType;
      this.keeper.begin(recording.id, type, releaseLock);
      recording.queue.message({ type: PAGE.START, recording: recording.id, mime_type: type });
    };
    // A recorder left to choose its own type may name it only once it has started; its "start"
    // event still comes before the first chunk.
    if (mediaRecorder.mimeType || mimeType) announce();
    else mediaRecorder.addEventListener("start", announce, { once: true });
    try {
      mediaRecorder.start(TIMESLICE_MS);
    } catch (err) {
      recording.failure = { kind: "recorder", message: `The recorder did not start (${errorText(err)}).` };
      this.localError = recording.failure.message;
      this.finishRecording(recording);
      return;
    }
    this.phase = "recording";
    this.paused = false;
    this.clock.start();
    this.meter = LevelMeter.open(microphone);
    this.ticker = setInterval(() => this.tick(), TICK_MS);
    this.changed();
  }

  /** Drops a bookmark at the recording's time now, as the widget's clock shows it (pauses left out). */
  bookmark() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording) return;
    recording.queue.message({ type: PAGE.BOOKMARK, elapsed: this.clock.elapsedMs() / 1000 });
  }

  /** The recorder pauses; the same container stream goes on after resume, so nothing restarts. */
  pause() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording || this.paused || recording.mediaRecorder.state !== "recording") return;
    try {
      recording.mediaRecorder.pause();
    } catch (err) {
      console.warn("[live-transcriber] recorder.pause() failed", err);
      return;
    }
    this.paused = true;
    this.clock.stop();
    // Through the chunk queue, so the kernel hears it after the chunks recorded before it.
    recording.queue.message({ type: PAGE.PAUSE });
    this.tick();
    this.changed();
  }

  resume() {
    const recording = this.recording;
    if (this.phase !== "recording" || !recording || !this.paused || recording.mediaRecorder.state !== "paused") return;
    try {
      recording.mediaRecorder.resume();
    } catch (err) {
      console.warn("[live-transcriber] recorder.resume() failed", err);
      return;
    }
    this.paused = false;
    this.clock.resume();
    recording.queue.message({ type: PAGE.RESUME });
    this.changed();
  }

  /** Refreshes the level; views repaint the meter and the clock. */
  tick() {
    this.meter?.update(this.paused);
    this.changed("tick");
  }

  stopTicking() {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.meter?.close();
    this.meter = null;
  }

  /**
   * @param {Recording} recording
   * @param {Blob} blob
   */
  enqueueChunk(recording, blob) {
    if (recording.finished || !blob || blob.size === 0) return;
    const seconds = this.clock.elapsedMs() / 1000;
    recording.queue.chunk(blob, (seq, buffer) =>
      this.keeper.keep(recording.id, seq, buffer, seconds, blob.type || recording.mediaRecorder.mimeType),
    );
  }

  /**
   * Stops recording the normal way: the recorder delivers its last chunk, then "stop" fires.
   * @param {string} [reason] shown to the user (the kernel's reason for asking)
   * @param {boolean} [handedOver] another tab records with this widget now
   */
  stop(reason = "", handedOver = false) {
    if (reason) this.localError = reason;
    if (this.phase === "requesting") {
      this.attempt += 1;
      this.phase = "off";
      this.onRecording(false);
    } else if (this.recording) {
      if (handedOver) this.recording.handedOver = true;
      this.stopRecording(this.recording);
    }
    this.changed();
  }

  /**
   * Reports once that a recording ended (the tab that took over from it reports for itself).
   * @param {Recording} recording
   */
  reportEnd(recording) {
    if (recording.ended || recording.handedOver) return;
    recording.ended = true;
    this.onRecording(false);
  }

  /** @param {Recording} recording */
  stopRecording(recording) {
    if (recording.stopping || recording.finished) return;
    recording.stopping = true;
    this.reportEnd(recording);
    if (this.recording === recording) {
      this.phase = "stopping";
      this.paused = false;
      this.clock.stop();
      this.stopTicking();
      this.changed("tick");
    }
    this.changed();
    if (recording.mediaRecorder.state !== "inactive") {
      try {
        recording.mediaRecorder.stop();
      } catch (err) {
        console.warn("[live-transcriber] recorder.stop() failed", err);
      }
    }
    recording.stopTimer = setTimeout(() => this.finishRecording(recording), STOP_TIMEOUT_MS);
  }

  /**
   * A failure during a recording: shown at once, reported after the tail has been sent.
   * @param {Recording} recording
   * @param {ClientError} failure
   */
  failRecording(recording, failure) {
    if (recording.finished || recording.failure) return;
    recording.failure = failure;
    this.localError = failure.message;
    this.changed();
    this.stopRecording(recording);
  }

  /**
   * Runs once the recorder has stopped and delivered its last chunk.
   * @param {Recording} recording
   */
  finishRecording(recording) {
    if (recording.finished) return;
    recording.finished = true;
    clearTimeout(recording.stopTimer);
    this.reportEnd(recording);
    stopTracks(recording.microphone);
    if (this.recording === recording) {
      this.clock.stop();
      this.stopTicking();
    }
    void recording.queue.whenSent(() => {
      const stopped = this.send({ type: PAGE.STOP, recording: recording.id, chunks: recording.queue.sent });
      const failure = recording.failure;
      if (failure) void stopped.then(() => this.send({ type: PAGE.CLIENT_ERROR, ...failure }));
      this.keeper.ended(recording.id);
      if (this.recording === recording) {
        this.recording = null;
        this.phase = "off";
        this.paused = false;
        this.releaseWidget();
        this.changed("tick");
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
    this.send({ type: PAGE.CLIENT_ERROR, kind: error.kind, message: error.message });
    this.changed();
  }

  /** The comm is gone for good. Whatever the kernel did not confirm stays in this browser. */
  kernelLost() {
    if (this.disposed || this.keeper.disposed) return;
    this.keeper.lost();
    const failure = {
      kind: /** @type {const} */ ("other"),
      message:
        "The kernel stopped (it died, or was restarted or shut down), so this widget can no longer reach it. " +
        "This browser kept the audio the kernel did not confirm: run the widget's cell again to send it.",
    };
    if (this.recording && !this.recording.finished) this.failRecording(this.recording, failure);
    else {
      this.localError = failure.message;
      this.changed();
    }
  }

  /** The widget is closed: release the microphone now; the recorder's tail is sent if it can be. */
  dispose() {
    this.disposed = true;
    this.attempt += 1;
    this.microphones.dispose();
    this.stopTicking();
    const recording = this.recording;
    if (recording) {
      this.stopRecording(recording);
      clearTimeout(recording.stopTimer);
      stopTracks(recording.microphone);
    }
    this.releaseWidget();
  }
}
