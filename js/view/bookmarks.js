// Bookmarks: the list of bookmarks under one view's transcript; each plays the recording from its time, when the audio was kept.

import { element } from "../dom.js";
import { formatClock } from "../time.js";

/** @typedef {import("../model.js").Bookmark} Bookmark */
/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../review/player.js").Player} Player */
/** @typedef {import("./layout.js").ViewElements} ViewElements */

export class Bookmarks {
  /**
   * @param {ViewElements} ui
   * @param {Model} model this view's handle on the model
   * @param {Player} player
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, model, player, signal) {
    this.ui = ui;
    this.model = model;
    /** @param {MouseEvent} event */
    const onClick = (event) => {
      const button = event.target instanceof Element ? event.target.closest(".lt-bookmark") : null;
      if (!(button instanceof HTMLElement) || !button.dataset.recording) return;
      player.playFrom(Number(button.dataset.recording), Number(button.dataset.time));
    };
    ui.bookmarks.addEventListener("click", onClick, { signal });
  }

  paint() {
    const { ui, model } = this;
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
}
