// Unit tests of js/recorder/level-meter.js (its arithmetic, and waking a suspended AudioContext): `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { loudness, nextLevel, wakeOnGesture } from "../../js/recorder/level-meter.js";

describe("level meter", () => {
  test("loudness: -60 dBFS and below is 0, full scale is 1", () => {
    assert.equal(loudness(new Float32Array(0)), 0);
    assert.equal(loudness(new Float32Array(1024)), 0);
    assert.equal(loudness(new Float32Array(1024).fill(1)), 1);
    assert.equal(loudness(new Float32Array(1024).fill(0.0001)), 0);
    assert.ok(Math.abs(loudness(new Float32Array(1024).fill(0.1)) - 2 / 3) < 1e-6); // -20 dBFS
    const sine = Float32Array.from({ length: 1024 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * i) / 64));
    assert.ok(Math.abs(loudness(sine) - (1 + Math.log10(0.5 / Math.SQRT2) / 3)) < 1e-3); // RMS, not peak
  });

  test("nextLevel rises at once, falls back gently, and settles at 0", () => {
    assert.equal(nextLevel(0.2, 0.9), 0.9);
    assert.ok(Math.abs(nextLevel(0.9, 0.1) - 0.54) < 1e-9);
    let level = 0.9;
    for (let i = 0; i < 20; i += 1) level = nextLevel(level, 0);
    assert.equal(level, 0);
  });
});

describe("wakeOnGesture", () => {
  /** An AudioContext the browser lets run only once `allowed`. */
  function suspendedContext() {
    const context = {
      state: "suspended",
      allowed: false,
      resumes: 0,
      resume() {
        context.resumes += 1;
        if (context.allowed) context.state = "running";
        return Promise.resolve();
      },
    };
    return context;
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  test("the next click or key press on the page resumes it, until it runs", async () => {
    const context = suspendedContext();
    const page = new EventTarget();
    wakeOnGesture(context, page);
    page.dispatchEvent(new Event("pointerdown"));
    await settle();
    assert.equal(context.resumes, 1);
    assert.equal(context.state, "suspended"); // not a gesture the browser counted: keep listening
    context.allowed = true;
    page.dispatchEvent(new Event("keydown"));
    await settle();
    assert.equal(context.state, "running");
    page.dispatchEvent(new Event("pointerdown"));
    await settle();
    assert.equal(context.resumes, 2); // no longer listening
  });

  test("its stop (the meter closed) stops listening", async () => {
    const context = suspendedContext();
    const page = new EventTarget();
    wakeOnGesture(context, page)();
    page.dispatchEvent(new Event("pointerdown"));
    await settle();
    assert.equal(context.resumes, 0);
  });
});
