import assert from "node:assert/strict";
import { connectViewer, createMember, testWithApp } from "../testing/live.ts";
import type { Sql } from "../db/connect.ts";
import {
  createShare,
  revokeShare,
  shareUnlockCookie,
  shareUnlockValue,
} from "../accounts/shares.ts";
import type { LiveSnapshot } from "../realtime/live_state.ts";
import type { VisitorJourney } from "../realtime/journey.ts";

const SECRET = "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz";

/** Stores a pageview as the ingest writer would (acquisition and place on every event). */
async function storeEvent(
  sql: Sql,
  siteId: number,
  e: {
    visitor: string;
    session: string;
    secondsAgo: number;
    path?: string;
    title?: string;
    type?: string;
    name?: string;
    source?: string;
    country?: string;
  },
) {
  await sql`insert into events (ts, event_id, site_id, visitor_id, session_id, type, name,
              hostname, pathname, title, source, channel, country, city, lat, lon, device,
              browser, os)
    values (now() - make_interval(secs => ${e.secondsAgo}), gen_random_uuid(), ${siteId},
            ${e.visitor}, ${e.session}, ${e.type ?? "pageview"}, ${e.name ?? ""}, 'shop.test',
            ${e.path ?? "/"}, ${e.title ?? ""}, ${e.source ?? "YouTube"}, 'Organic Video',
            ${e.country ?? "FR"}, 'Paris', 48.9, 2.3, 'mobile', 'Safari', 'iOS')`;
}

testWithApp("members see the live page with who is on the site; others don't", async (app) => {
  const sql = app.db.sql;
  const a = await createMember(sql);
  const b = await createMember(sql);
  const session = crypto.randomUUID();
  await storeEvent(sql, a.site.id, { visitor: "v1", session, secondsAgo: 30, path: "/pricing" });

  const page = await app.fetch(`/sites/${a.site.id}/live`, { headers: { cookie: a.cookie } });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<strong class="num">1<\/strong>/);
  assert.match(html, /\/pricing/);
  assert.match(html, /Paris, France/);
  assert.match(html, /data-island="LiveView"/);

  const other = await app.fetch(`/sites/${a.site.id}/live`, { headers: { cookie: b.cookie } });
  assert.equal(other.status, 404);
  await other.body?.cancel();
  const out = await app.fetch(`/sites/${a.site.id}/live`, { redirect: "manual" });
  assert.equal(out.status, 303);
  assert.match(out.headers.get("location")!, /^\/login\?next=/);
});

testWithApp("visitor strings are escaped on the live page, never markup", async (app) => {
  const sql = app.db.sql;
  const a = await createMember(sql);
  await storeEvent(sql, a.site.id, {
    visitor: "v1",
    session: crypto.randomUUID(),
    secondsAgo: 5,
    path: "/<script>alert(1)</script>",
    title: `"><img src=x onerror=alert(2)>`,
    source: "<b>evil</b>",
  });
  const html = await (await app.fetch(`/sites/${a.site.id}/live`, {
    headers: { cookie: a.cookie },
  })).text();
  assert.doesNotMatch(html, /<script>alert\(1\)/);
  assert.doesNotMatch(html, /<img src=x/);
  assert.doesNotMatch(html, /<b>evil/);
  assert.match(html, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert/);
});

testWithApp(
  "the snapshot endpoint answers members and share links of that site only",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    const b = await createMember(sql);
    await storeEvent(sql, a.site.id, {
      visitor: "v1",
      session: crypto.randomUUID(),
      secondsAgo: 10,
    });
    const url = `/api/app/sites/${a.site.id}/live/snapshot`;

    const member = await app.fetch(url, { headers: { cookie: a.cookie } });
    assert.equal(member.status, 200);
    const snap = await member.json() as LiveSnapshot;
    assert.equal(snap.activeCount, 1);
    assert.equal(snap.visitors[0].source, "YouTube");

    const { token } = await createShare(sql, app.ctx.secrets, { siteId: a.site.id });
    const shared = await app.fetch(url, { headers: { "x-share-token": token } });
    assert.equal(shared.status, 200);
    assert.equal((await shared.json() as LiveSnapshot).activeCount, 1);

    const wrongSite = await app.fetch(`/api/app/sites/${b.site.id}/live/snapshot`, {
      headers: { "x-share-token": token },
    });
    assert.equal(wrongSite.status, 404);
    assert.match((await wrongSite.json()).error, /couldn't find that site/);
    const stranger = await app.fetch(url, { headers: { cookie: b.cookie } });
    assert.equal(stranger.status, 404);
    await stranger.body?.cancel();
    const nobody = await app.fetch(url);
    assert.equal(nobody.status, 401);
    assert.match((await nobody.json()).error, /sign in/i);
  },
);

