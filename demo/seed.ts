/**
 * Seeds the demo: an account, a course creator's site and 60 days of realistic history —
 * visits from a dozen sources and campaigns, countries with coordinates, devices, goals,
 * identified visitors, purchases (some matched by checkout, some by email, some not at all),
 * refunds, and memberships that renew and sometimes churn. Events go through ingest's writer
 * and purchases through attribution's recordPurchase, exactly like real data.
 */
import { gatherStatistics } from "../db/statistics.ts";
import type { AppContext } from "../http/context.ts";
import { createSite, type Site } from "../accounts/sites.ts";
import { createDemoAccount, DEMO_EMAIL } from "./credentials.ts";
import { type QueuedEvent, writeBatches } from "../ingest/mod.ts";
import { type PurchaseInput, recordPurchase } from "../attribution/record.ts";
import { applySubscriptionState } from "../attribution/subscriptions.ts";
import { refreshRollups } from "../db/rollups.ts";
import { DEMO_DOMAIN, type Rng, rng } from "./catalog.ts";
import { hourFor, typicalVisitors } from "./rhythm.ts";
import {
  newVisitor,
  type PlannedPurchase,
  planVisit,
  visitEvents,
  type Visitor,
} from "./visits.ts";

export { DEMO_EMAIL } from "./credentials.ts";
const DAY = 86_400_000;

export interface DemoAccount {
  email: string;
  password: string;
  site: Site;
  events: number;
  purchases: number;
}

/** Visitors on day `d` of the history (0 = oldest): growth, weekends and a launch spike. */
function visitorsOn(r: Rng, d: number, date: Date): number {
  const launch = d >= 38 && d <= 41 ? 2.1 - (d - 38) * 0.3 : 1;
  return Math.round(typicalVisitors(d, date) * launch * (0.85 + r.next() * 0.3));
}

/** A moment within the UTC day starting at `dayStart`, busier in the hours the site is busy. */
function momentIn(r: Rng, dayStart: number): number {
  const hour = hourFor(r.next());
  return dayStart + hour * 3_600_000 + r.int(0, 3_599_999);
}

/** Creates the demo account and site and fills 60 days of history ending at `now`. */
export async function seedDemo(ctx: AppContext, now = Date.now()): Promise<DemoAccount> {
  const sql = ctx.db.sql;
  const r = rng(20261122);
  const { org, password } = await createDemoAccount(ctx);
  await sql`update orgs set name = 'Northstar Courses' where id = ${org.id}`;
  const site = await createSite(sql, {
    orgId: org.id,
    domain: DEMO_DOMAIN,
    name: "Northstar Courses",
    timezone: "America/New_York",
    currency: "USD",
  });
  await sql`insert into sextant_meta (key, value) values ('demo_site_id', ${String(site.id)})
    on conflict (key) do update set value = excluded.value`;

  const today = Math.floor(now / DAY) * DAY;
  const first = today - 59 * DAY;
  const returning: Array<{ visitor: Visitor; at: number }> = [];
  const purchases: Array<PlannedPurchase & { visitorId: string }> = [];
  let pending: QueuedEvent[] = [];
  let events = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    events += pending.length;
    await writeBatches(sql, [{ events: pending }]);
    pending = [];
  };

  for (let d = 0; d < 60; d++) {
    const dayStart = first + d * DAY;
    const planned: Array<{ visitor: Visitor; at: number; back: boolean }> = [];
    for (let i = 0; i < visitorsOn(r, d, new Date(dayStart)); i++) {
      planned.push({ visitor: newVisitor(r), at: momentIn(r, dayStart), back: false });
    }
    for (let i = returning.length - 1; i >= 0; i--) {
      if (returning[i].at < dayStart + DAY) {
        planned.push({ ...returning[i], back: true });
        returning.splice(i, 1);
      }
    }
    for (const p of planned) {
      if (p.at > now - 60_000) continue;
      const visit = planVisit(r, p.visitor, p.at, p.back);
      // A visit still under way at `now` has only its past events so far.
      const rows = visitEvents(r, site, visit, r.uuid());
      pending.push(...rows.filter((e) => Date.parse(e.ts) <= now));
      if (visit.purchase && visit.purchase.at < now) {
        purchases.push({ ...visit.purchase, visitorId: p.visitor.id });
      }
      if (r.chance(p.back ? 0.15 : 0.28)) {
        returning.push({ visitor: p.visitor, at: p.at + r.int(1, 12) * DAY + r.int(0, DAY / 2) });
      }
    }
    if (pending.length > 4000) await flush();
  }
  await flush();

  let stored = 0;
  for (const p of purchases.sort((a, b) => a.at - b.at)) {
    stored += await recordDemoPurchase(ctx, r, site, p, now);
  }
  await sql`update sites set first_event_at = ${new Date(first)} where id = ${site.id}`;
  await refreshRollups(sql);
  // A bulk load leaves the planner without statistics until the next gathering; gather now so
  // the demo's first pages are as fast as its later ones.
  await gatherStatistics(sql);
  return { email: DEMO_EMAIL, password, site, events, purchases: stored };
}

/** Records a purchase and what followed it: a refund, or a membership's renewals and churn. */
async function recordDemoPurchase(
  ctx: AppContext,
  r: Rng,
  site: Site,
  p: PlannedPurchase & { visitorId: string },
  now: number,
): Promise<number> {
  const key = `demo_${r.id(14)}`;
  const sub = p.product.subscription ? `sub_demo_${r.id(10)}` : undefined;
  const base: PurchaseInput = {
    siteId: site.id,
    provider: "demo",
    key,
    ts: new Date(p.at),
    kind: sub ? "subscription_start" : "one_time",
    amountMinor: p.product.amountMinor,
    currency: p.product.currency,
    orderId: `ord_${r.id(8)}`,
    email: p.evidence === "none" ? undefined : p.email,
    product: p.product.name,
    visitorId: p.evidence === "visitor" ? p.visitorId : undefined,
    subscriptionId: sub,
    origin: "backfill",
  };
  await recordPurchase(ctx, base);
  let count = 1;
  if (!sub) {
    if (r.chance(0.05)) {
      const at = p.at + r.int(1, 9) * DAY;
      if (at < now) {
        await recordPurchase(ctx, {
          ...base,
          key: `${key}_refund`,
          ts: new Date(at),
          kind: "refund",
          refundOf: { key },
        });
        count++;
      }
    }
    return count;
  }
  const churnAfter = r.chance(0.2) ? r.int(1, 2) : Infinity;
  let canceledAt: Date | null = null;
  for (let n = 1; p.at + n * 30 * DAY < now; n++) {
    if (n > churnAfter) {
      canceledAt = new Date(p.at + (n - 1) * 30 * DAY + r.int(1, 20) * DAY);
      break;
    }
    await recordPurchase(ctx, {
      ...base,
      key: `${key}_renewal_${n}`,
      ts: new Date(p.at + n * 30 * DAY),
      kind: "renewal",
    });
    count++;
  }
  const ended = canceledAt && canceledAt.getTime() < now ? canceledAt : null;
  await applySubscriptionState(ctx, {
    siteId: site.id,
    provider: "demo",
    subscriptionId: sub,
    status: ended ? "canceled" : "active",
    mrrMinor: p.product.amountMinor,
    currency: p.product.currency,
    email: p.email,
    startedAt: new Date(p.at),
    canceledAt: ended,
    stateAt: ended ?? new Date(p.at),
  });
  return count;
}
