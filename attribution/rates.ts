/**
 * The owner's currency rates: units of the site's currency per one unit of another. A currency
 * seen for the first time gets a reference rate (marked as such) until the owner sets their own.
 */
import type { Sql } from "../db/connect.ts";
import { convertMinor, referenceRate } from "./currency.ts";

export interface Rate {
  currency: string;
  rate: string;
  origin: "owner" | "reference";
  updated_at: Date;
}

/** The site's rates, by currency. */
export function listRates(sql: Sql, siteId: number): Promise<Rate[]> {
  return sql<Rate[]>`
    select currency, rate::text as rate, origin, updated_at from currency_rates
    where site_id = ${siteId} order by currency`;
}

/** Currencies the site has purchases in but no rate for. */
export async function currenciesWithoutRate(
  sql: Sql,
  siteId: number,
  siteCurrency: string,
): Promise<string[]> {
  const rows = await sql<{ currency: string }[]>`
    select distinct p.currency from purchases p
    where p.site_id = ${siteId} and p.currency <> ${siteCurrency}
      and not exists (select 1 from currency_rates r
        where r.site_id = p.site_id and r.currency = p.currency)
    order by 1`;
  return rows.map((r) => r.currency);
}

/** Sets (or replaces) a rate the owner chose. */
export async function setRate(
  sql: Sql,
  siteId: number,
  currency: string,
  rate: string,
): Promise<void> {
  await sql`
    insert into currency_rates (site_id, currency, rate, origin, updated_at)
    values (${siteId}, ${currency}, ${rate}, 'owner', now())
    on conflict (site_id, currency) do update
      set rate = excluded.rate, origin = 'owner', updated_at = now()`;
}

/**
 * Converts an amount into the site's currency. Returns `converted: true` when a rate was used;
 * `amount: null` when there is no rate at all (the owner is asked to set one).
 */
export async function toSiteCurrency(
  sql: Sql,
  siteId: number,
  siteCurrency: string,
  amountMinor: number,
  currency: string,
): Promise<{ amount: number | null; converted: boolean }> {
  if (currency === siteCurrency) return { amount: amountMinor, converted: false };
  let [row] = await sql<{ rate: string }[]>`
    select rate::text as rate from currency_rates
    where site_id = ${siteId} and currency = ${currency}`;
  if (!row) {
    const ref = referenceRate(currency, siteCurrency);
    if (!ref) return { amount: null, converted: true };
    await sql`
      insert into currency_rates (site_id, currency, rate, origin)
      values (${siteId}, ${currency}, ${ref}, 'reference')
      on conflict (site_id, currency) do nothing`;
    [row] = await sql<{ rate: string }[]>`
      select rate::text as rate from currency_rates
      where site_id = ${siteId} and currency = ${currency}`;
  }
  return { amount: convertMinor(amountMinor, currency, siteCurrency, row.rate), converted: true };
}
