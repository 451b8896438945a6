// Unit tests of js/browser.js: `npm test`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { errorText } from "../../js/browser.js";

describe("errorText", () => {
  test("name and message, the message alone for a plain Error", () => {
    assert.equal(errorText({ name: "NotSupportedError", message: "mimeType is not supported" }), "NotSupportedError: mimeType is not supported");
    assert.equal(errorText(new Error("it broke")), "it broke");
    assert.equal(errorText({ name: "AbortError" }), "AbortError");
    assert.equal(errorText(null), "null");
  });
});
