/**
 * A customer's timeline: everything Sextant knows they did, newest first — visits with their
 * source and pages, events and goals, identify calls, purchases, renewals, refunds, failed
 * payments, plan changes, cancellations and the team's notes — read a page at a time with a cursor.
 */
import type { Sql } from "../db/connect.ts";
import type { Fragment } from "postgres";
import { Invalid } from "../lib/errors.ts";

/** Kinds of timeline items, as the filter names them. */
export const TIMELINE_TYPES = [
  "visit",
  "event",
  "identify",
  "purchase",
  "renewal",
  "refund",
  "payment_failed",
  "plan_change",
  "cancellation",
  "enrollment",
  "note",
] as const;
export type TimelineType = typeof TIMELINE_TYPES[number];

export const TIMELINE_LABELS: Record<TimelineType, string> = {
  visit: "Visits",
  event: "Events and goals",
  identify: "Identified",
  purchase: "Purchases",
  renewal: "Renewals",
  refund: "Refunds",
  payment_failed: "Failed payments",
  plan_change: "Plan changes",
  cancellation: "Cancellations",
  enrollment: "Enrollments",
  note: "Notes",
};

/** One item; `detail` holds what its type knows (see each branch below). */
export interface TimelineItem {
  type: TimelineType;
  ts: Date;
  /** Unique within the customer's timeline; part of the cursor. */
  key: string;
  detail: Record<string, unknown>;
}

/** A page of items and the cursor for the next one (null at the end). */
export interface TimelinePage {
  items: TimelineItem[];
  next: string | null;
}

/** Items per page. */
export const TIMELINE_PAGE = 20;

/** Where a page ends: the last item's time in microseconds and its key. */
export interface TimelineCursor {
  us: bigint;
  key: string;
}

/** Parses a cursor from a URL; Invalid with a sentence when it is not one of ours. */
export function parseCursor(raw: string | undefined): TimelineCursor | null {
  if (!raw) return null;
  const m = /^(-?[0-9]{1,18})~(.{1,200})$/.exec(raw);
  if (!m) {
    throw new Invalid(
      "before",
      "That link to older timeline items is broken; open the profile again.",
    );
  }
  const us = BigInt(m[1]);
  // Beyond ±9999 years no timestamp exists to compare with.
  if (us > 253_402_300_799_000_000n || us < -62_135_596_800_000_000n) {
    throw new Invalid(
      "before",
      "That link to older timeline items is broken; open the profile again.",
    );
  }
  return { us, key: m[2] };
}

/** Parses the type filter (comma-separated); every type when empty. */
export function parseTypes(raw: string | undefined): TimelineType[] {
  if (!raw) return [...TIMELINE_TYPES];
  const picked = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const t of picked) {
    if (!(TIMELINE_TYPES as readonly string[]).includes(t)) {
      throw new Invalid("type", `"${t.slice(0, 40)}" is not a kind of timeline item.`);
    }
  }
  return picked as TimelineType[];
}

