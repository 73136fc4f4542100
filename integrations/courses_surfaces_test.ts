/**
 * A course platform's purchases on every surface Stripe's reach — the live feed, the dashboard,
 * the revenue report and its CSV — and a payment both Stripe and Teachable report counted once.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { FakeTeachable } from "../testing/fake_teachable.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import {
  createSiteWithOwner,
  daysBefore,
  insertIdentify,
  insertSession,
} from "../testing/journeys.ts";
import { connectPlatform, webhookUrl } from "./connection.ts";
import { stopBackground } from "./background.ts";
import { liveChannel, type LivePurchase } from "../realtime/messages.ts";
import { refreshRollups } from "../db/rollups.ts";
import { waitFor } from "../testing/wait.ts";
import { formatMoney } from "../attribution/currency.ts";

Deno.test("Teachable purchases reach the live feed, dashboard, report and CSV; shared payments count once", async () => {
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
    await connectPlatform(app.ctx, siteId, "stripe", stripe.addKey("rk_test_courses1"));
    await stopBackground(app.ctx);
    const url = (await webhookUrl(app.ctx, t)).replace(app.ctx.config.PUBLIC_URL!, app.url);

    await insertSession(sql, siteId, {
      visitorId: "student-9",
      startedAt: daysBefore(new Date(), 0.1),
      source: "Podcast",
      channel: "Referral",
      city: "Lyon",
    });
    await insertIdentify(
      sql,
      siteId,
      "student-9",
      "learner@example.com",
      daysBefore(new Date(), 0.1),
    );
    const live: LivePurchase[] = [];
    await app.ctx.bus.subscribe(liveChannel(siteId), (m) => {
      if ((m as LivePurchase).kind === "purchase") live.push(m as LivePurchase);
    });

    // The school charges through the creator's Stripe: both platforms report the payment.
    const course = teachable.course("Pottery at home");
    const plan = teachable.plan({ courseId: course.id, price: 15900 });
    const buyer = teachable.user("learner@example.com");
    const tx = teachable.transaction({ userId: buyer.id, planId: plan.id });
    assert.equal((await teachable.deliver(url, "Transaction.created", tx)).status, 200);
    const session = stripe.checkoutSession({ amount: 15900, email: "learner@example.com" });
    assert.deepEqual(await stripe.emit("checkout.session.completed", session), [200]);

    const rows = await sql`select provider, product, amount_minor, match_method from purchases
      where site_id = ${siteId}`;
    assert.equal(rows.length, 1, "one purchase for one payment");
    assert.equal(rows[0].provider, "teachable");
    assert.equal(rows[0].product, "Pottery at home");
    assert.equal(rows[0].match_method, "email");

    // Live feed: announced like a Stripe purchase, with the visit's source and city.
    await waitFor(() => live.length > 0);
    assert.equal(live.length, 1);
    assert.equal(live[0].product, "Pottery at home");
    assert.equal(live[0].source, "Podcast");
    assert.equal(live[0].city, "Lyon");

    const get = (path: string) =>
      fetch(`${app.url}${path}`, { headers: { cookie: `sextant_session=${owner.token}` } });
    const money = formatMoney(15900, "USD");

    // Revenue report: credited to the source.
    const report = await (await get(`/sites/${siteId}/revenue`)).text();
    assert.match(report, new RegExp(`data-key="Podcast"[\\s\\S]*?${money.replace("$", "\\$")}`));

    // CSV of purchases: one row, with the platform named.
    const csvRes = await get(`/sites/${siteId}/revenue.csv?what=purchases`);
    assert.equal(csvRes.status, 200);
    const lines = (await csvRes.text()).trim().split("\n");
    assert.equal(lines.length, 2, "a header and one purchase");
    assert.match(lines[1], /Pottery at home/);
    assert.match(lines[1], /159\.00/);
    assert.match(lines[1], /teachable/);

    // Dashboard: the revenue card and the source's revenue.
    await refreshRollups(sql);
    const dash = await (await get(`/api/app/sites/${siteId}/dashboard?period=7d`)).json();
    const card = dash.cards.find((c: { metric: string }) => c.metric === "revenue");
    assert.equal(card?.value, 15900);
    const panel = await (await get(
      `/api/app/sites/${siteId}/breakdown?dimension=source&period=7d&sort=revenue:desc`,
    )).json();
    const podcast = panel.rows.find((r: { value: string }) => r.value === "Podcast");
    assert.equal(podcast?.values.revenue, 15900, JSON.stringify(panel.rows));
  } finally {
    await app.stop();
    await teachable.close();
    await stripe.close();
  }
});
