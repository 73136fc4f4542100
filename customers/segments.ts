/**
 * Segments: a rule over customers — match ALL or ANY of conditions, where a condition may be a
 * group with its own ALL/ANY (one level deep) — compiled to one SQL condition on the
 * `customer_facts` view. The list, the live count, bulk actions, CSV and automations all read a
 * segment through `segmentWhere`, so they always agree.
 */
import { z } from "zod";
import type { Fragment } from "postgres";
import type { Sql } from "../db/connect.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { CUSTOMER_STATUSES, likePattern, settleCustomers } from "./store.ts";

/** Date fields and the column each reads. */
export const DATE_FIELDS = {
  joined: "joined_at",
  cancelled: "cancelled_at",
  last_payment: "last_payment_at",
  last_active: "last_active_at",
  last_visit: "last_visit_at",
} as const;
/** Number fields (money in the site's minor units). */
export const NUMBER_FIELDS = {
  revenue: "revenue",
  payments: "payments",
  engagement: "engagement",
  mrr: "mrr",
  visits: "visits",
} as const;
/** Text fields. */
export const TEXT_FIELDS = {
  plan: "plan",
  first_source: "first_source",
  first_channel: "first_channel",
  first_campaign: "first_campaign",
  country: "country",
  device: "device",
} as const;

export const DATE_OPS = ["before", "after", "between", "in_last", "not_in_last"] as const;
export const NUMBER_OPS = ["gt", "lt", "eq", "between"] as const;
export const TEXT_OPS = ["is", "is_not", "contains"] as const;
export const TAG_OPS = ["has", "has_any", "has_all", "not_has"] as const;
export const STATUS_OPS = ["is", "is_not"] as const;
export const PRODUCT_OPS = ["bought", "not_bought"] as const;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Dates look like 2026-03-31.").refine(
  (s) => !Number.isNaN(Date.parse(s)),
  "That date does not exist.",
);
const num = z.number().finite().min(-1e15).max(1e15);
const days = z.number().int().min(1).max(3650);
const text = z.string().max(200);

const dateCondition = z.discriminatedUnion("op", [
  z.object({
    field: z.enum(Object.keys(DATE_FIELDS) as [keyof typeof DATE_FIELDS]),
    op: z.literal("before"),
    value: day,
  }),
  z.object({
    field: z.enum(Object.keys(DATE_FIELDS) as [keyof typeof DATE_FIELDS]),
    op: z.literal("after"),
    value: day,
  }),
  z.object({
    field: z.enum(Object.keys(DATE_FIELDS) as [keyof typeof DATE_FIELDS]),
    op: z.literal("between"),
    value: day,
    value2: day,
  }),
  z.object({
    field: z.enum(Object.keys(DATE_FIELDS) as [keyof typeof DATE_FIELDS]),
    op: z.literal("in_last"),
    value: days,
  }),
  z.object({
    field: z.enum(Object.keys(DATE_FIELDS) as [keyof typeof DATE_FIELDS]),
    op: z.literal("not_in_last"),
    value: days,
  }),
]);

const numberFields = z.enum(Object.keys(NUMBER_FIELDS) as [keyof typeof NUMBER_FIELDS]);
const numberCondition = z.discriminatedUnion("op", [
  z.object({ field: numberFields, op: z.literal("gt"), value: num }),
  z.object({ field: numberFields, op: z.literal("lt"), value: num }),
  z.object({ field: numberFields, op: z.literal("eq"), value: num }),
  z.object({ field: numberFields, op: z.literal("between"), value: num, value2: num }),
]);

const condition = z.union([
  z.object({
    field: z.literal("status"),
    op: z.enum(STATUS_OPS),
    value: z.array(z.enum(CUSTOMER_STATUSES as [string, ...string[]])).min(1).max(7),
  }),
  z.object({
    field: z.literal("tags"),
    op: z.enum(TAG_OPS),
    value: z.array(z.number().int().positive()).min(1).max(50),
  }),
  z.object({
    field: z.literal("product"),
    op: z.enum(PRODUCT_OPS),
    value: z.array(text.min(1)).min(1).max(50),
  }),
  z.object({
    field: z.enum(Object.keys(TEXT_FIELDS) as [keyof typeof TEXT_FIELDS]),
    op: z.enum(TEXT_OPS),
    value: text,
  }),
  z.object({
    field: z.literal("page_views"),
    op: z.literal("at_least"),
    value: z.string().min(1).max(300).startsWith("/", "Pages start with /."),
    value2: z.number().int().min(1).max(10_000),
  }),
  dateCondition,
  numberCondition,
]);

/** One condition of a segment. */
export type Condition = z.infer<typeof condition>;

const group = z.object({
  match: z.enum(["all", "any"]),
  conditions: z.array(condition).min(1).max(30),
});

/** A segment's rule. */
export const SegmentRule = z.object({
  match: z.enum(["all", "any"]),
  conditions: z.array(z.union([condition, group])).max(30),
});
export type SegmentRule = z.infer<typeof SegmentRule>;
export type Group = z.infer<typeof group>;

