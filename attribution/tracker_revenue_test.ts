import assert from "node:assert/strict";
import { createTestDatabase } from "../testing/db.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { recordTrackerRevenue } from "./tracker_revenue.ts";
import { createMemoryBus } from "../bus/memory.ts";
import { liveChannel, type LivePurchase } from "../realtime/messages.ts";
import { startTestApp } from "../testing/app.ts";
import { collect, createMember } from "../testing/live.ts";
import { waitFor } from "../ingest/test_support.ts";
import { TRACKER_REVENUE_JOB } from "../jobs/names.ts";
import { TestClient } from "../testing/http_client.ts";
import { ingestorFor } from "../ingest/mod.ts";

Deno.test("the tracker's revenue calls become purchases once each, linked to their visitor", async () => {
  const db = await createTestDatabase();
  const bus = createMemoryBus();
  try {
    const sql = db.sql;
    const { site } = await createSiteWithOwner(sql, { currency: "EUR" });
    const now = new Date();
    const session = await insertSession(sql, site.id, {
      visitorId: "buyer",
      startedAt: daysBefore(now, 0.01),
      source: "Newsletter",
      channel: "Email",
      pages: ["/", "/thanks"],
    });
    const revenue = async (props: Record<string, unknown>) => {
      await sql`
        insert into events (ts, event_id, site_id, visitor_id, session_id, type, name, pathname,
          source, channel, country, props)
        values (${now}, ${crypto.randomUUID()}, ${site.id}, 'buyer', ${session}, 'revenue',
          'revenue', '/thanks', 'Newsletter', 'Email', 'FR', ${sql.json(props as never)})`;
    };
    // As ingest stores them: amounts already in minor units (49.90 EUR → 4990).
    await revenue({ amount: 4990, currency: "EUR", product: "Ebook", transaction_id: "ord-1" });
    // The thank-you page reloaded: the same transaction again.
    await revenue({ amount: 4990, currency: "EUR", product: "Ebook", transaction_id: "ord-1" });
    await revenue({ amount: 1200, currency: "EUR", product: "Tip" });
    await revenue({ amount: "lots", currency: "EUR" });
    const got: LivePurchase[] = [];
    await bus.subscribe(liveChannel(site.id), (m) => got.push(m as LivePurchase));

    assert.equal(await recordTrackerRevenue({ db, bus }), 4);
    assert.equal(await recordTrackerRevenue({ db, bus }), 0, "each event is handled once");
    const rows = await sql`
      select provider, provider_event_id, amount_minor, currency, product, visitor_id,
        match_method
      from purchases where site_id = ${site.id} order by amount_minor desc`;
    assert.deepEqual(
      rows.map((
        r,
      ) => [
        r.provider_event_id.startsWith("ord") ? r.provider_event_id : "(event)",
        r.amount_minor,
        r.product,
        r.visitor_id,
        r.match_method,
      ]),
      [
        ["ord-1", 4990, "Ebook", "buyer", "tracker"],
        ["(event)", 1200, "Tip", "buyer", "tracker"],
      ],
    );
    const [credit] = await sql`select source from attribution_credits c
      join purchases p on p.id = c.purchase_id
      where p.site_id = ${site.id} and p.product = 'Ebook' and c.model = 'last_touch'`;
    assert.equal(credit.source, "Newsletter");
    await waitFor(() => got.length >= 2);
    assert.deepEqual(got.map((m) => [m.product, m.source]).sort(), [["Ebook", "Newsletter"], [
      "Tip",
      "Newsletter",
    ]]);
  } finally {
    await bus.close();
    await db.close();
  }
});

