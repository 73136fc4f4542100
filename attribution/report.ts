/**
 * The revenue report: revenue credited to each source (or a source's campaigns, or a campaign's
 * contents) under one model, beside the visitors each brought. Unmatched revenue is its own row
 * and refunds subtract in the period they happen, so rows add up to the purchases table.
 */
import type { Sql } from "../db/connect.ts";
import type { Model } from "./models.ts";

export type Level = "source" | "campaign" | "content";

export interface ReportQuery {
  siteId: number;
  model: Model;
  from: Date;
  to: Date;
  /** Drill-down: a source's campaigns… */
  source?: string;
  /** …and a campaign's contents. */
  campaign?: string;
}

export interface ReportRow {
  /** The raw value ("" for none). */
  key: string;
  visitors: number | null;
  /** Net revenue credited, site minor units. */
  revenue: number;
  customers: number;
  /** Purchases credited (fractional under shared models). */
  orders: number;
  /** Customers per 100 visitors. */
  conversion: number | null;
  /** Average order value, site minor units. */
  aov: number | null;
  /** Revenue per visitor, site minor units (fractional). */
  rpv: number | null;
}

export interface RevenueReport {
  level: Level;
  rows: ReportRow[];
  /** Purchases with no evidence linking them to a visitor. */
  unmatched: ReportRow;
  totals: {
    /** Sum of every row, unmatched included. */
    revenue: number;
    /** Sum of amount_site_minor in the purchases table over the period (the check). */
    purchasesTable: number;
    purchases: number;
    refunds: number;
    refundCount: number;
    customers: number;
    /** Visitors of the rows shown (a drilled-down source's, or everyone's). */
    visitors: number;
    /** Every visitor of the site in the period. */
    siteVisitors: number;
    convertedPurchases: number;
  };
}

/** The level a query shows: sources, a source's campaigns, or a campaign's contents. */
export function levelOf(q: Pick<ReportQuery, "source" | "campaign">): Level {
  if (q.source === undefined) return "source";
  if (q.campaign === undefined) return "campaign";
  return "content";
}

function finish(key: string, v: Omit<ReportRow, "key" | "conversion" | "aov" | "rpv">): ReportRow {
  return {
    key,
    ...v,
    conversion: v.visitors ? (v.customers / v.visitors) * 100 : null,
    aov: v.orders > 0 ? v.revenue / v.orders : null,
    rpv: v.visitors ? v.revenue / v.visitors : null,
  };
}

