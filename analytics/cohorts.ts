/**
 * Acquisition cohorts: visitors grouped by the week or month (in the site's time zone) of their
 * first visit or first purchase; per cohort its size, the share that came back in each later
 * week or month, and the revenue its members brought since. Optionally only the visitors whose
 * first visit came from one source.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";

export const COHORT_UNITS = ["week", "month"] as const;
export const COHORT_KINDS = ["first_visit", "first_purchase"] as const;

export interface CohortOptions {
  unit: (typeof COHORT_UNITS)[number];
  by: (typeof COHORT_KINDS)[number];
  /** How many cohorts, ending with the current week or month (1–24). */
  periods: number;
  /** Only visitors whose first visit had this source ("" = Direct / none). */
  source?: string;
  /** "source": a grid per first source (each row then says its source). */
  split?: "source";
  /** "Now", for tests. */
  now?: Date;
}

export interface CohortRow {
  /** First local day of the cohort's week or month, YYYY-MM-DD. */
  cohort: string;
  /** The members' first source ("" = Direct / none), when split by source. */
  source?: string;
  size: number;
  /** Per period after acquisition (0 = the acquisition period itself): % who visited. */
  retention: Array<number | null>;
  /** Purchases (net of refunds) by the cohort's members since acquisition, minor units. */
  revenue: number;
}

/** Checks cohort parameters from a URL; throws Invalid with a sentence. */
export function parseCohortParams(params: URLSearchParams): Omit<CohortOptions, "now"> {
  const unit = params.get("unit") || "week";
  const by = params.get("by") || "first_visit";
  const periods = params.get("periods") || (unit === "month" ? "12" : "8");
  if (!(COHORT_UNITS as readonly string[]).includes(unit)) {
    throw new Invalid("unit", "unit must be week or month.");
  }
  if (!(COHORT_KINDS as readonly string[]).includes(by)) {
    throw new Invalid("by", "by must be first_visit or first_purchase.");
  }
  if (!/^[0-9]{1,2}$/.test(periods) || Number(periods) < 1 || Number(periods) > 24) {
    throw new Invalid("periods", "periods must be a whole number from 1 to 24.");
  }
  const source = params.get("source") ?? undefined;
  if (source !== undefined && source.length > 500) {
    throw new Invalid("source", "Keep the source under 500 characters.");
  }
  const split = params.get("split") || undefined;
  if (split !== undefined && split !== "source") {
    throw new Invalid("split", "split can only be source (a grid per first source).");
  }
  return {
    unit: unit as CohortOptions["unit"],
    by: by as CohortOptions["by"],
    periods: Number(periods),
    source,
    ...(split ? { split } : {}),
  };
}

