/**
 * A course platform's purchases on every surface Stripe's reach, one test per surface: the live
 * purchase feed, the dashboard, the revenue report and its CSV. Each test sells the same price once
 * through Teachable and once through Stripe, to two visitors from two sources, and asserts the
 * surface shows both sales the same way. A last test has both platforms report one payment and
 * asserts it counts once.
 */
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { connectPlatform } from "./connection.ts";
import { localWebhookUrl } from "../testing/platform_sync.ts";
import { stopBackground } from "./background.ts";
import { liveChannel, type LivePurchase } from "../realtime/messages.ts";
import { refreshRollups } from "../db/rollups.ts";
import { waitFor } from "../testing/wait.ts";
import { formatMoney } from "../attribution/currency.ts";

const PRICE = 15900;

/** A learner who came from the podcast and buys through Teachable. */
const LEARNER = {
  visitorId: "student-9",
  email: "learner@example.com",
  source: "Podcast",
  city: "Lyon",
};
/** A reader who came from the newsletter and buys through Stripe. */
const READER = {
  visitorId: "reader-4",
  email: "reader@example.com",
  source: "Newsletter",
  city: "Oslo",
};

interface CourseSite {
  app: TestApp;
  siteId: number;
  teachable: FakeTeachable;
  stripe: FakeStripe;
  /** Live purchase messages published for the site, in order. */
  live: LivePurchase[];
  /** A signed-in owner's GET. */
  get(path: string): Promise<Response>;
  /** A Teachable sale of `course` to `email`, delivered by webhook. */
  sellOnTeachable(email: string, course: string): Promise<void>;
  /** A Stripe checkout paid by `email`, delivered by webhook. */
  sellOnStripe(email: string, product: string): Promise<void>;
}

/** A site with Teachable and Stripe connected and two identified visitors; runs `fn`, then stops. */
async function withCourseSite(fn: (s: CourseSite) => Promise<void>): Promise<void> {
  const teachable = await FakeTeachable.start();
  const stripe = await FakeStripe.start();
  const app = await startTestApp({
    env: { TEACHABLE_API_URL: teachable.url, STRIPE_API_URL: stripe.url },
  });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const t = await connectPlatform(app.ctx, siteId, "teachable", { apiKey: teachable.addKey() });
    await connectPlatform(app.ctx, siteId, "stripe", stripe.addKey(`rk_test_${siteId}`));
    await stopBackground(app.ctx);
    const url = await localWebhookUrl(app, t);
    const startedAt = daysBefore(new Date(), 0.1);
    for (const v of [LEARNER, READER]) {
      await insertSession(sql, siteId, {
        visitorId: v.visitorId,
        startedAt,
        source: v.source,
        channel: "Referral",
        city: v.city,
      });
      await insertIdentify(sql, siteId, v.visitorId, v.email, startedAt);
    }
    const live: LivePurchase[] = [];
    await app.ctx.bus.subscribe(liveChannel(siteId), (m) => {
      if ((m as LivePurchase).kind === "purchase") live.push(m as LivePurchase);
    });
    await fn({
      app,
      siteId,
      teachable,
      stripe,
      live,
      get: (path) =>
        fetch(`${app.url}${path}`, { headers: { cookie: `sextant_session=${owner.token}` } }),
      async sellOnTeachable(email, course) {
        const plan = teachable.plan({ courseId: teachable.course(course).id, price: PRICE });
        const buyer = teachable.user(email);
        const tx = teachable.transaction({ userId: buyer.id, planId: plan.id });
        assert.equal((await teachable.deliver(url, "Transaction.created", tx)).status, 200);
      },
      async sellOnStripe(email, product) {
        const session = stripe.checkoutSession({ amount: PRICE, email, product });
        assert.deepEqual(await stripe.emit("checkout.session.completed", session), [200]);
      },
    });
  } finally {
    await app.stop();
    await teachable.close();
    await stripe.close();
  }
}

/** Sells the course through Teachable and the guide through Stripe, at the same price. */
async function sellBoth(s: CourseSite): Promise<void> {
  await s.sellOnTeachable(LEARNER.email, "Pottery at home");
  await s.sellOnStripe(READER.email, "Glaze guide");
}

Deno.test("live feed: a Teachable purchase is announced like a Stripe purchase", async () => {
  await withCourseSite(async (s) => {
    await sellBoth(s);
    await waitFor(() => s.live.length >= 2);
    assert.equal(s.live.length, 2);
    const course = s.live.find((m) => m.product === "Pottery at home");
    const guide = s.live.find((m) => m.product === "Glaze guide");
    assert.ok(course && guide, JSON.stringify(s.live));
    assert.deepEqual(Object.keys(course).sort(), Object.keys(guide).sort());
    for (const m of [course, guide]) {
      assert.equal(m.type, "one_time");
      assert.equal(m.amountMinor, PRICE);
      assert.equal(m.currency, "USD");
      assert.equal(m.amountSiteMinor, PRICE);
    }
    assert.deepEqual(
      [course.visitorId, course.source, course.channel, course.city],
      [LEARNER.visitorId, LEARNER.source, "Referral", LEARNER.city],
    );
    assert.deepEqual(
      [guide.visitorId, guide.source, guide.channel, guide.city],
      [READER.visitorId, READER.source, "Referral", READER.city],
    );
  });
});

