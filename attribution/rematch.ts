/**
 * Re-attribution when evidence changes: a pending purchase's email is identified later (the
 * script was installed after the purchase), a checkout's visitor shows up, a customer signs in on
 * another device, or the owner edits a currency rate.
 */
import type { Sql } from "../db/connect.ts";
import { attribute, loadSiteMoney } from "./attribute.ts";
import { findPurchase, type Purchase, updateEvidence } from "./purchases.ts";
import { toSiteCurrency } from "./rates.ts";
import { scaleMinor } from "./currency.ts";
import type { RevenueDeps } from "./record.ts";

/**
 * Purchases whose evidence may have changed since they were last matched: pending ones whose email
 * or visitor has shown up, matched ones whose customer identified on another device lately, and
 * recent ones whose visits were still being written when they were matched.
 */
async function candidates(
  sql: Sql,
  siteId: number | null,
  limit: number,
): Promise<{ site_id: number; id: string }[]> {
  return await sql<{ site_id: number; id: string }[]>`
    with pending as (
      select p.site_id, p.id, p.ts from purchases p
      where p.match_method in ('none', 'fingerprint') and p.ts > now() - interval '90 days'
        and p.parent_purchase_id is null
        and (${siteId}::bigint is null or p.site_id = ${siteId})
        and (
          (p.customer_email <> '' and exists (select 1 from identities i
            where i.site_id = p.site_id and i.email = p.customer_email))
          or (p.checkout_visitor_id is not null and exists (select 1 from sessions s
            where s.site_id = p.site_id and s.visitor_id = p.checkout_visitor_id))
          or (p.match_method = 'none' and p.ts > now() - interval '1 hour'))
    ),
    devices as (
      select p.site_id, p.id, p.ts from identities i
      join purchases p on p.site_id = i.site_id and p.customer_email = i.email
      where i.last_seen_at > now() - interval '15 minutes' and i.email is not null
        and (${siteId}::bigint is null or i.site_id = ${siteId})
        and p.match_method <> 'none' and p.parent_purchase_id is null
        and p.ts > now() - interval '90 days'
        and greatest(i.first_seen_at, i.last_seen_at) > p.matched_at
    ),
    late as (
      select p.site_id, p.id, p.ts from purchases p
      where p.ts > now() - interval '1 day' and p.match_method <> 'none'
        and p.journey = '[]'::jsonb and p.parent_purchase_id is null
        and (${siteId}::bigint is null or p.site_id = ${siteId})
        and exists (select 1 from sessions s
          where s.site_id = p.site_id and s.visitor_id = p.visitor_id and s.started_at <= p.ts)
    )
    select site_id, id from (
      select * from pending union select * from devices union select * from late
    ) c
    order by ts desc
    limit ${limit}`;
}

const sameMatch = (a: Purchase, b: Purchase) =>
  a.visitor_id === b.visitor_id && a.match_method === b.match_method &&
  JSON.stringify(a.journey) === JSON.stringify(b.journey);

/** Re-attributes purchases with new evidence; returns how many changed. */
export async function rematchPending(
  deps: RevenueDeps,
  opts: { siteId?: number; limit?: number } = {},
): Promise<number> {
  const found = await candidates(deps.db.sql, opts.siteId ?? null, opts.limit ?? 500);
  let changed = 0;
  for (const c of found) {
    const moved = await deps.db.sql.begin(async (txRaw) => {
      const tx = txRaw as unknown as Sql;
      const before = await findPurchase(tx, c.site_id, c.id);
      if (!before) return false;
      const lockKey = `${before.site_id}|${before.provider}|${before.provider_event_id}`;
      await tx`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`;
      const site = await loadSiteMoney(tx, c.site_id);
      const after = await attribute(tx, site, before);
      return !sameMatch(before, after);
    });
    if (moved) changed++;
  }
  return changed;
}

/**
 * Converts every purchase in `currency` again with the site's current rate and re-credits them;
 * refunds keep their sale's proportion. Returns how many purchases were revalued.
 */
export async function revalueCurrency(
  deps: RevenueDeps,
  siteId: number,
  currency: string,
): Promise<number> {
  return await deps.db.sql.begin(async (txRaw) => {
    const tx = txRaw as unknown as Sql;
    await tx`select pg_advisory_xact_lock(hashtextextended(${`revalue|${siteId}`}, 0))`;
    const site = await loadSiteMoney(tx, siteId);
    const rows = await tx<{ id: string }[]>`
      select id from purchases where site_id = ${siteId} and currency = ${currency}
      order by (kind = 'refund'), ts`;
    for (const { id } of rows) {
      const p = await findPurchase(tx, siteId, id);
      if (!p) continue;
      const parent = p.kind === "refund" && p.parent_purchase_id
        ? await findPurchase(tx, siteId, p.parent_purchase_id)
        : null;
      let amount: number;
      let converted: boolean;
      if (parent && parent.currency === p.currency && parent.amount_minor !== 0) {
        amount = scaleMinor(parent.amount_site_minor, p.amount_minor, parent.amount_minor);
        converted = parent.converted;
      } else {
        const c = await toSiteCurrency(tx, siteId, site.currency, p.amount_minor, p.currency);
        amount = c.amount ?? 0;
        converted = c.converted;
      }
      if (amount === p.amount_site_minor) continue;
      const updated = await updateEvidence(tx, p, { amountSiteMinor: amount, converted });
      await attribute(tx, site, updated);
    }
    return rows.length;
  });
}

/**
 * Attributes every purchase of a site again (after its attribution window changed, say);
 * refunds and renewals follow their sales. Returns how many purchases were attributed.
 */
export async function reattributeSite(deps: RevenueDeps, siteId: number): Promise<number> {
  const rows = await deps.db.sql<{ id: string }[]>`
    select id from purchases where site_id = ${siteId} and parent_purchase_id is null
    order by ts`;
  for (const { id } of rows) {
    await deps.db.sql.begin(async (txRaw) => {
      const tx = txRaw as unknown as Sql;
      const p = await findPurchase(tx, siteId, id);
      if (p) await attribute(tx, await loadSiteMoney(tx, siteId), p);
    });
  }
  return rows.length;
}
