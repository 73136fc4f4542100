/**
 * The queue writer service: consumers that drain the ingest queue into the database, a sampler
 * that keeps the back-pressure figure current, and the drop counter's flush. On shutdown it
 * stops taking work and drains what is queued (see docs/tracking.md for what happens when the
 * database is down at that moment).
 */
import type { AppContext } from "../http/context.ts";
import type { QueueConsumer } from "../bus/mod.ts";
import { INGEST_QUEUE, ingestorFor } from "./ingestor.ts";
import type { QueuedBatch } from "./types.ts";
import { writeBatchesSafely } from "./writer.ts";
import { warmGeo } from "./geo.ts";
import { warmDatacenters } from "./datacenter.ts";
import { TRACKER_REVENUE_JOB } from "../jobs/names.ts";

export interface WriterOptions {
  /** Parallel consumers in this instance (default: 2 on a server database, 1 embedded). */
  consumers?: number;
  /** Batches handed to a consumer at once. */
  batchSize?: number;
  /** How long shutdown keeps draining when writes keep failing. */
  drainTimeoutMs?: number;
}

/** Starts the writer and registers its shutdown hook. */
export function startIngestWriter(ctx: AppContext, opts: WriterOptions = {}): void {
  const ingestor = ingestorFor(ctx);
  warmGeo();
  warmDatacenters().catch((error) => ctx.log.warn("datacenter ranges not loaded", { error }));
  const count = opts.consumers ?? ctx.config.INGEST_WRITERS ??
    (ctx.db.mode === "embedded" ? 1 : 2);
  const name = ctx.config.INGEST_WRITER_NAME ?? `${Deno.hostname()}-${Deno.pid}`;
  let failures = 0;
  const consumers: QueueConsumer[] = [];
  for (let i = 0; i < count; i++) {
    consumers.push(ctx.bus.consume<QueuedBatch>(INGEST_QUEUE, {
      group: "ingest-writer",
      consumer: `${name}-${i}`,
      batchSize: opts.batchSize ?? 250,
      claimIdleMs: 15_000,
      onError: (error) => {
        // Logged once per streak: a database outage should not flood the log.
        if (failures++ === 0) ctx.log.error("ingest writer failed; retrying", { error });
      },
    }, async (messages) => {
      await writeBatchesSafely(
        ctx.db.sql,
        messages.map((m) => m.data),
        (error, events) =>
          ctx.log.error("the database refused a batch; it is kept in ingest_rejects", {
            error,
            events,
          }),
      );
      // Revenue from the tracker becomes a purchase in the live feed now, not at the next poll.
      if (messages.some((m) => m.data.events.some((e) => e.type === "revenue"))) {
        ctx.wake?.(TRACKER_REVENUE_JOB);
      }
      if (failures) ctx.log.info("ingest writer recovered", { failedAttempts: failures });
      failures = 0;
      ingestor.depth = Math.max(0, ingestor.depth - messages.length);
      ingestor.written.transactions++;
      ingestor.written.entries += messages.length;
    }));
  }

  let sampling = false;
  const sampler = setInterval(async () => {
    if (sampling) return;
    sampling = true;
    try {
      ingestor.depth = await ctx.bus.depth(INGEST_QUEUE);
    } catch {
      // Keep the last figure; enqueue itself will fail loudly if the bus is gone.
    } finally {
      sampling = false;
    }
  }, 250);
  const flusher = setInterval(() => {
    ingestor.drops.flush(ctx.db.sql).catch((error) =>
      ctx.log.warn("could not store drop counts", { error })
    );
  }, 5_000);

  ctx.onShutdown.push(async () => {
    clearInterval(sampler);
    clearInterval(flusher);
    const timeoutMs = opts.drainTimeoutMs ?? 10_000;
    await Promise.all(consumers.map((c) => c.stop({ drain: true, timeoutMs })));
    // With Redis, what is left stays in the stream for the next writer; in-process it is gone.
    if (ctx.bus.kind === "memory" && count > 0) {
      const left = await ctx.bus.depth(INGEST_QUEUE);
      if (left > 0) {
        ctx.log.error("ingest queue not written before shutdown; these events are lost", {
          batches: left,
        });
      }
    }
    await ingestor.drops.flush(ctx.db.sql).catch((error) =>
      ctx.log.warn("could not store drop counts", { error })
    );
  });
}
