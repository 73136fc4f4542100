/**
 * Writes a purchase's rows in attribution_credits: for every model, one row per credited session
 * of the journey, shares summing exactly to the purchase's amount in site minor units. An
 * unmatched purchase gets one row per model with touch = -1.
 */
import type { Sql } from "../db/connect.ts";
import { markRollups } from "../db/rollups.ts";
import { creditShares, MODELS } from "./models.ts";
import {
  blankAttributes,
  type JourneyTouch,
  type Purchase,
  SESSION_ATTRIBUTES,
  type SessionAttributes,
} from "./purchases.ts";

/** A matched buyer with no session inside the window is credited to a direct visit. */
export function directTouch(visitorId: string, at: Date): JourneyTouch {
  return {
    ...blankAttributes(),
    channel: "Direct",
    session_id: "",
    started_at: at.toISOString(),
    visitor_id: visitorId,
  };
}

export interface CreditRow extends SessionAttributes {
  site_id: number;
  purchase_id: string;
  purchase_ts: Date;
  model: string;
  touch: number;
  session_id: string | null;
  session_started_at: Date | null;
  visitor_id: string | null;
  amount_site_minor: number;
}

/** How a purchase is attributed: to whom, through which journey, as of when. */
export interface Attribution {
  matched: boolean;
  visitorId: string | null;
  journey: JourneyTouch[];
  /** The time shares are computed at (time decay): the sale's, for its refunds and renewals. */
  anchorTs: Date;
}

const pick = (t: SessionAttributes): SessionAttributes =>
  Object.fromEntries(SESSION_ATTRIBUTES.map((k) => [k, t[k] ?? ""])) as SessionAttributes;

/** The credit rows of `p` under every model. */
export function buildCredits(p: Purchase, a: Attribution): CreditRow[] {
  const rows: CreditRow[] = [];
  const base = { site_id: p.site_id, purchase_id: p.id, purchase_ts: p.ts };
  if (!a.matched) {
    for (const model of MODELS) {
      rows.push({
        ...base,
        ...blankAttributes(),
        country: p.country,
        model,
        touch: -1,
        session_id: null,
        session_started_at: null,
        visitor_id: null,
        amount_site_minor: p.amount_site_minor,
      });
    }
    return rows;
  }
  const touches = a.journey.length > 0 ? a.journey : [directTouch(a.visitorId ?? "", a.anchorTs)];
  const timed = touches.map((t) => ({ startedAt: new Date(t.started_at), channel: t.channel }));
  for (const model of MODELS) {
    for (const share of creditShares(model, timed, a.anchorTs, p.amount_site_minor)) {
      const t = touches[share.touch];
      rows.push({
        ...base,
        ...pick(t),
        model,
        touch: share.touch,
        session_id: t.session_id || null,
        session_started_at: t.session_id ? new Date(t.started_at) : null,
        visitor_id: t.visitor_id || a.visitorId,
        amount_site_minor: share.amount,
      });
    }
  }
  return rows;
}

/** Replaces the purchase's credit rows with those of attribution `a`. */
export async function writeCredits(sql: Sql, p: Purchase, a: Attribution): Promise<void> {
  const rows = buildCredits(p, a);
  await sql`delete from attribution_credits where purchase_id = ${p.id}`;
  for (let i = 0; i < rows.length; i += 500) {
    await sql`insert into attribution_credits ${sql(rows.slice(i, i + 500) as never[])}`;
  }
  await markRollups(sql, "credits", [{ siteId: p.site_id, at: p.ts }]);
}
