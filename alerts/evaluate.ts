/**
 * Runs every enabled rule of a site against its hourly rollups and opens or closes incidents:
 * one open incident per rule, a "back to normal" message when its detector says normal again,
 * the rule's cooldown before it may open another, nothing while snoozed.
 */
import type { AppContext } from "../http/context.ts";
import type { Sql } from "../db/connect.ts";
import { bandOf } from "./baseline.ts";
import { HOUR_MS, type HourlyMetric, type HourlySeries, hourOf, loadSeries } from "./series.ts";
import type { Detector, Judgement } from "./detectors/types.ts";
import { trafficDrop, trafficSpike } from "./detectors/traffic.ts";
import { trackerSilent } from "./detectors/silent.ts";
import { purchasesStopped } from "./detectors/purchases.ts";
import { revenueDrop } from "./detectors/revenue.ts";
import { integrationTrouble } from "./detectors/integration.ts";
import { conversionDrop } from "./detectors/conversion.ts";
import { type CustomSite, judgeCustom } from "./custom.ts";
import { type AlertRule, ensureDefaults, listRules } from "./rules.ts";
import { type ChartPoint, closeIncident, openIncident, openIncidentOf } from "./incidents.ts";
import { queueIncidentEvent } from "./deliver.ts";

/** The detectors judged from the rollups, by rule kind. */
export const DETECTORS: Record<string, Detector> = {
  traffic_spike: trafficSpike,
  traffic_drop: trafficDrop,
  tracker_silent: trackerSilent,
  purchases_stopped: purchasesStopped,
  revenue_drop: revenueDrop,
  conversion_drop: conversionDrop,
};

/**
 * A rule whose incident would only repeat another's: a drop in traffic while the tracker is
 * silent, a drop in revenue while purchases stopped. The cause is told, not its echo.
 */
export const SUPPRESSED_BY: Record<string, string> = {
  traffic_drop: "tracker_silent",
  revenue_drop: "purchases_stopped",
  conversion_drop: "purchases_stopped",
};
const FIRST = new Set(Object.values(SUPPRESSED_BY));
const CHARTED = new Set<string>(["visitors", "pageviews", "events", "purchases", "revenue"]);

/** The last day of a metric, hour by hour, with its expected band: the incident's chart. */
function chartOf(series: HourlySeries, metric: HourlyMetric, now: number, sensitivity: number) {
  const points: ChartPoint[] = [];
  const current = hourOf(now);
  for (let h = current - 23 * HOUR_MS; h <= current; h += HOUR_MS) {
    const band = bandOf(series.pastWeeks(h, h + HOUR_MS, metric), sensitivity);
    points.push({
      t: h,
      actual: series.at(h, metric),
      expected: band?.expected ?? 0,
      lower: band?.lower ?? 0,
      upper: band?.upper ?? 0,
    });
  }
  return points;
}

/** What happened to one rule in one evaluation. */
export type RuleOutcome = "opened" | "resolved" | "unchanged";

type Ctx = Pick<AppContext, "db" | "config" | "secrets" | "log" | "wake">;

/** Acts on one rule's judgement: opens or closes its incident and queues the messages. */
async function apply(
  ctx: Ctx,
  rule: AlertRule,
  j: Judgement,
  chart: () => ChartPoint[],
  now: Date,
): Promise<RuleOutcome> {
  const sql = ctx.db.sql;
  if (j.state === "anomalous") {
    if (await openIncidentOf(sql, rule.id)) return "unchanged";
    const opened = await openIncident(sql, rule, j, chart(), now);
    if (!opened) return "unchanged";
    await queueIncidentEvent(ctx, opened, "opened");
    return "opened";
  }
  if (j.state === "normal") {
    const closed = await closeIncident(sql, rule.id, j, now);
    if (!closed) return "unchanged";
    await queueIncidentEvent(ctx, closed, "resolved");
    return "resolved";
  }
  return "unchanged";
}

/** Evaluates every enabled, unsnoozed rule of one site at `now`. */
export async function evaluateSite(
  ctx: Ctx,
  siteId: number,
  now = new Date(),
  only?: string,
): Promise<Record<number, RuleOutcome>> {
  const sql = ctx.db.sql;
  await ensureDefaults(sql, siteId);
  const rules = (await listRules(sql, siteId)).filter((r) =>
    r.enabled && (!only || r.kind === only) &&
    !(r.snoozed_until && r.snoozed_until.getTime() > now.getTime())
  ).sort((a, b) => Number(FIRST.has(b.kind)) - Number(FIRST.has(a.kind)));
  const anomalous = new Set<string>();
  const outcomes: Record<number, RuleOutcome> = {};
  const [site] = await sql<CustomSite[]>`
    select id, timezone, currency, created_at, first_event_at from sites where id = ${siteId}`;
  let series: HourlySeries | undefined;
  for (const rule of rules) {
    const detector = DETECTORS[rule.kind];
    if (detector) {
      series ??= await loadSeries(sql, siteId, now);
      const s = series;
      let j = detector({
        series: s,
        now: now.getTime(),
        currency: site.currency,
        rule: {
          kind: rule.kind,
          metric: rule.metric,
          sensitivity: rule.sensitivity,
          minVolume: rule.min_volume,
        },
      });
      if (j.state === "anomalous") anomalous.add(rule.kind);
      const cause = SUPPRESSED_BY[rule.kind];
      if (cause && anomalous.has(cause)) j = { ...j, state: "unknown" };
      const metric = (rule.metric || "visitors") as HourlyMetric;
      outcomes[rule.id] = await apply(
        ctx,
        rule,
        j,
        () => CHARTED.has(metric) ? chartOf(s, metric, now.getTime(), rule.sensitivity) : [],
        now,
      );
    } else if (rule.kind === "custom") {
      const j = await judgeCustom(sql, site, rule, now.getTime());
      outcomes[rule.id] = await apply(ctx, rule, j, () => [], now);
    } else if (rule.kind === "integration") {
      const j = await integrationTrouble(sql, siteId, now.getTime());
      outcomes[rule.id] = await apply(ctx, rule, j, () => [], now);
    }
  }
  return outcomes;
}

/** Sites worth evaluating: any with data, an integration or an open incident. */
function activeSites(sql: Sql) {
  return sql<{ id: number }[]>`
    select s.id from sites s
    where not exists (select 1 from deleted_sites d where d.site_id = s.id)
      and (s.first_event_at is not null
        or exists (select 1 from integrations i where i.site_id = s.id)
        or exists (select 1 from alert_incidents a where a.site_id = s.id and a.closed_at is null))
    order by s.id`;
}

/** Evaluates every active site; one site's failure is logged and the rest go on. */
export async function evaluateAll(ctx: Ctx, now = new Date()): Promise<void> {
  for (const { id } of await activeSites(ctx.db.sql)) {
    try {
      await evaluateSite(ctx, id, now);
    } catch (error) {
      ctx.log.error("alert evaluation failed for a site", { siteId: id, error });
    }
  }
}
