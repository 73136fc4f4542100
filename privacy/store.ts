/**
 * The SQL behind the GDPR tools: finding everything stored about one person on one site,
 * erasing it, and the audit log. Every statement is scoped by site.
 */
import type { Sql, TransactionSql } from "../db/connect.ts";
import type { ReservedSql } from "../db/session_lock.ts";

/** The identifiers one person is known by on a site. */
export interface SubjectKeys {
  visitorIds: string[];
  /** Lower-case emails, and identify() user ids (they sit in the same column). */
  emails: string[];
}

/**
 * Grows the given ids and emails by what links them (identify calls and purchases): an email
 * brings every device that identified with it, a visitor id the emails it gave.
 */
export async function linkedKeys(
  sql: Sql,
  siteId: number,
  start: SubjectKeys,
): Promise<SubjectKeys> {
  const ids = new Set(start.visitorIds);
  const emails = new Set(start.emails);
  // Three rounds reach device → email → other devices → their emails; people stop there.
  for (let round = 0; round < 3; round++) {
    const before = ids.size + emails.size;
    const rows = await sql<{ visitor_id: string | null; email: string | null }[]>`
      select visitor_id, coalesce(email, identifier) as email from identities
      where site_id = ${siteId}
        and (visitor_id = any(${[...ids]}::text[]) or email = any(${[...emails]}::text[])
          or identifier = any(${[...emails]}::text[]))
      union
      select coalesce(visitor_id, checkout_visitor_id), nullif(customer_email, '') from purchases
      where site_id = ${siteId}
        and (visitor_id = any(${[...ids]}::text[])
          or checkout_visitor_id = any(${[...ids]}::text[])
          or customer_email = any(${[...emails]}::text[]))`;
    for (const r of rows) {
      if (r.visitor_id) ids.add(r.visitor_id);
      if (r.email) emails.add(r.email.toLowerCase());
    }
    if (ids.size + emails.size === before) break;
  }
  return { visitorIds: [...ids], emails: [...emails] };
}

/** Customer keys the attribution engine may have given this person (see customerKey()). */
function customerKeys(k: SubjectKeys): string[] {
  return [...k.emails, ...k.visitorIds.map((v) => `visitor:${v}`)];
}

/** Everything stored about the person, table by table (for the export). */
export async function subjectRows(sql: Sql, siteId: number, k: SubjectKeys) {
  const ids = k.visitorIds;
  const emails = k.emails;
  const keys = customerKeys(k);
  const [
    events,
    sessions,
    identities,
    purchases,
    subscriptions,
    credits,
    deliveries,
    customers,
    notes,
    failures,
    heatmap,
  ] = await Promise.all([
    sql`select * from events where site_id = ${siteId} and visitor_id = any(${ids}::text[])
        order by ts`,
    sql`select * from sessions where site_id = ${siteId} and visitor_id = any(${ids}::text[])
        order by started_at`,
    sql`select * from identities where site_id = ${siteId}
        and (visitor_id = any(${ids}::text[]) or email = any(${emails}::text[])
          or identifier = any(${emails}::text[]))
        order by first_seen_at`,
    sql`select * from purchases where site_id = ${siteId}
        and (visitor_id = any(${ids}::text[]) or checkout_visitor_id = any(${ids}::text[])
          or customer_email = any(${emails}::text[])
          or gift_recipient_email = any(${emails}::text[]) or customer_key = any(${keys}::text[]))
        order by ts`,
    sql`select * from subscriptions where site_id = ${siteId}
        and (customer_key = any(${keys}::text[]) or customer_email = any(${emails}::text[]))
        order by started_at`,
    sql`select * from attribution_credits where site_id = ${siteId}
        and visitor_id = any(${ids}::text[]) order by purchase_ts, model, touch`,
    sql`select id, provider, event_id, event_type, received_at, status, body
        from webhook_deliveries where site_id = ${siteId} and body is not null
          and ${mentions(sql, [...ids, ...emails])}
        order by received_at`,
    sql`select * from customers where site_id = ${siteId} and email = any(${emails}::text[])
        order by id`,
    sql`select n.* from customer_notes n join customers c on c.id = n.customer_id
        where c.site_id = ${siteId} and c.email = any(${emails}::text[])
        order by n.created_at`,
    sql`select f.* from payment_failures f where f.site_id = ${siteId}
        and (f.customer_email = any(${emails}::text[]) or f.customer_id in (
          select c.id from customers c where c.site_id = ${siteId}
            and c.email = any(${emails}::text[])))
        order by f.ts`,
    // Heatmap rows carry no visitor id: they are the person's through their visits.
    sql`select h.* from heatmap_clicks h where h.site_id = ${siteId}
        and h.session_id in (select session_id from sessions
          where site_id = ${siteId} and visitor_id = any(${ids}::text[]))
        order by h.ts, h.event_id`,
  ]);
  return {
    events,
    sessions,
    identities,
    purchases,
    subscriptions,
    attribution_credits: credits,
    webhook_deliveries: deliveries,
    customers,
    customer_notes: notes,
    payment_failures: failures,
    heatmap_clicks: heatmap,
  };
}

