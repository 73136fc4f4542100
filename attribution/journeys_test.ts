/**
 * The attribution contract, end to end: generated visitor journeys (several sessions and sources
 * per visitor, customers on two devices, identify() on some, checkouts with and without visitor
 * ids, gifts, refunds, renewals) are recorded through the one entry point; an independent
 * calculation here gives the credit every source should get under every model, and the revenue
 * report (its CSV export, over HTTP) must match it to the cent. The unmatched row must hold
 * exactly the purchases that had no evidence.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { createSiteWithOwner, insertIdentify, insertSession } from "../testing/journeys.ts";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { recordPurchase } from "./record.ts";
import { revenueReport } from "./report.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const SOURCES = ["YouTube", "Instagram", "Google", "Newsletter", "Reddit", "Podcast"];
const MODELS = ["first_touch", "last_touch", "linear", "time_decay", "position_based"] as const;
type ModelName = typeof MODELS[number];

/** A small seeded generator, so a failure can be reproduced. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Visit {
  visitor: string;
  at: number;
  source: string;
  channel: string;
}

interface Sale {
  key: string;
  at: number;
  amount: number;
  /** The visitors whose visits form the journey; empty: unmatched. */
  journeyVisitors: string[];
  kind: "one_time" | "subscription_start";
}

// ---- The independent calculation (written from the documented rules, not from the code) ----

function journeyOf(visits: Visit[], visitors: string[], at: number): Visit[] {
  return visits
    .filter((v) => visitors.includes(v.visitor) && v.at > at - 30 * DAY && v.at <= at)
    .sort((a, b) => a.at - b.at);
}

function weightsFor(model: ModelName, touches: { at: number; channel: string }[], at: number) {
  const n = touches.length;
  if (model === "first_touch") return touches.map((_, i) => (i === 0 ? 1 : 0));
  if (model === "last_touch") {
    const nonDirect = touches.map((t, i) => (t.channel === "Direct" ? -1 : i)).filter((i) =>
      i >= 0
    );
    const k = nonDirect.length ? nonDirect[nonDirect.length - 1] : n - 1;
    return touches.map((_, i) => (i === k ? 1 : 0));
  }
  if (model === "linear") return touches.map(() => 1);
  if (model === "time_decay") {
    return touches.map((t) =>
      Math.max(1, Math.round(1e6 * Math.pow(0.5, (at - t.at) / (7 * DAY))))
    );
  }
  if (n === 1) return [1];
  if (n === 2) return [1, 1];
  // 40% : 20% / (n - 2) each : 40%, scaled by 10(n - 2) to whole numbers.
  return touches.map((_, i) => (i === 0 || i === n - 1 ? 4 * (n - 2) : 2));
}

/** Largest remainder: floors, then leftover cents to the biggest remainders, later touch first. */
function split(amount: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  const abs = Math.abs(amount);
  const exact = weights.map((w) => (abs * w) / total);
  const parts = exact.map(Math.floor);
  let left = abs - parts.reduce((a, b) => a + b, 0);
  const order = weights.map((w, i) => ({ i, r: (abs * w) % total, w }))
    .filter((o) => o.w > 0)
    .sort((a, b) => b.r - a.r || b.i - a.i);
  for (const o of order) {
    if (left-- <= 0) break;
    parts[o.i]++;
  }
  return parts.map((p) => (amount < 0 ? -p : p));
}

function expectedCredits(
  visits: Visit[],
  sale: Sale,
  amount: number,
  model: ModelName,
): Map<string, number> {
  const out = new Map<string, number>();
  if (sale.journeyVisitors.length === 0) {
    out.set("(unmatched)", amount);
    return out;
  }
  let touches = journeyOf(visits, sale.journeyVisitors, sale.at).map((v) => ({
    at: v.at,
    channel: v.channel,
    source: v.source,
  }));
  if (touches.length === 0) touches = [{ at: sale.at, channel: "Direct", source: "" }];
  const parts = split(amount, weightsFor(model, touches, sale.at));
  touches.forEach((t, i) => {
    const w = weightsFor(model, touches, sale.at)[i];
    if (w > 0) out.set(t.source, (out.get(t.source) ?? 0) + parts[i]);
  });
  return out;
}

