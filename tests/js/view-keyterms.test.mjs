// Unit tests of js/view/keyterms.js (the field's text): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { formatKeyterms, parseKeyterms } from "../../js/view/keyterms.js";

test("keyterms are separated by commas or new lines, tidied, each once", () => {
  assert.deepEqual(parseKeyterms(" Stella ,customer   service\nNguyen,, stella,"), ["Stella", "customer service", "Nguyen"]);
  assert.deepEqual(parseKeyterms(""), []);
  assert.deepEqual(parseKeyterms(" , \n "), []);
});

test("what the field sends stays within the kernel's bounds", () => {
  const many = Array.from({ length: 150 }, (_, i) => `term${i}`).join(",");
  assert.equal(parseKeyterms(many).length, 100);
  assert.equal(parseKeyterms("x".repeat(300))[0].length, 100);
});

test("the trait is shown as the text it would be typed as", () => {
  assert.equal(formatKeyterms(["Stella", "customer service"]), "Stella, customer service");
  assert.deepEqual(parseKeyterms(formatKeyterms(["Stella", "customer service"])), ["Stella", "customer service"]);
  assert.equal(formatKeyterms(undefined), "");
});
