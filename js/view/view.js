// renderView: one view of the widget, made of its parts (controls, the journal line, the offer of kept audio, transcript, review, search, bookmarks, keyterms), painted whenever the model or the session changes; returns its cleanup.

import { KERNEL } from "../vocabulary.js";
import { Bookmarks } from "./bookmarks.js";
import { Controls } from "./controls.js";
import { journalLine } from "./journal-line.js";
import { keytermsField } from "./keyterms.js";
import { buildView } from "./layout.js";
import { Review } from "./review.js";
import { Search } from "./search.js";
import { Transcript } from "./transcript.js";
import { UnsentOffer } from "./unsent.js";

/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../session.js").Change} Change */
/** @typedef {import("../session.js").WidgetSession} WidgetSession */
/** @typedef {import("./final-text.js").TextOptions} TextOptions */

/** The traits each paint shows. */
const TRAIT_EVENTS = ["status", "status_detail", "error", "transcript", "interim", "engine_label", "engine_reason", "engine_notice", "keep_audio"].map((name) => `change:${name}`);
/** The traits that change how the final words look, so that they are drawn again. */
const TEXT_EVENTS = ["speakers", "confidence_threshold"].map((name) => `change:${name}`);

/**
 * @param {WidgetSession} session
 * @param {Model} model this view's handle on the model
 * @param {HTMLElement} el
 * @returns {() => void} cleanup
 */
export function renderView(session, model, el) {
  const doc = el.ownerDocument;
  const ui = buildView(doc);
  const keyterms = keytermsField(doc, model);
  ui.times.parentElement?.after(keyterms.node);
  const journal = journalLine(doc, model);
  ui.error.before(journal.node);
  el.append(ui.root);

  // One signal removes every DOM listener of this view at cleanup.
  const listening = new AbortController();
  const { signal } = listening;
  const controls = new Controls(ui, session, model, signal);
  const unsent = new UnsentOffer(ui, session, signal);
  const transcript = new Transcript(ui, signal);
  const review = new Review(ui, transcript, session, model, signal);
  const search = new Search(ui, transcript, signal);
  const bookmarks = new Bookmarks(ui, model, review.player, signal);

  /** @returns {TextOptions} */
  const textOptions = () => {
    const threshold = model.get("confidence_threshold");
    return { names: model.get("speakers") ?? {}, threshold: typeof threshold === "number" ? threshold : null };
  };
  const paint = () => {
    controls.paint();
    unsent.paint();
    transcript.paint(model, session.recorder);
    review.paint();
    transcript.followNewText(review.player.playing);
  };
  const paintResults = () => {
    if (transcript.update(session.results, textOptions())) review.redrawn();
    if (search.query) search.paint();
    paint();
  };
  /** @param {Change} change */
  const onChange = (change) => {
    if (change === "tick") controls.paintTick();
    else if (change === "devices") controls.paintDevices();
    else if (change === "results") paintResults();
    else paint();
  };
  /**
   * @param {any} msg
   * @param {DataView<ArrayBuffer>[]} [buffers] (the comm's buffers are never shared memory)
   */
  const onCustom = (msg, buffers) => {
    if (msg?.type === KERNEL.AUDIO) review.player.onAudio(msg, buffers);
  };
  const onBookmarks = () => bookmarks.paint();

  for (const event of TRAIT_EVENTS) model.on(event, paint);
  for (const event of TEXT_EVENTS) model.on(event, paintResults);
  model.on("change:bookmarks", onBookmarks);
  model.on("msg:custom", onCustom);
  const unsubscribe = session.subscribe(onChange);
  session.attachView();
  controls.paintDevices();
  controls.paintTick();
  bookmarks.paint();
  paintResults();

  return () => {
    controls.dispose();
    keyterms.cleanup();
    journal.cleanup();
    listening.abort();
    review.dispose();
    for (const event of TRAIT_EVENTS) model.off(event, paint);
    for (const event of TEXT_EVENTS) model.off(event, paintResults);
    model.off("change:bookmarks", onBookmarks);
    model.off("msg:custom", onCustom);
    unsubscribe();
    ui.root.remove();
    session.detachView();
  };
}