Deno.test("a revenue call stored by the writer wakes the purchase job instead of waiting for it", async () => {
  const app = await startTestApp({
    jobs: true,
    env: { TRUST_PROXY: "1", COLLECT_RATE_LIMIT: "0" },
  });
  try {
    const woken: string[] = [];
    const wake = app.ctx.wake!;
    app.ctx.wake = (job) => {
      woken.push(job);
      wake(job);
    };
    const owner = await createMember(app.db.sql, { domain: "wake.example.com" });
    await collect(app.url, owner.site, [{ t: "pageview", path: "/" }], {
      visitorId: "reader-0001",
    });
    await waitFor(async () =>
      (await app.db.sql`select 1 from events where site_id = ${owner.site.id}`).length > 0
    );
    assert.deepEqual(woken, [], "page views create no purchase work");
    await collect(app.url, owner.site, [{
      t: "revenue",
      path: "/thanks",
      p: { amount: 19, currency: "USD", product: "Guide", transaction_id: "tx-wake" },
    }], { visitorId: "reader-0001" });
    await waitFor(async () =>
      (await app.db.sql`select 1 from purchases where site_id = ${owner.site.id}`).length > 0
    );
    assert.deepEqual(woken, [TRACKER_REVENUE_JOB]);
  } finally {
    await app.stop();
  }
});

Deno.test("browser revenue is marked in the report, stops once a platform is connected, and the owner can turn it back on", async () => {
  const app = await startTestApp({
    jobs: true,
    env: { TRUST_PROXY: "1", COLLECT_RATE_LIMIT: "0" },
  });
  try {
    const sql = app.db.sql;
    const owner = await createMember(sql, { domain: "browser-rev.example.com" });
    const siteId = owner.site.id;
    const client = new TestClient(app);
    client.cookies.set("sextant_session", owner.token);
    const ingestor = ingestorFor(app.ctx);
    const buy = (tx: string, amount = 19) =>
      collect(app.url, owner.site, [{ t: "pageview", path: "/thanks" }, {
        t: "revenue",
        path: "/thanks",
        p: { amount, currency: "USD", product: "<b>Guide</b>", transaction_id: tx },
      }], { visitorId: "reader-0001" });
    const purchase = async (tx: string) => {
      await waitFor(async () =>
        (await sql`select 1 from purchases where site_id = ${siteId} and order_id = ${tx}`)
          .length > 0
      );
      const [p] = await sql`select origin from purchases where order_id = ${tx}`;
      return p;
    };

    // No payment platform yet: the browser's word is taken, and shown as such.
    assert.deepEqual(await buy("tx-1"), { accepted: 2, dropped: 0 });
    assert.equal((await purchase("tx-1")).origin, "browser");
    const { html } = await client.page(`/sites/${siteId}/revenue`);
    assert.match(html, /reported by the browser/);
    assert.match(html, /&lt;b>Guide&lt;\/b>/);
    assert.doesNotMatch(html, /<b>Guide<\/b>/);

    // Refunds and absurd amounts from the browser are refused with a sentence.
    await assert.rejects(buy("tx-neg", -19), /400: .*cannot report a refund/);
    await assert.rejects(buy("tx-big", 5e15), /400: .*at most \$100,000\.00/);

    // A platform is connected: from now on its verified records count, not the browser's.
    await sql`insert into integrations (site_id, provider, status)
      values (${siteId}, 'stripe', 'connected')`;
    ingestor.sites.invalidate(owner.site.public_id);
    assert.deepEqual(await buy("tx-2"), { accepted: 1, dropped: 1 });
    await ingestor.drops.flush(sql);
    const [drop] = await sql`select count::int from ingest_drops
      where site_id = ${siteId} and reason = 'browser_revenue_off'`;
    assert.equal(drop?.count, 1);
    const settings = await client.page(`/sites/${siteId}/settings`);
    assert.match(settings.html, /<option value="auto" selected>/);
    assert.match(settings.html, /Off now: a payment platform is connected/);

    // …unless the owner says otherwise.
    const saved = await client.post(`/sites/${siteId}/settings`, {
      browser_revenue: "on",
      revenue_max_major: "500",
    });
    assert.equal(saved.status, 303);
    ingestor.sites.invalidate(owner.site.public_id);
    assert.deepEqual(await buy("tx-3"), { accepted: 2, dropped: 0 });
    assert.equal((await purchase("tx-3")).origin, "browser");
    await assert.rejects(buy("tx-4", 501), /400: .*at most \$500\.00/);
    const bad = await client.post(`/sites/${siteId}/settings`, { browser_revenue: "maybe" });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /automatic, always or never/);
    const dropped = await sql`select 1 from purchases where order_id = 'tx-2'`;
    assert.equal(dropped.length, 0, "the dropped report was never recorded");
  } finally {
    await app.stop();
  }
});