/** Builds the report. */
export async function revenueReport(sql: Sql, q: ReportQuery): Promise<RevenueReport> {
  const level = levelOf(q);
  const dim = sql(level);
  const source = q.source ?? null;
  const campaign = q.campaign ?? null;
  const credited = await sql<{ key: string; revenue: number; customers: number; orders: number }[]>`
    select c.${dim} as key, sum(c.amount_site_minor)::bigint as revenue,
      count(distinct p.customer_key) filter (where p.kind <> 'refund' and p.amount_site_minor > 0)
        ::int as customers,
      coalesce(sum(c.amount_site_minor::float8 / p.amount_site_minor)
        filter (where p.kind <> 'refund' and p.amount_site_minor > 0), 0)::float8 as orders
    from attribution_credits c
    join purchases p on p.site_id = c.site_id and p.id = c.purchase_id and p.ts = c.purchase_ts
    where c.site_id = ${q.siteId} and c.model = ${q.model} and c.touch >= 0
      and c.purchase_ts >= ${q.from} and c.purchase_ts < ${q.to}
      and (${source}::text is null or c.source = ${source})
      and (${campaign}::text is null or c.campaign = ${campaign})
    group by 1`;
  const visited = await sql<{ key: string; visitors: number }[]>`
    select ${dim} as key, count(distinct visitor_id)::int as visitors
    from sessions
    where site_id = ${q.siteId} and started_at >= ${q.from} and started_at < ${q.to}
      and (${source}::text is null or source = ${source})
      and (${campaign}::text is null or campaign = ${campaign})
    group by 1`;
  const [un] = await sql<{ revenue: number; customers: number; orders: number }[]>`
    select coalesce(sum(c.amount_site_minor), 0)::bigint as revenue,
      count(distinct p.customer_key) filter (where p.kind <> 'refund' and p.amount_site_minor > 0)
        ::int as customers,
      count(*) filter (where p.kind <> 'refund' and p.amount_site_minor > 0)::int as orders
    from attribution_credits c
    join purchases p on p.site_id = c.site_id and p.id = c.purchase_id and p.ts = c.purchase_ts
    where c.site_id = ${q.siteId} and c.model = ${q.model} and c.touch = -1
      and c.purchase_ts >= ${q.from} and c.purchase_ts < ${q.to}`;
  const [t] = await sql<
    {
      total: number;
      purchases: number;
      refunds: number;
      refund_count: number;
      customers: number;
      converted: number;
    }[]
  >`
    select coalesce(sum(amount_site_minor), 0)::bigint as total,
      count(*) filter (where kind <> 'refund' and amount_site_minor > 0)::int as purchases,
      coalesce(sum(amount_site_minor) filter (where kind = 'refund'), 0)::bigint as refunds,
      count(*) filter (where kind = 'refund')::int as refund_count,
      count(distinct customer_key) filter (where kind <> 'refund' and amount_site_minor > 0)
        ::int as customers,
      count(*) filter (where converted)::int as converted
    from purchases
    where site_id = ${q.siteId} and ts >= ${q.from} and ts < ${q.to}`;
  const [v] = await sql<{ visitors: number; site_visitors: number }[]>`
    select count(distinct visitor_id) filter (where
        (${source}::text is null or source = ${source})
        and (${campaign}::text is null or campaign = ${campaign}))::int as visitors,
      count(distinct visitor_id)::int as site_visitors
    from sessions
    where site_id = ${q.siteId} and started_at >= ${q.from} and started_at < ${q.to}`;

  const byKey = new Map<string, Omit<ReportRow, "key" | "conversion" | "aov" | "rpv">>();
  for (const r of credited) {
    byKey.set(r.key, { visitors: 0, revenue: r.revenue, customers: r.customers, orders: r.orders });
  }
  for (const r of visited) {
    const row = byKey.get(r.key) ?? { visitors: 0, revenue: 0, customers: 0, orders: 0 };
    row.visitors = r.visitors;
    byKey.set(r.key, row);
  }
  const rows = [...byKey.entries()].map(([key, r]) => finish(key, r))
    .sort((a, b) =>
      b.revenue - a.revenue || (b.visitors ?? 0) - (a.visitors ?? 0) || a.key.localeCompare(b.key)
    );
  const unmatched = finish("", { visitors: null, ...un });
  // Drilled down, the unmatched row has no place: it has no source.
  const revenue = rows.reduce((a, r) => a + r.revenue, 0) +
    (level === "source" ? unmatched.revenue : 0);
  return {
    level,
    rows,
    unmatched,
    totals: {
      revenue,
      purchasesTable: t.total,
      purchases: t.purchases,
      refunds: t.refunds,
      refundCount: t.refund_count,
      customers: t.customers,
      visitors: v.visitors,
      siteVisitors: v.site_visitors,
      convertedPurchases: t.converted,
    },
  };
}

export interface PurchaseListItem {
  id: string;
  ts: Date;
  kind: string;
  amount_minor: number;
  currency: string;
  amount_site_minor: number;
  converted: boolean;
  product: string;
  customer_email: string;
  gift_recipient_email: string;
  match_method: string;
  match_confidence: number;
  provider: string;
  /** webhook | backfill | browser (reported through collect, unverified) | api */
  origin: string;
  /** Sources credited under the model, largest share first ("YouTube", "Google + 2"). */
  /** Credited sources as stored: "" for direct, null for unmatched. */
  sources: Array<string | null>;
}

