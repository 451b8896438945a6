// Unit tests of js/recorder/environment.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { checkEnvironment, describeMediaError, pickMimeType } from "../../js/recorder/environment.js";

describe("pickMimeType", () => {
  /** @param {string[]} supported */
  const browser = (...supported) => ({ isTypeSupported: (/** @type {string} */ type) => supported.includes(type) });

  test("the first preferred type the browser records", () => {
    assert.equal(pickMimeType(browser("audio/webm;codecs=opus", "audio/ogg;codecs=opus")), "audio/webm;codecs=opus");
    assert.equal(pickMimeType(browser("audio/ogg;codecs=opus")), "audio/ogg;codecs=opus"); // Firefox
    assert.equal(pickMimeType(browser("audio/mp4")), "audio/mp4"); // Safari: no WebM
  });

  test("the browser's own choice when none is supported or it cannot say", () => {
    assert.equal(pickMimeType(browser("audio/wav")), "");
    assert.equal(pickMimeType({}), "");
  });
});

describe("checkEnvironment", () => {
  const origin = "http://192.168.1.5:8888";
  const mediaDevices = { getUserMedia: () => {} };
  class MediaRecorder {}

  test("a page that is not a secure context says where to open Jupyter", () => {
    const problem = checkEnvironment({ isSecureContext: false, location: { origin }, navigator: {}, MediaRecorder });
    assert.equal(problem?.kind, "insecure");
    assert.match(problem?.message ?? "", /192\.168\.1\.5:8888/);
    assert.match(problem?.message ?? "", /http:\/\/localhost/);
  });

  test("no mediaDevices and no word on the context: insecure, the usual cause", () => {
    assert.equal(checkEnvironment({ location: { origin }, navigator: {}, MediaRecorder })?.kind, "insecure");
  });

  test("a secure page without getUserMedia or MediaRecorder cannot record", () => {
    const noGetUserMedia = checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices: {} }, MediaRecorder });
    assert.equal(noGetUserMedia?.kind, "unsupported");
    assert.match(noGetUserMedia?.message ?? "", /mediaDevices/);
    const noRecorder = checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices } });
    assert.equal(noRecorder?.kind, "unsupported");
    assert.match(noRecorder?.message ?? "", /MediaRecorder is missing/);
  });

  test("a secure page with both can try", () => {
    assert.equal(checkEnvironment({ isSecureContext: true, location: { origin }, navigator: { mediaDevices }, MediaRecorder }), null);
  });

  test("a static export of a marimo notebook has no kernel to send to", () => {
    const page = { isSecureContext: true, location: { origin }, navigator: { mediaDevices }, MediaRecorder, __MARIMO_STATIC__: { files: {} } };
    const problem = checkEnvironment(page);
    assert.equal(problem?.kind, "unsupported");
    assert.match(problem?.message ?? "", /static export of a marimo notebook/);
    assert.match(problem?.message ?? "", /marimo edit/);
  });
});

describe("describeMediaError", () => {
  const browser = { vscode: false, inFrame: false };
  /** @param {string} name */
  const domError = (name, message = "") => ({ name, message });

  test("a blocked permission says how to allow it", () => {
    for (const name of ["NotAllowedError", "PermissionDeniedError", "SecurityError"]) {
      const { kind, message } = describeMediaError(domError(name), browser);
      assert.equal(kind, "permission");
      assert.match(message, /Allow the microphone for this site/);
      assert.doesNotMatch(message, /page around this notebook/);
    }
    assert.match(describeMediaError(domError("NotAllowedError"), { vscode: false, inFrame: true }).message, /page around this notebook/);
  });

  test("in VS Code, a blocked permission points to JupyterLab", () => {
    const { kind, message } = describeMediaError(domError("NotAllowedError"), { vscode: true, inFrame: true });
    assert.equal(kind, "permission");
    assert.match(message, /vscode#119127/);
  });

  test("a missing or busy microphone", () => {
    assert.equal(describeMediaError(domError("NotFoundError"), browser).kind, "no-device");
    assert.equal(describeMediaError(domError("OverconstrainedError"), browser).kind, "no-device");
    const busy = describeMediaError(domError("NotReadableError", "Could not start audio source"), browser);
    assert.equal(busy.kind, "other");
    assert.match(busy.message, /in use by another application/);
  });

  test("anything else is named", () => {
    assert.equal(describeMediaError(new TypeError("bad constraints"), browser).message, "Could not start the microphone (TypeError: bad constraints).");
    assert.equal(describeMediaError("boom", browser).message, "Could not start the microphone (boom).");
  });
});
