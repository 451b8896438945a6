// Unit tests of js/time.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { formatClock } from "../../js/time.js";

describe("formatClock", () => {
  test("minutes and seconds, hours only when there are some", () => {
    assert.equal(formatClock(0), "00:00");
    assert.equal(formatClock(59.9), "00:59");
    assert.equal(formatClock(61), "01:01");
    assert.equal(formatClock(3599), "59:59");
    assert.equal(formatClock(3600), "1:00:00");
    assert.equal(formatClock(3725), "1:02:05");
    assert.equal(formatClock(36000), "10:00:00");
  });

  test("never negative", () => {
    assert.equal(formatClock(-3), "00:00");
  });
});
