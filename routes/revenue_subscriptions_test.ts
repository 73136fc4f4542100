/**
 * The revenue page's subscription section, before any subscription arrived, names the connected
 * platforms that report subscriptions (from their descriptions), or none when none is connected.
 */
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { createSiteWithOwner, type SiteOwner } from "../testing/journeys.ts";
import { applyChange } from "../integrations/apply.ts";
import type { Integration } from "../integrations/store.ts";

/** Connects `providers` (rows only) and records one one-time sale through the first. */
async function siteWithSale(app: TestApp, providers: string[]): Promise<SiteOwner> {
  const sql = app.ctx.db.sql;
  const owner = await createSiteWithOwner(sql);
  const integrations: Integration[] = [];
  for (const provider of providers) {
    const [i] = await sql<Integration[]>`insert into integrations (site_id, provider, status)
      values (${owner.site.id}, ${provider}, 'connected') returning *`;
    integrations.push(i);
  }
  await applyChange(app.ctx, integrations[0], {
    type: "purchase",
    purchase: {
      provider: providers[0],
      key: "sale-1",
      kind: "one_time",
      amountMinor: 5000,
      currency: "USD",
      ts: new Date(Date.now() - 3600_000),
    },
  }, "webhook");
  return owner;
}

/** The subscription section's empty-state sentence, whitespace folded. */
async function emptySubscriptionsText(app: TestApp, owner: SiteOwner): Promise<string> {
  const res = await app.fetch(`/sites/${owner.site.id}/revenue`, {
    headers: { cookie: owner.cookie },
  });
  const html = await res.text();
  assert.equal(res.status, 200, html);
  const m = /<p class="muted small">(No subscriptions yet\.[^<]*)<\/p>/.exec(
    html.replace(/<!-- -->/g, ""),
  );
  assert.ok(m, "the subscriptions empty state is shown");
  return m[1].replace(/\s+/g, " ");
}

Deno.test("the empty subscriptions section names the connected platforms that report subscriptions", async () => {
  const app = await startTestApp();
  try {
    const courses = await siteWithSale(app, ["shopify", "kajabi", "teachable"]);
    const text = await emptySubscriptionsText(app, courses);
    assert.match(text, /Subscriptions from Kajabi and Teachable show up here with MRR/);
    assert.doesNotMatch(text, /Stripe|Shopify/, "only what this site connected, and reports them");

    const store = await siteWithSale(app, ["shopify"]);
    const neutral = await emptySubscriptionsText(app, store);
    assert.match(neutral, /Subscriptions from a connected payment or course platform show up/);
    assert.doesNotMatch(neutral, /Stripe|Shopify/);
  } finally {
    await app.stop();
  }
});
