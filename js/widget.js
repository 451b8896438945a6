// @ts-check
/**
 * Front end of `LiveTranscriber`: records the microphone with MediaRecorder and sends the
 * audio to the kernel as binary custom messages; renders the transcript the kernel syncs back.
 *
 * Browser → kernel (custom messages; a recording is one Start..Stop, `recording` its random id):
 *   {type: "start", recording, mime_type}          recorder created, before recorder.start()
 *   {type: "start", recording, mime_type, recovered: true}
 *                                                  audio kept from an interrupted recording, sent
 *                                                  again as a recording of its own (see below)
 *   {type: "chunk", recording, seq, size} + [buf]  every non-empty 250 ms blob, in recording order
 *   {type: "pause"} / {type: "resume"}             the recorder was paused / resumed (same recording)
 *   {type: "stop", recording, chunks}              after the recorder's last blob has been sent
 *   {type: "client_error", kind, message}          a browser-side failure (also shown at once)
 *   {type: "clear"}                                forget the transcript
 *   {type: "history"}                              send every final result (a new or reloaded view)
 *   {type: "export", format}                       send the transcript as txt, srt, vtt or json
 *   {type: "recover", recordings: [id, ...]}       what do you have of these recordings? (below)
 * Review mode (at any time; see live_transcriber/protocol.py):
 *   {type: "audio", recording}                     send me recording number `recording` (the
 *                                                  results' `recording`), to play it from a word
 *   {type: "edit", index, word, text}              a word corrected in place
 *   {type: "speaker", speaker, name}               a speaker renamed
 *   {type: "bookmark", elapsed}                    a bookmark now, in the recording in progress
 * Kernel → browser (custom messages): {type: "stop_recording", reason, recording?} asks for a
 *   normal stop (of that recording only, when named: another tab took over);
 *   {type: "history", results} answers "history"; {type: "export", filename, mime_type, content}
 *   answers "export" and becomes a download; {type: "ack", recording, chunks, done}: the first
 *   `chunks` chunks of the recording are safe (on disk in the kernel's journal), `done`: all of it
 *   is transcribed; {type: "recover", recordings: [{recording, state, received, done?, failed?}]}
 *   answers "recover": state "open" (still recording in the kernel, which has chunks
 *   0..received-1), "ended" (done: transcribed; failed: ended in an error) or "unknown";
 *   {type: "results_changed", results} after a correction: these results replace the ones with
 *   their `index`; {type: "audio", recording, mime_type, offset, done, part, parts} + [buf]
 *   answers "audio" in `parts` pieces (offset: where the recording starts on the timeline; done:
 *   it has ended, so the view keeps it), or {type: "audio", recording, error}.
 * Both ways (trait): keyterms, the words the engine listens for (the page sets it from its field,
 *   the kernel tidies it); keyterms_supported (kernel → browser) says whether the engine uses them.
 * Kernel → browser (traits): status (one of STATUS below) and status_detail (e.g. "attempt 2 of 5",
 *   shown beside it, may be empty), error, transcript, interim, engine_label, and results: the
 *   latest final results, each with its `index` (views append only the ones they have not shown),
 *   its `utterance` number (the kernel decides where utterances end: results with the same number
 *   form one block on screen) and that utterance's `speaker` (a number, or null); _identity:
 *   {widget, process, kernel}, who records (a random id per widget, per kernel process, and the
 *   Jupyter kernel id, which a restart keeps); speakers (names by speaker number), bookmarks,
 *   keep_audio (false: nothing to play back), confidence_threshold (null: no marks).
 * Browser → kernel (trait): revision, counted up on every change of transcript, status or error
 *   where the kernel set it to a number (in marimo, which re-runs the cells that read a widget
 *   only when the browser changes one of its traits); null elsewhere, and then never written.
 * Messages leave in order: `send` settles once the host has taken a message (at once in Jupyter,
 *   after its HTTP request in marimo, where one request can overtake another), and the messages
 *   of a recording wait for the one before.
 *
 * Unconfirmed audio. Each chunk is also kept in IndexedDB (database "live-transcriber", filed
 * under its recording and _identity) until the kernel acknowledges it; chunk 0 (the container
 * header) and the chunks from the last entry point before the first unconfirmed one (a WebM
 * Cluster, an Ogg page, an MP4 fragment) stay until the recording is done, so that what was not
 * confirmed can be decoded on its own. A recording still being recorded holds a Web Lock, so no
 * other tab takes it for lost. When a view is shown, and after each Stop, the page asks its
 * kernel about the recordings it keeps that belong here: this widget's own, those of a widget
 * the kernel closed, and those of a kernel process that a restart replaced. A busy kernel
 * answers late, never wrongly: its queue holds the chunks sent before the question. Then:
 *   - open, chunks missing: offer to send them under the same id and numbers, then "stop";
 *     open, none missing: just send "stop" (a page reloaded mid-recording);
 *   - ended or unknown, chunks missing: offer to send them as a new recording (`recovered: true`):
 *     chunk 0 up to its entry point, then the media from the last entry point before the first
 *     missing chunk; the kept recording is deleted once the kernel confirms the new one;
 *   - ended and done (or failed with everything received): delete; ended, still transcribing: wait.
 * The offer says how much audio it is, and can download it instead, or discard it. At most
 * STORE_LIMIT_MB are kept (localStorage "live-transcriber:store-limit-mb" overrides it): past it,
 * new audio is still sent but no longer kept, and the widget says so.
 *
 * The recorder belongs to the model, not to a view, so a widget displayed twice records once.
 *
 * Sections, in order:
 *   1. Settings and types
 *   2. Pure logic, exported for the unit tests (tests/js/widget.test.mjs): status line, clock
 *      format, ResultStore, utterance blocks, MIME type choice, environment checks and media error
 *      descriptions, loudness, RecordingClock, the keyterms field's text; unconfirmed audio:
 *      entry points, what to keep, what to send again, how to say it; review mode: the word at a
 *      time, confidence marks, corrected words, speaker labels, search matches, the parts of an
 *      audio reply
 *   3. LevelMeter: the microphone's level, from Web Audio
 *   4. SharedRecorder: microphone, MediaRecorder and comm of one model, shared by its views;
 *      the unconfirmed audio it keeps, and the offer to send it again
 *   5. Browser helpers: AudioStore (IndexedDB), Web Locks, storage, downloads, clipboard
 *   6. View: the DOM of one view, painted from the model and the recorder; review mode: words
 *      as FinalText draws them, Player (play back from a word, the word heard lit), corrections
 *      and speaker names typed in place, search, bookmarks
 *   7. anywidget entry point
 * The styles are in widget.css, which anywidget loads through the widget's `_css`.
 */