/** Purchases of the period, newest first, with the sources the model credits. */
export function listPurchases(
  sql: Sql,
  q: { siteId: number; model: Model; from: Date; to: Date; limit?: number },
): Promise<PurchaseListItem[]> {
  return sql<PurchaseListItem[]>`
    select p.id, p.ts, p.kind, p.amount_minor, p.currency::text as currency, p.amount_site_minor,
      p.converted, p.product, p.customer_email, p.gift_recipient_email, p.match_method,
      p.match_confidence, p.provider, p.origin,
      coalesce((select array_agg(case when c.touch < 0 then null else c.source end
                  order by abs(c.amount_site_minor) desc, c.touch)
        from attribution_credits c where c.purchase_id = p.id and c.model = ${q.model}),
        '{}') as sources
    from purchases p
    where p.site_id = ${q.siteId} and p.ts >= ${q.from} and p.ts < ${q.to}
    order by p.ts desc, p.id
    limit ${q.limit ?? 50}`;
}

export interface SubscriptionMetrics {
  mrr: number;
  arr: number;
  activeSubscriptions: number;
  newMrr: number;
  expansionMrr: number;
  contractionMrr: number;
  churnedMrr: number;
  reactivationMrr: number;
}

/** Current MRR and the period's MRR movements. */
export async function subscriptionMetrics(
  sql: Sql,
  siteId: number,
  from: Date,
  to: Date,
): Promise<SubscriptionMetrics> {
  const [now] = await sql<{ mrr: number; active: number }[]>`
    select coalesce(sum(mrr_site_minor), 0)::bigint as mrr,
      count(*) filter (where mrr_site_minor > 0)::int as active
    from subscriptions where site_id = ${siteId}`;
  const moves = await sql<{ kind: string; delta: number }[]>`
    select kind, sum(delta_site_minor)::bigint as delta from mrr_movements
    where site_id = ${siteId} and ts >= ${from} and ts < ${to} group by kind`;
  const m = (k: string) => moves.find((x) => x.kind === k)?.delta ?? 0;
  return {
    mrr: now.mrr,
    arr: now.mrr * 12,
    activeSubscriptions: now.active,
    newMrr: m("new"),
    expansionMrr: m("expansion"),
    contractionMrr: -m("contraction"),
    churnedMrr: -m("churn"),
    reactivationMrr: m("reactivation"),
  };
}

export interface CohortRow {
  /** First-touch source of the customers' first purchase; null for unmatched customers. */
  source: string | null;
  customers: number;
  /** Net revenue to date from these customers, site minor units. */
  revenue: number;
  /** Revenue per customer. */
  ltv: number;
  /** Their current MRR. */
  mrr: number;
}

/**
 * Lifetime value by first-touch source: customers whose first purchase falls in the period,
 * grouped by the source that first brought them, with everything they have paid since.
 */
export function ltvByFirstTouch(
  sql: Sql,
  siteId: number,
  from: Date,
  to: Date,
): Promise<CohortRow[]> {
  return sql<CohortRow[]>`
    with firsts as (
      select distinct on (customer_key) customer_key, id, ts from purchases
      where site_id = ${siteId} and kind <> 'refund' and customer_key <> ''
      order by customer_key, ts, id
    ),
    cohort as (
      select f.customer_key,
        (select case when c.touch < 0 then null else c.source end from attribution_credits c
          where c.purchase_id = f.id and c.model = 'first_touch' limit 1) as source,
        (select c.touch < 0 from attribution_credits c
          where c.purchase_id = f.id and c.model = 'first_touch' limit 1) as unmatched
      from firsts f where f.ts >= ${from} and f.ts < ${to}
    )
    select case when k.unmatched then null else coalesce(k.source, '') end as source,
      count(*)::int as customers,
      coalesce(sum(r.revenue), 0)::bigint as revenue,
      (coalesce(sum(r.revenue), 0)::float8 / count(*))::float8 as ltv,
      coalesce(sum(m.mrr), 0)::bigint as mrr
    from cohort k
    left join lateral (
      select sum(p.amount_site_minor) as revenue from purchases p
      where p.site_id = ${siteId} and p.customer_key = k.customer_key) r on true
    left join lateral (
      select sum(s.mrr_site_minor) as mrr from subscriptions s
      where s.site_id = ${siteId} and s.subscription_id in (
        select p.subscription_id from purchases p
        where p.site_id = ${siteId} and p.customer_key = k.customer_key
          and p.subscription_id <> '')) m on true
    group by 1
    order by revenue desc, customers desc`;
}