/** Parses a rule from JSON (a form field or an API body); Invalid with the first problem. */
export function parseRule(raw: unknown): SegmentRule {
  const value = typeof raw === "string" ? jsonOrNull(raw) : raw;
  const parsed = SegmentRule.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? ` (at ${issue.path.join(".")})` : "";
    throw new Invalid("rule", `That segment rule can't be used: ${issue.message}${where}.`);
  }
  return parsed.data;
}

function jsonOrNull(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    throw new Invalid("rule", "The segment rule is not valid JSON.");
  }
}

const isGroup = (c: Condition | Group): c is Group => "match" in c;

/** Start of a calendar day in the site's time zone. */
function dayStart(sql: Sql, d: string, tz: string, plusDays = 0): Fragment {
  return sql`((${d}::date + ${plusDays}::int)::timestamp at time zone ${tz})`;
}

/** One condition as SQL on `f` (a `customer_facts` row). */
function conditionSql(sql: Sql, c: Condition, tz: string): Fragment {
  if (c.field === "status") {
    return c.op === "is" ? sql`f.status in ${sql(c.value)}` : sql`f.status not in ${sql(c.value)}`;
  }
  if (c.field === "tags") {
    const carries = sql`(select count(distinct g.tag_id) from customer_taggings g
      where g.customer_id = f.id and g.tag_id in ${sql(c.value)})`;
    switch (c.op) {
      case "has":
      case "has_any":
        return sql`${carries} > 0`;
      case "has_all":
        return sql`${carries} = ${new Set(c.value).size}`;
      case "not_has":
        return sql`${carries} = 0`;
    }
  }
  if (c.field === "product") {
    return c.op === "bought"
      ? sql`f.products && ${c.value}::text[]`
      : sql`not (f.products && ${c.value}::text[])`;
  }
  if (c.field === "page_views") {
    return sql`(select count(*) from events e
      where e.site_id = f.site_id and e.type = 'pageview' and e.pathname = ${c.value}
        and e.visitor_id in (select i.visitor_id from identities i
          where i.site_id = f.site_id and i.email = f.email)) >= ${c.value2}`;
  }
  if (c.field in TEXT_FIELDS) {
    const tc = c as { field: keyof typeof TEXT_FIELDS; op: typeof TEXT_OPS[number]; value: string };
    const col = sql(`f.${TEXT_FIELDS[tc.field]}`);
    const v = tc.value.trim().toLowerCase();
    if (tc.op === "is") return sql`lower(${col}) = ${v}`;
    if (tc.op === "is_not") return sql`lower(${col}) <> ${v}`;
    const like = likePattern(v);
    return sql`lower(${col}) like ${like}`;
  }
  if (c.field in DATE_FIELDS) {
    const dc = c as z.infer<typeof dateCondition>;
    const col = sql(`f.${DATE_FIELDS[dc.field]}`);
    switch (dc.op) {
      case "before":
        return sql`${col} < ${dayStart(sql, dc.value, tz)}`;
      case "after":
        return sql`${col} >= ${dayStart(sql, dc.value, tz, 1)}`;
      case "between": {
        const [a, b] = dc.value <= dc.value2 ? [dc.value, dc.value2] : [dc.value2, dc.value];
        return sql`(${col} >= ${dayStart(sql, a, tz)} and ${col} < ${dayStart(sql, b, tz, 1)})`;
      }
      case "in_last":
        return sql`${col} >= now() - make_interval(days => ${dc.value})`;
      case "not_in_last":
        return sql`(${col} is null or ${col} < now() - make_interval(days => ${dc.value}))`;
    }
  }
  const nc = c as z.infer<typeof numberCondition>;
  const col = sql(`f.${NUMBER_FIELDS[nc.field]}`);
  switch (nc.op) {
    case "gt":
      return sql`${col} > ${nc.value}`;
    case "lt":
      return sql`${col} < ${nc.value}`;
    case "eq":
      return sql`${col} = ${nc.value}`;
    case "between": {
      const [a, b] = nc.value <= nc.value2 ? [nc.value, nc.value2] : [nc.value2, nc.value];
      return sql`${col} between ${a} and ${b}`;
    }
  }
}

function combine(sql: Sql, parts: Fragment[], match: "all" | "any"): Fragment {
  if (parts.length === 0) return match === "all" ? sql`true` : sql`false`;
  const joiner = match === "all" ? sql` and ` : sql` or `;
  return parts.slice(1).reduce((acc, p) => sql`${acc}${joiner}(${p})`, sql`(${parts[0]})`);
}

/**
 * The rule as one SQL condition on `customer_facts f`. An empty rule matches everyone, so a new
 * segment starts from the whole list.
 */
export function segmentWhere(sql: Sql, rule: SegmentRule, tz: string): Fragment {
  if (rule.conditions.length === 0) return sql`true`;
  const parts = rule.conditions.map((c) =>
    isGroup(c)
      ? combine(sql, c.conditions.map((x) => conditionSql(sql, x, tz)), c.match)
      : conditionSql(sql, c, tz)
  );
  return combine(sql, parts, rule.match);
}

