// Unit tests of js/recorder/level-meter.js (its arithmetic): `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { loudness, nextLevel } from "../../js/recorder/level-meter.js";

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
