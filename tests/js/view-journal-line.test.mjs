// Unit tests of js/view/journal-line.js (what the line says): `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";

import { TURN_OFF, journalNote } from "../../js/view/journal-line.js";

test("the line names the folder, and its tooltip the rule and how to turn it off", () => {
  const note = journalNote("/home/ana/.local/share/live-transcriber/journal", "finished journals are removed 30 days after their last change");
  assert.equal(note?.folder, "/home/ana/.local/share/live-transcriber/journal");
  assert.match(note?.title ?? "", /written to \/home\/ana\/\.local\/share\/live-transcriber\/journal as they come/);
  assert.match(note?.title ?? "", /\. Finished journals are removed 30 days after their last change\. /);
  assert.ok(note?.title.includes(TURN_OFF) && note.title.includes("LIVE_TRANSCRIBER_JOURNAL=off"));
});

test("no journal, no line", () => {
  assert.equal(journalNote("", ""), null);
  assert.equal(journalNote(undefined, undefined), null);
  assert.doesNotMatch(journalNote("/j", "")?.title ?? "", /\.\s+\./); // no rule, no empty sentence
});