/** A condition: the delivery's body contains one of `needles` (case-insensitively). */
function mentions(sql: Sql | TransactionSql, needles: string[]) {
  const lower = needles.map((n) => n.toLowerCase()).filter((n) => n.length >= 4);
  return sql`exists (select 1 from unnest(${lower}::text[]) n
    where strpos(lower(webhook_deliveries.body), n) > 0)`;
}

/**
 * Deletes one site's heatmap rows matching `which` (on `h`) and rebuilds the rollups of the local
 * days they were on, so no aggregate keeps them. Returns how many rows went.
 */
async function deleteHeatmapRows(
  sql: Sql | TransactionSql | ReservedSql,
  siteId: number,
  which: ReturnType<Sql>,
): Promise<number> {
  const [gone] = await sql<{ count: number; days: string[] | null }[]>`
    with gone as (
      delete from heatmap_clicks h where h.site_id = ${siteId} and ${which} returning h.ts)
    select count(*)::int as count, heatmap_rollup_days(${siteId}, array_agg(ts)) as days
    from gone`;
  if (gone.days?.length) await sql`select heatmap_rollup_build(${siteId}, ${gone.days}::date[])`;
  return gone.count;
}

/** Rows changed per table by an erasure. */
export type ErasureCounts = Record<string, number>;

/**
 * Removes the person from one site in one transaction: their events, visits and identities go;
 * purchases, subscriptions and credits keep their amounts but lose the email and visitor ids
 * (their customer key becomes a random token, so customer counts stay right); webhook bodies
 * that mention them are dropped, and deliveries still waiting to be processed are given up.
 */