/** The retention grid, oldest cohort first. */
export async function cohortGrid(
  sql: Sql,
  site: { id: number; timezone: string },
  opts: CohortOptions,
): Promise<CohortRow[]> {
  const tz = site.timezone;
  const unit = opts.unit;
  const now = opts.now ?? new Date();
  const step = unit === "week" ? sql`interval '1 week'` : sql`interval '1 month'`;
  const grp = opts.split === "source" ? sql`m.source` : sql`''`;
  // Local start of the current unit, then `periods - 1` units before it.
  const rows = await sql`
    with bounds as (
      select date_trunc(${unit}, ${now}::timestamptz at time zone ${tz})
               - (${opts.periods - 1}::int * ${step}) as first_local,
             date_trunc(${unit}, ${now}::timestamptz at time zone ${tz}) + ${step} as end_local),
    firsts as (
      select distinct on (s.visitor_id) s.visitor_id, s.started_at as first_visit, s.source
      from sessions s where s.site_id = ${site.id}
      order by s.visitor_id, s.started_at),
    buyers as (
      select p.visitor_id, min(p.ts) as first_purchase from purchases p
      where p.site_id = ${site.id} and p.kind <> 'refund' and p.visitor_id is not null
      group by 1),
    members as (
      select f.visitor_id, f.source,
             ${opts.by === "first_visit" ? sql`f.first_visit` : sql`b.first_purchase`} as joined,
             date_trunc(${unit}, (${
    opts.by === "first_visit" ? sql`f.first_visit` : sql`b.first_purchase`
  }) at time zone ${tz}) as cohort
      from firsts f ${
    opts.by === "first_purchase" ? sql`join buyers b on b.visitor_id = f.visitor_id` : sql``
  }
      where ${opts.source === undefined ? sql`true` : sql`f.source = ${opts.source}`}),
    inrange as (
      select m.* from members m, bounds b
      where m.cohort >= b.first_local and m.cohort < b.end_local),
    activity as (
      select distinct m.visitor_id, m.cohort, ${grp} as grp,
        ${
    unit === "week"
      ? sql`(extract(epoch from date_trunc('week', s.started_at at time zone ${tz}) - m.cohort)
              / 604800)::int`
      : sql`((extract(year from s.started_at at time zone ${tz}) * 12
               + extract(month from s.started_at at time zone ${tz}))
              - (extract(year from m.cohort) * 12 + extract(month from m.cohort)))::int`
  } as k
      from inrange m join sessions s on s.site_id = ${site.id}
        and s.visitor_id = m.visitor_id and s.started_at >= m.joined),
    sizes as (select ${grp} as grp, m.cohort, count(*) as size from inrange m group by 1, 2),
    money as (
      select ${grp} as grp, m.cohort, sum(p.amount_site_minor) as revenue
      from inrange m join purchases p on p.site_id = ${site.id}
        and p.visitor_id = m.visitor_id and p.ts >= m.joined
      group by 1, 2)
    select z.grp, to_char(z.cohort, 'YYYY-MM-DD') as cohort, z.size::int8 as size,
           coalesce(mo.revenue, 0)::int8 as revenue,
           coalesce((select json_agg(json_build_array(k, n) order by k) from (
             select k, count(*) as n from activity a
             where a.cohort = z.cohort and a.grp = z.grp group by 1) x),
             '[]') as active
    from sizes z left join money mo on mo.cohort = z.cohort and mo.grp = z.grp
    order by z.grp, z.cohort`;
  return rows.map((x) => {
    const first = new Date(`${x.cohort}T00:00:00Z`);
    const current = periodsBetween(unit, first, now, tz);
    const active = new Map((x.active as Array<[number, number]>).map(([k, n]) => [k, n]));
    const size = Number(x.size);
    return {
      cohort: x.cohort,
      ...(opts.split === "source" ? { source: x.grp as string } : {}),
      size,
      revenue: Number(x.revenue),
      retention: Array.from(
        { length: current + 1 },
        (_, k) => size > 0 ? Math.round((10_000 * (active.get(k) ?? 0)) / size) / 100 : null,
      ),
    };
  });
}

/** Whole weeks or months from a cohort's local start to the local period holding `now`. */
function periodsBetween(unit: string, first: Date, now: Date, tz: string): number {
  const local = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(now);
  const today = new Date(`${local}T00:00:00Z`);
  if (unit === "week") return Math.floor((today.getTime() - first.getTime()) / 604_800_000);
  return (today.getUTCFullYear() - first.getUTCFullYear()) * 12 +
    (today.getUTCMonth() - first.getUTCMonth());
}

/** One grid per first source: the `top` sources with the most members, largest first. */
export function gridsBySource(
  rows: CohortRow[],
  top = 6,
): Array<{ source: string; size: number; rows: CohortRow[] }> {
  const groups = new Map<string, CohortRow[]>();
  for (const r of rows) {
    const key = r.source ?? "";
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()]
    .map(([source, list]) => ({ source, size: list.reduce((n, r) => n + r.size, 0), rows: list }))
    .sort((a, b) => b.size - a.size || a.source.localeCompare(b.source))
    .slice(0, top);
}