/** How many customers of the site the rule matches. */
export async function countSegment(
  sql: Sql,
  site: { id: number; timezone: string },
  rule: SegmentRule,
): Promise<number> {
  await settleCustomers(sql, site.id);
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from customer_facts f
    where f.site_id = ${site.id} and (${segmentWhere(sql, rule, site.timezone)})`;
  return row.n;
}

/** The ids of the customers the rule matches. */
export async function segmentMemberIds(
  sql: Sql,
  site: { id: number; timezone: string },
  rule: SegmentRule,
): Promise<number[]> {
  await settleCustomers(sql, site.id);
  const rows = await sql<{ id: number }[]>`
    select f.id from customer_facts f
    where f.site_id = ${site.id} and (${segmentWhere(sql, rule, site.timezone)})
    order by f.id`;
  return rows.map((r) => r.id);
}

/** A saved segment. */
export interface Segment {
  id: number;
  name: string;
  rule: SegmentRule;
  created_at: Date;
  updated_at: Date;
}

function cleanName(raw: string): string {
  const name = raw.replace(/\s+/g, " ").trim();
  if (!name) throw new Invalid("name", "Give the segment a name.");
  if (name.length > 80) throw new Invalid("name", "Keep segment names to 80 characters.");
  return name;
}

/** The site's saved segments, by name. */
export async function listSegments(sql: Sql, siteId: number): Promise<Segment[]> {
  return await sql<Segment[]>`
    select id, name, rule, created_at, updated_at from customer_segments
    where site_id = ${siteId} order by lower(name), id`;
}

/** One saved segment of the site; NotFound otherwise. */
export async function findSegment(sql: Sql, siteId: number, id: number): Promise<Segment> {
  const [row] = await sql<Segment[]>`
    select id, name, rule, created_at, updated_at from customer_segments
    where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("We couldn't find that segment.");
  return row;
}

/** Saves a new segment. */
export async function createSegment(
  sql: Sql,
  siteId: number,
  input: { name: string; rule: SegmentRule },
): Promise<Segment> {
  const [row] = await sql<Segment[]>`
    insert into customer_segments (site_id, name, rule)
    values (${siteId}, ${cleanName(input.name)}, ${sql.json(input.rule as never)})
    returning id, name, rule, created_at, updated_at`;
  return row;
}

/** Changes a segment's name and rule. */
export async function updateSegment(
  sql: Sql,
  siteId: number,
  id: number,
  input: { name: string; rule: SegmentRule },
): Promise<Segment> {
  await findSegment(sql, siteId, id);
  const [row] = await sql<Segment[]>`
    update customer_segments
    set name = ${cleanName(input.name)}, rule = ${sql.json(input.rule as never)},
      updated_at = now()
    where site_id = ${siteId} and id = ${id}
    returning id, name, rule, created_at, updated_at`;
  return row;
}

/** A copy of a segment, named "… (copy)". */
export async function duplicateSegment(sql: Sql, siteId: number, id: number): Promise<Segment> {
  const s = await findSegment(sql, siteId, id);
  return await createSegment(sql, siteId, { name: `${s.name} (copy)`.slice(0, 80), rule: s.rule });
}

/** Deletes a segment. */
export async function deleteSegment(sql: Sql, siteId: number, id: number): Promise<void> {
  await findSegment(sql, siteId, id);
  await sql`delete from customer_segments where site_id = ${siteId} and id = ${id}`;
}

/** Ready-made segments to start from; tag conditions are added by the builder. */
export const SEGMENT_TEMPLATES: Array<{ key: string; name: string; rule: SegmentRule }> = [
  {
    key: "high-value-at-risk",
    name: "High value at risk",
    rule: {
      match: "all",
      conditions: [
        { field: "engagement", op: "lt", value: 40 },
        {
          match: "any",
          conditions: [
            { field: "status", op: "is", value: ["past_due"] },
            { field: "last_active", op: "not_in_last", value: 30 },
          ],
        },
        { field: "status", op: "is_not", value: ["lead", "cancelled", "expired"] },
      ],
    },
  },
  {
    key: "new-this-month",
    name: "New this month",
    rule: { match: "all", conditions: [{ field: "joined", op: "in_last", value: 30 }] },
  },
  {
    key: "churned-30",
    name: "Churned last 30 days",
    rule: {
      match: "all",
      conditions: [
        { field: "status", op: "is", value: ["cancelled", "expired"] },
        { field: "cancelled", op: "in_last", value: 30 },
      ],
    },
  },
  {
    key: "leads-pricing-twice",
    name: "Leads who visited pricing twice",
    rule: {
      match: "all",
      conditions: [
        { field: "status", op: "is", value: ["lead"] },
        { field: "page_views", op: "at_least", value: "/pricing", value2: 2 },
      ],
    },
  },
];
