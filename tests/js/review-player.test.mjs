// Unit tests of js/review/player.js (the audio reply's parts): `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { AudioParts } from "../../js/review/player.js";

describe("review mode", () => {
  test("an audio reply in parts is whole once every part came, in any order", () => {
    const parts = new AudioParts();
    const reply = { type: "audio", recording: 2, mime_type: "audio/webm", offset: 12.5, done: true, parts: 3 };
    const buffers = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    assert.equal(parts.add({ ...reply, part: 0 }, buffers[0]), null);
    assert.equal(parts.add({ ...reply, part: 2 }, buffers[2]), null);
    const whole = parts.add({ ...reply, part: 1 }, buffers[1]);
    assert.deepEqual(whole, { recording: 2, mimeType: "audio/webm", offset: 12.5, done: true, buffers });
    assert.equal(parts.add({ ...reply, parts: 1, part: 1 }, buffers[0]), null, "a part number out of range is ignored");
    assert.equal(parts.add({ ...reply, part: 0 }, undefined), null, "a part without its buffer is ignored");
  });
});