import { copyText, errorName, errorText } from "./browser.js";
import { editInPlace, element, isNearBottom, scrollIntoBox, setText } from "./dom.js";
import { describeUnsent } from "./keeper/rules.js";
import { interimSeparator, speakerLabel, startsUtterance, utteranceHeading } from "./results.js";
import { AudioParts } from "./review/player.js";
import { editedWords, findMatches, isUnsure, recordingTime, wordAt, wordText, wordTitle } from "./review/words.js";
import { WidgetSession } from "./session.js";
import { formatClock } from "./time.js";
import { statusLine } from "./view/controls.js";
import { formatKeyterms, parseKeyterms } from "./view/keyterms.js";
import { KERNEL, PAGE, STATUS } from "./vocabulary.js";

/** @typedef {import("./model.js").FinalResult} FinalResult */
/** @typedef {import("./model.js").Bookmark} Bookmark */
/** @typedef {import("./model.js").ModelState} ModelState */
/** @typedef {import("./model.js").Model} Model */
/** @typedef {import("./results.js").ResultStore} ResultStore */
/** @typedef {import("./session.js").Change} Change */
/** @typedef {import("./vocabulary.js").PageMessage} PageMessage */

const EXPORT_FORMATS = ["txt", "srt", "vtt", "json"];
/** Playback speeds offered in review mode. */
const SPEEDS = [0.75, 1, 1.25, 1.5, 2];
/** The bookmark shortcut, while focus is in the widget: Alt+B (the key's position, so any layout). */
const BOOKMARK_KEY = "KeyB";
const BOOKMARK_KEY_LABEL = "Alt+B";
const BOOKMARK_KEY_ARIA = "Alt+B";
/** Why nothing can be played, on hover. */
const NO_AUDIO = "The audio was not kept (keep_audio=False), so it cannot be played back.";

