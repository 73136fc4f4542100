/**
 * Subscription state and MRR movements. Each platform update is compared with the state stored
 * for the subscription; the difference in monthly recurring revenue becomes a movement (new,
 * expansion, contraction, churn, reactivation). Replays and older updates change nothing.
 */
import { isPastDue, recordPaymentFailure } from "./payment_failures.ts";
import type { Sql } from "../db/connect.ts";
import { loadSiteMoney } from "./attribute.ts";
import { toSiteCurrency } from "./rates.ts";
import type { RevenueDeps } from "./record.ts";

/** Statuses in which a subscription counts toward MRR. */
export const MRR_STATUSES = new Set(["active", "past_due"]);

export interface SubscriptionState {
  siteId: number;
  provider: string;
  subscriptionId: string;
  status: string;
  /** Monthly amount in minor units of `currency` (yearly plans divided by 12, and so on). */
  mrrMinor: number;
  currency: string;
  email?: string;
  startedAt: Date;
  canceledAt: Date | null;
  /** When the platform produced this state; older states than the stored one are ignored. */
  stateAt: Date;
}

export type MovementKind = "new" | "expansion" | "contraction" | "churn" | "reactivation";

interface Stored {
  status: string;
  mrr_site_minor: number;
  state_at: Date;
  customer_key: string;
}

/** Applies a subscription's state; returns the movements it caused. */
export async function applySubscriptionState(
  deps: RevenueDeps,
  s: SubscriptionState,
  opts: {
    /**
     * The platform reports each failed payment itself (Stripe's invoice.payment_failed): falling
     * past due is then not a failure of its own, or one failure would be stored twice.
     */
    failuresReported?: boolean;
  } = {},
): Promise<{ kind: MovementKind; delta: number }[]> {
  return await deps.db.sql.begin(async (txRaw) => {
    const tx = txRaw as unknown as Sql;
    const lockKey = `sub|${s.siteId}|${s.provider}|${s.subscriptionId}`;
    await tx`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`;
    const site = await loadSiteMoney(tx, s.siteId);
    const [stored] = await tx<Stored[]>`
      select status, mrr_site_minor, state_at, customer_key from subscriptions
      where site_id = ${s.siteId} and provider = ${s.provider}
        and subscription_id = ${s.subscriptionId}`;
    if (stored && stored.state_at > s.stateAt) return [];
    const currency = s.currency.toUpperCase();
    const plan = (await toSiteCurrency(tx, site.id, site.currency, s.mrrMinor, currency)).amount ??
      0;
    const active = MRR_STATUSES.has(s.status);
    const now = active ? plan : 0;
    const before = stored?.mrr_site_minor ?? 0;
    const customerKey = stored?.customer_key || await customerOf(tx, s) || "";

    const movements: { kind: MovementKind; delta: number; ts: Date }[] = [];
    if (!stored && !active && s.canceledAt && plan > 0) {
      // First seen already cancelled (a backfill): its whole history is one start and one churn.
      movements.push({ kind: "new", delta: plan, ts: s.startedAt });
      movements.push({ kind: "churn", delta: -plan, ts: s.canceledAt });
    } else if (now !== before) {
      const delta = now - before;
      let kind: MovementKind;
      if (before === 0) kind = stored && await hadMrr(tx, s) ? "reactivation" : "new";
      else if (now === 0) kind = "churn";
      else kind = delta > 0 ? "expansion" : "contraction";
      const ts = kind === "new" && !stored
        ? s.startedAt
        : kind === "churn" && s.canceledAt
        ? s.canceledAt
        : s.stateAt;
      movements.push({ kind, delta, ts });
    }
    for (const m of movements) {
      await tx`
        insert into mrr_movements (site_id, provider, subscription_id, ts, kind, delta_site_minor,
          customer_key)
        values (${s.siteId}, ${s.provider}, ${s.subscriptionId}, ${m.ts}, ${m.kind}, ${m.delta},
          ${customerKey})`;
    }
    await tx`
      insert into subscriptions (site_id, provider, subscription_id, customer_key, customer_email,
        status, mrr_minor, currency, mrr_site_minor, started_at, canceled_at, state_at, updated_at)
      values (${s.siteId}, ${s.provider}, ${s.subscriptionId}, ${customerKey},
        ${(s.email ?? "").toLowerCase()}, ${s.status}, ${s.mrrMinor}, ${currency}, ${now},
        ${s.startedAt}, ${s.canceledAt}, ${s.stateAt}, now())
      on conflict (site_id, provider, subscription_id) do update set
        customer_key = excluded.customer_key,
        customer_email = coalesce(nullif(excluded.customer_email, ''), subscriptions.customer_email),
        status = excluded.status, mrr_minor = excluded.mrr_minor, currency = excluded.currency,
        mrr_site_minor = excluded.mrr_site_minor, canceled_at = excluded.canceled_at,
        state_at = excluded.state_at, updated_at = now()`;
    if (!opts.failuresReported && isPastDue(s.status) && !isPastDue(stored?.status)) {
      await recordPaymentFailure(tx, {
        siteId: s.siteId,
        provider: s.provider,
        key: `state:${s.subscriptionId}:${s.stateAt.getTime()}`,
        ts: s.stateAt,
        subscriptionId: s.subscriptionId,
        email: s.email,
        amountMinor: s.mrrMinor,
        currency,
      });
    }
    return movements.map(({ kind, delta }) => ({ kind, delta }));
  });
}

async function hadMrr(sql: Sql, s: SubscriptionState): Promise<boolean> {
  const [row] = await sql`
    select 1 from mrr_movements where site_id = ${s.siteId} and provider = ${s.provider}
      and subscription_id = ${s.subscriptionId} limit 1`;
  return Boolean(row);
}

/** The customer a subscription belongs to: its purchases say, else its email. */
async function customerOf(sql: Sql, s: SubscriptionState): Promise<string> {
  const [row] = await sql<{ customer_key: string }[]>`
    select customer_key from purchases
    where site_id = ${s.siteId} and provider = ${s.provider} and subscription_id = ${s.subscriptionId}
      and customer_key <> ''
    order by ts limit 1`;
  return row?.customer_key ?? (s.email ?? "").toLowerCase();
}
