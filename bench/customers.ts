/**
 * `deno task bench:customers`: how fast the customer pages answer on a big site, in server mode.
 *
 * Creates a throwaway database on DATABASE_URL (or TEST_DATABASE_URL) and fills one site with
 * BENCH_CUSTOMERS people (default 50 000: each identified on a device, two in three paying, some
 * subscribed) and BENCH_EVENTS pageview events (default 5 000 000) over a year of their visits,
 * written by SQL on the server. Then prints p50/p95 over BENCH_RUNS runs for: a search by email,
 * the first list page sorted by lifetime revenue and by last activity, a segment preview, a profile with its first
 * timeline page, and a CSV of 1 000 customers. Figures only; nothing asserts on time.
 * BENCH_KEEP=1 keeps the database.
 */
import postgres from "postgres";
import { openDatabase } from "../db/connect.ts";
import { migrate } from "../db/migrate.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { findCustomer, listCustomers, settleCustomers } from "../customers/store.ts";
import { customerTimeline } from "../customers/timeline.ts";
import { countSegment, parseRule } from "../customers/segments.ts";
import { customersCsv } from "../customers/csv.ts";

const url = Deno.env.get("DATABASE_URL") || Deno.env.get("TEST_DATABASE_URL");
if (!url) {
  console.error("Set DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server to benchmark on.");
  Deno.exit(1);
}
const CUSTOMERS = Number(Deno.env.get("BENCH_CUSTOMERS") ?? 50_000);
const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 5_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 10);