Deno.test("dashboard: a Teachable purchase counts in revenue and its source like a Stripe purchase", async () => {
  await withCourseSite(async (s) => {
    await sellBoth(s);
    await refreshRollups(s.app.ctx.db.sql);
    const dash = await (await s.get(`/api/app/sites/${s.siteId}/dashboard?period=7d`)).json();
    const card = dash.cards.find((c: { metric: string }) => c.metric === "revenue");
    assert.equal(card?.value, 2 * PRICE);
    const panel = await (await s.get(
      `/api/app/sites/${s.siteId}/breakdown?dimension=source&period=7d&sort=revenue:desc`,
    )).json();
    type Row = { value: string; values: Record<string, number> };
    const row = (name: string) => panel.rows.find((r: Row) => r.value === name) as Row;
    const podcast = row(LEARNER.source);
    const newsletter = row(READER.source);
    assert.equal(podcast?.values.revenue, PRICE, JSON.stringify(panel.rows));
    assert.deepEqual(podcast.values, newsletter?.values, "the same numbers for the same sale");
  });
});

Deno.test("revenue report: a Teachable purchase is credited to its source like a Stripe purchase", async () => {
  await withCourseSite(async (s) => {
    await sellBoth(s);
    const res = await s.get(`/sites/${s.siteId}/revenue`);
    assert.equal(res.status, 200);
    const html = await res.text();
    // The cells after the row's label: visitors, revenue, customers, conversion, AOV, per visitor.
    const cells = (key: string) => {
      const row = html.match(new RegExp(`<tr data-key="${key}">([\\s\\S]*?)</tr>`))?.[1];
      assert.ok(row, `a ${key} row`);
      return row.slice(row.indexOf("</th>"));
    };
    assert.ok(cells(LEARNER.source).includes(formatMoney(PRICE, "USD")), cells(LEARNER.source));
    assert.equal(cells(LEARNER.source), cells(READER.source));
    assert.match(
      html,
      /data-reconciled="yes"[^>]*>Adds up to the purchases table: \$318\.00 from 2 purchases/,
    );
  });
});

Deno.test("CSV: a Teachable purchase is exported like a Stripe purchase, its platform named", async () => {
  await withCourseSite(async (s) => {
    await sellBoth(s);
    const res = await s.get(`/sites/${s.siteId}/revenue.csv?what=purchases`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    const [header, ...rows] = (await res.text()).trim().split(/\r?\n/).map((l) => l.split(","));
    assert.equal(rows.length, 2, "one row per purchase");
    const col = (name: string) => header.indexOf(name);
    const byPlatform = (p: string) => rows.find((r) => r[col("Platform")] === p)!;
    const course = byPlatform("teachable");
    const guide = byPlatform("stripe");
    assert.ok(course && guide, JSON.stringify(rows));
    assert.equal(course[col("Product")], "Pottery at home");
    assert.equal(course[col("Customer email")], LEARNER.email);
    assert.equal(course[col("Credited to")], LEARNER.source);
    assert.equal(guide[col("Credited to")], READER.source);
    for (
      const name of [
        "Kind",
        "Amount",
        "Currency",
        "Amount (USD)",
        "Converted",
        "Matched by",
        "Confidence",
      ]
    ) {
      assert.equal(course[col(name)], guide[col(name)], name);
    }
    assert.equal(course[col("Amount")], "159.00");
    assert.equal(course[col("Matched by")], "email");
  });
});

Deno.test("one payment reported by both Stripe and Teachable counts once, on every surface", async () => {
  await withCourseSite(async (s) => {
    // The school charges through the creator's Stripe: both platforms report the payment.
    await s.sellOnTeachable(LEARNER.email, "Pottery at home");
    await s.sellOnStripe(LEARNER.email, "Pottery at home");
    await waitFor(() => s.live.length > 0);
    const csv = (await (await s.get(`/sites/${s.siteId}/revenue.csv?what=purchases`)).text())
      .trim().split(/\r?\n/);
    assert.equal(csv.length, 2, "a header and one purchase");
    assert.match(csv[1], /teachable/);
    const html = await (await s.get(`/sites/${s.siteId}/revenue`)).text();
    assert.match(html, /Adds up to the purchases table: \$159\.00 from 1 purchase\./);
    await refreshRollups(s.app.ctx.db.sql);
    const dash = await (await s.get(`/api/app/sites/${s.siteId}/dashboard?period=7d`)).json();
    assert.equal(dash.cards.find((c: { metric: string }) => c.metric === "revenue")?.value, PRICE);
    assert.equal(s.live.length, 1, "announced once");
  });
});
