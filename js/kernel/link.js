// KernelLink: the comm with the kernel for one model. Sends each message, settling once the host has taken it; hands each kernel message to the handler of its type; counts news in `revision` for marimo.

/** @typedef {import("../model.js").Model} Model */
/** @typedef {import("../vocabulary.js").PageMessage} PageMessage */
/** @typedef {import("../vocabulary.js").KernelMessage} KernelMessage */
/** @typedef {(content: PageMessage, buffers?: ArrayBuffer[]) => Promise<void>} Send */
/** What to do with each type of message from the kernel. @typedef {Partial<Record<KernelMessage, (msg: any) => void>>} KernelHandlers */

/** The trait changes counted in `revision`: new final text, a new status, a new error (not interim words). */
const NEWS_EVENTS = ["change:transcript", "change:status", "change:error"];

export class KernelLink {
  /**
   * @param {Model} model
   * @param {object} on
   * @param {KernelHandlers} on.message
   * @param {() => void} on.close the kernel closed the widget (w.close()): no acknowledgement will come
   * @param {() => void} on.lost a send found the comm gone for good
   */
  constructor(model, on) {
    this.model = model;
    this.lost = on.lost;
    /** @param {any} msg a custom message from the kernel */
    this.onMessage = (msg) => {
      const type = msg?.type;
      if (typeof type === "string" && Object.hasOwn(on.message, type)) on.message[/** @type {KernelMessage} */ (type)]?.(msg);
    };
    this.onClose = on.close;
    this.onNews = () => {
      const revision = model.get("revision");
      if (typeof revision !== "number") return;
      model.set("revision", revision + 1);
      model.save_changes();
    };
    model.on("msg:custom", this.onMessage);
    model.on("comm:close", this.onClose);
    for (const event of NEWS_EVENTS) model.on(event, this.onNews);
  }

  /**
   * Messages leave in the order sent; over HTTP (marimo) one may overtake another unless the next
   * waits for this one to settle.
   * @param {PageMessage} content
   * @param {ArrayBuffer[]} [buffers]
   * @returns {Promise<void>} settles (never rejects) once the host has taken the message
   */
  send(content, buffers) {
    // The comm is gone once the widget is closed; the tail of a recording is then lost anyway.
    const failed = (/** @type {unknown} */ err) => console.warn("[live-transcriber] could not send to the kernel", err);
    try {
      // Jupyter's send returns nothing; marimo's a promise of its HTTP request.
      return Promise.resolve(this.model.send(content, undefined, buffers)).then(() => {}, failed);
    } catch (err) {
      // The comm is gone for good: the kernel died or was restarted (the page keeps showing the
      // widget), or the widget was closed.
      failed(err);
      this.lost();
      return Promise.resolve();
    }
  }

  dispose() {
    this.model.off("msg:custom", this.onMessage);
    this.model.off("comm:close", this.onClose);
    for (const event of NEWS_EVENTS) this.model.off(event, this.onNews);
  }
}
