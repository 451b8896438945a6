// UnsentOffer: the panel of one view that offers the audio this browser kept but the kernel never got: send it, save it, or discard it.

import { setText } from "../dom.js";
import { describeUnsent } from "../keeper/rules.js";

/** @typedef {import("../session.js").WidgetSession} WidgetSession */
/** @typedef {import("./layout.js").ViewElements} ViewElements */

export class UnsentOffer {
  /**
   * @param {ViewElements} ui
   * @param {WidgetSession} session
   * @param {AbortSignal} signal removes the DOM listeners
   */
  constructor(ui, session, signal) {
    this.ui = ui;
    this.session = session;
    const keeper = session.keeper;
    ui.unsentSend.addEventListener("click", () => void keeper.sendUnsent(), { signal });
    ui.unsentDownload.addEventListener("click", () => void keeper.downloadUnsent(), { signal });
    ui.unsentDiscard.addEventListener("click", () => keeper.discardUnsent(), { signal });
  }

  paint() {
    const { ui } = this;
    const keeper = this.session.keeper;
    const phase = this.session.recorder.phase;
    const offer = keeper.unsent.length ? describeUnsent(keeper.unsent.map((u) => ({ seconds: u.seconds, created: u.kept.created }))) : "";
    setText(ui.unsentText, [offer, keeper.note].filter(Boolean).join("\n"));
    ui.unsent.hidden = !offer && !keeper.note;
    ui.unsentActions.hidden = !offer;
    // A recovered recording would take the place of the one being recorded: send once it is done.
    ui.unsentSend.disabled = phase !== "off";
    ui.unsentSend.title =
      phase === "off" ? "Send the kept audio to the kernel, to be transcribed" : "Stop recording first: the kept audio is sent as a recording of its own";
  }
}