testWithApp(
  "a visitor's journey lists their latest session in order, within the site",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    const b = await createMember(sql);
    const old = crypto.randomUUID();
    const now = crypto.randomUUID();
    await storeEvent(sql, a.site.id, {
      visitor: "v1",
      session: old,
      secondsAgo: 7200,
      path: "/old",
    });
    await storeEvent(sql, a.site.id, { visitor: "v1", session: now, secondsAgo: 120, path: "/" });
    await storeEvent(sql, a.site.id, {
      visitor: "v1",
      session: now,
      secondsAgo: 60,
      path: "/pricing",
      title: "Pricing",
    });
    await storeEvent(sql, a.site.id, {
      visitor: "v1",
      session: now,
      secondsAgo: 30,
      type: "event",
      name: "Signup",
    });
    await sql`insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor,
              currency, amount_site_minor, product, visitor_id)
    values (now() - interval '10 seconds', ${a.site.id}, 'stripe', 'evt_j', 'one_time', 2900,
            'EUR', 2900, 'Ebook', 'v1')`;
    // The same visitor id on another organization's site is someone else.
    await storeEvent(sql, b.site.id, {
      visitor: "v1",
      session: crypto.randomUUID(),
      secondsAgo: 5,
    });

    const res = await app.fetch(`/api/app/sites/${a.site.id}/live/visitors/v1`, {
      headers: { cookie: a.cookie },
    });
    assert.equal(res.status, 200);
    const j = await res.json() as VisitorJourney;
    assert.equal(j.sessionId, now);
    assert.equal(j.sessions, 2);
    assert.deepEqual(j.steps.map((s) => [s.type, s.pathname, s.name]), [
      ["pageview", "/", ""],
      ["pageview", "/pricing", ""],
      ["event", "/", "Signup"],
    ]);
    assert.deepEqual(j.purchases.map((p) => [p.amountMinor, p.currency, p.product]), [
      [2900, "EUR", "Ebook"],
    ]);
    const fromB = await app.fetch(`/api/app/sites/${b.site.id}/live/visitors/v1`, {
      headers: { cookie: a.cookie },
    });
    assert.equal(fromB.status, 404);
    await fromB.body?.cancel();
    const unknown = await (await app.fetch(`/api/app/sites/${a.site.id}/live/visitors/nobody`, {
      headers: { cookie: a.cookie },
    })).json() as VisitorJourney;
    assert.deepEqual([unknown.sessionId, unknown.steps, unknown.sessions], [null, [], 0]);
  },
);

testWithApp(
  "purchases in the snapshot carry the source credited, else the buyer's",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    await storeEvent(sql, a.site.id, {
      visitor: "buyer",
      session: crypto.randomUUID(),
      secondsAgo: 600,
      source: "Instagram",
      country: "BR",
    });
    const [credited] = await sql<{ id: string }[]>`
    insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor, currency,
                           amount_site_minor, product, visitor_id)
    values (now() - interval '1 minute', ${a.site.id}, 'stripe', 'evt_1', 'one_time', 800000,
            'USD', 800000, 'Cohort', 'buyer')
    returning id::text`;
    await sql`insert into attribution_credits (site_id, purchase_id, purchase_ts, model, touch,
              amount_site_minor, source, channel, country)
    select ${a.site.id}, id, ts, 'last_touch', 0, amount_site_minor, 'YouTube', 'Organic Video',
           'US' from purchases where id = ${credited.id}::uuid`;
    await sql`insert into purchases (ts, site_id, provider, provider_event_id, kind, amount_minor,
              currency, amount_site_minor, product, visitor_id)
    values (now() - interval '30 seconds', ${a.site.id}, 'stripe', 'evt_2', 'one_time', 40000,
            'USD', 40000, 'Guide', 'buyer')`;
    const snap = await (await app.fetch(`/api/app/sites/${a.site.id}/live/snapshot`, {
      headers: { cookie: a.cookie },
    })).json() as LiveSnapshot;
    assert.deepEqual(
      snap.purchases.map((p) => [p.product, p.amountMinor, p.source, p.country]),
      [["Guide", 40000, "Instagram", "BR"], ["Cohort", 800000, "YouTube", "US"]],
    );
  },
);

