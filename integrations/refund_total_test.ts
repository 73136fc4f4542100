import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { createSiteWithOwner } from "../testing/journeys.ts";
import { inDbMode } from "../testing/db.ts";
import { applyChange } from "./apply.ts";
import type { Integration } from "./store.ts";

Deno.test({
  name: "two refund totals of one sale applied at the same instant refund the larger total once",
  // Only a server runs two transactions at once; the embedded database serialises them.
  ...inDbMode("server"),
  async fn() {
    const app = await startTestApp({ dbMode: "server" });
    try {
      const sql = app.ctx.db.sql;
      const owner = await createSiteWithOwner(sql);
      const [integration] = await sql<Integration[]>`
        insert into integrations (site_id, provider, status)
        values (${owner.site.id}, 'lemonsqueezy', 'connected') returning *`;
      const ts = new Date(Date.now() - 3600_000);
      for (let n = 0; n < 8; n++) {
        const saleKey = `order-${n}`;
        await applyChange(app.ctx, integration, {
          type: "purchase",
          purchase: {
            provider: "lemonsqueezy",
            key: saleKey,
            kind: "one_time",
            amountMinor: 5000,
            currency: "USD",
            ts,
          },
        }, "webhook");
        const refund = (totalMinor: number) =>
          applyChange(app.ctx, integration, {
            type: "refund_total",
            refund: { saleKey, totalMinor, currency: "USD", ts },
          }, "webhook");
        // The same order reported by a webhook and a backfill page: 10.00, then 25.00 refunded.
        await Promise.all([refund(1000), refund(2500), refund(2500), refund(1000)]);
      }
      const rows = await sql<{ key: string; refunded: number }[]>`
        select split_part(provider_event_id, ':refunded:', 1) as key,
          -sum(amount_minor)::int as refunded
        from purchases where site_id = ${owner.site.id} and kind = 'refund'
        group by 1 order by 1`;
      assert.equal(rows.length, 8);
      assert.deepEqual(
        rows.map((r) => r.refunded),
        rows.map(() => 2500),
        "each sale is refunded 25.00 in all",
      );
    } finally {
      await app.stop();
    }
  },
});
