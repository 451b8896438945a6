// Web Locks between the page's tabs: one tab records with a widget, and a recording being recorded is not taken for interrupted by another.

/** Every lock's name starts with this. */
export const LOCK_PREFIX = "live-transcriber:";

/**
 * Takes a Web Lock if no one holds it, and holds it until released.
 * @param {string} name
 * @returns {Promise<(() => void) | null>} its release, or null if another page or widget holds it
 */
export function takeLock(name) {
  const locks = navigator.locks;
  if (!locks?.request) return Promise.resolve(() => {});
  return new Promise((resolve) => {
    locks
      .request(LOCK_PREFIX + name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise((release) => resolve(() => release(undefined)));
      })
      .catch(() => resolve(() => {}));
  });
}

/** @returns {Promise<Set<string> | null>} the Web Locks held in this browser (null: unknown) */
export async function heldLocks() {
  try {
    const state = await navigator.locks.query();
    return new Set((state.held ?? []).map((lock) => lock.name ?? ""));
  } catch {
    return null;
  }
}
