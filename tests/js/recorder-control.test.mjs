// Unit tests of js/recorder/control.js (the recorder worked from Python) with a scripted recorder: `npm test`.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";

import { NO_VIEW, RecorderControl, VIEW_WAIT_MS } from "../../js/recorder/control.js";

/** @typedef {import("../../js/recorder/recorder.js").Phase} Phase */

/** Goes through the recorder's phases when told, and tells the control each time, as the session does. */
class ScriptedRecorder {
  constructor() {
    /** @type {Phase} */
    this.phase = "off";
    this.paused = false;
    /** @type {unknown[]} */
    this.calls = [];
    this.changed = () => {};
  }

  /** @param {Phase} phase */
  go(phase) {
    this.phase = phase;
    if (phase !== "recording") this.paused = false;
    this.changed();
  }

  start() {
    this.calls.push("start");
    this.go("requesting");
  }

  /**
   * @param {string} [reason]
   * @param {boolean} [handedOver]
   */
  stop(reason = "", handedOver = false) {
    this.calls.push(["stop", reason, handedOver]);
    if (this.phase === "requesting") this.go("off");
    else if (this.phase === "recording") this.go("stopping");
  }

  pause() {
    if (this.phase !== "recording" || this.paused) return;
    this.paused = true;
    this.calls.push("pause");
  }

  resume() {
    if (this.phase !== "recording" || !this.paused) return;
    this.paused = false;
    this.calls.push("resume");
  }
}

/** @param {{views?: number, asked?: boolean, elsewhere?: boolean}} [page] */
function setUp({ views = 1, asked = true, elsewhere = false } = {}) {
  const recorder = new ScriptedRecorder();
  /** @type {import("../../js/recorder/environment.js").ClientError[]} */
  const refused = [];
  const page = { views, asked, elsewhere, refused };
  const control = new RecorderControl({
    recorder,
    views: () => page.views,
    stillAsked: () => page.asked,
    recordedElsewhere: async () => page.elsewhere,
    refuse: (error) => page.refused.push(error),
  });
  recorder.changed = () => control.recorderChanged();
  return { recorder, control, page };
}

/** Lets the control's `await` of recordedElsewhere settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("RecorderControl", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setTimeout"] }));
  afterEach(() => mock.timers.reset());

  test("a start with a view records at once; another while one is asked for or open does nothing", () => {
    const { recorder, control } = setUp();
    control.start();
    assert.deepEqual(recorder.calls, ["start"]);
    control.start();
    recorder.go("recording");
    control.start();
    assert.deepEqual(recorder.calls, ["start"]);
  });

  test("display(w); w.start() in one cell: the start waits for the view drawn just after it", async () => {
    const { recorder, control, page } = setUp({ views: 0 });
    control.start();
    assert.deepEqual(recorder.calls, []);
    mock.timers.tick(VIEW_WAIT_MS / 2);
    page.views = 1;
    control.viewShown();
    assert.deepEqual(recorder.calls, ["start"]);
    mock.timers.tick(VIEW_WAIT_MS);
    await settle();
    assert.deepEqual(page.refused, []);
  });

  test("no view comes: the start is refused with a reason that says what to do", async () => {
    const { recorder, control, page } = setUp({ views: 0 });
    control.start();
    mock.timers.tick(VIEW_WAIT_MS - 1);
    await settle();
    assert.deepEqual(page.refused, []);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(page.refused, [{ kind: "no-view", message: NO_VIEW }]);
    assert.match(NO_VIEW, /display\(w\)/);
    page.views = 1;
    control.viewShown(); // a view drawn later does not start what was refused
    assert.deepEqual(recorder.calls, []);
  });

  test("no view here, but another tab records it or the start was called off: nothing is said", async () => {
    for (const page of [{ elsewhere: true }, { asked: false }]) {
      const { recorder, control, page: state } = setUp({ views: 0, ...page });
      control.start();
      mock.timers.tick(VIEW_WAIT_MS);
      await settle();
      assert.deepEqual(state.refused, [], JSON.stringify(page));
      assert.deepEqual(recorder.calls, []);
    }
  });

  test("a stop calls off a start that waits for a view", async () => {
    const { recorder, control, page } = setUp({ views: 0 });
    control.start();
    control.stop();
    page.views = 1;
    control.viewShown();
    mock.timers.tick(VIEW_WAIT_MS);
    await settle();
    assert.deepEqual(recorder.calls, [["stop", "", false]]);
    assert.deepEqual(page.refused, []);
  });

  test("a start while the last recording is still stopping records once it has stopped", () => {
    const { recorder, control } = setUp();
    recorder.go("recording");
    control.stop();
    assert.equal(recorder.phase, "stopping");
    control.start();
    assert.deepEqual(recorder.calls, [["stop", "", false]]);
    recorder.go("off");
    assert.deepEqual(recorder.calls, [["stop", "", false], "start"]);
  });

  test("stop passes the kernel's reason, and whether another tab took over", () => {
    const { recorder, control } = setUp();
    recorder.go("recording");
    control.stop("Transcribing talk.wav instead.", true);
    assert.deepEqual(recorder.calls, [["stop", "Transcribing talk.wav instead.", true]]);
  });

  test("a pause asked while the microphone is requested applies once it records", () => {
    const { recorder, control } = setUp();
    control.start();
    control.pause();
    assert.equal(recorder.paused, false);
    recorder.go("recording");
    assert.equal(recorder.paused, true);
    assert.deepEqual(recorder.calls, ["start", "pause"]);
  });

  test("a pause asked while a start waits for a view applies once it records", () => {
    const { recorder, control, page } = setUp({ views: 0 });
    control.start();
    control.pause();
    page.views = 1;
    control.viewShown();
    recorder.go("recording");
    assert.deepEqual(recorder.calls, ["start", "pause"]);
  });

  test("resume before the microphone answers calls the pause off", () => {
    const { recorder, control } = setUp();
    control.start();
    control.pause();
    control.resume();
    recorder.go("recording");
    assert.equal(recorder.paused, false);
  });

  test("a pause left from a start that failed does not pause the next recording", () => {
    const { recorder, control } = setUp();
    control.start();
    control.pause();
    recorder.go("off"); // the microphone was refused
    control.start();
    recorder.go("recording");
    assert.equal(recorder.paused, false);
  });

  test("pause and resume while recording act at once", () => {
    const { recorder, control } = setUp();
    control.start();
    recorder.go("recording");
    control.pause();
    control.pause();
    control.resume();
    assert.deepEqual(recorder.calls, ["start", "pause", "resume"]);
  });
});
