/**
 * Waiting on a condition instead of sleeping: tests poll what they expect until it holds, so a
 * slow or busy machine makes them slower, never wrong. The deadline only bounds a hang.
 */

/** Polls `check` until it returns true; fails with `what` once `timeoutMs` has passed. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