testWithApp(
  "a share link opens the live page; a password-protected one asks first",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    await sql`update sites set name = 'Ada Courses' where id = ${a.site.id}`;
    const open = await createShare(sql, app.ctx.secrets, { siteId: a.site.id });
    const page = await app.fetch(`/share/${open.token}/live`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Ada Courses/);
    assert.ok(
      html.includes(`&quot;shareToken&quot;:&quot;${open.token}&quot;`),
      "islands get the token",
    );
    assert.doesNotMatch(html, /Sign out/, "no account frame for share viewers");

    const locked = await createShare(sql, app.ctx.secrets, {
      siteId: a.site.id,
      password: "open sesame please",
    });
    const ask = await app.fetch(`/share/${locked.token}/live`, { redirect: "manual" });
    assert.equal(ask.status, 303);
    assert.equal(ask.headers.get("location"), `/share/${locked.token}`);
    const proof = await shareUnlockValue(SECRET, locked.share.id);
    const unlocked = await app.fetch(`/share/${locked.token}/live`, {
      headers: { cookie: `${shareUnlockCookie(locked.share.id)}=${proof}` },
    });
    assert.equal(unlocked.status, 200);
    await unlocked.body?.cancel();

    await revokeShare(sql, a.site.id, open.share.id);
    const gone = await app.fetch(`/share/${open.token}/live`);
    assert.equal(gone.status, 404);
    assert.match(await gone.text(), /turned off/);
  },
);

testWithApp(
  "a locked share's islands get a grant where its unlock cookie is sent, and it works",
  async (app) => {
    const sql = app.db.sql;
    const a = await createMember(sql);
    const b = await createMember(sql);
    const locked = await createShare(sql, app.ctx.secrets, {
      siteId: a.site.id,
      password: "open sesame please",
    });
    const access = `/share/${locked.token}/live/access`;
    const json = { accept: "application/json" };
    const refused = await app.fetch(access, { headers: json });
    assert.equal(refused.status, 403);
    assert.match((await refused.json()).error, /enter its password/);

    const cookie = `${shareUnlockCookie(locked.share.id)}=${await shareUnlockValue(
      SECRET,
      locked.share.id,
    )}`;
    const granted = await app.fetch(access, { headers: { ...json, cookie } });
    assert.equal(granted.status, 200);
    const { grant, siteId } = await granted.json();
    assert.equal(siteId, a.site.id);

    // The unlock cookie may be scoped to /share/: the grant alone opens the feed and the JSON.
    const viewer = connectViewer(app.url, { siteId: a.site.id, shareToken: locked.token, grant });
    assert.equal((await viewer.connected).siteId, a.site.id);
    viewer.close();
    const snap = await app.fetch(`/api/app/sites/${a.site.id}/live/snapshot`, {
      headers: { "x-share-token": locked.token, "x-share-grant": grant },
    });
    assert.equal(snap.status, 200);
    await snap.body?.cancel();

    // Without it, forged, or for another link: nothing.
    const without = await app.fetch(`/api/app/sites/${a.site.id}/live/snapshot`, {
      headers: { "x-share-token": locked.token },
    });
    assert.equal(without.status, 404);
    await without.body?.cancel();
    const forged = `${Date.now() + 3_600_000}.${"A".repeat(32)}`;
    const noGood = connectViewer(app.url, {
      siteId: a.site.id,
      shareToken: locked.token,
      grant: forged,
    });
    await assert.rejects(noGood.connected, /can't watch/);
    noGood.close();
    const otherLock = await createShare(sql, app.ctx.secrets, {
      siteId: b.site.id,
      password: "another secret one",
    });
    const crossed = connectViewer(app.url, {
      siteId: b.site.id,
      shareToken: otherLock.token,
      grant,
    });
    await assert.rejects(crossed.connected, /can't watch/);
    crossed.close();

    const gone = await app.fetch(`/share/nope-not-a-token/live/access`, { headers: json });
    assert.equal(gone.status, 404);
    await gone.body?.cancel();
  },
);
