/**
 * Who gets which digest and when: subscriptions per member and site, the local hour they are
 * sent at, "send me this now", and unsubscribe links that work without signing in (an HMAC of
 * the subscription under the app's secret, so nothing needs storing).
 */
import type { AppContext } from "../http/context.ts";
import type { Sql } from "../db/connect.ts";
import {
  listUnsubscribeHeaders,
  unsubscribeTokenFor,
  validUnsubscribeToken,
} from "../mail/unsubscribe.ts";
import { sendMail } from "../mail/mailer.ts";
import { type Site, SITE_COLUMNS } from "../accounts/sites.ts";
import { computeDigest, digestEmail, digestPeriod, type Frequency } from "./digest.ts";

/** A stored subscription. */
export interface DigestSubscription {
  id: number;
  site_id: number;
  user_id: number;
  frequency: Frequency;
  local_hour: number;
  timezone: string;
  last_period: string;
  last_sent_at: Date | null;
}

type Ctx = Pick<AppContext, "db" | "config" | "log">;

/** A member's digests for a site. */
export function subscriptionsOf(sql: Sql, siteId: number, userId: number) {
  return sql<DigestSubscription[]>`
    select * from digest_subscriptions where site_id = ${siteId} and user_id = ${userId}
    order by frequency`;
}

/** Turns a member's daily or weekly digest on (at `hour` in `timezone`) or off. */
export async function setSubscription(
  sql: Sql,
  v: {
    siteId: number;
    userId: number;
    frequency: Frequency;
    on: boolean;
    hour: number;
    timezone: string;
  },
): Promise<void> {
  if (!v.on) {
    await sql`delete from digest_subscriptions
      where site_id = ${v.siteId} and user_id = ${v.userId} and frequency = ${v.frequency}`;
    return;
  }
  await sql`
    insert into digest_subscriptions (site_id, user_id, frequency, local_hour, timezone)
    values (${v.siteId}, ${v.userId}, ${v.frequency}, ${v.hour}, ${v.timezone})
    on conflict (site_id, user_id, frequency)
    do update set local_hour = excluded.local_hour, timezone = excluded.timezone`;
}

/** The token of a subscription's unsubscribe link. */
export function unsubscribeToken(secret: string, subscriptionId: number): Promise<string> {
  return unsubscribeTokenFor(secret, `digest-unsubscribe:${subscriptionId}`);
}

/**
 * Ends a subscription from its link; false when the link is not valid. A valid link that was
 * already used answers true again: mail clients may repeat the one-click POST.
 */
export async function unsubscribe(ctx: Ctx, id: number, token: string): Promise<boolean> {
  if (!Number.isSafeInteger(id) || id <= 0) return false;
  const what = `digest-unsubscribe:${id}`;
  if (!await validUnsubscribeToken(ctx.config.SECRET_KEY, what, token)) return false;
  await ctx.db.sql`delete from digest_subscriptions where id = ${id}`;
  return true;
}

async function siteOf(sql: Sql, siteId: number): Promise<Site> {
  const [site] = await sql<Site[]>`
    select ${sql(SITE_COLUMNS as unknown as string[])} from sites where id = ${siteId}`;
  return site;
}

/** Computes and mails one digest to `to` (unsubscribe link of `subscriptionId`, if any). */
export async function mailDigest(
  ctx: Ctx,
  input: { siteId: number; frequency: Frequency; to: string; subscriptionId?: number },
  now = new Date(),
): Promise<number> {
  const site = await siteOf(ctx.db.sql, input.siteId);
  const digest = await computeDigest(ctx.db.sql, site, input.frequency, now);
  const base = `${ctx.config.PUBLIC_URL}/sites/${site.id}`;
  const unsubscribe = input.subscriptionId
    ? `${ctx.config.PUBLIC_URL}/digests/unsubscribe?s=${input.subscriptionId}&t=${await unsubscribeToken(
      ctx.config.SECRET_KEY,
      input.subscriptionId,
    )}`
    : `${base}/alerts`;
  const message = digestEmail(digest, {
    dashboard: `${base}?period=custom&from=${digest.from}&to=${digest.to}`,
    settings: `${base}/alerts`,
    unsubscribe,
  });
  return await sendMail(ctx.db.sql, {
    to: input.to,
    kind: "digest",
    message,
    headers: input.subscriptionId ? listUnsubscribeHeaders(unsubscribe) : undefined,
  });
}

function localParts(now: Date, tz: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hour: "numeric",
    hourCycle: "h23",
    weekday: "short",
  }).formatToParts(now);
  return {
    hour: Number(parts.find((p) => p.type === "hour")?.value),
    weekday: parts.find((p) => p.type === "weekday")?.value,
  };
}

/**
 * Sends every digest that is due at `now`: its local hour has come today (weekly: on Monday)
 * and its period was not sent yet. Claiming the period first keeps it to one email everywhere.
 */
export async function sendDueDigests(ctx: Ctx, now = new Date()): Promise<number> {
  const sql = ctx.db.sql;
  const subs = await sql<(DigestSubscription & { email: string; site_tz: string })[]>`
    select d.*, u.email, s.timezone as site_tz from digest_subscriptions d
    join users u on u.id = d.user_id
    join sites s on s.id = d.site_id
    join memberships m on m.org_id = s.org_id and m.user_id = d.user_id`;
  let sent = 0;
  for (const sub of subs) {
    const local = localParts(now, sub.timezone);
    if (local.hour < sub.local_hour) continue;
    if (sub.frequency === "weekly" && local.weekday !== "Mon") continue;
    const key = `${sub.frequency}:${digestPeriod(sub.frequency, sub.site_tz, now).to}`;
    const claimed = await sql`
      update digest_subscriptions set last_period = ${key}, last_sent_at = ${now}
      where id = ${sub.id} and last_period <> ${key} returning id`;
    if (claimed.length === 0) continue;
    try {
      await mailDigest(ctx, {
        siteId: sub.site_id,
        frequency: sub.frequency,
        to: sub.email,
        subscriptionId: sub.id,
      }, now);
      sent++;
    } catch (error) {
      ctx.log.error("digest failed", { subscription: sub.id, error });
    }
  }
  return sent;
}
