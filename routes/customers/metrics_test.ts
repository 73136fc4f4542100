import assert from "node:assert/strict";
import { startTestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";
import { createSiteWithOwner, daysBefore } from "../../testing/journeys.ts";
import { applySubscriptionState } from "../../attribution/subscriptions.ts";
import { recordPurchase } from "../../attribution/record.ts";
import { SESSION_COOKIE } from "../../accounts/sessions.ts";
import { formatMoney } from "../../analytics/format.ts";

Deno.test("customer metrics follow MRR movements and agree with the revenue page", async () => {
  const app = await startTestApp();
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    const state = (
      email: string,
      status: string,
      mrr: number,
      at: Date,
      canceled?: Date,
      started = daysBefore(now, 60),
    ) =>
      applySubscriptionState(app.ctx, {
        siteId,
        provider: "stripe",
        subscriptionId: `sub-${email}`,
        status,
        mrrMinor: mrr,
        currency: "USD",
        email,
        startedAt: started,
        canceledAt: canceled ?? null,
        stateAt: at,
      });
    // Paying at the start: 1000 + 2000 + 3000 + 4000.
    for (const [email, mrr] of [["a", 1000], ["b", 2000], ["c", 3000], ["d", 4000]] as const) {
      await state(`${email}@example.com`, "active", mrr, daysBefore(now, 60));
      await recordPurchase(app.ctx, {
        siteId,
        provider: "stripe",
        key: `start-${email}`,
        ts: daysBefore(now, 60),
        kind: "subscription_start",
        subscriptionId: `sub-${email}@example.com`,
        amountMinor: mrr,
        currency: "USD",
        email: `${email}@example.com`,
        product: mrr > 2000 ? "Pro" : "Basic",
        origin: "webhook",
      });
    }
    // In the last 30 days: b churns, c upgrades to 5000, e starts at 1500.
    await state("b@example.com", "canceled", 2000, daysBefore(now, 10), daysBefore(now, 10));
    await state("c@example.com", "active", 5000, daysBefore(now, 9));
    await state("e@example.com", "active", 1500, daysBefore(now, 8), undefined, daysBefore(now, 8));

    const client = new TestClient(app);
    client.cookies.set(SESSION_COOKIE, owner.token);
    const { res, html } = await client.page(`/sites/${siteId}/customers/metrics`);
    assert.equal(res.status, 200);
    const value = (key: string) => {
      const m = new RegExp(
        `data-metric="${key}"><div class="label">[^<]*</div><div class="value">([^<]*)<`,
      ).exec(html);
      assert.ok(m, key);
      return m[1];
    };
    assert.equal(value("mrr"), formatMoney(1000 + 5000 + 4000 + 1500, "USD"));
    assert.equal(value("paying"), "4");
    assert.equal(value("arpu"), formatMoney(Math.round(11500 / 4), "USD"));
    assert.equal(value("customer-churn"), "25.0%");
    assert.equal(value("revenue-churn"), "20.0%");
    assert.equal(value("new"), formatMoney(1500, "USD"));
    assert.equal(value("expansion"), formatMoney(2000, "USD"));
    assert.equal(value("churned"), formatMoney(-2000, "USD"));
    assert.equal(value("ltv"), formatMoney(10000 / 4, "USD"));
    assert.match(html, /Cancelled<\/a><\/td><td class="num">1</);

    const revenue = await client.page(`/sites/${siteId}/revenue`);
    const mrr = /<div class="label">MRR<\/div><div class="value">([^<]*)</.exec(revenue.html);
    // The revenue page writes cents ("$115.00"), this one drops whole ones: same amount.
    const amount = (t: string) => Number(t.replace(/[^0-9.-]/g, ""));
    assert.equal(amount(mrr?.[1] ?? ""), amount(value("mrr")));
  } finally {
    await app.stop();
  }
});
