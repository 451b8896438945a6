// The DOM of one view, built once: the bar, the tools, errors, the offer of kept audio, review controls, the transcript and the bookmarks (ViewElements).

import { element } from "../dom.js";

export const EXPORT_FORMATS = ["txt", "srt", "vtt", "json"];
/** Playback speeds offered in review mode. */
const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
/** The bookmark shortcut, while focus is in the widget: Alt+B (the key's position, so any layout). */
export const BOOKMARK_KEY = "KeyB";
const BOOKMARK_KEY_LABEL = "Alt+B";
const BOOKMARK_KEY_ARIA = "Alt+B";

/**
 * @typedef {object} ViewElements
 * @property {HTMLDivElement} root
 * @property {HTMLButtonElement} toggle
 * @property {HTMLButtonElement} pause
 * @property {HTMLButtonElement} mark
 * @property {HTMLSpanElement} elapsed
 * @property {HTMLDivElement} meter
 * @property {HTMLDivElement} meterFill
 * @property {HTMLSpanElement} statusText
 * @property {HTMLSpanElement} statusDetail
 * @property {HTMLSpanElement} engine
 * @property {HTMLDivElement} progress
 * @property {HTMLSelectElement} device
 * @property {HTMLInputElement} times
 * @property {HTMLButtonElement} clear
 * @property {HTMLButtonElement} copy
 * @property {HTMLDetailsElement} exportMenu
 * @property {HTMLButtonElement[]} exportButtons
 * @property {HTMLDivElement} error
 * @property {HTMLDivElement} unsent
 * @property {HTMLParagraphElement} unsentText
 * @property {HTMLDivElement} unsentActions
 * @property {HTMLButtonElement} unsentSend
 * @property {HTMLButtonElement} unsentDownload
 * @property {HTMLButtonElement} unsentDiscard
 * @property {HTMLDivElement} review
 * @property {HTMLButtonElement} play
 * @property {HTMLSelectElement} speed
 * @property {HTMLSpanElement} playerNote
 * @property {HTMLInputElement} search
 * @property {HTMLSpanElement} searchCount
 * @property {HTMLButtonElement} searchPrevious
 * @property {HTMLButtonElement} searchNext
 * @property {HTMLAudioElement} audio
 * @property {HTMLDivElement} bookmarks
 * @property {HTMLDivElement} transcript
 * @property {HTMLSpanElement} final
 * @property {Text} gap
 * @property {HTMLSpanElement} interim
 * @property {HTMLParagraphElement} hint
 */

/**
 * @param {Document} doc
 * @returns {ViewElements}
 */
