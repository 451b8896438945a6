// The anywidget entry point of LiveTranscriber: one WidgetSession per widget model (its recorder, kernel link, results and kept audio), shared by every view that render() draws of it.
/*
 * The page and the kernel talk through the widget's comm: custom messages (a recording's audio as
 * binary buffers, commands, the kernel's answers) and synced traits (status, transcript, results,
 * …). The protocol, both ways, with every field, is documented once, at the top of
 * src/live_transcriber/protocol.py; js/vocabulary.js names its message types and statuses, and
 * js/model.js the traits. Follow one audio chunk by file name: recorder/recorder.js (MediaRecorder)
 * → kernel/send-queue.js (kept by keeper/audio-keeper.js, then sent) → kernel/link.js → widget.py.
 * The styles are in widget.css; build.mjs bundles both into src/live_transcriber/static/.
 */

import { WidgetSession } from "./session.js";
import { renderView } from "./view/view.js";

/** @typedef {import("./model.js").Model} Model */
/** @typedef {import("./model.js").ModelState} ModelState */

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
