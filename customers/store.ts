/**
 * Customers: the SQL behind lists and profiles. A customer is one email on one site; the
 * `customer_facts` view (migrations 0130, 0200) gathers their purchases on every platform, their
 * subscriptions, the visitors linked to them and their engagement, from stored summaries that
 * `settleCustomers` brings up to date with every change before a read.
 */
import type { Sql } from "../db/connect.ts";
import type { Fragment } from "postgres";
import { NotFound } from "../lib/errors.ts";

/** active | trialing | past_due | cancelled | expired | one_time | lead */
export type CustomerStatus =
  | "active"
  | "trialing"
  | "past_due"
  | "cancelled"
  | "expired"
  | "one_time"
  | "lead";

export const CUSTOMER_STATUSES: CustomerStatus[] = [
  "active",
  "trialing",
  "past_due",
  "cancelled",
  "expired",
  "one_time",
  "lead",
];

/** How each status reads. */
export const STATUS_LABELS: Record<CustomerStatus, string> = {
  active: "Active",
  trialing: "Trialing",
  past_due: "Past due",
  cancelled: "Cancelled",
  expired: "Expired",
  one_time: "One-time buyer",
  lead: "Lead",
};

/** One row of `customer_facts`; money in the site's minor units. */
export interface Customer {
  id: number;
  site_id: number;
  email: string;
  name: string;
  joined_at: Date;
  revenue: number;
  payments: number;
  refunds: number;
  first_payment_at: Date | null;
  last_payment_at: Date | null;
  plan: string;
  products: string[];
  status: CustomerStatus;
  mrr: number;
  cancelled_at: Date | null;
  last_visit_at: Date | null;
  visits: number;
  visits_30d: number;
  last_active_at: Date;
  first_source: string;
  first_channel: string;
  first_campaign: string;
  country: string;
  device: string;
  engagement: number;
}

/** Sort keys of the list. */
export type CustomerSort = "revenue" | "last_active" | "joined" | "engagement" | "email";
export const CUSTOMER_SORTS: CustomerSort[] = [
  "revenue",
  "last_active",
  "joined",
  "engagement",
  "email",
];
const SORT_COLUMN: Record<CustomerSort, string> = {
  revenue: "revenue",
  last_active: "last_active_at",
  joined: "joined_at",
  engagement: "engagement",
  email: "email",
};

/** What a list asks for. */
export interface CustomerListQuery {
  siteId: number;
  /** Part of an email or name. */
  search?: string;
  status?: CustomerStatus;
  tagId?: number;
  /** An extra condition on `customer_facts` (a segment), as a SQL fragment. */
  where?: Fragment;
  sort: CustomerSort;
  dir: "asc" | "desc";
  /** 1-based. */
  page: number;
  limit: number;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's own characters taken literally. */
export function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
}

/**
 * Recomputes the summaries of the site's customers changed since the last settle (migration
 * 0200). Every reader of `customer_facts` calls it first; it costs one index look-up when
 * nothing changed.
 */
export async function settleCustomers(sql: Sql, siteId: number): Promise<void> {
  await sql`select sextant_customer_summaries_settle(${siteId})`;
}

/** The rows of `customer_facts` a list query picks, as a fragment to select from. */
export function selectedCustomers(
  sql: Sql,
  q: Omit<CustomerListQuery, "sort" | "dir" | "page" | "limit">,
) {
  const search = (q.search ?? "").trim().toLowerCase();
  const like = likePattern(search);
  return sql`
    select * from customer_facts f
    where f.site_id = ${q.siteId}
      ${search ? sql`and (f.email like ${like} or lower(f.name) like ${like})` : sql``}
      ${q.status ? sql`and f.status = ${q.status}` : sql``}
      ${
    q.tagId
      ? sql`and exists (select 1 from customer_taggings t
          where t.customer_id = f.id and t.tag_id = ${q.tagId})`
      : sql``
  }
      ${q.where ? sql`and (${q.where})` : sql``}`;
}

/**
 * Sorts on stored columns (the customers table and their summaries): a list by them (without a
 * status or segment filter) picks its page first and reads the full facts of those rows only.
 */
const CHEAP_SORTS = new Set<CustomerSort>(["joined", "email", "revenue", "last_active"]);

/** One page of customers and how many match in all. */
export async function listCustomers(
  sql: Sql,
  q: CustomerListQuery,
): Promise<{ rows: Customer[]; total: number }> {
  await settleCustomers(sql, q.siteId);
  if (CHEAP_SORTS.has(q.sort) && !q.status && !q.where) return await listCheaply(sql, q);
  const order = sql.unsafe(
    `${SORT_COLUMN[q.sort]} ${q.dir === "asc" ? "asc" : "desc"} nulls last, id ${
      q.dir === "asc" ? "asc" : "desc"
    }`,
  );
  const picked = selectedCustomers(sql, q);
  const rows = await sql<(Customer & { total: number })[]>`
    select *, count(*) over ()::int as total from (${picked}) c
    order by ${order}
    limit ${q.limit} offset ${(q.page - 1) * q.limit}`;
  let total = rows[0]?.total ?? 0;
  if (rows.length === 0 && q.page > 1) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from (${picked}) c`;
    total = row.n;
  }
  return { rows: rows.map(({ total: _, ...r }) => r as Customer), total };
}

/** One customer of the site; NotFound for anyone else's. */
export async function findCustomer(sql: Sql, siteId: number, id: number): Promise<Customer> {
  await settleCustomers(sql, siteId);
  const [row] = await sql<Customer[]>`
    select * from customer_facts where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("We couldn't find that customer.");
  return row;
}

