/**
 * Business metrics over customers. MRR, its movements and LTV by first source come from the
 * revenue report's own functions (attribution/report.ts), so the two pages cannot disagree;
 * churn, ARPU, status, revenue by plan and cohort retention are defined here.
 */
import type { Sql } from "../db/connect.ts";
import {
  type CohortRow,
  ltvByFirstTouch,
  type SubscriptionMetrics,
  subscriptionMetrics,
} from "../attribution/report.ts";
import { type CustomerStatus, settleCustomers } from "./store.ts";

/** Everything the metrics page shows for a period; money in the site's minor units. */
export interface CustomerMetrics {
  subs: SubscriptionMetrics;
  /** MRR when the period began: today's MRR less every movement since. */
  mrrAtStart: number;
  /** Customers with a subscription counting toward MRR now. */
  payingCustomers: number;
  /** Customers paying when the period began. */
  payingAtStart: number;
  /** Of those, how many have no MRR left now (their subscriptions churned in the period). */
  churnedCustomers: number;
  /** churnedCustomers ÷ payingAtStart; null without anyone paying at the start. */
  customerChurnRate: number | null;
  /** (churned + contraction MRR) ÷ MRR at start; null without MRR at the start. */
  revenueChurnRate: number | null;
  /** MRR ÷ paying customers. */
  arpu: number | null;
  /** Net revenue ever ÷ customers who ever paid. */
  ltv: number | null;
  buyers: number;
  byStatus: Array<{ status: CustomerStatus; customers: number }>;
  byPlan: Array<{ plan: string; revenue: number; payments: number }>;
  ltvBySource: CohortRow[];
}

/** The metrics for a period [from, to). */
export async function customerMetrics(
  sql: Sql,
  siteId: number,
  from: Date,
  to: Date,
): Promise<CustomerMetrics> {
  const subs = await subscriptionMetrics(sql, siteId, from, to);
  const [since] = await sql<{ delta: number }[]>`
    select coalesce(sum(delta_site_minor), 0)::bigint as delta from mrr_movements
    where site_id = ${siteId} and ts >= ${from}`;
  const mrrAtStart = subs.mrr - since.delta;
  // A customer's MRR at a moment: the sum of their subscriptions' movements up to it.
  const [people] = await sql<{ paying: number; at_start: number; churned: number }[]>`
    with per as (
      select s.customer_id,
        coalesce(sum(m.delta_site_minor) filter (where m.ts < ${from}), 0) as at_start,
        coalesce(sum(m.delta_site_minor), 0) as now
      from subscriptions s
      join mrr_movements m on m.site_id = s.site_id and m.provider = s.provider
        and m.subscription_id = s.subscription_id
      where s.site_id = ${siteId} and s.customer_id is not null
      group by s.customer_id
    )
    select count(*) filter (where now > 0)::int as paying,
      count(*) filter (where at_start > 0)::int as at_start,
      count(*) filter (where at_start > 0 and now <= 0)::int as churned
    from per`;
  const [life] = await sql<{ revenue: number; buyers: number }[]>`
    select coalesce(sum(amount_site_minor), 0)::bigint as revenue,
      count(distinct customer_id) filter (where kind <> 'refund')::int as buyers
    from purchases where site_id = ${siteId} and customer_id is not null`;
  await settleCustomers(sql, siteId);
  const byStatus = await sql<Array<{ status: CustomerStatus; customers: number }>>`
    select status, count(*)::int as customers from customer_facts
    where site_id = ${siteId} group by status order by customers desc, status`;
  const byPlan = await sql<Array<{ plan: string; revenue: number; payments: number }>>`
    select product as plan, sum(amount_site_minor)::bigint as revenue,
      count(*) filter (where kind <> 'refund')::int as payments
    from purchases where site_id = ${siteId} and ts >= ${from} and ts < ${to}
    group by product order by revenue desc, plan`;
  return {
    subs,
    mrrAtStart,
    payingCustomers: people.paying,
    payingAtStart: people.at_start,
    churnedCustomers: people.churned,
    customerChurnRate: people.at_start > 0 ? people.churned / people.at_start : null,
    revenueChurnRate: mrrAtStart > 0 ? (subs.churnedMrr + subs.contractionMrr) / mrrAtStart : null,
    arpu: people.paying > 0 ? subs.mrr / people.paying : null,
    ltv: life.buyers > 0 ? life.revenue / life.buyers : null,
    buyers: life.buyers,
    byStatus: [...byStatus],
    byPlan: [...byPlan],
    ltvBySource: await ltvByFirstTouch(sql, siteId, from, to),
  };
}

/** One cohort: customers whose first payment fell in `month`, and who paid again after. */
export interface RetentionCohort {
  /** YYYY-MM in the site's time zone. */
  month: string;
  customers: number;
  /** Share of the cohort paying in month 0, 1, 2… after their first (up to now). */
  retained: number[];
}

/** The monthly retention grid by first payment, the last `months` cohorts. */
export async function retentionCohorts(
  sql: Sql,
  siteId: number,
  timezone: string,
  months = 12,
): Promise<RetentionCohort[]> {
  const rows = await sql<{ cohort: string; offset: number; customers: number }[]>`
    with pay as (
      select customer_id, date_trunc('month', ts at time zone ${timezone}) as month
      from purchases
      where site_id = ${siteId} and customer_id is not null and kind <> 'refund'
      group by 1, 2
    ),
    firsts as (select customer_id, min(month) as cohort from pay group by 1),
    recent as (
      select * from firsts
      where cohort > date_trunc('month', now() at time zone ${timezone})
        - make_interval(months => ${months})
    )
    select to_char(r.cohort, 'YYYY-MM') as cohort,
      ((extract(year from p.month) - extract(year from r.cohort)) * 12
        + extract(month from p.month) - extract(month from r.cohort))::int as offset,
      count(distinct r.customer_id)::int as customers
    from recent r join pay p on p.customer_id = r.customer_id and p.month >= r.cohort
    group by 1, 2 order by 1, 2`;
  const cohorts = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const m = cohorts.get(r.cohort) ?? new Map<number, number>();
    m.set(r.offset, r.customers);
    cohorts.set(r.cohort, m);
  }
  const [{ current }] = await sql<{ current: string }[]>`
    select to_char(now() at time zone ${timezone}, 'YYYY-MM') as current`;
  const monthsBetween = (a: string, b: string) =>
    (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5)) -
    Number(a.slice(5));
  return [...cohorts].map(([month, m]) => {
    const size = m.get(0) ?? 0;
    const span = monthsBetween(month, current);
    return {
      month,
      customers: size,
      retained: Array.from({ length: span + 1 }, (_, k) => size ? (m.get(k) ?? 0) / size : 0),
    };
  });
}
