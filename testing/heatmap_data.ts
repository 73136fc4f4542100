/** Heatmap records as the tracker sends them, run through the real pipeline and writer. */
import type { Sql } from "../db/connect.ts";
import type { Site } from "../accounts/sites.ts";
import { runPipeline } from "../ingest/pipeline.ts";
import { pipelineDeps, trackerRequest } from "../ingest/test_support.ts";
import { writeBatches } from "../ingest/writer.ts";
import type { QueuedBatch } from "../ingest/types.ts";

/** One visitor's page view: a pageview, then the heatmap module's records. */
export interface HeatmapVisit {
  v: string;
  /** The page URL (origin and path). */
  url: string;
  width: number;
  ua?: string;
  clicks: Array<{ x: number; y: number; sel: string; f?: number; ex?: number; ey?: number }>;
  moves?: number[];
  scrolls?: Array<{ sd: number; at: number[] }>;
}

/** Stores the visits through runPipeline and writeBatches; returns the batches (to replay). */
export async function recordHeatmapVisits(
  sql: Sql,
  site: Site,
  visits: HeatmapVisit[],
  now = Date.now() - 60_000,
): Promise<QueuedBatch[]> {
  const deps = pipelineDeps(site);
  const batches: QueuedBatch[] = [];
  for (const visit of visits) {
    const u = visit.url;
    const common = { u, pv: visit.v.replace(/\W/g, "").slice(0, 20), w: visit.width, h: 3000 };
    const events: Array<Record<string, unknown>> = [{ t: "pageview", u }];
    for (const c of visit.clicks) events.push({ t: "click", ex: 5, ey: 4, ...common, ...c });
    if (visit.moves) events.push({ t: "click", k: "m", ...common, m: visit.moves });
    for (const s of visit.scrolls ?? []) events.push({ t: "click", k: "s", ...common, ...s });
    const out = await runPipeline(
      trackerRequest(site, events, { v: visit.v, ua: visit.ua, now }),
      deps,
    );
    batches.push({ events: out.events });
  }
  await writeBatches(sql, batches);
  return batches;
}
