// Unit tests of js/recorder/clock.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { RecordingClock } from "../../js/recorder/clock.js";

describe("RecordingClock", () => {
  function fakeTime() {
    const time = { now: 1000 };
    return { time, clock: new RecordingClock(() => time.now) };
  }

  test("counts recording time, pauses excluded", () => {
    const { time, clock } = fakeTime();
    assert.equal(clock.elapsedMs(), 0);
    clock.start();
    time.now += 1500;
    assert.equal(clock.elapsedMs(), 1500);
    clock.stop(); // pause
    time.now += 10_000;
    assert.equal(clock.elapsedMs(), 1500);
    clock.resume();
    time.now += 500;
    assert.equal(clock.elapsedMs(), 2000);
    clock.stop(); // the end
    clock.stop();
    time.now += 500;
    assert.equal(clock.elapsedMs(), 2000);
  });

  test("resume while running changes nothing; start begins at zero", () => {
    const { time, clock } = fakeTime();
    clock.start();
    time.now += 700;
    clock.resume();
    time.now += 300;
    assert.equal(clock.elapsedMs(), 1000);
    clock.stop();
    clock.start();
    time.now += 200;
    assert.equal(clock.elapsedMs(), 200);
  });
});
