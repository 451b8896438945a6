// Times as people read them: a clock (mm:ss), a duration ("3 min 5 s"), the time of day.

/**
 * @param {number} seconds
 * @returns {string} "mm:ss", or "h:mm:ss" from an hour on
 */
export function formatClock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const hours = Math.floor(whole / 3600);
  const mmss = `${String(Math.floor(whole / 60) % 60).padStart(2, "0")}:${String(whole % 60).padStart(2, "0")}`;
  return hours ? `${hours}:${mmss}` : mmss;
}

/**
 * @param {number} seconds
 * @returns {string} e.g. "42 s", "3 min 5 s", "1 h 12 min"
 */
export function formatDuration(seconds) {
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor(whole / 60) % 60} min`;
}

/**
 * @param {number} time ms since the epoch
 * @returns {string} "hh:mm", local time
 */
export function timeOfDay(time) {
  const date = new Date(time);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}
