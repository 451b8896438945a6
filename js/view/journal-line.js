// The journal line: one quiet line under the controls saying where the recordings' audio is kept on disk, for how long, and how to turn that off.

import { element, setText } from "../dom.js";

/** @typedef {import("../model.js").Model} Model */

/** How to keep no audio on disk, as the user would write it. */
export const TURN_OFF = "LiveTranscriber(journal=False)";

/**
 * What the line says, from the `journal_home` and `keep_journals` traits; null: there is no journal.
 * @param {unknown} home the folder journals go under
 * @param {unknown} keep how long finished journals are kept, as a sentence
 * @returns {{folder: string, title: string} | null}
 */
export function journalNote(home, keep) {
  const folder = typeof home === "string" ? home : "";
  if (!folder) return null;
  const rule = typeof keep === "string" && keep ? `${keep[0].toUpperCase()}${keep.slice(1)}. ` : "";
  return {
    folder,
    title:
      `Every recording's audio and final words are written to ${folder} as they come, so that a crash or a ` +
      `restart loses nothing (LiveTranscriber.resume() goes on with it). ${rule}` +
      `To keep no audio on disk: ${TURN_OFF}, or set LIVE_TRANSCRIBER_JOURNAL=off.`,
  };
}

/**
 * @param {Document} doc
 * @param {Model} model
 * @returns {{node: HTMLParagraphElement, cleanup: () => void}}
 */
export function journalLine(doc, model) {
  const node = element(doc, "p", "lt-journal");
  const path = element(doc, "code", "lt-journal-folder");
  node.append(doc.createTextNode("Audio kept in "), path, doc.createTextNode(` · off: ${TURN_OFF}`));
  const paint = () => {
    const note = journalNote(model.get("journal_home"), model.get("keep_journals"));
    node.hidden = note === null;
    setText(path, note?.folder ?? "");
    node.title = note?.title ?? "";
  };
  model.on("change:journal_home", paint);
  model.on("change:keep_journals", paint);
  paint();
  return {
    node,
    cleanup() {
      model.off("change:journal_home", paint);
      model.off("change:keep_journals", paint);
    },
  };
}
