// The page's IndexedDB store of the audio the kernel has not confirmed: kept recordings and their chunks.

const STORE_DB = "live-transcriber";

/**
 * A recording whose audio this page keeps (IndexedDB store "recordings").
 * @typedef {object} KeptRecording
 * @property {string} id
 * @property {string} mimeType
 * @property {string} widget     its Identity, when it was recorded
 * @property {string} process
 * @property {string} kernel
 * @property {number} created    when it started, in ms since the epoch
 * @property {number} updated    when its latest chunk was kept
 * @property {number} chunks     chunks kept so far: the next one's seq
 * @property {number} bytes      bytes kept now
 * @property {number} seconds    recording time up to its latest chunk
 * @property {number} confirmed  how many of its first chunks the kernel said are safe
 * @property {boolean} ownerGone the kernel closed its widget: no acknowledgement will come
 */

/**
 * One kept chunk (IndexedDB store "chunks").
 * @typedef {object} KeptChunk
 * @property {string} recording
 * @property {number} seq
 * @property {ArrayBuffer} data
 * @property {number} entry  where its first entry point is (see entryOffset), or -1
 */

/**
 * The page's IndexedDB store of unconfirmed audio: recordings (KeptRecording) and their chunks
 * (KeptChunk, keyed by [recording, seq]). Every write is one transaction; transactions on the
 * same stores run in the order they were made, so a chunk kept before it is sent is kept before
 * its acknowledgement deletes it.
 */
export class AudioStore {
  /** @returns {Promise<AudioStore | null>} the page's store, or null where IndexedDB is not available */
  static open() {
    storeOpening ??= new Promise((resolve) => {
      /** @type {IDBOpenDBRequest} */
      let request;
      try {
        request = indexedDB.open(STORE_DB, 1);
      } catch (err) {
        console.warn("[live-transcriber] no IndexedDB: unconfirmed audio is not kept", err);
        resolve(null);
        return;
      }
      request.onupgradeneeded = () => {
        request.result.createObjectStore("recordings", { keyPath: "id" });
        request.result.createObjectStore("chunks", { keyPath: ["recording", "seq"] });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close();
        resolve(new AudioStore(db));
      };
      request.onerror = () => {
        console.warn("[live-transcriber] IndexedDB refused: unconfirmed audio is not kept", request.error);
        resolve(null);
      };
    });
    return storeOpening;
  }

  /** @param {IDBDatabase} db */
  constructor(db) {
    this.db = db;
    /** Bytes kept, all recordings together (as of the latest list(), plus this page's writes since). */
    this.bytes = 0;
  }

  /** @param {KeptRecording} kept */
  add(kept) {
    return this.write(["recordings"], (tx) => tx.objectStore("recordings").put(kept));
  }

  /**
   * @param {KeptChunk} chunk
   * @param {number} seconds the recording's time at the end of this chunk
   */
  addChunk(chunk, seconds) {
    return this.update(chunk.recording, (kept, tx) => {
      this.bytes += chunk.data.byteLength;
      kept.chunks = Math.max(kept.chunks, chunk.seq + 1);
      kept.bytes += chunk.data.byteLength;
      kept.seconds = seconds;
      kept.updated = Date.now();
      tx.objectStore("chunks").put(chunk);
    });
  }

  /**
   * The kernel confirmed the first `confirmed` chunks: remember it, delete chunks [from, to).
   * @param {string} id
   * @param {number} confirmed
   * @param {number} from
   * @param {number} to
   * @param {number} freed their bytes
   */
  confirm(id, confirmed, from = 0, to = 0, freed = 0) {
    return this.update(id, (kept, tx) => {
      this.bytes -= freed;
      kept.confirmed = Math.max(kept.confirmed, confirmed);
      kept.bytes -= freed;
      if (to > from) tx.objectStore("chunks").delete(IDBKeyRange.bound([id, from], [id, to - 1]));
    });
  }

  /** @param {string} id */
  markOwnerGone(id) {
    return this.update(id, (kept) => {
      kept.ownerGone = true;
    });
  }

  /** @param {string} id */
  remove(id) {
    return this.write(["recordings", "chunks"], (tx) => {
      const recordings = tx.objectStore("recordings");
      const request = recordings.get(id);
      request.onsuccess = () => {
        if (request.result) this.bytes -= /** @type {KeptRecording} */ (request.result).bytes;
        recordings.delete(id);
      };
      tx.objectStore("chunks").delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
    });
  }

  /** @returns {Promise<KeptRecording[]>} */
  async list() {
    /** @type {KeptRecording[]} */
    let all = [];
    await this.write(["recordings"], (tx) => {
      const request = tx.objectStore("recordings").getAll();
      request.onsuccess = () => {
        all = request.result;
      };
    }, "readonly");
    this.bytes = all.reduce((sum, kept) => sum + kept.bytes, 0);
    return all;
  }

  /**
   * @param {string} id
   * @returns {Promise<KeptChunk[]>} its kept chunks, ascending
   */
  async chunks(id) {
    /** @type {KeptChunk[]} */
    let chunks = [];
    await this.write(["chunks"], (tx) => {
      const request = tx.objectStore("chunks").getAll(IDBKeyRange.bound([id, 0], [id, Infinity]));
      request.onsuccess = () => {
        chunks = request.result;
      };
    }, "readonly");
    return chunks;
  }

  /**
   * Changes a kept recording in one transaction (nothing happens if it is gone).
   * @param {string} id
   * @param {(kept: KeptRecording, tx: IDBTransaction) => void} change
   */
  update(id, change) {
    return this.write(["recordings", "chunks"], (tx) => {
      const recordings = tx.objectStore("recordings");
      const request = recordings.get(id);
      request.onsuccess = () => {
        const kept = /** @type {KeptRecording | undefined} */ (request.result);
        if (!kept) return;
        change(kept, tx);
        recordings.put(kept);
      };
    });
  }

  /**
   * @param {string[]} stores
   * @param {(tx: IDBTransaction) => void} work
   * @param {IDBTransactionMode} [mode]
   * @returns {Promise<void>} settles when the transaction has; rejects with its error (e.g. QuotaExceededError)
   */
  write(stores, work, mode = "readwrite") {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(stores, mode);
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
      work(tx);
    });
  }
}

/** @type {Promise<AudioStore | null> | undefined} */
let storeOpening;