export function buildView(doc) {
  const root = element(doc, "div", "lt-root");

  const bar = element(doc, "div", "lt-bar");
  const toggle = element(doc, "button", "lt-toggle", { type: "button", "aria-pressed": "false" });
  const pause = element(doc, "button", "lt-button lt-pause", { type: "button", title: "Pause the recording" }, "Pause");
  const mark = element(
    doc, "button", "lt-button lt-mark",
    { type: "button", title: `Bookmark this moment (${BOOKMARK_KEY_LABEL})`, "aria-keyshortcuts": BOOKMARK_KEY_ARIA },
    "Bookmark",
  );
  const elapsed = element(doc, "span", "lt-elapsed", { role: "timer", "aria-label": "Recording time", title: "Recording time, pauses excluded" }, "00:00");
  const meter = element(doc, "div", "lt-meter", {
    role: "meter",
    "aria-label": "Microphone level",
    "aria-valuemin": "0",
    "aria-valuemax": "100",
    "aria-valuenow": "0",
    "data-level": "0",
    title: "Microphone level",
  });
  const meterFill = element(doc, "div", "lt-meter-fill");
  meter.append(meterFill);
  const status = element(doc, "div", "lt-status", { role: "status" });
  const dot = element(doc, "span", "lt-dot", { "aria-hidden": "true" });
  const statusText = element(doc, "span", "lt-status-text");
  const statusDetail = element(doc, "span", "lt-status-detail");
  const engine = element(doc, "span", "lt-engine");
  status.append(dot, statusText, statusDetail, engine);
  const progress = element(doc, "div", "lt-progress", { role: "progressbar", "aria-label": "Loading the speech model" });
  progress.append(element(doc, "span", "lt-progress-bar"));
  bar.append(toggle, pause, mark, elapsed, meter, status, progress);

  const tools = element(doc, "div", "lt-tools");
  const device = element(doc, "select", "lt-device", { "aria-label": "Microphone", title: "Microphone (used from the next Start)" });
  const timesLabel = element(doc, "label", "lt-check", { title: "Show when each utterance began" });
  const times = element(doc, "input", "lt-times", { type: "checkbox" });
  timesLabel.append(times, doc.createTextNode("Timestamps"));
  const spacer = element(doc, "span", "lt-spacer");
  const clear = element(doc, "button", "lt-button lt-clear", { type: "button", title: "Forget the transcript" }, "Clear");
  const copy = element(doc, "button", "lt-button lt-copy", { type: "button", title: "Copy the transcript to the clipboard" }, "Copy");
  const exportMenu = element(doc, "details", "lt-export");
  const summary = element(doc, "summary", "lt-button", { title: "Download the transcript" }, "Export");
  // A strip beside the button rather than a list below it: output areas clip what overflows them.
  const menu = element(doc, "div", "lt-export-menu", { role: "group", "aria-label": "Export formats" });
  const exportButtons = EXPORT_FORMATS.map((format) => {
    const name = format.toUpperCase();
    return element(doc, "button", "lt-export-item", { type: "button", "data-format": format, "aria-label": `Download ${name}`, title: `Download transcript.${format}` }, name);
  });
  menu.append(element(doc, "span", "lt-export-label", { "aria-hidden": "true" }, "Download"), ...exportButtons);
  exportMenu.append(summary, menu);
  tools.append(device, timesLabel, spacer, clear, copy, exportMenu);

  const error = element(doc, "div", "lt-error", { role: "alert" });

  // Audio kept by the browser that did not reach the kernel (see keeper/audio-keeper.js).
  const unsent = element(doc, "div", "lt-unsent", { role: "region", "aria-label": "Audio not transcribed" });
  const unsentText = element(doc, "p", "lt-unsent-text", { role: "status" });
  const unsentActions = element(doc, "div", "lt-unsent-actions");
  const unsentSend = element(doc, "button", "lt-button", { type: "button", title: "Send the kept audio to the kernel, to be transcribed" }, "Send to the kernel");
  const unsentDownload = element(doc, "button", "lt-button", { type: "button", title: "Save the kept audio as a file" }, "Download");
  const unsentDiscard = element(doc, "button", "lt-button", { type: "button", title: "Delete the kept audio from this browser" }, "Discard");
  unsentActions.append(unsentSend, unsentDownload, unsentDiscard);
  unsent.append(unsentText, unsentActions);

  // Review mode: play back from any word, search; shown once there are final words.
  const review = element(doc, "div", "lt-review", { role: "group", "aria-label": "Review" });
  const play = element(doc, "button", "lt-button lt-play", { type: "button" }, "Play");
  const speed = element(doc, "select", "lt-speed", { "aria-label": "Playback speed", title: "Playback speed" });
  for (const rate of SPEEDS) speed.append(element(doc, "option", "", { value: String(rate) }, `${rate}×`));
  speed.value = "1";
  const playerNote = element(doc, "span", "lt-player-note", { role: "status" });
  const search = element(doc, "input", "lt-search", {
    type: "search",
    placeholder: "Search",
    "aria-label": "Search the transcript",
    title: "Search the transcript (Enter: next match, Shift+Enter: previous)",
  });
  const searchCount = element(doc, "span", "lt-search-count", { "aria-live": "polite" });
  const searchPrevious = element(doc, "button", "lt-button lt-search-step", { type: "button", "aria-label": "Previous match", title: "Previous match" }, "↑");
  const searchNext = element(doc, "button", "lt-button lt-search-step", { type: "button", "aria-label": "Next match", title: "Next match" }, "↓");
  const audio = element(doc, "audio", "lt-audio", { preload: "auto" });
  audio.hidden = true;
  review.append(play, speed, playerNote, element(doc, "span", "lt-spacer"), search, searchCount, searchPrevious, searchNext, audio);
  const bookmarks = element(doc, "div", "lt-bookmarks", { role: "list", "aria-label": "Bookmarks" });

  const body = element(doc, "div", "lt-body");
  const transcript = element(doc, "div", "lt-transcript", {
    role: "log",
    "aria-live": "polite",
    "aria-label": "Transcript",
    tabindex: "0",
  });
  const final = element(doc, "span", "lt-final");
  const gap = doc.createTextNode("");
  // Interim text rewrites itself several times a second; announcing every rewrite would drown
  // screen-reader users, who hear each phrase once it is final.
  const interim = element(doc, "span", "lt-interim", { "aria-hidden": "true" });
  transcript.append(final, gap, interim);
  const hint = element(doc, "p", "lt-hint");
  body.append(transcript, hint);

  root.append(bar, tools, error, unsent, review, body, bookmarks);
  return {
    root, toggle, pause, mark, review, play, speed, playerNote, search, searchCount, searchPrevious, searchNext, audio, bookmarks, elapsed, meter, meterFill, statusText, statusDetail, engine, progress, device,
    times, clear, copy, exportMenu, exportButtons, error, unsent, unsentText, unsentActions, unsentSend,
    unsentDownload, unsentDiscard, transcript, final, gap, interim, hint,
  };
}

