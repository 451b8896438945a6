// The time of one recording as the widget's clock shows it: pauses left out.

/** Recording time of one recording, paused time excluded. */
export class RecordingClock {
  /** @param {() => number} [now] a monotonic time in milliseconds */
  constructor(now = () => performance.now()) {
    this.now = now;
    this.countedMs = 0;
    /** When counting last (re)started, or null while stopped. @type {number | null} */
    this.since = null;
  }

  /** From zero. */
  start() {
    this.countedMs = 0;
    this.since = this.now();
  }

  /** Stops counting (a pause, or the end): the time so far stays. */
  stop() {
    if (this.since !== null) this.countedMs += this.now() - this.since;
    this.since = null;
  }

  /** Counts on from the time so far. */
  resume() {
    if (this.since === null) this.since = this.now();
  }

  elapsedMs() {
    return this.countedMs + (this.since === null ? 0 : this.now() - this.since);
  }
}