// ---------------------------------------------------------------------------------------------
// 6. View

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
function buildView(doc) {
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

  // Audio kept by the browser that did not reach the kernel (see "Unconfirmed audio" at the top).
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

/**
 * How final words are shown: the speakers' names, and where the confidence marks start.
 * @typedef {object} TextOptions
 * @property {Record<string, string>} names
 * @property {number | null} threshold
 */

/**
 * A word on screen, for playback and search.
 * @typedef {object} ShownWord
 * @property {HTMLSpanElement} el
 * @property {number} start
 * @property {number} recording
 */

/**
 * Final results as utterance blocks: one `.lt-utt` per utterance (see `startsUtterance`), each
 * result's words in a `.lt-text` span, each word a `.lt-word` span. Only results not shown yet
 * are appended, so a long transcript is never re-rendered while it grows; a correction, a new
 * speaker name or threshold rebuilds it.
 */
class FinalText {
  /** @param {HTMLSpanElement} container */
  constructor(container) {
    this.container = container;
    this.generation = -1;
    this.shown = 0;
    /** @type {TextOptions} */
    this.options = { names: {}, threshold: null };
    this.optionsKey = "";
    /** The block results are appended to. @type {HTMLSpanElement | null} */
    this.open = null;
    /** The last result shown. @type {FinalResult | null} */
    this.last = null;
    /** Every word shown, in order. @type {ShownWord[]} */
    this.words = [];
    /** The words of each recording, in time order (for playback). @type {Map<number, ShownWord[]>} */
    this.byRecording = new Map();
  }

  /**
   * @param {ResultStore} store
   * @param {TextOptions} options
   * @returns {boolean} whether it was rebuilt
   */
  update(store, options) {
    const key = JSON.stringify(options);
    const rebuild = store.generation !== this.generation || key !== this.optionsKey;
    if (rebuild) {
      this.container.replaceChildren();
      this.generation = store.generation;
      this.options = options;
      this.optionsKey = key;
      this.shown = 0;
      this.open = null;
      this.last = null;
      this.words = [];
      this.byRecording.clear();
    }
    const doc = this.container.ownerDocument;
    for (; this.shown < store.items.length; this.shown += 1) this.append(doc, store.items[this.shown]);
    return rebuild;
  }

  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  append(doc, result) {
    if (!result.text) return;
    if (!this.open || startsUtterance(this.last, result)) {
      if (this.open) this.container.append("\n");
      const heading = utteranceHeading(result, this.options.names);
      const block = element(doc, "span", "lt-utt", { "data-time": heading.time, "data-utterance": String(result.utterance) });
      if (heading.speaker && typeof result.speaker === "number") {
        block.append(
          element(
            doc,
            "span",
            "lt-meta lt-speaker",
            { role: "button", tabindex: "0", "data-speaker": String(result.speaker), title: "Rename this speaker everywhere" },
            heading.speaker,
          ),
        );
      }
      this.container.append(block);
      this.open = block;
    } else {
      this.open.append(" ");
    }
    this.open.append(this.textOf(doc, result));
    this.last = result;
  }

  /**
   * @param {Document} doc
   * @param {FinalResult} result
   */
  textOf(doc, result) {
    const recording = typeof result.recording === "number" ? result.recording : 0;
    const text = element(doc, "span", "lt-text", { "data-index": String(result.index), "data-recording": String(recording) });
    const words = result.words ?? [];
    if (!words.length) {
      text.textContent = result.text;
      return text;
    }
    const edited = editedWords(result);
    let shown = this.byRecording.get(recording);
    if (!shown) this.byRecording.set(recording, (shown = []));
    words.forEach((word, i) => {
      if (i) text.append(" ");
      const span = element(doc, "span", "lt-word", {
        tabindex: this.words.length ? "-1" : "0",
        "data-word": String(i),
        "data-start": String(word.start),
        title: wordTitle(word, edited.has(i)),
      }, wordText(word));
      if (isUnsure(word.confidence, this.options.threshold)) span.classList.add("lt-unsure");
      if (edited.has(i)) span.classList.add("lt-edited");
      const entry = { el: span, start: word.start, recording };
      this.words.push(entry);
      shown.push(entry);
      text.append(span);
    });
    return text;
  }
}

/**
 * Plays the recordings back from any word, for one view. Each recording's audio comes from the
 * kernel once (an "audio" request) and is kept as a Blob URL until the view goes; while it plays,
 * the word being heard is lit (`.lt-playing`) and kept in sight.
 */
class Player {
  /**
   * @param {HTMLAudioElement} audio
   * @param {(content: PageMessage) => void} send
   * @param {() => void} changed the player's state changed (playing, loading, an error)
   * @param {(recording: number) => ShownWord[]} wordsOf the words on screen of a recording
   * @param {(word: ShownWord) => void} reveal keeps a word in sight
   */
  constructor(audio, send, changed, wordsOf, reveal) {
    this.audio = audio;
    this.send = send;
    this.changed = changed;
    this.wordsOf = wordsOf;
    this.reveal = reveal;
    this.parts = new AudioParts();
    /** Each recording's audio, once it came. @type {Map<number, {url: string, offset: number, done: boolean}>} */
    this.sources = new Map();
    /** The recording whose audio is loaded (or loading) in the element, -1 for none. */
    this.recording = -1;
    /** What to play once a recording's audio comes. @type {{recording: number, time: number} | null} */
    this.wanted = null;
    this.error = "";
    /** @type {ShownWord | null} */
    this.lit = null;
    this.frame = 0;
    this.disposed = false;
    this.follow = () => this.light();
    const onState = () => {
      this.light(); // lights the word at once, and goes on while playing
      this.changed();
    };
    const onError = () => {
      if (!this.audio.getAttribute("src")) return;
      this.error = "This browser cannot play the recording's audio format.";
      this.changed();
    };
    this.listening = new AbortController();
    const { signal } = this.listening;
    for (const name of ["play", "pause", "ended"]) audio.addEventListener(name, onState, { signal });
    audio.addEventListener("error", onError, { signal });
    audio.addEventListener("seeked", this.follow, { signal });
  }

  get playing() {
    return !this.audio.paused && !this.audio.ended;
  }

  get loading() {
    return this.wanted !== null;
  }

  /**
   * Plays `recording` from `time` (seconds on the transcript's timeline).
   * @param {number} recording
   * @param {number} time
   * @param {boolean} [fresh] its audio just came
   */
  playFrom(recording, time, fresh = false) {
    this.error = "";
    const source = this.sources.get(recording);
    // A recording still going on is asked for again, to hear its latest audio.
    if (!source || (!source.done && !fresh)) {
      this.wanted = { recording, time };
      this.send({ type: PAGE.AUDIO, recording });
      this.changed();
      return;
    }
    this.wanted = null;
    if (this.recording !== recording || this.audio.src !== source.url) {
      this.recording = recording;
      this.audio.src = source.url;
    }
    const at = recordingTime(time, source.offset);
    // Seeking before the metadata is known is lost: wait for it.
    const seekAndPlay = () => {
      this.audio.currentTime = at;
      this.play();
    };
    if (this.audio.readyState >= HTMLMediaElement.HAVE_METADATA) seekAndPlay();
    else this.audio.addEventListener("loadedmetadata", seekAndPlay, { once: true, signal: this.listening.signal });
    this.changed();
  }

  play() {
    this.audio.play().catch((/** @type {unknown} */ err) => {
      if (errorName(err) === "AbortError") return; // another seek or pause came first
      this.error = `Cannot play the recording: ${errorText(err)}`;
      this.changed();
    });
  }

  /**
   * Play/pause: from where it was, or from `from` when nothing is loaded yet.
   * @param {ShownWord | undefined} from
   */
  toggle(from) {
    if (this.playing) this.audio.pause();
    else if (this.recording >= 0 && this.sources.has(this.recording)) this.play();
    else if (from) this.playFrom(from.recording, from.start);
  }

  /** @param {number} rate */
  setSpeed(rate) {
    this.audio.playbackRate = rate;
    this.audio.defaultPlaybackRate = rate;
  }

  /**
   * An "audio" reply of the kernel.
   * @param {any} msg
   * @param {BlobPart[] | undefined} buffers
   */
  onAudio(msg, buffers) {
    if (this.disposed || typeof msg.recording !== "number") return;
    if (msg.error) {
      if (this.wanted?.recording === msg.recording) {
        this.wanted = null;
        this.error = String(msg.error);
        this.changed();
      }
      return;
    }
    const whole = this.parts.add(msg, buffers?.[0]);
    if (!whole) return;
    const old = this.sources.get(whole.recording);
    if (old) URL.revokeObjectURL(old.url);
    const url = URL.createObjectURL(new Blob(whole.buffers, { type: whole.mimeType }));
    this.sources.set(whole.recording, { url, offset: whole.offset, done: whole.done });
    const wanted = this.wanted;
    if (wanted?.recording === whole.recording) this.playFrom(wanted.recording, wanted.time, true);
  }

  /** Lights the word being heard, and keeps going while playback does. */
  light() {
    cancelAnimationFrame(this.frame);
    const source = this.sources.get(this.recording);
    const offset = source?.offset ?? 0;
    const words = this.wordsOf(this.recording);
    const at = wordAt(words, this.audio.currentTime + offset);
    const word = at >= 0 ? words[at] : null;
    if (word !== this.lit) {
      this.lit?.el.classList.remove("lt-playing");
      this.lit?.el.removeAttribute("aria-current");
      this.lit = word;
      if (word) {
        word.el.classList.add("lt-playing");
        word.el.setAttribute("aria-current", "true");
        this.reveal(word);
      }
    }
    if (this.playing) this.frame = requestAnimationFrame(this.follow);
  }

  /** The words were drawn again: light the new element of the word being heard. */
  redrawn() {
    this.lit = null;
    this.light();
  }

  dispose() {
    this.disposed = true;
    cancelAnimationFrame(this.frame);
    this.listening.abort();
    this.audio.pause();
    this.audio.removeAttribute("src");
    for (const source of this.sources.values()) URL.revokeObjectURL(source.url);
    this.sources.clear();
  }
}

/**
 * @param {ViewElements} ui
 * @param {WidgetSession} session
 * @param {Model} model
 * @param {FinalResult | null} lastShown the last final result this view shows
 */
function paintView(ui, session, model, lastShown) {
  const recorder = session.recorder;
  const status = String(model.get("status") ?? "");
  const finalText = String(model.get("transcript") ?? "");
  const interimText = String(model.get("interim") ?? "");
  const engineLabel = String(model.get("engine_label") ?? "");
  const active = recorder.phase !== "off";
  const recording = recorder.phase === "recording";

  ui.root.dataset.phase = recorder.phase;
  ui.root.dataset.status = status;
  ui.root.dataset.paused = String(recorder.paused);
  ui.root.classList.toggle("lt-show-times", session.showTimes);
  setText(ui.toggle, active ? "Stop" : "Start");
  ui.toggle.setAttribute("aria-pressed", String(active));
  ui.toggle.disabled = recorder.phase === "stopping" || (!active && status === STATUS.FINISHING);
  setText(ui.pause, recorder.paused ? "Resume" : "Pause");
  ui.pause.title = recorder.paused ? "Go on recording" : "Pause the recording";
  ui.pause.disabled = !recording;
  const line = statusLine(recorder.phase, recorder.paused, status, String(model.get("status_detail") ?? ""));
  setText(ui.statusText, line.label);
  setText(ui.statusDetail, line.detail);
  setText(ui.engine, engineLabel);
  ui.progress.hidden = status !== STATUS.LOADING_MODEL;
  ui.device.disabled = active;
  ui.times.checked = session.showTimes;
  ui.clear.disabled = !finalText && !interimText;
  ui.copy.disabled = !finalText;
  ui.mark.disabled = !recording;

  const errors = [...new Set([String(model.get("error") ?? ""), recorder.localError])].filter(Boolean);
  setText(ui.error, errors.join("\n"));

  const keeper = session.keeper;
  const offer = keeper.unsent.length ? describeUnsent(keeper.unsent.map((u) => ({ seconds: u.seconds, created: u.kept.created }))) : "";
  setText(ui.unsentText, [offer, keeper.note].filter(Boolean).join("\n"));
  ui.unsent.hidden = !offer && !keeper.note;
  ui.unsentActions.hidden = !offer;
  // A recovered recording would take the place of the one being recorded: send once it is done.
  ui.unsentSend.disabled = recorder.phase !== "off";
  ui.unsentSend.title =
    recorder.phase === "off" ? "Send the kept audio to the kernel, to be transcribed" : "Stop recording first: the kept audio is sent as a recording of its own";

  ui.gap.data = interimSeparator(lastShown, interimText);
  setText(ui.interim, interimText);
  setText(ui.hint, active ? "Listening…" : "Press Start and speak");
  ui.hint.hidden = Boolean(finalText || interimText);
}

/**
 * @param {ViewElements} ui
 * @param {WidgetSession} session
 */
function paintTick(ui, session) {
  const recorder = session.recorder;
  const level = recorder.phase === "recording" ? recorder.level : 0;
  ui.meter.dataset.level = level.toFixed(2);
  ui.meter.setAttribute("aria-valuenow", String(Math.round(level * 100)));
  ui.meterFill.style.transform = `scaleX(${level.toFixed(3)})`;
  setText(ui.elapsed, formatClock(recorder.clock.elapsedMs() / 1000));
}

/**
 * @param {ViewElements} ui
 * @param {WidgetSession} session
 */
function paintDevices(ui, session) {
  const microphones = session.recorder.microphones;
  const doc = ui.device.ownerDocument;
  const options = [element(doc, "option", "", { value: "" }, "Default microphone")];
  for (const device of microphones.devices) options.push(element(doc, "option", "", { value: device.id }, device.label));
  if (microphones.deviceId && !microphones.devices.some((d) => d.id === microphones.deviceId)) {
    options.push(element(doc, "option", "", { value: microphones.deviceId }, "Chosen microphone (not found)"));
  }
  ui.device.replaceChildren(...options);
  ui.device.value = microphones.deviceId;
}

/**
 * The keyterms field: words and names the engine should listen for, kept in the `keyterms` trait.
 * Enter (or leaving the field) applies them, also while recording; the kernel's tidied list then
 * comes back and is shown, unless the field is being edited.
 * @param {Document} doc
 * @param {Model} model
 * @returns {{node: HTMLLabelElement, cleanup: () => void}}
 */
function keytermsField(doc, model) {
  const node = element(doc, "label", "lt-keyterms");
  const input = element(doc, "input", "lt-keyterms-input", {
    type: "text", autocomplete: "off", spellcheck: "false", placeholder: "names, jargon, …",
  });
  node.append(doc.createTextNode("Keyterms"), input);
  const paint = () => {
    const supported = Boolean(model.get("keyterms_supported"));
    input.disabled = !supported;
    node.title = supported
      ? "Words and names to listen for, separated by commas; Enter applies them, also while recording"
      : "This engine does not use keyterms";
    if (doc.activeElement !== input) input.value = formatKeyterms(model.get("keyterms"));
  };
  const apply = () => {
    model.set("keyterms", parseKeyterms(input.value));
    model.save_changes();
    input.value = formatKeyterms(model.get("keyterms"));
  };
  // Notebook front ends may take Enter for themselves before the input commits its value.
  /** @param {KeyboardEvent} event */
  const onKey = (event) => {
    if (event.key === "Enter") apply();
  };
  input.addEventListener("change", apply);
  input.addEventListener("keydown", onKey);
  model.on("change:keyterms", paint);
  model.on("change:keyterms_supported", paint);
  paint();
  return {
    node,
    cleanup() {
      input.removeEventListener("change", apply);
      input.removeEventListener("keydown", onKey);
      model.off("change:keyterms", paint);
      model.off("change:keyterms_supported", paint);
    },
  };
}

/**
 * The review controls: play/pause, the player's note, the bookmarks.
 * @param {ViewElements} ui
 * @param {Player} player
 * @param {Model} model
 * @param {boolean} hasWords
 */
function paintReview(ui, player, model, hasWords) {
  const playable = model.get("keep_audio") !== false;
  ui.review.hidden = !hasWords;
  ui.root.classList.toggle("lt-playable", playable);
  ui.play.disabled = !playable;
  setText(ui.play, player.playing ? "Pause" : "Play");
  ui.play.setAttribute("aria-label", player.playing ? "Pause playback" : "Play the recording");
  ui.play.title = playable ? (player.playing ? "Pause playback" : "Play from the selected word (or click a word)") : NO_AUDIO;
  ui.speed.disabled = !playable;
  ui.speed.title = playable ? "Playback speed" : NO_AUDIO;
  setText(ui.playerNote, player.error || (player.loading ? "Loading the audio…" : ""));
}

/**
 * @param {ViewElements} ui
 * @param {Model} model
 */
function paintBookmarks(ui, model) {
  const doc = ui.bookmarks.ownerDocument;
  const marks = /** @type {Bookmark[]} */ (model.get("bookmarks") ?? []);
  const playable = model.get("keep_audio") !== false;
  ui.bookmarks.replaceChildren(
    ...marks.map((mark) => {
      const item = element(doc, "span", "lt-bookmark-item", { role: "listitem" });
      const canPlay = playable && typeof mark.recording === "number";
      const text = `${formatClock(mark.time)}${mark.label ? ` ${mark.label}` : ""}`;
      const button = element(doc, "button", "lt-bookmark", {
        type: "button",
        "data-time": String(mark.time),
        "data-recording": String(mark.recording ?? ""),
        title: canPlay ? `Play from this bookmark (${formatClock(mark.time)})` : `Bookmark at ${formatClock(mark.time)}`,
      }, text);
      button.disabled = !canPlay;
      item.append(button);
      return item;
    }),
  );
  ui.bookmarks.hidden = !marks.length;
}

/**
 * @param {WidgetSession} session
 * @param {Model} model this view's handle on the model
 * @param {HTMLElement} el
 * @returns {() => void} cleanup
 */
function renderView(session, model, el) {
  const recorder = session.recorder;
  const doc = el.ownerDocument;
  const ui = buildView(doc);
  const finals = new FinalText(ui.final);
  const keyterms = keytermsField(doc, model);
  ui.times.parentElement?.after(keyterms.node);
  el.append(ui.root);

  // Follows new text unless the reader scrolled up; scrolling back to the bottom follows again.
  let followTail = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let copyTimer;
  /** The word to focus once the words are drawn again (after a correction). @type {{index: string, word: string} | null} */
  let refocus = null;
  /** The search: its matches (words on screen) and which one is current. */
  /** @type {{query: string, matches: ShownWord[][], current: number}} */
  const search = { query: "", matches: [], current: -1 };

  /** @param {ShownWord} word */
  const reveal = (word) => {
    scrollIntoBox(ui.transcript, word.el);
    followTail = isNearBottom(ui.transcript);
  };
  const player = new Player(
    ui.audio,
    (content) => void session.send(content),
    () => paintReview(ui, player, model, finals.words.length > 0),
    (recording) => finals.byRecording.get(recording) ?? [],
    reveal,
  );
  /** @returns {TextOptions} */
  const textOptions = () => {
    const threshold = model.get("confidence_threshold");
    return { names: model.get("speakers") ?? {}, threshold: typeof threshold === "number" ? threshold : null };
  };
  /** @param {HTMLElement} word the one keyboard focus comes back to (roving tabindex) */
  const focusWord = (word) => {
    for (const other of ui.final.querySelectorAll('.lt-word[tabindex="0"]')) other.setAttribute("tabindex", "-1");
    word.setAttribute("tabindex", "0");
    word.focus({ preventScroll: true });
    scrollIntoBox(ui.transcript, word);
    followTail = isNearBottom(ui.transcript);
  };
  /** @param {HTMLElement} span */
  const shownWord = (span) => finals.words.find((w) => w.el === span);

  const paintSearch = () => {
    for (const node of ui.final.querySelectorAll(".lt-match")) node.classList.remove("lt-match", "lt-match-current");
    const matches = findMatches(finals.words.map((w) => w.el.textContent ?? ""), search.query);
    search.matches = matches.map((positions) => positions.map((i) => finals.words[i]));
    if (search.current >= search.matches.length) search.current = search.matches.length - 1;
    search.matches.forEach((match, m) => {
      for (const word of match) word.el.classList.add("lt-match", ...(m === search.current ? ["lt-match-current"] : []));
    });
    const count = search.matches.length;
    setText(ui.searchCount, !search.query.trim() ? "" : count === 0 ? "no matches" : search.current >= 0 ? `${search.current + 1} of ${count}` : `${count} found`);
    ui.searchPrevious.disabled = ui.searchNext.disabled = count === 0;
  };
  /** @param {number} step +1: next match, -1: previous */
  const jump = (step) => {
    const count = search.matches.length;
    if (!count) return;
    search.current = search.current < 0 ? (step > 0 ? 0 : count - 1) : (search.current + step + count) % count;
    paintSearch();
    focusWord(search.matches[search.current][0].el);
  };

  const onScroll = () => {
    followTail = isNearBottom(ui.transcript);
  };
  const scroll = () => {
    if (followTail && !player.playing) ui.transcript.scrollTop = ui.transcript.scrollHeight;
  };
  const paint = () => {
    paintView(ui, session, model, finals.last);
    paintReview(ui, player, model, finals.words.length > 0);
    scroll();
  };
  const paintResults = () => {
    const top = ui.transcript.scrollTop;
    const rebuilt = finals.update(session.results, textOptions());
    if (rebuilt) {
      ui.transcript.scrollTop = top;
      player.redrawn();
      const again = refocus && ui.final.querySelector(`.lt-text[data-index="${refocus.index}"] .lt-word[data-word="${refocus.word}"]`);
      if (again instanceof HTMLElement) focusWord(again);
      refocus = null;
    }
    if (search.query) paintSearch();
    paint();
  };
  /** @param {Change} change */
  const onChange = (change) => {
    if (change === "tick") paintTick(ui, session);
    else if (change === "devices") paintDevices(ui, session);
    else if (change === "results") paintResults();
    else paint();
  };
  /**
   * @param {any} msg
   * @param {DataView<ArrayBuffer>[]} [buffers] (the comm's buffers are never shared memory)
   */
  const onCustom = (msg, buffers) => {
    if (msg?.type === KERNEL.AUDIO) player.onAudio(msg, buffers);
  };
  /** @param {HTMLElement} span */
  const playWord = (span) => {
    const word = shownWord(span);
    if (word && model.get("keep_audio") !== false) player.playFrom(word.recording, word.start);
  };
  /** @param {HTMLElement} span */
  const editWord = (span) => {
    const index = span.closest(".lt-text")?.getAttribute("data-index");
    const number = span.dataset.word;
    if (index == null || number == null) return;
    player.audio.pause();
    editInPlace(span, span.textContent ?? "", `Correct the word “${span.textContent}”`, (text) => {
      refocus = { index, word: number };
      void session.send({ type: PAGE.EDIT, index: Number(index), word: Number(number), text });
    });
  };
  /** @param {HTMLElement} label */
  const renameSpeaker = (label) => {
    const speaker = Number(label.dataset.speaker);
    const name = speakerLabel(speaker, model.get("speakers") ?? {});
    editInPlace(label, name, `Rename ${name}`, (text) => void session.send({ type: PAGE.SPEAKER, speaker, name: text }));
  };
  /** @param {MouseEvent} event */
  const onTranscriptClick = (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const speaker = target?.closest(".lt-speaker");
    if (speaker instanceof HTMLElement) return renameSpeaker(speaker);
    const word = target?.closest(".lt-word");
    if (!(word instanceof HTMLElement) || (doc.getSelection()?.toString() ?? "") !== "") return; // selecting text, not playing
    focusWord(word);
    playWord(word);
  };
  /** @param {MouseEvent} event */
  const onTranscriptDoubleClick = (event) => {
    const word = event.target instanceof Element ? event.target.closest(".lt-word") : null;
    if (word instanceof HTMLElement) editWord(word);
  };
  /** @param {KeyboardEvent} event */
  const onTranscriptKey = (event) => {
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (target?.classList.contains("lt-speaker") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      renameSpeaker(target);
      return;
    }
    if (!target?.classList.contains("lt-word")) return;
    const at = finals.words.findIndex((w) => w.el === target);
    /** @type {Record<string, () => void>} */
    const keys = {
      Enter: () => playWord(target),
      F2: () => editWord(target),
      ArrowRight: () => at + 1 < finals.words.length && focusWord(finals.words[at + 1].el),
      ArrowLeft: () => at > 0 && focusWord(finals.words[at - 1].el),
      Home: () => focusWord(finals.words[0].el),
      End: () => focusWord(finals.words[finals.words.length - 1].el),
    };
    const action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // not the notebook's shortcuts
    action();
  };
  /** @param {KeyboardEvent} event */
  const onRootKey = (event) => {
    if (event.code === BOOKMARK_KEY && event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      event.stopPropagation();
      recorder.bookmark();
    }
  };
  const onPlay = () => {
    const focused = finals.words.find((w) => w.el.getAttribute("tabindex") === "0");
    player.toggle(focused ?? finals.words[0]);
  };
  const onSpeed = () => player.setSpeed(Number(ui.speed.value));
  const onSearch = () => {
    search.query = ui.search.value;
    search.current = -1;
    paintSearch();
  };
  /** @param {KeyboardEvent} event */
  const onSearchKey = (event) => {
    if (!event.altKey) event.stopPropagation(); // typing is not the notebook's shortcuts; Alt+B still bookmarks
    if (event.key === "Enter") {
      event.preventDefault();
      jump(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape") {
      ui.search.value = "";
      onSearch();
    }
  };
  /** @param {MouseEvent} event */
  const onBookmarkClick = (event) => {
    const button = event.target instanceof Element ? event.target.closest(".lt-bookmark") : null;
    if (!(button instanceof HTMLElement) || !button.dataset.recording) return;
    player.playFrom(Number(button.dataset.recording), Number(button.dataset.time));
  };
  const onToggle = () => recorder.toggle();
  const onPause = () => recorder.togglePause();
  const onMark = () => recorder.bookmark();
  const onDevice = () => recorder.microphones.choose(ui.device.value);
  const onTimes = () => session.setShowTimes(ui.times.checked);
  const onClear = () => session.send({ type: PAGE.CLEAR });
  const onSendUnsent = () => void session.keeper.sendUnsent();
  const onDownloadUnsent = () => void session.keeper.downloadUnsent();
  const onDiscardUnsent = () => session.keeper.discardUnsent();
  const onCopy = async () => {
    const copied = await copyText(String(model.get("transcript") ?? ""), doc);
    ui.copy.textContent = copied ? "Copied" : "Copy failed";
    clearTimeout(copyTimer);
    copyTimer = setTimeout(() => {
      ui.copy.textContent = "Copy";
    }, 1500);
  };
  /** @param {Event} event */
  const onExport = (event) => {
    const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
    ui.exportMenu.open = false;
    session.send({ type: PAGE.EXPORT, format: button.dataset.format });
  };
  /** @param {KeyboardEvent} event */
  const onMenuKey = (event) => {
    if (event.key === "Escape" && ui.exportMenu.open) {
      ui.exportMenu.open = false;
      ui.exportMenu.querySelector("summary")?.focus();
    }
  };
  /** @param {MouseEvent} event */
  const onDocumentClick = (event) => {
    if (ui.exportMenu.open && !(event.target instanceof Node && ui.exportMenu.contains(event.target))) {
      ui.exportMenu.open = false;
    }
  };
  const onBookmarks = () => paintBookmarks(ui, model);
  const traitEvents = ["status", "status_detail", "error", "transcript", "interim", "engine_label"].map((name) => `change:${name}`);
  const textEvents = ["speakers", "confidence_threshold"].map((name) => `change:${name}`);

  // One signal removes every DOM listener of this view at cleanup.
  const listening = new AbortController();
  const { signal } = listening;
  ui.toggle.addEventListener("click", onToggle, { signal });
  ui.pause.addEventListener("click", onPause, { signal });
  ui.mark.addEventListener("click", onMark, { signal });
  ui.device.addEventListener("change", onDevice, { signal });
  ui.times.addEventListener("change", onTimes, { signal });
  ui.clear.addEventListener("click", onClear, { signal });
  ui.unsentSend.addEventListener("click", onSendUnsent, { signal });
  ui.unsentDownload.addEventListener("click", onDownloadUnsent, { signal });
  ui.unsentDiscard.addEventListener("click", onDiscardUnsent, { signal });
  ui.copy.addEventListener("click", onCopy, { signal });
  for (const button of ui.exportButtons) button.addEventListener("click", onExport, { signal });
  ui.exportMenu.addEventListener("keydown", onMenuKey, { signal });
  ui.play.addEventListener("click", onPlay, { signal });
  ui.speed.addEventListener("change", onSpeed, { signal });
  ui.search.addEventListener("input", onSearch, { signal });
  ui.search.addEventListener("keydown", onSearchKey, { signal });
  ui.searchPrevious.addEventListener("click", () => jump(-1), { signal });
  ui.searchNext.addEventListener("click", () => jump(1), { signal });
  ui.bookmarks.addEventListener("click", onBookmarkClick, { signal });
  ui.transcript.addEventListener("click", onTranscriptClick, { signal });
  ui.transcript.addEventListener("dblclick", onTranscriptDoubleClick, { signal });
  ui.transcript.addEventListener("keydown", onTranscriptKey, { signal });
  ui.root.addEventListener("keydown", onRootKey, { signal });
  doc.addEventListener("click", onDocumentClick, { capture: true, signal });
  ui.transcript.addEventListener("scroll", onScroll, { passive: true, signal });
  for (const event of [...traitEvents, "change:keep_audio"]) model.on(event, paint);
  for (const event of textEvents) model.on(event, paintResults);
  model.on("change:bookmarks", onBookmarks);
  model.on("msg:custom", onCustom);
  const unsubscribe = session.subscribe(onChange);
  session.attachView();
  paintDevices(ui, session);
  paintTick(ui, session);
  paintBookmarks(ui, model);
  paintResults();

  return () => {
    clearTimeout(copyTimer);
    keyterms.cleanup();
    listening.abort();
    player.dispose();
    for (const event of [...traitEvents, "change:keep_audio"]) model.off(event, paint);
    for (const event of textEvents) model.off(event, paintResults);
    model.off("change:bookmarks", onBookmarks);
    model.off("msg:custom", onCustom);
    unsubscribe();
    ui.root.remove();
    session.detachView();
  };
}

// ---------------------------------------------------------------------------------------------
// 7. anywidget entry point

/**
 * anywidget calls this factory once per widget model and gives `initialize` and each `render`
 * different model proxies (anywidget 0.11), so a WeakMap keyed by the model alone cannot connect
 * them; the factory's closure does. The WeakMap still serves hosts that pass one model object to
 * both, even if they share a factory between models.
 * @type {import("@anywidget/types").AnyWidget<ModelState>}
 */
export default () => {
  /** @type {WeakMap<object, WidgetSession>} */
  const sessions = new WeakMap();
  /** @type {WidgetSession | undefined} */
  let latest;

  /** @param {Model} model */
  function createSession(model) {
    const session = new WidgetSession(model);
    sessions.set(model, session);
    latest = session;
    return session;
  }

  return {
    initialize({ model }) {
      const session = createSession(model);
      return () => session.dispose();
    },
    render({ model, el }) {
      let session = sessions.get(model) ?? latest;
      // A host that skipped initialize (or a render after it was cleaned up) gets a session here.
      if (!session || session.disposed) session = createSession(model);
      return renderView(session, model, el);
    },
  };
};