export function eraseSubject(sql: Sql, siteId: number, k: SubjectKeys): Promise<ErasureCounts> {
  const ids = k.visitorIds;
  const emails = k.emails;
  const keys = customerKeys(k);
  const token = `erased:${crypto.randomUUID()}`;
  return sql.begin(async (tx) => {
    // Each change to a raw table marks its hours for the rollups in the same statement.
    const [events] = await tx`
      with gone as (
        delete from events where site_id = ${siteId} and visitor_id = any(${ids}::text[])
        returning site_id, ts)
      select count(*)::int as count, rollup_mark('events', array_agg(site_id), array_agg(ts))
      from gone`;
    // Heatmap rows belong to the person's visits, found before the visits go; the rows go
    // after them, in the order the writer takes its locks (sessions, then the rollup zone).
    const visits = await tx<{ session_id: string }[]>`
      select session_id from sessions where site_id = ${siteId} and visitor_id = any(${ids}::text[])`;
    const [sessions] = await tx`
      with gone as (
        delete from sessions where site_id = ${siteId} and visitor_id = any(${ids}::text[])
        returning site_id, started_at)
      select count(*)::int as count,
        rollup_mark('sessions', array_agg(site_id), array_agg(started_at))
      from gone`;
    const heatmap = await deleteHeatmapRows(
      tx,
      siteId,
      tx`h.session_id = any(${visits.map((v) => v.session_id)}::uuid[])`,
    );
    const identities = await tx`
      delete from identities where site_id = ${siteId}
        and (visitor_id = any(${ids}::text[]) or email = any(${emails}::text[])
          or identifier = any(${emails}::text[]))`;
    const [purchases] = await tx`
      with changed as (
      update purchases set
        customer_email = case when customer_email = any(${emails}::text[])
          or customer_key = any(${keys}::text[]) then '' else customer_email end,
        gift_recipient_email = case when gift_recipient_email = any(${emails}::text[])
          then '' else gift_recipient_email end,
        visitor_id = case when visitor_id = any(${ids}::text[]) then null else visitor_id end,
        checkout_visitor_id = case when checkout_visitor_id = any(${ids}::text[])
          then null else checkout_visitor_id end,
        customer_key = case when customer_key = any(${keys}::text[]) then ${token}
          else customer_key end
      where site_id = ${siteId}
        and (visitor_id = any(${ids}::text[]) or checkout_visitor_id = any(${ids}::text[])
          or customer_email = any(${emails}::text[])
          or gift_recipient_email = any(${emails}::text[]) or customer_key = any(${keys}::text[]))
      returning site_id, ts)
      select count(*)::int as count, rollup_mark('purchases', array_agg(site_id), array_agg(ts))
      from changed`;
    // Enrollments keep counting on the revenue page, no longer naming the person.
    await tx`
      update course_enrollments set email = '', customer_id = null
      where site_id = ${siteId} and email = any(${emails}::text[])`;
    const subscriptions = await tx`
      update subscriptions set customer_email = '', customer_key = ${token}
      where site_id = ${siteId}
        and (customer_key = any(${keys}::text[]) or customer_email = any(${emails}::text[]))`;
    await tx`
      update mrr_movements set customer_key = ${token}
      where site_id = ${siteId} and customer_key = any(${keys}::text[])`;
    const [credits] = await tx`
      with changed as (
        update attribution_credits set visitor_id = null
        where site_id = ${siteId} and visitor_id = any(${ids}::text[])
        returning site_id, purchase_ts)
      select count(*)::int as count,
        rollup_mark('credits', array_agg(site_id), array_agg(purchase_ts))
      from changed`;
    const deliveries = await tx`
      update webhook_deliveries set body = null, body_removed_at = now(),
        status = case when status in ('received', 'retrying') then 'ignored' else status end,
        next_attempt_at = null
      where site_id = ${siteId} and body is not null and ${mentions(tx, [...ids, ...emails])}`;
    const failures = await tx`
      delete from payment_failures f where f.site_id = ${siteId}
        and (f.customer_email = any(${emails}::text[]) or f.customer_id in (
          select c.id from customers c where c.site_id = ${siteId}
            and c.email = any(${emails}::text[])))`;
    // Their tags and the team's notes about them go with the customer.
    const customers = await tx`
      delete from customers where site_id = ${siteId} and email = any(${emails}::text[])`;
    return {
      events: events.count,
      sessions: sessions.count,
      heatmap_clicks: heatmap,
      identities: identities.count,
      purchases: purchases.count,
      subscriptions: subscriptions.count,
      attribution_credits: credits.count,
      webhook_deliveries: deliveries.count,
      customers: customers.count,
      payment_failures: failures.count,
    };
  });
}

/** One entry of the audit log; `details` must hold no personal data. */
export interface AuditEntry {
  orgId: number;
  siteId: number | null;
  action: string;
  actorUserId?: number | null;
  actorApiKeyId?: number | null;
  details: Record<string, unknown>;
}

