/**
 * A site's digest: visitors, revenue and conversion for the last day or week against the one
 * before, top sources by revenue, top pages, customers and open incidents — all from the one
 * stats query (analytics/stats.ts), rendered as an email that reads well on a phone.
 */
import type { Sql } from "../db/connect.ts";
import { aggregate, breakdown, type StatsSite } from "../analytics/stats.ts";
import { parseStatsParams } from "../analytics/query.ts";
import { addDays, dayOf, formatDay } from "../analytics/period.ts";
import { formatCount, formatMoney, formatPercent } from "../analytics/format.ts";
import { type RenderedEmail, renderEmail } from "../mail/template.tsx";
import { type AlertRule, ruleTitle } from "../alerts/rules.ts";

/** daily: yesterday; weekly: the 7 days before today (in the site's time zone). */
export type Frequency = "daily" | "weekly";

/** The figures one digest tells. */
export interface Digest {
  frequency: Frequency;
  site: { id: number; name: string; currency: string };
  from: string;
  to: string;
  totals: { visitors: number; revenue: number; conversion: number; customers: number };
  previous: { visitors: number; revenue: number; conversion: number; customers: number } | null;
  sources: { name: string; revenue: number; visitors: number }[];
  pages: { name: string; visitors: number }[];
  incidents: string[];
}

/** The period a digest covers at `now`: its first and last local day. */
export function digestPeriod(frequency: Frequency, tz: string, now: Date) {
  const today = dayOf(now, tz);
  const to = addDays(today, -1);
  return { from: frequency === "daily" ? to : addDays(today, -7), to };
}

/** Computes a site's digest for the period ending yesterday. */
export async function computeDigest(
  sql: Sql,
  site: StatsSite & { name: string },
  frequency: Frequency,
  now = new Date(),
): Promise<Digest> {
  const { from, to } = digestPeriod(frequency, site.timezone, now);
  const base = `period=custom&from=${from}&to=${to}`;
  const q = (extra: string) => parseStatsParams(new URLSearchParams(`${base}&${extra}`));
  const agg = await aggregate(
    sql,
    site,
    q("metrics=visitors,revenue,conversion_rate,customers"),
    { now },
  );
  const pick = (v: Record<string, number | null | undefined> | null) =>
    v && {
      visitors: v.visitors ?? 0,
      revenue: v.revenue ?? 0,
      conversion: v.conversion_rate ?? 0,
      customers: v.customers ?? 0,
    };
  const sources = await breakdown(
    sql,
    site,
    q("dimension=source&metrics=visitors,revenue&sort=revenue:desc&limit=5"),
    { now },
  );
  const pages = await breakdown(sql, site, q("dimension=page&metrics=visitors&limit=5"), { now });
  const open = await sql<(AlertRule & { summary: string; goal_name: string | null })[]>`
    select r.*, i.summary, g.name as goal_name from alert_incidents i
    join alert_rules r on r.id = i.rule_id
    left join goals g on g.site_id = r.site_id and 'goal:' || g.id = r.metric
    where i.site_id = ${site.id} and i.closed_at is null order by i.opened_at`;
  return {
    frequency,
    site: { id: site.id, name: site.name, currency: site.currency },
    from,
    to,
    totals: pick(agg.totals)!,
    previous: pick(agg.previous),
    sources: sources.rows.map((r) => ({
      name: r.value === null ? "Unmatched" : r.value || "Direct / none",
      revenue: r.values.revenue ?? 0,
      visitors: r.values.visitors ?? 0,
    })),
    pages: pages.rows.map((r) => ({ name: r.value ?? "", visitors: r.values.visitors ?? 0 })),
    incidents: open.map((i) =>
      `${ruleTitle(i, site.currency, i.goal_name ?? undefined)}: ${i.summary}`
    ),
  };
}

function change(now: number, before: number | undefined): string {
  if (before === undefined) return "";
  if (before === 0) return now === 0 ? "no change" : "new";
  const pct = ((now - before) / Math.abs(before)) * 100;
  return `${pct >= 0 ? "+" : "−"}${formatPercent(Math.abs(pct))}`;
}

/** The digest email; `links` are absolute (dashboard, settings, unsubscribe). */
export function digestEmail(
  d: Digest,
  links: { dashboard: string; unsubscribe: string; settings: string },
): RenderedEmail {
  const money = (v: number) => formatMoney(v, d.site.currency);
  const span = d.frequency === "daily"
    ? formatDay(d.from)
    : `${formatDay(d.from, false)} – ${formatDay(d.to)}`;
  const vs = d.frequency === "daily" ? "the day before" : "the 7 days before";
  const p = d.previous ?? undefined;
  return renderEmail({
    subject: `${d.site.name}: your ${d.frequency} report for ${span}`,
    heading: `${d.site.name}, ${span}`,
    paragraphs: [
      d.totals.visitors === 0 && d.totals.revenue === 0
        ? "No visitors or revenue in this period. If that's unexpected, check that the tracking " +
          "script is on your pages."
        : `${formatCount(d.totals.visitors)} visitors and ${money(d.totals.revenue)} in revenue ` +
          `(changes are against ${vs}).`,
      ...(d.incidents.length ? [`Open alerts: ${d.incidents.join(" ")}`] : ["No open alerts."]),
    ],
    tables: [
      {
        head: ["", "Total", "Change"],
        rows: [
          ["Visitors", formatCount(d.totals.visitors), change(d.totals.visitors, p?.visitors)],
          ["Revenue", money(d.totals.revenue), change(d.totals.revenue, p?.revenue)],
          [
            "Conversion",
            formatPercent(d.totals.conversion),
            change(d.totals.conversion, p?.conversion),
          ],
          ["Customers", formatCount(d.totals.customers), change(d.totals.customers, p?.customers)],
        ],
      },
      ...(d.sources.length
        ? [{
          title: "Top sources by revenue",
          head: ["Source", "Visitors", "Revenue"],
          rows: d.sources.map((s) => [s.name, formatCount(s.visitors), money(s.revenue)]),
        }]
        : []),
      ...(d.pages.length
        ? [{
          title: "Top pages",
          head: ["Page", "Visitors"],
          rows: d.pages.map((pg) => [pg.name, formatCount(pg.visitors)]),
        }]
        : []),
    ],
    action: { label: "Open the dashboard", url: links.dashboard },
    footnote: `You get this ${d.frequency} report because you asked for it on ${d.site.name}'s ` +
      `alerts page (${links.settings}). Unsubscribe with one click, no sign-in needed: ` +
      links.unsubscribe,
  });
}