// ---- The test ----

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `the report credits every source to the cent under every model (${mode})`,
    inDbMode(mode),
    async () => {
      const app = await startTestApp({ dbMode: mode });
      try {
        const sql = app.ctx.db.sql;
        const owner = await createSiteWithOwner(sql);
        const siteId = owner.site.id;
        const random = rng(20261122);
        const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
        // Visits start on whole hours and purchases happen at :40, so no purchase has a visitor
        // active around its time: only real evidence (visitor id, email) can match it.
        const base = Math.floor(Date.now() / HOUR) * HOUR - 100 * DAY;
        const usedHours = new Set<number>();
        const hourAt = (dayFrom: number, dayTo: number) => {
          for (;;) {
            const h = Math.floor((dayFrom + random() * (dayTo - dayFrom)) * 24);
            if (!usedHours.has(h)) {
              usedHours.add(h);
              return base + h * HOUR;
            }
          }
        };

        const visits: Visit[] = [];
        const addVisits = async (visitor: string, n: number, before: number) => {
          for (let i = 0; i < n; i++) {
            const direct = random() < 0.25;
            const v: Visit = {
              visitor,
              at: hourAt(Math.max(0, before - 45), before - 0.1),
              source: direct ? "" : pick(SOURCES),
              channel: direct ? "Direct" : "Referral",
            };
            visits.push(v);
            await insertSession(sql, siteId, {
              visitorId: v.visitor,
              startedAt: new Date(v.at),
              source: v.source,
              channel: v.channel,
            });
          }
        };

        type Kind = "tagged" | "tagged2" | "identified" | "anonymous";
        const sales: Sale[] = [];
        const unmatchedKeys = new Set<string>();
        const recorded: { sale: Sale; amount: number; key: string }[] = [];
        const kinds: Kind[] = ["tagged", "tagged2", "identified", "anonymous"];
        const identifiedEmails: string[] = [];
        let serial = 0;

        for (let c = 0; c < 36; c++) {
          const kind = kinds[c % kinds.length];
          const email = `customer${c}@example.com`;
          const phone = `c${c}-phone`;
          const laptop = `c${c}-laptop`;
          const buyDay = 50 + random() * 45;
          if (kind !== "anonymous") {
            await addVisits(phone, 1 + Math.floor(random() * 4), buyDay);
            await addVisits(laptop, Math.floor(random() * 3), buyDay);
          }
          // tagged: the checkout carries the phone's id; the laptop is never linked to it.
          // tagged2: the same, and identify() on both devices merges them.
          // identified: no visitor id at checkout; identify() on both devices.
          // anonymous: nothing links the purchase to anyone.
          if (kind === "tagged2" || kind === "identified") {
            await insertIdentify(sql, siteId, phone, email, new Date(base + (buyDay - 1) * DAY));
            await insertIdentify(sql, siteId, laptop, email, new Date(base + (buyDay - 1) * DAY));
            identifiedEmails.push(email);
          }
          const journeyVisitors = kind === "tagged"
            ? [phone]
            : kind === "anonymous"
            ? []
            : [phone, laptop];
          const subscription = random() < 0.35;
          const at = hourAt(buyDay, buyDay + 0.9) + 40 * 60_000;
          const amount = 500 + Math.floor(random() * 20_000);
          const sale: Sale = {
            key: `sale-${serial++}`,
            at,
            amount,
            journeyVisitors,
            kind: subscription ? "subscription_start" : "one_time",
          };
          sales.push(sale);
          if (kind === "anonymous") unmatchedKeys.add(sale.key);
          // A gift from a tagged customer to someone identified keeps to the purchaser's journey.
          const gift = kind === "tagged" && identifiedEmails.length > 0 && random() < 0.5
            ? pick(identifiedEmails)
            : undefined;
          await recordPurchase(app.ctx, {
            siteId,
            provider: "stripe",
            key: sale.key,
            ts: new Date(at),
            kind: sale.kind,
            amountMinor: amount,
            currency: "USD",
            email: kind === "anonymous" ? `stranger${c}@example.com` : email,
            visitorId: kind === "tagged" || kind === "tagged2" ? phone : undefined,
            giftRecipientEmail: gift,
            subscriptionId: subscription ? `sub-${c}` : undefined,
            paymentRef: `pay-${sale.key}`,
            origin: "webhook",
          });
          recorded.push({ sale, amount, key: sale.key });
          if (subscription) {
            for (let m = 1; m <= 2 && at + m * 30 * DAY < Date.now(); m++) {
              const key = `renewal-${serial++}`;
              await recordPurchase(app.ctx, {
                siteId,
                provider: "stripe",
                key,
                ts: new Date(at + m * 30 * DAY),
                kind: "renewal",
                amountMinor: amount,
                currency: "USD",
                email,
                subscriptionId: `sub-${c}`,
                origin: "webhook",
              });
              recorded.push({ sale, amount, key });
              if (kind === "anonymous") unmatchedKeys.add(key);
            }
          }
          if (random() < 0.3) {
            const refund = random() < 0.5 ? amount : Math.floor(amount * random());
            const key = `refund-${serial++}`;
            await recordPurchase(app.ctx, {
              siteId,
              provider: "stripe",
              key,
              ts: new Date(at + 2 * DAY),
              kind: "refund",
              amountMinor: refund,
              currency: "USD",
              refundOf: { paymentRef: `pay-${sale.key}` },
              paymentRef: `pay-${sale.key}`,
              origin: "webhook",
            });
            recorded.push({ sale, amount: -refund, key });
            if (kind === "anonymous") unmatchedKeys.add(key);
          }
        }
        assert.ok(unmatchedKeys.size > 5 && recorded.length > 45, "a meaningful mix was generated");

        const grandTotal = recorded.reduce((a, r) => a + r.amount, 0);
        for (const model of MODELS) {
          const expected = new Map<string, number>();
          for (const r of recorded) {
            for (const [source, cents] of expectedCredits(visits, r.sale, r.amount, model)) {
              expected.set(source, (expected.get(source) ?? 0) + cents);
            }
          }
          // The report as the owner downloads it.
          const res = await app.fetch(`/sites/${siteId}/revenue.csv?period=all&model=${model}`, {
            headers: { cookie: owner.cookie },
          });
          assert.equal(res.status, 200);
          const lines = (await res.text()).replace(/^\uFEFF/, "").trim().split("\r\n").slice(1);
          const got = new Map<string, number>();
          for (const line of lines) {
            const [label, , revenue] = line.split(",");
            if (label === "Total") {
              assert.equal(Math.round(Number(revenue) * 100), grandTotal, `${model} total`);
              continue;
            }
            const key = label === "Unmatched revenue"
              ? "(unmatched)"
              : label === "Direct / none"
              ? ""
              : label;
            got.set(key, Math.round(Number(revenue) * 100));
          }
          for (const [source, cents] of expected) {
            assert.equal(got.get(source) ?? 0, cents, `${model}: ${source || "direct"}`);
          }
          for (const [source, cents] of got) {
            if (!expected.has(source)) assert.equal(cents, 0, `${model}: unexpected ${source}`);
          }
        }

        // The unmatched row is exactly the purchases without evidence, and the totals reconcile.
        const report = await revenueReport(sql, {
          siteId,
          model: "linear",
          from: new Date(0),
          to: new Date(Date.now() + DAY),
        });
        const unmatchedRows = await sql<{ provider_event_id: string }[]>`
        select p.provider_event_id from attribution_credits c
        join purchases p on p.id = c.purchase_id
        where c.site_id = ${siteId} and c.model = 'linear' and c.touch = -1`;
        assert.deepEqual(
          new Set(unmatchedRows.map((r) => r.provider_event_id)),
          unmatchedKeys,
        );
        const unmatchedCents = recorded.filter((r) => unmatchedKeys.has(r.key))
          .reduce((a, r) => a + r.amount, 0);
        assert.equal(report.unmatched.revenue, unmatchedCents);
        assert.equal(report.totals.revenue, grandTotal);
        assert.equal(report.totals.purchasesTable, grandTotal);

        // Visitors per source: distinct visitors with a visit from it.
        for (const row of report.rows) {
          const want = new Set(
            visits.filter((v) => v.source === row.key).map((v) => v.visitor),
          ).size;
          assert.equal(row.visitors, want, `visitors from ${row.key || "direct"}`);
        }

        // Gift recipients were never linked to the purchaser's devices.
        const [leak] = await sql`
        select count(*)::int as n from identities i
        join purchases p on p.site_id = i.site_id and p.gift_recipient_email = i.email
        where i.site_id = ${siteId} and i.visitor_id = p.checkout_visitor_id`;
        assert.equal(leak.n, 0);
      } finally {
        await app.stop();
      }
    },
  );
}