/** The customer with this email on the site, or null. */
export async function findCustomerByEmail(
  sql: Sql,
  siteId: number,
  email: string,
): Promise<Customer | null> {
  await settleCustomers(sql, siteId);
  const [row] = await sql<Customer[]>`
    select * from customer_facts
    where site_id = ${siteId} and email = ${email.trim().toLowerCase()}`;
  return row ?? null;
}

/** Checks a customer id belongs to the site without reading their facts. */
export async function assertCustomer(sql: Sql, siteId: number, id: number): Promise<void> {
  const [row] = await sql`select 1 from customers where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("We couldn't find that customer.");
}

/** The visitor ids linked to a customer (identify calls and checkouts), oldest first. */
export async function customerVisitors(
  sql: Sql,
  siteId: number,
  email: string,
): Promise<{ visitor_id: string; origin: string; first_seen_at: Date }[]> {
  return await sql<{ visitor_id: string; origin: string; first_seen_at: Date }[]>`
    select visitor_id, min(origin) as origin, min(first_seen_at) as first_seen_at
    from identities where site_id = ${siteId} and email = ${email}
    group by visitor_id order by min(first_seen_at), visitor_id`;
}

/** A purchase as a profile lists it. */
export interface CustomerPurchase {
  id: string;
  ts: Date;
  provider: string;
  kind: string;
  product: string;
  amount_site_minor: number;
  amount_minor: number;
  currency: string;
  gift_recipient_email: string;
  customer_email: string;
  subscription_id: string;
}

/** Every purchase a customer owns (a gift they received included), newest first. */
export async function customerPurchases(
  sql: Sql,
  siteId: number,
  customerId: number,
): Promise<CustomerPurchase[]> {
  return await sql<CustomerPurchase[]>`
    select id, ts, provider, kind, product, amount_site_minor, amount_minor,
      currency::text as currency, gift_recipient_email, customer_email, subscription_id
    from purchases where site_id = ${siteId} and customer_id = ${customerId}
    order by ts desc, id`;
}

/** A subscription as a profile lists it. */
export interface CustomerSubscription {
  provider: string;
  subscription_id: string;
  status: string;
  mrr_site_minor: number;
  started_at: Date;
  canceled_at: Date | null;
}

/** A customer's subscriptions on every platform, newest first. */
export async function customerSubscriptions(
  sql: Sql,
  siteId: number,
  customerId: number,
): Promise<CustomerSubscription[]> {
  return await sql<CustomerSubscription[]>`
    select provider, subscription_id, status, mrr_site_minor, started_at, canceled_at
    from subscriptions where site_id = ${siteId} and customer_id = ${customerId}
    order by started_at desc`;
}

/** The platforms a customer has bought through. */
export async function customerProviders(
  sql: Sql,
  siteId: number,
  customerId: number,
): Promise<string[]> {
  const rows = await sql<{ provider: string }[]>`
    select distinct provider from purchases
    where site_id = ${siteId} and customer_id = ${customerId} and provider <> 'tracker'
    order by provider`;
  return rows.map((r) => r.provider);
}

/** The list's page picked from customers and their stored summaries, then read in full. */
async function listCheaply(
  sql: Sql,
  q: CustomerListQuery,
): Promise<{ rows: Customer[]; total: number }> {
  const search = (q.search ?? "").trim().toLowerCase();
  const like = likePattern(search);
  // The same values customer_facts shows for these columns (migration 0200).
  const key = q.sort === "revenue"
    ? sql`coalesce(s.revenue, 0)`
    : q.sort === "last_active"
    ? sql`coalesce(s.last_active_at, c.created_at)`
    : sql(q.sort === "email" ? "c.email" : "c.created_at");
  const dir = sql.unsafe(q.dir === "asc" ? "asc" : "desc");
  const picked = await sql<{ id: number; total: number }[]>`
    select c.id, count(*) over ()::int as total from customers c
    left join customer_summaries s on s.id = c.id
    where c.site_id = ${q.siteId}
      ${
    search ? sql`and (c.email like ${like} or lower(coalesce(s.name, '')) like ${like})` : sql``
  }
      ${
    q.tagId
      ? sql`and exists (select 1 from customer_taggings t
          where t.customer_id = c.id and t.tag_id = ${q.tagId})`
      : sql``
  }
    order by ${key} ${dir}, c.id ${dir}
    limit ${q.limit} offset ${(q.page - 1) * q.limit}`;
  let total = picked[0]?.total ?? 0;
  if (picked.length === 0 && q.page > 1) {
    return { rows: [], total: (await listCheaply(sql, { ...q, page: 1, limit: 1 })).total };
  }
  const ids = picked.map((r) => r.id);
  const facts = ids.length === 0 ? [] : await sql<Customer[]>`
    select * from customer_facts where site_id = ${q.siteId} and id = any(${ids}::bigint[])`;
  const byId = new Map(facts.map((f) => [f.id, f]));
  total = picked[0]?.total ?? 0;
  return { rows: ids.map((id) => byId.get(id)!).filter(Boolean), total };
}
