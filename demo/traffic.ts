/**
 * A gentle stream of simulated visitors and purchases for the demo site, sent through the real
 * collect pipeline and the real purchase recorder, so the dashboard, the live globe and the
 * purchase feed move the way they do for a real site.
 */
import type { AppContext } from "../http/context.ts";
import type { Site } from "../accounts/sites.ts";
import { ingestorFor } from "../ingest/mod.ts";
import { recordPurchase } from "../attribution/record.ts";
import { DEMO_DOMAIN, rng } from "./catalog.ts";
import { nextVisitGapMs } from "./rhythm.ts";
import { newVisitor, planVisit, trackerBody, type Visitor } from "./visits.ts";

export interface DemoTraffic {
  stop(): void;
}

/**
 * Starts visits at the rate the seeded history has for the hour, so the live view shows what a
 * site of this size would (`pace` scales the gaps; tests use a small one).
 */
export function startDemoTraffic(ctx: AppContext, site: Site, pace = 1): DemoTraffic {
  const r = rng(Date.now() & 0xffffffff);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const regulars: Visitor[] = [];
  let stopped = false;
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stopped) fn();
    }, ms);
    timers.add(t);
  };
  const ingestor = ingestorFor(ctx);
  const log = ctx.log.child({ service: "demo-traffic" });

  const visit = () => {
    const back = regulars.length > 0 && r.chance(0.2);
    const visitor = back ? regulars.splice(r.int(0, regulars.length - 1), 1)[0] : newVisitor(r);
    const start = Date.now();
    const plan = planVisit(r, visitor, start, back);
    // Real visits last minutes; the demo plays them at four times the speed.
    plan.hits.forEach((hit, i) => {
      later((hit.at - start) / 4, () => {
        ingestor.accept({
          via: "tracker",
          body: trackerBody(site, plan, hit, i === 0),
          ip: visitor.ip,
          userAgent: visitor.ua,
          origin: `https://${DEMO_DOMAIN}`,
          now: Date.now(),
        }).catch((error) => log.debug("demo visit not accepted", { error }));
      });
    });
    const p = plan.purchase;
    if (p) {
      later((p.at - start) / 4, () => {
        recordPurchase(ctx, {
          siteId: site.id,
          provider: "demo",
          key: `demo_live_${r.id(14)}`,
          ts: new Date(),
          kind: p.product.subscription ? "subscription_start" : "one_time",
          amountMinor: p.product.amountMinor,
          currency: p.product.currency,
          email: p.evidence === "none" ? undefined : p.email,
          product: p.product.name,
          visitorId: p.evidence === "visitor" ? visitor.id : undefined,
          subscriptionId: p.product.subscription ? `sub_demo_${r.id(10)}` : undefined,
          origin: "webhook",
        }).catch((error) => log.warn("demo purchase not recorded", { error }));
      });
    }
    if (regulars.length < 50 && r.chance(0.3)) regulars.push(visitor);
    later(nextVisitGapMs(Date.now(), r.next()) * pace, visit);
  };
  later(500 * pace, visit);

  return {
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
