/**
 * Work an instance starts now and finishes on its own (a backfill after connect, a replay):
 * tracked so shutdown can stop it between items and wait for it.
 */
import type { AppContext } from "../http/context.ts";

interface Tracker {
  running: Set<Promise<void>>;
  abort: AbortController;
}

const trackers = new WeakMap<AppContext, Tracker>();

function tracker(ctx: AppContext): Tracker {
  let t = trackers.get(ctx);
  if (!t) {
    t = { running: new Set(), abort: new AbortController() };
    trackers.set(ctx, t);
  }
  return t;
}

/** Runs `fn` without waiting for it; failures are logged. */
export function runInBackground(
  ctx: AppContext,
  name: string,
  fn: (signal: AbortSignal) => Promise<unknown>,
): Promise<void> {
  const t = tracker(ctx);
  const p: Promise<void> = fn(t.abort.signal)
    .then(() => {}, (error) => ctx.log.error("background task failed", { task: name, error }))
    .finally(() => t.running.delete(p));
  t.running.add(p);
  return p;
}

/** The signal background work checks between items. */
export function stopSignal(ctx: AppContext): AbortSignal {
  return tracker(ctx).abort.signal;
}

/** Asks background work to stop and waits for it (graceful shutdown). */
export async function stopBackground(ctx: AppContext): Promise<void> {
  const t = tracker(ctx);
  t.abort.abort();
  await Promise.allSettled([...t.running]);
}
