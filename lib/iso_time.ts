/**
 * `new Date(ms).toISOString()`, faster for the times ingest formats: a second's
 * "YYYY-MM-DDTHH:MM:SS" is computed once and remembered, then only the milliseconds are added.
 * toISOString took ~0.7 µs, twice per event on the collect path.
 */
const seconds = new Map<number, string>();
const MAX_REMEMBERED = 4096;
// 0000-01-01 … 9999-12-31: outside it toISOString uses six-digit years.
const MIN = -62_167_219_200_000;
const MAX = 253_402_300_800_000;

export function isoTime(ms: number): string {
  const t = Math.trunc(ms); // as Date does
  if (!(t >= MIN && t < MAX)) return new Date(ms).toISOString();
  const second = Math.floor(t / 1000);
  let prefix = seconds.get(second);
  if (prefix === undefined) {
    if (seconds.size >= MAX_REMEMBERED) seconds.clear();
    prefix = new Date(second * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
    seconds.set(second, prefix);
  }
  const milli = t - second * 1000;
  return prefix + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
}
