import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { createSiteWithOwner, daysBefore, insertSession } from "../testing/journeys.ts";
import { recordPurchase } from "./record.ts";
import { revenueReport } from "./report.ts";
import { csvCell } from "./csv.ts";
import { parsePeriod } from "./period.ts";
import {
  convertMinor,
  decimalToMinor,
  formatMoney,
  minorToDecimal,
  referenceRate,
} from "./currency.ts";

Deno.test("the report drills from sources to campaigns to contents, and exports what it shows", async () => {
  const app = await startTestApp();
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    const buy = async (
      visitor: string,
      amount: number,
      spec: { campaign: string; content: string },
    ) => {
      await insertSession(sql, siteId, {
        visitorId: visitor,
        startedAt: daysBefore(now, 2),
        source: "YouTube",
        ...spec,
      });
      await recordPurchase(app.ctx, {
        siteId,
        provider: "stripe",
        key: `k-${visitor}`,
        ts: daysBefore(now, 1),
        kind: "one_time",
        amountMinor: amount,
        currency: "USD",
        visitorId: visitor,
        origin: "webhook",
      });
    };
    await buy("a", 1000, { campaign: "launch", content: "teaser" });
    await buy("b", 2500, { campaign: "launch", content: "demo" });
    await buy("c", 4000, { campaign: "", content: "" });
    await insertSession(sql, siteId, {
      visitorId: "d",
      startedAt: daysBefore(now, 2),
      source: "YouTube",
      campaign: "launch",
      content: "=HYPERLINK(1)",
    });
    const range = { siteId, model: "last_touch" as const, from: daysBefore(now, 30), to: now };

    const sources = await revenueReport(sql, range);
    assert.deepEqual(sources.rows.map((r) => [r.key, r.visitors, r.revenue, r.customers]), [[
      "YouTube",
      4,
      7500,
      3,
    ]]);
    assert.equal(sources.rows[0].conversion, 75);
    assert.equal(sources.rows[0].aov, 2500);
    const campaigns = await revenueReport(sql, { ...range, source: "YouTube" });
    assert.equal(campaigns.level, "campaign");
    assert.deepEqual(campaigns.rows.map((r) => [r.key, r.visitors, r.revenue]), [["", 1, 4000], [
      "launch",
      3,
      3500,
    ]]);
    const contents = await revenueReport(sql, { ...range, source: "YouTube", campaign: "launch" });
    assert.deepEqual(contents.rows.map((r) => [r.key, r.revenue]), [["demo", 2500], [
      "teaser",
      1000,
    ], ["=HYPERLINK(1)", 0]]);

    const res = await app.fetch(`/sites/${siteId}/revenue.csv?source=YouTube&campaign=launch`, {
      headers: { cookie: owner.cookie },
    });
    assert.match(res.headers.get("content-type") ?? "", /text\/csv/);
    const text = await res.text();
    assert.ok(text.includes("'=HYPERLINK(1)"), "spreadsheet formulas in UTM values are defused");
    assert.ok(text.includes("demo,1,25.00,1,100.00,25.00,25.0000"));

    const page = await app.fetch(`/sites/${siteId}/revenue?source=YouTube`, {
      headers: { cookie: owner.cookie },
    });
    const html = await page.text();
    assert.ok(html.includes("(no campaign)"));
    assert.ok(
      html.includes('href="/sites/' + siteId + '/revenue?source=YouTube&amp;campaign=launch"'),
    );
  } finally {
    await app.stop();
  }
});

Deno.test("money helpers keep every cent", () => {
  assert.equal(convertMinor(1000, "EUR", "USD", "1.085"), 1085);
  assert.equal(convertMinor(-1000, "EUR", "USD", "1.0855"), -1086, "half away from zero");
  assert.equal(convertMinor(1200, "JPY", "USD", "0.0065"), 780);
  assert.equal(convertMinor(1999, "USD", "KWD", "0.306"), 6117);
  assert.equal(minorToDecimal(-5, "USD"), "-0.05");
  assert.equal(minorToDecimal(1200, "JPY"), "1200");
  assert.equal(decimalToMinor("49.995", "USD"), 5000);
  assert.equal(decimalToMinor("1,200", "JPY"), 1200);
  assert.equal(decimalToMinor("abc", "USD"), null);
  assert.equal(formatMoney(-123456, "USD"), "−$1,234.56");
  assert.equal(formatMoney(-0, "USD"), "$0.00");
  assert.equal(referenceRate("USD", "USD"), "1");
  assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
  assert.equal(csvCell("+1 trick"), "'+1 trick");
});

Deno.test("periods are whole local days in the site's time zone", () => {
  const now = new Date("2026-03-10T03:00:00Z"); // still March 9 in New York
  const p = parsePeriod({ period: "7d" }, "America/New_York", now);
  assert.equal(p.toDate, "2026-03-09");
  assert.equal(p.fromDate, "2026-03-03");
  assert.equal(p.from.toISOString(), "2026-03-03T05:00:00.000Z");
  // The period crosses the switch to daylight time on March 8.
  assert.equal(p.to.toISOString(), "2026-03-10T04:00:00.000Z");
  const custom = parsePeriod(
    { period: "custom", from: "2026-01-01", to: "2026-01-31" },
    "UTC",
    now,
  );
  assert.equal(custom.from.toISOString(), "2026-01-01T00:00:00.000Z");
  assert.equal(custom.to.toISOString(), "2026-02-01T00:00:00.000Z");
  assert.equal(parsePeriod({ period: "custom", from: "nope" }, "UTC", now).name, "30d");
});
