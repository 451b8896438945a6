// Review: listening back and correcting in one view: the play and speed controls, words clicked or typed on (play from a word, correct it), speakers renamed in place.

import { editInPlace, setText } from "../dom.js";
import { speakerLabel } from "../results.js";
import { Player } from "../review/player.js";
import { PAGE } from "../vocabulary.js";

/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../session.js").WidgetSession} WidgetSession */
/** @typedef {import("./layout.js").ViewElements} ViewElements */
/** @typedef {import("./transcript.js").Transcript} Transcript */

/** Why nothing can be played, on hover. */
const NO_AUDIO = "The audio was not kept (keep_audio=False), so it cannot be played back.";

export class Review {
  /**
   * @param {ViewElements} ui
   * @param {Transcript} transcript
   * @param {WidgetSession} session
   * @param {Model} model this view's handle on the model
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, transcript, session, model, signal) {
    this.ui = ui;
    this.transcript = transcript;
    this.session = session;
    this.model = model;
    /** The word to focus once the words are drawn again (after a correction). @type {{index: string, word: string} | null} */
    this.refocus = null;
    this.player = new Player(
      ui.audio,
      (content) => void session.send(content),
      () => this.paint(),
      (recording) => transcript.wordsOf(recording),
      (word) => transcript.reveal(word.el),
    );
    const doc = ui.root.ownerDocument;
    /** @param {MouseEvent} event */
    const onTranscriptClick = (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const speaker = target?.closest(".lt-speaker");
      if (speaker instanceof HTMLElement) return this.renameSpeaker(speaker);
      const word = target?.closest(".lt-word");
      if (!(word instanceof HTMLElement) || (doc.getSelection()?.toString() ?? "") !== "") return; // selecting text, not playing
      transcript.focusWord(word);
      this.playWord(word);
    };
    /** @param {MouseEvent} event */
    const onTranscriptDoubleClick = (event) => {
      const word = event.target instanceof Element ? event.target.closest(".lt-word") : null;
      if (word instanceof HTMLElement) this.editWord(word);
    };
    const onPlay = () => {
      const words = transcript.words;
      const focused = words.find((w) => w.el.getAttribute("tabindex") === "0");
      this.player.toggle(focused ?? words[0]);
    };
    ui.play.addEventListener("click", onPlay, { signal });
    ui.speed.addEventListener("change", () => this.player.setSpeed(Number(ui.speed.value)), { signal });
    ui.transcript.addEventListener("click", onTranscriptClick, { signal });
    ui.transcript.addEventListener("dblclick", onTranscriptDoubleClick, { signal });
    ui.transcript.addEventListener("keydown", (event) => this.onKey(event), { signal });
  }

  /** The review controls: play/pause, the player's note. */
  paint() {
    const { ui, player } = this;
    const playable = this.model.get("keep_audio") !== false;
    ui.review.hidden = this.transcript.words.length === 0;
    ui.root.classList.toggle("lt-playable", playable);
    ui.play.disabled = !playable;
    setText(ui.play, player.playing ? "Pause" : "Play");
    ui.play.setAttribute("aria-label", player.playing ? "Pause playback" : "Play the recording");
    ui.play.title = playable ? (player.playing ? "Pause playback" : "Play from the selected word (or click a word)") : NO_AUDIO;
    ui.speed.disabled = !playable;
    ui.speed.title = playable ? "Playback speed" : NO_AUDIO;
    setText(ui.playerNote, player.error || (player.loading ? "Loading the audio…" : ""));
  }

  /** The words were drawn again: light the word being heard, focus the word just corrected. */
  redrawn() {
    this.player.redrawn();
    const refocus = this.refocus;
    const again = refocus && this.ui.final.querySelector(`.lt-text[data-index="${refocus.index}"] .lt-word[data-word="${refocus.word}"]`);
    if (again instanceof HTMLElement) this.transcript.focusWord(again);
    this.refocus = null;
  }

  /** @param {HTMLElement} span */
  playWord(span) {
    const word = this.transcript.wordOf(span);
    if (word && this.model.get("keep_audio") !== false) this.player.playFrom(word.recording, word.start);
  }

  /** @param {HTMLElement} span */
  editWord(span) {
    const index = span.closest(".lt-text")?.getAttribute("data-index");
    const number = span.dataset.word;
    if (index == null || number == null) return;
    this.player.audio.pause();
    editInPlace(span, span.textContent ?? "", `Correct the word “${span.textContent}”`, (text) => {
      this.refocus = { index, word: number };
      void this.session.send({ type: PAGE.EDIT, index: Number(index), word: Number(number), text });
    });
  }

  /** @param {HTMLElement} label */
  renameSpeaker(label) {
    const speaker = Number(label.dataset.speaker);
    const name = speakerLabel(speaker, this.model.get("speakers") ?? {});
    editInPlace(label, name, `Rename ${name}`, (text) => void this.session.send({ type: PAGE.SPEAKER, speaker, name: text }));
  }

  /** @param {KeyboardEvent} event a key on the transcript: on a speaker, or on a word */
  onKey(event) {
    const target = event.target instanceof HTMLElement ? event.target : null;
    if (target?.classList.contains("lt-speaker") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      this.renameSpeaker(target);
      return;
    }
    if (!target?.classList.contains("lt-word")) return;
    const transcript = this.transcript;
    const words = transcript.words;
    const at = words.findIndex((w) => w.el === target);
    /** @type {Record<string, () => void>} */
    const keys = {
      Enter: () => this.playWord(target),
      F2: () => this.editWord(target),
      ArrowRight: () => at + 1 < words.length && transcript.focusWord(words[at + 1].el),
      ArrowLeft: () => at > 0 && transcript.focusWord(words[at - 1].el),
      Home: () => transcript.focusWord(words[0].el),
      End: () => transcript.focusWord(words[words.length - 1].el),
    };
    const action = keys[event.key];
    if (!action || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    event.stopPropagation(); // not the notebook's shortcuts
    action();
  }

  dispose() {
    this.player.dispose();
  }
}
