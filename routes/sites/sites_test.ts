import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";
import { ALL_DB_MODES, inDbMode } from "../../testing/db.ts";
import { CHROME_UA, waitFor } from "../../ingest/test_support.ts";
import { markRollups, refreshRollups } from "../../db/rollups.ts";
import { purgeDeletedSites } from "../../accounts/site_deletion.ts";

const SETTINGS = {
  name: "Course site",
  domain: "course.example",
  timezone: "Europe/Paris",
  currency: "EUR",
  attribution_window_days: "30",
  allowed_hosts: "",
  excluded_ips: "",
  excluded_paths: "",
  retention_days: "",
};

async function ownerWithSite(
  app: TestApp,
  domain = "https://www.Course.example/pricing",
  userAgent = CHROME_UA,
) {
  const client = new TestClient(app, userAgent);
  await client.signUp(`owner-${crypto.randomUUID().slice(0, 6)}@example.com`);
  await client.page("/sites/new");
  const res = await client.post("/sites/new", {
    domain,
    timezone: "Europe/Paris",
    currency: "eur",
  });
  assert.equal(res.status, 303);
  const siteId = Number(/\/sites\/(\d+)\/install/.exec(res.headers.get("location")!)![1]);
  return { client, siteId };
}

Deno.test("adding a site normalizes the domain and a duplicate says so", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    const [site] = await app.db
      .sql`select domain, timezone, currency, public_id from sites where id = ${siteId}`;
    assert.deepEqual([site.domain, site.timezone, site.currency], [
      "course.example",
      "Europe/Paris",
      "EUR",
    ]);
    assert.match(site.public_id, /^[a-z2-9]{12}$/);
    await client.page("/sites/new");
    const dup = await client.post("/sites/new", {
      domain: "course.example",
      timezone: "UTC",
      currency: "USD",
    });
    assert.equal(dup.status, 409);
    assert.match(await dup.text(), /already tracks course.example/);
    const bad = await client.post("/sites/new", {
      domain: "not a domain",
      timezone: "UTC",
      currency: "USD",
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /doesn(&#39;|')t look like a domain/);
  } finally {
    await app.stop();
  }
});

Deno.test("site settings validate every field with a sentence and save", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    const { html } = await client.page(`/sites/${siteId}/settings`);
    assert(html.includes(`href="/sites/${siteId}/share"`), "settings lead to the public link");
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ attribution_window_days: "91" }, /whole number of days from 1 to 90/],
      [{ attribution_window_days: "0" }, /whole number of days from 1 to 90/],
      [{ excluded_ips: "10.0.0.300" }, /isn(&#39;|')t an IP address or range/],
      [{ excluded_paths: "admin" }, /Paths start with/],
      [{ allowed_hosts: "exa mple" }, /doesn(&#39;|')t look like a domain/],
      [{ timezone: "Mars/Olympus" }, /isn(&#39;|')t a time zone we know/],
      [{ currency: "XYZW" }, /isn(&#39;|')t a currency code/],
      [{ retention_days: "7" }, /30 to 1825 days/],
    ];
    for (const [patch, message] of cases) {
      const res = await client.post(`/sites/${siteId}/settings`, { ...SETTINGS, ...patch });
      assert.equal(res.status, 400, JSON.stringify(patch));
      assert.match(await res.text(), message);
    }
    const ok = await client.post(`/sites/${siteId}/settings`, {
      ...SETTINGS,
      attribution_window_days: "14",
      allowed_hosts: "*.course.example\nhttps://checkout.Other.org/",
      excluded_ips: "203.0.113.7\n198.51.100.0/24\n2001:db8::/32",
      excluded_paths: "/admin\n/preview/*",
      retention_days: "365",
      cookieless: "on",
    });
    assert.equal(ok.status, 303);
    const [s] = await app.db.sql`select * from sites where id = ${siteId}`;
    assert.equal(s.attribution_window_days, 14);
    assert.deepEqual(s.allowed_hosts, ["*.course.example", "checkout.other.org"]);
    assert.deepEqual(s.excluded_ips, ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"]);
    assert.deepEqual(s.excluded_paths, ["/admin", "/preview/*"]);
    assert.equal(s.retention_days, 365);
    assert.equal(s.cookieless, true);
    assert.equal(s.respect_dnt, false);
    assert.equal(s.timezone, "Europe/Paris");
  } finally {
    await app.stop();
  }
});

Deno.test("the test visit goes through the real collect endpoint and turns the install status on", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    const status = async () =>
      await (await client.fetch(`/api/app/sites/${siteId}/install-status`)).json();
    assert.equal((await status()).receiving, false);
    const page = await client.page(`/sites/${siteId}/install`);
    for (
      const platform of [
        "Plain HTML",
        "Next.js",
        "WordPress",
        "Google Tag Manager",
        "Webflow",
        "Shopify",
        "Kajabi",
        "Teachable",
        "Whop",
      ]
    ) {
      assert.ok(page.html.includes(platform), platform);
    }
    // Course platforms' sales are matched by email: their guides show where to identify.
    for (const variable of ["{{ member.email }}", "{{ current_user.email }}"]) {
      assert.ok(
        page.html.includes(`sextant(&quot;identify&quot;, &quot;${variable}&quot;)`),
        variable,
      );
    }
    assert.ok(page.html.includes("sextant_visitor_id"), "Whop checkouts carry the visitor id");
    const res = await client.fetch(`/api/app/sites/${siteId}/test-visit`, {
      method: "POST",
      headers: { "x-csrf-token": await client.csrfToken() },
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { accepted: 1 });
    await waitFor(async () => (await status()).receiving === true);
    await waitFor(async () =>
      (await app.db
        .sql`select 1 from events where site_id = ${siteId} and pathname = '/sextant-test-visit'`)
        .length === 1
    );
  } finally {
    await app.stop();
  }
});

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `the sites overview totals visitors and revenue from the rollups (${mode})`,
    inDbMode(mode),
    async () => {
      const app = await startTestApp({ dbMode: mode });
      try {
        const { client, siteId } = await ownerWithSite(app);
        const sql = app.db.sql;
        const [{ org_id: orgId }] = await sql`select org_id from sites where id = ${siteId}`;
        const [other] = await sql`insert into sites (org_id, public_id, domain, name, currency)
        values (${orgId}, 'otherpublicid', 'other.example', 'Other', 'USD') returning id`;
        const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
        const event = (site: number, visitor: string, minute: number) =>
          sql`
        insert into events (ts, event_id, site_id, visitor_id, session_id, type)
        values (${new Date(hour.getTime() + minute * 60_000)}, gen_random_uuid(), ${site},
                ${visitor}, gen_random_uuid(), 'pageview')`;
        await event(siteId, "v1", 1);
        await event(siteId, "v1", 2);
        await event(siteId, "v2", 3);
        await event(other.id, "w1", 4);
        await sql`insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor,
                  currency, amount_site_minor)
                values (${hour}, ${siteId}, 'stripe', 'evt_1', 'one_time', 8000, 'EUR', 8000),
                       (${hour}, ${other.id}, 'stripe', 'evt_2', 'one_time', 4000, 'USD', 4000),
                       (${hour}, ${other.id}, 'stripe', 'evt_3', 'refund', -1000, 'USD', -1000)`;
        // Stored by hand, so marked for the rollups as the writers would.
        for (const source of ["events", "purchases"] as const) {
          await markRollups(
            sql,
            source,
            [siteId, other.id].map((id) => ({ siteId: id, at: hour })),
          );
        }
        await refreshRollups(sql);
        const { html } = await client.page("/sites?period=24h");
        const metric = (label: string) =>
          new RegExp(`<div class="label">${label}[^<]*</div><div class="value">([^<]+)</div>`).exec(
            html,
          )?.[1];
        assert.equal(metric("Visitors"), "3");
        assert.equal(metric("Pageviews"), "4");
        // Different currencies are listed side by side, never added up.
        assert.equal(metric("Revenue"), "€80 + $30");
      } finally {
        await app.stop();
      }
    },
  );
}

Deno.test("deleting a site needs its domain typed; its data is purged afterwards", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    const sql = app.db.sql;
    await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type)
              values (now(), gen_random_uuid(), ${siteId}, 'v', gen_random_uuid(), 'pageview')`;
    // Heatmap screenshots live in files: the site's go with it, another site's stay.
    const dataDir = app.ctx.config.DATA_DIR;
    const shot = (id: number) => `${dataDir}/screenshots/${id}/pricing-desktop.webp`;
    for (const id of [siteId, siteId + 1000]) {
      await Deno.mkdir(`${dataDir}/screenshots/${id}`, { recursive: true });
      await Deno.writeFile(shot(id), new Uint8Array([1, 2, 3]));
    }
    await client.page(`/sites/${siteId}/settings`);
    const wrong = await client.post(`/sites/${siteId}/delete`, { confirm: "course" });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /Type course.example exactly/);
    const ok = await client.post(`/sites/${siteId}/delete`, { confirm: "Course.example" });
    assert.equal(ok.status, 303);
    assert.equal((await client.page(`/sites/${siteId}/settings`)).res.status, 404);
    assert.equal(await purgeDeletedSites(sql, dataDir), 1);
    const [left] = await sql`select count(*)::int as n from events where site_id = ${siteId}`;
    assert.equal(left.n, 0);
    await assert.rejects(Deno.stat(`${dataDir}/screenshots/${siteId}`), Deno.errors.NotFound);
    assert.ok((await Deno.stat(shot(siteId + 1000))).isFile);
    assert.equal(await purgeDeletedSites(sql, dataDir), 0, "purging is done once");
  } finally {
    await app.stop();
  }
});

Deno.test("the onboarding guide remembers progress and / sends people to their next step", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app, CHROME_UA);
    const anon = await client.fetch("/");
    assert.equal(anon.headers.get("location"), "/signup", "a fresh install starts at sign-up");
    await client.signUp("new@example.com");
    assert.equal((await client.fetch("/")).headers.get("location"), "/sites/new");
    await client.page("/sites/new");
    const created = await client.post("/sites/new", {
      domain: "new.example",
      timezone: "UTC",
      currency: "USD",
    });
    const siteId = Number(/\/sites\/(\d+)\//.exec(created.headers.get("location")!)![1]);
    assert.equal((await client.fetch("/")).headers.get("location"), `/sites/${siteId}/install`);
    await app.db.sql`update sites set first_event_at = now() where id = ${siteId}`;
    assert.equal((await client.fetch("/")).headers.get("location"), "/sites");
    let page = await client.page("/sites");
    assert.match(page.html, /3 of 5 done/);
    assert.match(page.html, /Connect revenue/);
    assert.equal((await client.post(`/sites/${siteId}/onboarding/skip-revenue`)).status, 303);
    page = await client.page("/sites");
    assert.match(page.html, /4 of 5 done/);
    const open = await client.post(`/sites/${siteId}/onboarding/dashboard`);
    assert.equal(open.headers.get("location"), `/sites/${siteId}`);
    page = await client.page("/sites");
    assert.doesNotMatch(page.html, /Get started/);
  } finally {
    await app.stop();
  }
});

Deno.test("a dropped test visit says why: a headless browser is a bot, an excluded IP is excluded", async () => {
  const app = await startTestApp();
  try {
    const headless = await ownerWithSite(
      app,
      "headless.example",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36",
    );
    const { client, siteId } = await ownerWithSite(app);
    const send = async (who: TestClient, id: number) =>
      await who.fetch(`/api/app/sites/${id}/test-visit`, {
        method: "POST",
        headers: { "x-csrf-token": await who.csrfToken() },
      });
    const bot = await send(headless.client, headless.siteId);
    assert.equal(bot.status, 400);
    const botMessage = (await bot.json()).error as string;
    assert.match(botMessage, /dropped: it was sent by .*bot/);
    assert.doesNotMatch(botMessage, /excluded/);

    const saved = await client.post(`/sites/${siteId}/settings`, {
      ...SETTINGS,
      excluded_ips: "127.0.0.1\n::1",
    });
    assert.equal(saved.status, 303);
    const excluded = await send(client, siteId);
    assert.equal(excluded.status, 400);
    assert.match((await excluded.json()).error, /IP address excluded in this site/);
  } finally {
    await app.stop();
  }
});

Deno.test("while waiting for the first event, the install page says which events were dropped and why", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    const [{ public_id: publicId }] = await app.db
      .sql`select public_id from sites where id = ${siteId}`;
    const collect = (headers: Record<string, string>) =>
      app.fetch("/api/collect", {
        method: "POST",
        headers: { "content-type": "text/plain", ...headers },
        body: JSON.stringify({
          s: publicId,
          v: "visitor123456",
          e: [{ t: "pageview", u: "https://course.example/", r: "" }],
        }),
      });
    const fromBot = await collect({
      origin: "https://course.example",
      "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    });
    assert.equal((await fromBot.json()).dropped, 1);
    const wrongOrigin = await collect({
      origin: "https://elsewhere.example",
      "user-agent": CHROME_UA,
    });
    assert.equal(wrongOrigin.status, 403);
    await wrongOrigin.body?.cancel();

    const status = async () =>
      await (await client.fetch(`/api/app/sites/${siteId}/install-status`)).json() as {
        receiving: boolean;
        drops: Array<{ reason: string; count: number; why: string }>;
      };
    const s = await status();
    assert.equal(s.receiving, false);
    assert.deepEqual(s.drops.map((d) => [d.reason, d.count]), [["bot", 1], ["wrong_origin", 1]]);
    assert.match(s.drops[1].why, /allowed hosts/);
    const page = await client.page(`/sites/${siteId}/install`);
    assert.match(page.html, /2 events arrived but were dropped/);
    assert.match(page.html, /not in this site(&#39;|')s allowed hosts/);
  } finally {
    await app.stop();
  }
});

Deno.test("opening the dashboard from the nav completes the guide's last step", async () => {
  const app = await startTestApp();
  try {
    const { client, siteId } = await ownerWithSite(app);
    await app.db.sql`update sites set first_event_at = now() where id = ${siteId}`;
    await client.post(`/sites/${siteId}/onboarding/skip-revenue`);
    assert.match((await client.page("/sites")).html, /4 of 5 done/);
    const dashboard = await client.page(`/sites/${siteId}`);
    assert.equal(dashboard.res.status, 200);
    assert.doesNotMatch((await client.page("/sites")).html, /Get started|4 of 5 done/);
    assert.equal((await client.fetch("/")).headers.get("location"), "/sites");
  } finally {
    await app.stop();
  }
});
