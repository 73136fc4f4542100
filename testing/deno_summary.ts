/** Reads the counts from `deno test`'s closing summary line. */

export interface DenoSummary {
  passed: number;
  failed: number;
  ignored: number;
}

// Deno closes with e.g. "ok | 199 passed (32 steps) | 0 failed | 3 ignored (2m39s)" or
// "FAILED | 1 passed | 1 failed (…)". Anchored at a line start, and only the last such line
// counts: text a test prints comes before Deno's own summary, so it cannot change the count.
const SUMMARY =
  /^(?:ok|FAILED) \| (\d+) passed(?: \([^)]*\))? \| (\d+) failed(?: \([^)]*\))?(?: \| (\d+) ignored)?/gm;

/** The last summary in `output`, or null when Deno never printed one (it crashed first). */
export function parseDenoSummary(output: string): DenoSummary | null {
  let last: RegExpExecArray | null = null;
  for (const m of output.matchAll(SUMMARY)) last = m;
  if (!last) return null;
  return { passed: Number(last[1]), failed: Number(last[2]), ignored: Number(last[3] ?? 0) };
}
