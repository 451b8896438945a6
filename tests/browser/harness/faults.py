"""Faults injected in the page, and what the page keeps: for the fault-matrix tests.

- :func:`install` wraps the page's WebSocket and getUserMedia so a test can drop the widget's
  audio chunks on their way to the kernel (a connection that silently loses messages), replace
  one with garbage (damage in transit), and reach the microphone's tracks (to end one, as
  unplugging the device does). It lasts until the page is reloaded.
- :func:`kept_audio` reads the widget's IndexedDB store of unconfirmed audio.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

_INSTALL = """
() => {
  if (window.__ltFaults) return;
  const faults = window.__ltFaults = { drop: false, dropped: 0, garbage: 0, replaced: 0, tracks: [] };
  const marker = new TextEncoder().encode('"type":"chunk"');
  const isChunk = (bytes) => {
    outer: for (let i = 0; i + marker.length <= bytes.length; i += 1) {
      for (let k = 0; k < marker.length; k += 1) if (bytes[i + k] !== marker[k]) continue outer;
      return true;
    }
    return false;
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    const chunk = bytes ? isChunk(bytes) : typeof data === 'string' && data.includes('"type":"chunk"');
    if (chunk && faults.drop) {
      faults.dropped += 1;
      return undefined;
    }
    if (chunk && bytes && faults.garbage > 0) {
      // The frame (Jupyter's v1 kernel websocket protocol) is: the number of offsets, the offsets,
      // then its parts; the last part is the chunk's audio. Overwrite its second half.
      faults.garbage -= 1;
      faults.replaced += 1;
      const copy = bytes.slice();
      const view = new DataView(copy.buffer);
      const count = Number(view.getBigUint64(0, true));
      const start = Number(view.getBigUint64(8 * (count - 1), true));
      for (let i = start + Math.floor((copy.length - start) / 2); i < copy.length; i += 1) copy[i] = (i * 7919) & 0xff;
      return send.call(this, copy.buffer);
    }
    return send.call(this, data);
  };
  const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await getUserMedia(constraints);
    faults.tracks.push(...stream.getAudioTracks());
    return stream;
  };
}
"""

_KEPT = """
async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open('live-transcriber');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  if (!db.objectStoreNames.contains('recordings')) { db.close(); return []; }
  const all = (store, query) => new Promise((resolve, reject) => {
    const request = db.transaction(store).objectStore(store).getAll(query);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const recordings = await all('recordings');
  for (const kept of recordings) {
    const chunks = await all('chunks', IDBKeyRange.bound([kept.id, 0], [kept.id, Infinity]));
    kept.kept = chunks.map((c) => c.seq);
  }
  db.close();
  return recordings;
}
"""


def install(page: Page) -> None:
    """Add the fault switches to the page (see the module's docstring); ``window.__ltFaults``."""
    page.evaluate(_INSTALL)


def drop_chunks(page: Page, drop: bool = True) -> None:
    """Drop (or stop dropping) every audio chunk the page sends."""
    page.evaluate("(drop) => { window.__ltFaults.drop = drop; }", drop)


def damage_chunks(page: Page, count: int = 1) -> None:
    """Overwrite the second half of the next ``count`` audio chunks with garbage on their way."""
    page.evaluate("(count) => { window.__ltFaults.garbage = count; }", count)


def state(page: Page) -> dict[str, Any]:
    """How many chunks were dropped and damaged so far, and how many microphone tracks were opened."""
    return page.evaluate(
        "() => { const f = window.__ltFaults; return { dropped: f.dropped, replaced: f.replaced, tracks: f.tracks.length }; }"
    )


def unplug_microphone(page: Page) -> None:
    """End the latest microphone track as the browser does when the device is unplugged: the track
    stops and fires ``ended`` (a page's own ``track.stop()`` fires nothing)."""
    page.evaluate(
        "() => { const track = window.__ltFaults.tracks.at(-1); track.stop(); track.dispatchEvent(new Event('ended')); }"
    )


def kept_audio(page: Page) -> list[dict[str, Any]]:
    """The recordings the page keeps unconfirmed audio of: each ``KeptRecording`` (see js/keeper/audio-store.js)
    plus ``kept``, the sequence numbers of the chunks it holds."""
    return page.evaluate(_KEPT)
