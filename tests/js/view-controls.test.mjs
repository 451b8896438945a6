// Unit tests of js/view/controls.js (the status line): `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { engineText, statusLine } from "../../js/view/controls.js";
import { STATUS } from "../../js/vocabulary.js";

describe("statusLine", () => {
  test("the recorder's own phases come first, without the kernel's detail", () => {
    assert.deepEqual(statusLine("requesting", false, "idle", "no speech heard"), { label: "waiting for microphone", detail: "" });
    assert.deepEqual(statusLine("recording", true, "recording", "4 s behind"), { label: "paused", detail: "" });
  });

  test("a recording the kernel has not heard of yet shows as recording", () => {
    assert.equal(statusLine("recording", false, "idle", "").label, "recording");
    assert.equal(statusLine("recording", false, "paused", "").label, "recording"); // resumed, kernel behind
  });

  test("otherwise the kernel's status and its detail", () => {
    assert.deepEqual(statusLine("recording", false, "reconnecting", "attempt 2 of 5"), { label: "reconnecting", detail: "attempt 2 of 5" });
    assert.deepEqual(statusLine("off", false, "loading model", "tiny.en"), { label: "loading model", detail: "tiny.en" });
    assert.deepEqual(statusLine("stopping", false, "finishing", ""), { label: "finishing", detail: "" });
    assert.deepEqual(statusLine("off", false, "idle", "no speech heard"), { label: "idle", detail: "no speech heard" });
    assert.deepEqual(statusLine("off", false, "", ""), { label: "idle", detail: "" });
  });

  test("every label the kernel can send is shown as it is", () => {
    for (const status of Object.values(STATUS)) {
      assert.deepEqual(statusLine("off", false, status, "why"), { label: status, detail: "why" });
    }
  });
});

describe("engineText", () => {
  test("why the engine runs follows its label, unless the user named it", () => {
    assert.equal(engineText("offline · tiny.en", "no Deepgram key found"), "offline · tiny.en (no Deepgram key found)");
    assert.equal(engineText("Deepgram · nova-3", "key from ~/talks/.env"), "Deepgram · nova-3 (key from ~/talks/.env)");
    assert.equal(engineText("offline · tiny.en", ""), "offline · tiny.en");
    assert.equal(engineText("", "no Deepgram key found"), "");
  });
});
