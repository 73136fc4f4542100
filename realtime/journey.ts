/** One visitor's journey for the live view: their latest session step by step, and purchases. */
import type { Sql } from "../db/connect.ts";
import {
  latestSessionOf,
  purchasesOfVisitor,
  sessionEvents,
  visitorHistory,
} from "./live_queries.ts";

export interface JourneyStep {
  eventId: string;
  ts: string;
  /** pageview | event | outbound | download | engagement | identify | revenue */
  type: string;
  name: string;
  hostname: string;
  pathname: string;
  title: string;
}

export interface VisitorJourney {
  visitorId: string;
  /** The session shown (the latest), or null for a visitor with no stored events yet. */
  sessionId: string | null;
  firstSeenAt: string | null;
  sessions: number;
  steps: JourneyStep[];
  purchases: Array<
    { id: string; ts: string; kind: string; amountMinor: number; currency: string; product: string }
  >;
}

const MAX_STEPS = 300;

/** The journey of `visitorId` on one site (empty when unknown). */
export async function loadJourney(
  sql: Sql,
  siteId: number,
  visitorId: string,
): Promise<VisitorJourney> {
  const [sessionId, history, purchases] = await Promise.all([
    latestSessionOf(sql, siteId, visitorId),
    visitorHistory(sql, siteId, visitorId),
    purchasesOfVisitor(sql, siteId, visitorId, 10),
  ]);
  const events = sessionId ? await sessionEvents(sql, siteId, visitorId, sessionId, MAX_STEPS) : [];
  return {
    visitorId,
    sessionId,
    firstSeenAt: history.first_seen?.toISOString() ?? null,
    sessions: history.sessions,
    steps: events.map((e) => ({
      eventId: e.event_id,
      ts: e.ts.toISOString(),
      type: e.type,
      name: e.name,
      hostname: e.hostname,
      pathname: e.pathname,
      title: e.title,
    })),
    purchases: purchases.map((p) => ({
      id: p.id,
      ts: p.ts.toISOString(),
      kind: p.kind,
      amountMinor: p.amount_minor,
      currency: p.currency,
      product: p.product,
    })),
  };
}