/** Appends to the audit log. */
export async function insertAudit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    insert into audit_log (org_id, site_id, action, actor_user_id, actor_api_key_id, details)
    values (${e.orgId}, ${e.siteId}, ${e.action}, ${e.actorUserId ?? null},
      ${e.actorApiKeyId ?? null}, ${sql.json(e.details as never)})`;
}

/** An audit entry as listed, with who did it in words. */
export interface AuditRow {
  id: number;
  action: string;
  actor_user_id: number | null;
  actor_api_key_id: number | null;
  /** The user's email or "API key <name>"; null once the user or key is gone. */
  actor: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

/** The newest audit entries of a site. */
export async function siteAudit(sql: Sql, siteId: number, limit = 10): Promise<AuditRow[]> {
  return await sql<AuditRow[]>`
    select a.id, a.action, a.actor_user_id, a.actor_api_key_id, a.details, a.created_at,
      coalesce(u.email, 'API key ' || k.name) as actor
    from audit_log a
    left join users u on u.id = a.actor_user_id
    left join api_keys k on k.id = a.actor_api_key_id
    where a.site_id = ${siteId}
    order by a.created_at desc, a.id desc limit ${limit}`;
}

/** A connection the retention job holds its lock on (or the pool, in tests). */
type Conn = Sql | ReservedSql;

/** Every site with the number of days its visitor data is kept (`fallback` when unset). */
export function siteRetentions(conn: Conn, fallback: number) {
  return conn<{ id: number; days: number }[]>`
    select id, coalesce(retention_days, ${fallback})::int as days from sites order by id`;
}

/**
 * Applies one site's retention: raw rows older than `days` go, older purchases keep their
 * amounts but lose the buyer's email and visitor ids. Customer keys become tokens salted with
 * `salt` (never stored), so one buyer's old purchases still count as one customer.
 */
export async function trimSite(conn: Conn, siteId: number, days: number, salt: string) {
  const cutoff = conn`now() - make_interval(days => ${days})`;
  // Each change to a raw table marks its hours for the rollups in the same statement.
  const [events] = await conn`
    with gone as (delete from events where site_id = ${siteId} and ts < ${cutoff}
                  returning site_id, ts)
    select count(*)::int as count, rollup_mark('events', array_agg(site_id), array_agg(ts))
    from gone`;
  const [sessions] = await conn`
    with gone as (delete from sessions where site_id = ${siteId} and started_at < ${cutoff}
                  returning site_id, started_at)
    select count(*)::int as count,
      rollup_mark('sessions', array_agg(site_id), array_agg(started_at))
    from gone`;
  const heatmap = await deleteHeatmapRows(conn, siteId, conn`h.ts < ${cutoff}`);
  const identities = await conn`
    delete from identities where site_id = ${siteId} and last_seen_at < ${cutoff}`;
  const personalKey = conn`customer_key <> '' and customer_key not like 'order:%'
    and customer_key not like 'erased:%'`;
  const token = conn`'erased:' || md5(${salt} || customer_key)`;
  const [purchases] = await conn`
    with changed as (
    update purchases set customer_email = '', gift_recipient_email = '', visitor_id = null,
      checkout_visitor_id = null,
      customer_key = case when ${personalKey} then ${token} else customer_key end
    where site_id = ${siteId} and ts < ${cutoff}
      and (customer_email <> '' or gift_recipient_email <> '' or visitor_id is not null
        or checkout_visitor_id is not null or (${personalKey}))
    returning site_id, ts)
    select count(*)::int as count, rollup_mark('purchases', array_agg(site_id), array_agg(ts))
    from changed`;
  await conn`
    update mrr_movements set customer_key = ${token}
    where site_id = ${siteId} and ts < ${cutoff} and ${personalKey}`;
  const [credits] = await conn`
    with changed as (
      update attribution_credits set visitor_id = null
      where site_id = ${siteId} and purchase_ts < ${cutoff} and visitor_id is not null
      returning site_id, purchase_ts)
    select count(*)::int as count,
      rollup_mark('credits', array_agg(site_id), array_agg(purchase_ts))
    from changed`;
  // A failed payment names the person and is not money received: it goes with the raw rows.
  const failures = await conn`
    delete from payment_failures where site_id = ${siteId} and ts < ${cutoff}`;
  // A customer nothing is left about (no identify, purchase, subscription or failed payment) goes
  // too; one still named by a newer row stays, so no row is left owned by a customer who is gone.
  const customers = await conn`
    delete from customers c where c.site_id = ${siteId} and c.created_at < ${cutoff}
      and not exists (select 1 from identities i where i.site_id = ${siteId} and i.email = c.email)
      and not exists (select 1 from purchases p where p.site_id = ${siteId} and p.customer_id = c.id)
      and not exists (select 1 from subscriptions s
        where s.site_id = ${siteId} and s.customer_id = c.id)
      and not exists (select 1 from payment_failures f
        where f.site_id = ${siteId} and f.customer_id = c.id)`;
  return {
    events: events.count,
    sessions: sessions.count,
    heatmap_clicks: heatmap,
    identities: identities.count,
    purchases: purchases.count,
    attribution_credits: credits.count,
    payment_failures: failures.count,
    customers: customers.count,
  };
}

/**
 * Drops the raw bodies of one site's webhook deliveries older than `days`; the delivery rows
 * (event type, status, times) stay. Deliveries still waiting to be processed keep theirs.
 */
export async function dropOldWebhookBodies(conn: Conn, siteId: number, days: number) {
  const rows = await conn`
    update webhook_deliveries set body = null, body_removed_at = now()
    where site_id = ${siteId} and body is not null
      and received_at < now() - make_interval(days => ${days})
      and status not in ('received', 'retrying')`;
  return rows.count;
}

/** Deletes refused ingest batches older than `days` (they belong to no one site). */
export async function dropOldRefusedBatches(conn: Conn, days: number) {
  const rows = await conn`
    delete from ingest_rejects where created_at < now() - make_interval(days => ${days})`;
  return rows.count;
}