const name = `sextant_bench_${crypto.randomUUID().slice(0, 8)}`;
const admin = postgres(url, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const u = new URL(url);
u.pathname = `/${name}`;
const db = await openDatabase({ url: u.toString(), max: 4 });
const sql = db.sql;
const seconds = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

async function measure(label: string, run: (i: number) => Promise<unknown>) {
  await run(0);
  const times: number[] = [];
  for (let i = 1; i <= RUNS; i++) {
    const start = performance.now();
    await run(i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
  console.log(
    `${label.padEnd(34)} p50 ${at(0.5).toFixed(0).padStart(6)} ms   p95 ${
      at(0.95).toFixed(0).padStart(6)
    } ms`,
  );
}

try {
  await migrate(sql);
  const tenant = await signedInTenant(sql, "bench.example", { timezone: "America/New_York" });
  const site = tenant.site;
  const visitsPer = Math.max(1, Math.round(EVENTS / CUSTOMERS / 3));
  let start = performance.now();
  // Sessions: `visitsPer` visits per person over the last year, three pageviews each.
  await sql`
    insert into sessions (started_at, session_id, site_id, visitor_id, ended_at, entry_page,
      exit_page, pageviews, events, source, channel, country, device)
    select t, gen_random_uuid(), ${site.id}, 'v' || c, t + interval '3 minutes', '/', '/pricing',
      3, 3,
      (array['Google', 'YouTube', 'Newsletter', 'Instagram', ''])[1 + (c % 5)],
      (array['Organic Search', 'Organic Video', 'Email', 'Organic Social', 'Direct'])[1 + (c % 5)],
      (array['US', 'DE', 'FR', 'GB'])[1 + (c % 4)], 'Desktop'
    from generate_series(1, ${CUSTOMERS}) c, generate_series(1, ${visitsPer}) v,
      lateral (select now() - (random() * 365 + v * 0) * interval '1 day' as t) r`;
  await sql`
    insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname, source,
      channel, country)
    select s.started_at + p * interval '1 minute', gen_random_uuid(), s.site_id, s.visitor_id,
      s.session_id, 'pageview', (array['/', '/pricing', '/course'])[p], s.source, s.channel,
      s.country
    from sessions s, generate_series(1, 3) p where s.site_id = ${site.id}`;
  console.log(`visits and events written in ${seconds(start)}`);
  start = performance.now();
  await sql`
    insert into identities (site_id, visitor_id, identifier, email, first_seen_at, last_seen_at)
    select ${site.id}, 'v' || c, 'person' || c || '@example.com', 'person' || c || '@example.com',
      now() - (random() * 365) * interval '1 day', now()
    from generate_series(1, ${CUSTOMERS}) c`;
  // Two in three pay: one to six payments each.
  await sql`
    insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor, currency,
      amount_site_minor, customer_email, customer_key, product, visitor_id, match_method)
    select now() - (random() * 365) * interval '1 day', ${site.id},
      (array['stripe', 'whop', 'kajabi'])[1 + (c % 3)], 'evt_' || c || '_' || k,
      case when k = 1 then 'subscription_start' else 'renewal' end, 2900, 'USD', 2900,
      'person' || c || '@example.com', 'person' || c || '@example.com',
      (array['Pro', 'Basic', 'Course'])[1 + (c % 3)], 'v' || c, 'email'
    from generate_series(1, ${CUSTOMERS}) c, generate_series(1, 1 + (c % 6)) k
    where c % 3 <> 0`;
  await sql`
    insert into subscriptions (site_id, provider, subscription_id, customer_key, customer_email,
      status, mrr_minor, currency, mrr_site_minor, started_at, state_at)
    select ${site.id}, 'stripe', 'sub_' || c, 'person' || c || '@example.com',
      'person' || c || '@example.com',
      (array['active', 'past_due', 'canceled', 'trialing'])[1 + (c % 4)], 2900, 'USD',
      case when c % 4 in (0, 1) then 2900 else 0 end, now() - interval '200 days', now()
    from generate_series(1, ${CUSTOMERS}) c where c % 3 = 1`;
  await sql`analyze`;
  const [counts] = await sql<{ customers: number; events: number }[]>`
    select (select count(*)::int from customers) as customers,
      (select count(*)::int from events) as events`;
  console.log(
    `${counts.customers} customers, ${counts.events} events ready in ${seconds(start)} more`,
  );
  // Every customer is marked by the load; the first settle computes all their summaries, as a
  // migration onto an existing site would. Reads after it settle only what changed.
  start = performance.now();
  await settleCustomers(sql, site.id);
  console.log(`summaries of ${counts.customers} customers computed in ${seconds(start)}`);
  console.log(`load average ${Deno.loadavg().map((x) => x.toFixed(2)).join(", ")} (1, 5, 15 min)`);

  const base = {
    siteId: site.id,
    sort: "revenue" as const,
    dir: "desc" as const,
    page: 1,
    limit: 50,
  };
  await measure(
    "search by email",
    (i) => listCustomers(sql, { ...base, search: `person${1000 + i * 37}@`, sort: "joined" }),
  );
  await measure("list, first page by revenue", () => listCustomers(sql, base));
  await measure(
    "list, first page by last active",
    () => listCustomers(sql, { ...base, sort: "last_active" }),
  );
  const rule = parseRule({
    match: "all",
    conditions: [
      { field: "status", op: "is", value: ["active", "past_due"] },
      {
        match: "any",
        conditions: [
          { field: "revenue", op: "gt", value: 10_000 },
          { field: "first_source", op: "is", value: "Google" },
        ],
      },
    ],
  });
  await measure("segment preview (count)", () => countSegment(sql, site, rule));
  const [one] = await sql<{ id: number }[]>`
    select id from customers where site_id = ${site.id} and email = 'person4001@example.com'`;
  await measure("profile with timeline", async () => {
    const c = await findCustomer(sql, site.id, one.id);
    await customerTimeline(sql, { siteId: site.id, customerId: c.id, email: c.email });
  });
  await measure("CSV of 1 000 customers", async () => {
    const { rows } = await listCustomers(sql, { ...base, limit: 1000 });
    customersCsv(rows, "USD");
  });
  console.log(`load average ${Deno.loadavg().map((x) => x.toFixed(2)).join(", ")} (1, 5, 15 min)`);
} finally {
  await db.close();
  if (Deno.env.get("BENCH_KEEP") !== "1") {
    await admin.unsafe(`drop database "${name}" with (force)`);
  } else console.log(`kept database ${name}`);
  await admin.end();
}