/** One page of a customer's timeline, older than `before` when given. */
export async function customerTimeline(
  sql: Sql,
  c: { siteId: number; customerId: number; email: string },
  opts: { types?: TimelineType[]; before?: TimelineCursor | null; limit?: number } = {},
): Promise<TimelinePage> {
  const limit = opts.limit ?? TIMELINE_PAGE;
  const types = new Set(opts.types ?? TIMELINE_TYPES);
  const visitorRows = await sql<{ visitor_id: string }[]>`
    select distinct visitor_id from identities where site_id = ${c.siteId} and email = ${c.email}`;
  const visitors = visitorRows.map((r) => r.visitor_id);
  const before = opts.before ?? null;
  // Each branch keeps only what is older than the cursor and at most one page, newest first.
  const older = (ts: Fragment, key: Fragment) =>
    before
      ? sql`and (${ts}, ${key}) <
        ('epoch'::timestamptz + ${before.us.toString()}::bigint * interval '1 microsecond',
          ${before.key})`
      : sql``;
  const take = limit + 1;
  const branches: Fragment[] = [];
  const kinds = (["purchase", "renewal", "refund"] as const).filter((t) => types.has(t));
  if (visitors.length > 0 && types.has("visit")) {
    branches.push(sql`(
      select 'visit' as type, s.started_at as ts, 'v:' || s.session_id::text as key,
        jsonb_build_object('source', s.source, 'channel', s.channel, 'campaign', s.campaign,
          'entry_page', s.entry_page, 'pageviews', s.pageviews, 'country', s.country,
          'device', s.device, 'seconds', sextant_visit_seconds(s.started_at, s.ended_at),
          'pages', (select coalesce(jsonb_agg(e.pathname order by e.ts), '[]'::jsonb) from (
            select pathname, ts from events e
            where e.site_id = ${c.siteId} and e.visitor_id = s.visitor_id
              and e.session_id = s.session_id and e.type = 'pageview'
              and e.ts >= s.started_at and e.ts <= s.ended_at + interval '1 minute'
            order by e.ts limit 10) e)) as detail
      from sessions s
      where s.site_id = ${c.siteId} and s.visitor_id in ${sql(visitors)}
        ${older(sql`s.started_at`, sql`'v:' || s.session_id::text`)}
      order by s.started_at desc, 2 desc limit ${take})`);
  }
  if (visitors.length > 0 && types.has("event")) {
    branches.push(sql`(
      select 'event' as type, e.ts, 'e:' || e.event_id::text as key,
        jsonb_build_object('name', e.name, 'page', e.pathname) as detail
      from events e
      where e.site_id = ${c.siteId} and e.visitor_id in ${sql(visitors)} and e.type = 'event'
        and e.name <> ''
        ${older(sql`e.ts`, sql`'e:' || e.event_id::text`)}
      order by e.ts desc, 3 desc limit ${take})`);
  }
  if (types.has("identify")) {
    branches.push(sql`(
      select 'identify' as type, i.first_seen_at as ts, 'i:' || i.visitor_id as key,
        jsonb_build_object('visitor_id', i.visitor_id, 'origin', i.origin) as detail
      from identities i
      where i.site_id = ${c.siteId} and i.email = ${c.email}
        ${older(sql`i.first_seen_at`, sql`'i:' || i.visitor_id`)}
      order by i.first_seen_at desc, 3 desc limit ${take})`);
  }
  if (kinds.length > 0) {
    const dbKinds = kinds.flatMap((k) =>
      k === "purchase" ? ["one_time", "subscription_start"] : [k]
    );
    branches.push(sql`(
      select case when p.kind in ('one_time', 'subscription_start') then 'purchase' else p.kind end
          as type,
        p.ts, 'p:' || p.id::text as key,
        jsonb_build_object('kind', p.kind, 'provider', p.provider, 'product', p.product,
          'amount_site_minor', p.amount_site_minor, 'amount_minor', p.amount_minor,
          'currency', p.currency::text, 'gift_from',
          case when p.gift_recipient_email <> '' then p.customer_email else '' end) as detail
      from purchases p
      where p.site_id = ${c.siteId} and p.customer_id = ${c.customerId}
        and p.kind in ${sql(dbKinds)}
        ${older(sql`p.ts`, sql`'p:' || p.id::text`)}
      order by p.ts desc, 3 desc limit ${take})`);
  }
  const movements = [
    ...(types.has("plan_change") ? ["expansion", "contraction", "reactivation"] : []),
    ...(types.has("cancellation") ? ["churn"] : []),
  ];
  if (movements.length > 0) {
    branches.push(sql`(
      select case when m.kind = 'churn' then 'cancellation' else 'plan_change' end as type,
        m.ts, 'm:' || m.id::text as key,
        jsonb_build_object('kind', m.kind, 'provider', m.provider,
          'delta_site_minor', m.delta_site_minor) as detail
      from mrr_movements m
      join subscriptions s on s.site_id = m.site_id and s.provider = m.provider
        and s.subscription_id = m.subscription_id
      where m.site_id = ${c.siteId} and s.customer_id = ${c.customerId}
        and m.kind in ${sql(movements)}
        ${older(sql`m.ts`, sql`'m:' || m.id::text`)}
      order by m.ts desc, 3 desc limit ${take})`);
  }
  if (types.has("payment_failed")) {
    // Each failed payment (migration 0202): an attempt the platform reported, or a subscription
    // of a platform that reports only states falling past due.
    branches.push(sql`(
      select 'payment_failed' as type, f.ts, 'f:' || f.id::text as key,
        jsonb_build_object('provider', f.provider, 'subscription_id', f.subscription_id,
          'amount_minor', f.amount_minor, 'currency', f.currency, 'reason', f.reason) as detail
      from payment_failures f
      where f.site_id = ${c.siteId} and f.customer_id = ${c.customerId}
        ${older(sql`f.ts`, sql`'f:' || f.id::text`)}
      order by f.ts desc, 3 desc limit ${take})`);
  }
  if (types.has("enrollment")) {
    // An enrollment is one item when it starts and another when it ends.
    for (const ended of [false, true]) {
      const ts = ended ? sql`e.ended_at` : sql`e.enrolled_at`;
      const key = sql`${ended ? "c~:" : "c:"} || e.provider || ':' || e.enrollment_key`;
      branches.push(sql`(
        select 'enrollment' as type, ${ts} as ts, ${key} as key,
          jsonb_build_object('course', e.course, 'provider', e.provider, 'ended', ${ended}::boolean)
            as detail
        from course_enrollments e
        where e.site_id = ${c.siteId} and e.customer_id = ${c.customerId} and ${ts} is not null
          ${older(ts, key)}
        order by ${ts} desc, 3 desc limit ${take})`);
    }
  }
  if (types.has("note")) {
    branches.push(sql`(
      select 'note' as type, n.created_at as ts, 'n:' || n.id::text as key,
        jsonb_build_object('id', n.id, 'body', n.body,
          'author', coalesce(nullif(u.name, ''), u.email, 'A former teammate')) as detail
      from customer_notes n left join users u on u.id = n.author_id
      where n.site_id = ${c.siteId} and n.customer_id = ${c.customerId}
        ${older(sql`n.created_at`, sql`'n:' || n.id::text`)}
      order by n.created_at desc, 3 desc limit ${take})`);
  }
  if (branches.length === 0) return { items: [], next: null };
  const union = branches.reduce((acc, b) => sql`${acc} union all ${b}`);
  const rows = await sql<(TimelineItem & { us: string })[]>`
    select *, (extract(epoch from ts) * 1000000)::bigint::text as us
    from (${union}) t order by ts desc, key desc limit ${take}`;
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(({ us: _, ...item }) => item),
    next: rows.length > limit && last ? `${last.us}~${last.key}` : null,
  };
}
