/**
 * One instance's ingest front: runs requests through the pipeline, applies back-pressure,
 * puts accepted events on the durable queue, publishes them live and counts drops. Routes call
 * `ingestorFor(ctx).accept(…)`; the writer service drains the queue.
 */
import type { AppContext } from "../http/context.ts";
import { AppError, Unavailable } from "../lib/errors.ts";
import { liveChannel, type LiveEvent } from "../realtime/messages.ts";
import { DropCounter } from "./drop_counter.ts";
import { WrongOrigin } from "./validate.ts";
import { runPipeline } from "./pipeline.ts";
import { RateLimiter } from "./rate_limit.ts";
import { SiteCache } from "./site_cache.ts";
import type { IngestRequest, QueuedBatch, QueuedEvent } from "./types.ts";
import { DatabaseSalts } from "./visitor.ts";

/** The durable queue accepted batches travel on. */
export const INGEST_QUEUE = "ingest";

export interface AcceptResult {
  accepted: number;
  dropped: number;
}

/** The live-channel message for a stored-to-be event. */
export function liveEventOf(e: QueuedEvent): LiveEvent {
  return {
    kind: "event",
    siteId: e.site_id,
    ts: e.ts,
    eventId: e.event_id,
    type: e.type,
    name: e.name,
    visitorId: e.visitor_id,
    sessionId: e.session_id,
    hostname: e.hostname,
    pathname: e.pathname,
    title: e.title,
    source: e.source,
    channel: e.channel,
    country: e.country,
    region: e.region,
    city: e.city,
    lat: e.lat,
    lon: e.lon,
    device: e.device,
    browser: e.browser,
    os: e.os,
  };
}

export class Ingestor {
  readonly sites: SiteCache;
  readonly salts: DatabaseSalts;
  readonly drops = new DropCounter();
  readonly limiter: RateLimiter;
  /** Queue depth as last sampled plus batches this instance added since. */
  depth = 0;
  /** Totals since start (benchmarks and health figures). */
  readonly totals = { requests: 0, accepted: 0, dropped: 0 };
  /** Writer transactions and the queue entries they stored, since start (benchmarks). */
  readonly written = { transactions: 0, entries: 0 };

  constructor(private readonly ctx: AppContext) {
    this.sites = new SiteCache(ctx.db.sql);
    this.salts = new DatabaseSalts(ctx.db.sql);
    this.limiter = new RateLimiter(ctx.config.COLLECT_RATE_LIMIT);
  }

  /** Validates, enriches and queues one request's events; throws typed 4xx/503 errors. */
  async accept(req: IngestRequest): Promise<AcceptResult> {
    if (this.depth >= this.ctx.config.INGEST_QUEUE_MAX) {
      throw new Unavailable(5, "Sextant is catching up with a backlog. Please retry shortly.");
    }
    const { bus, log } = this.ctx;
    let out;
    try {
      out = await runPipeline(req, { sites: this.sites, kv: bus.kv, salts: this.salts });
    } catch (e) {
      if (e instanceof WrongOrigin) this.drops.add(e.siteId, { wrong_origin: e.events }, req.now);
      if (e instanceof AppError) throw e;
      // The session store or the database is away: say so instead of a 500.
      log.error("ingest pipeline failed", { error: e });
      throw new Unavailable(5, "Sextant cannot take events right now. Please retry shortly.");
    }
    let dropped = 0;
    for (const n of Object.values(out.drops)) dropped += n ?? 0;
    if (dropped) this.drops.add(out.site.id, out.drops, req.now);
    if (out.events.length === 0) return { accepted: 0, dropped };

    const batch: QueuedBatch = { events: out.events };
    // Issued in the same tick as the session state writes still in flight, so with Redis both go
    // out in one write and come back in one round trip. The answer waits for the queue: once the
    // events are in it they are accepted, whether or not their session state was saved.
    const [queued, saved] = await Promise.allSettled([
      bus.enqueue(INGEST_QUEUE, [batch]),
      out.saved,
    ]);
    if (queued.status === "rejected") {
      log.error("ingest queue unavailable", { error: queued.reason });
      throw new Unavailable(5, "Sextant cannot store events right now. Please retry shortly.");
    }
    if (saved.status === "rejected") {
      // Stored events are never refused: the visitor's next event starts a new visit instead.
      log.warn("could not save session state", { error: saved.reason });
    }
    this.depth++;
    this.totals.requests++;
    this.totals.accepted += out.events.length;
    this.totals.dropped += dropped;
    const channel = liveChannel(out.site.id);
    for (const e of out.events) {
      if (e.type === "click") continue;
      bus.publish(channel, liveEventOf(e)).catch(() => {});
    }
    this.sites.noteAccepted(
      out.site,
      new Date(out.events[0].ts),
      (error) => log.warn("could not record first event", { error }),
    );
    return { accepted: out.events.length, dropped };
  }
}

const instances = new WeakMap<AppContext, Ingestor>();

/** The instance's ingestor, created on first use. */
export function ingestorFor(ctx: AppContext): Ingestor {
  let i = instances.get(ctx);
  if (!i) instances.set(ctx, i = new Ingestor(ctx));
  return i;
}
