import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { seedDemo } from "./seed.ts";
import { startDemoTraffic } from "./traffic.ts";
import { authenticate } from "../accounts/auth.ts";
import { createSite } from "../accounts/sites.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createUser } from "../accounts/users.ts";
import { liveChannel } from "../realtime/messages.ts";
import { createDemoAccount, DEMO_EMAIL, demoPassword, workingDemoLogin } from "./credentials.ts";
import { demoLoginText } from "./mod.ts";
import { changePassword } from "../accounts/auth.ts";
import { TestClient } from "../testing/http_client.ts";

Deno.test("the demo holds 60 days of realistic history that signs in and adds up", async () => {
  const app = await startTestApp();
  const sql = app.ctx.db.sql;
  try {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const t0 = performance.now();
    const demo = await seedDemo(app.ctx, now);
    console.log(
      `seeded ${demo.events} events, ${demo.purchases} purchases in ${
        Math.round(performance.now() - t0)
      } ms`,
    );
    assert.ok(await authenticate(sql, demo.email, demo.password), "the printed password signs in");

    const [span] = await sql`
      select min(ts) as first, max(ts) as last, count(distinct visitor_id)::int as visitors,
             count(distinct country)::int as countries, count(distinct channel)::int as channels,
             count(distinct campaign)::int as campaigns, count(distinct device)::int as devices,
             count(*) filter (where type = 'event' and name <> '')::int as goals,
             count(*) filter (where lat is null)::int as without_coordinates
      from events where site_id = ${demo.site.id}`;
    assert.ok(now - span.first.getTime() > 58 * 86_400_000, "history reaches back 60 days");
    assert.ok(span.last.getTime() <= now);
    assert.ok(span.visitors > 3000, `visitors: ${span.visitors}`);
    assert.ok(span.countries >= 15, `countries: ${span.countries}`);
    assert.ok(span.channels >= 6, `channels: ${span.channels}`);
    assert.ok(span.campaigns >= 4, `campaigns: ${span.campaigns}`);
    assert.ok(span.devices >= 3, `devices: ${span.devices}`);
    assert.ok(span.goals > 100, `goal completions: ${span.goals}`);
    assert.equal(span.without_coordinates, 0, "every visit has coarse coordinates");

    const kinds = await sql`select kind, count(*)::int as n from purchases
      where site_id = ${demo.site.id} group by kind`;
    const byKind = Object.fromEntries(kinds.map((k) => [k.kind, k.n]));
    for (const k of ["one_time", "subscription_start", "renewal", "refund"]) {
      assert.ok(byKind[k] > 0, `has ${k} purchases: ${JSON.stringify(byKind)}`);
    }
    const [matching] = await sql`
      select count(*) filter (where match_method = 'none')::int as unmatched,
             count(*) filter (where match_method <> 'none')::int as matched
      from purchases where site_id = ${demo.site.id}`;
    assert.ok(
      matching.matched > matching.unmatched && matching.unmatched > 0,
      JSON.stringify(matching),
    );
    const [credits] = await sql`
      select (select sum(amount_site_minor)::bigint from purchases where site_id = ${demo.site.id}) as total,
             (select sum(amount_site_minor)::bigint from attribution_credits
               where site_id = ${demo.site.id} and model = 'last_touch') as credited`;
    assert.equal(credits.credited, credits.total, "last-touch credits add up to the revenue");
    const [identities] =
      await sql`select count(*)::int as n from identities where site_id = ${demo.site.id}`;
    assert.ok(identities.n > 50);
    const [mrr] =
      await sql`select count(*)::int as n from subscriptions where site_id = ${demo.site.id}`;
    assert.ok(mrr.n > 0, "memberships are tracked for MRR");
  } finally {
    await app.stop();
  }
});

Deno.test("demo traffic flows through collect into the database and the live channel", async () => {
  const app = await startTestApp();
  const sql = app.ctx.db.sql;
  let traffic: { stop(): void } | undefined;
  try {
    const user = await createUser(sql, { email: "t@example.com", password: "long enough pw" });
    const org = await createOrg(sql, "T", user.id);
    const site = await createSite(sql, { orgId: org.id, domain: "northstar-courses.com" });
    const live: unknown[] = [];
    await app.ctx.bus.subscribe(liveChannel(site.id), (m) => live.push(m));
    traffic = startDemoTraffic(app.ctx, site, 0.0002);
    let stored = 0;
    for (let i = 0; i < 100 && stored < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      [{ n: stored }] = await sql`select count(*)::int as n from events where site_id = ${site.id}`;
    }
    assert.ok(stored >= 5, `events stored: ${stored}`);
    assert.ok(live.length >= 5, "each accepted event was published live");
    // One query: demo traffic keeps arriving, so two counts taken apart can differ.
    const [geo] = await sql`select count(*)::int as n,
        (count(*) filter (where country <> '' and lat is not null))::int as located
      from events where site_id = ${site.id}`;
    assert.equal(geo.located, geo.n, "visits are located through the real geolocation step");
  } finally {
    traffic?.stop();
    await app.stop();
  }
});

Deno.test("demo visitors come from homes and offices, not cloud datacenters (collect drops those)", async () => {
  const { PLACES } = await import("./catalog.ts");
  const { isDatacenterIp, warmDatacenters } = await import("../ingest/datacenter.ts");
  const ranges = await warmDatacenters();
  // The check below only means something when the provider table is loaded and flags clouds.
  assert.ok(ranges > 1000, `provider ranges loaded: ${ranges}`);
  assert.equal(isDatacenterIp("34.64.0.1"), true, "a cloud address is flagged");
  assert.deepEqual(PLACES.filter((p) => isDatacenterIp(p.ip)).map((p) => p.ip), []);
});

Deno.test("a demo instance shows its sign-in on the login page and at start-up until the password changes", async () => {
  const app = await startTestApp({ env: { SEXTANT_DEMO: "on" } });
  const other = await startTestApp({ env: { SEXTANT_DEMO: "off" } });
  try {
    const { user, password } = await createDemoAccount(app.ctx);
    assert.equal(
      password,
      await demoPassword(app.ctx.config.SECRET_KEY),
      "the same on every start",
    );
    const shown = await workingDemoLogin(app.ctx);
    assert.deepEqual(shown, { email: DEMO_EMAIL, password });
    assert.match(demoLoginText(shown!, app.url), new RegExp(`password: ${password}`));

    const login = await new TestClient(app).page("/login");
    assert.match(login.html, new RegExp(`This is a demo: sign in as <strong>${DEMO_EMAIL}`));
    assert.ok(login.html.includes(`<code>${password}</code>`));
    const client = new TestClient(app);
    assert.equal((await client.signIn(DEMO_EMAIL, password)).status, 303);

    await createDemoAccount(other.ctx);
    const off = await new TestClient(other).page("/login");
    assert.doesNotMatch(
      off.html,
      /This is a demo/,
      "not on an instance that does not run the demo",
    );

    await changePassword(app.ctx.db.sql, {
      userId: user.id,
      current: password,
      next: "a password of my own",
      keepSessionId: null,
    });
    assert.equal(await workingDemoLogin(app.ctx), null);
    const after = await new TestClient(app).page("/login");
    assert.doesNotMatch(after.html, /This is a demo/);
    assert.ok(!after.html.includes(password));
  } finally {
    await Promise.all([app.stop(), other.stop()]);
  }
});
