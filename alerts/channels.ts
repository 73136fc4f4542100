/**
 * Where a site's alerts go: its email channel (members who receive alert mail) and any number of
 * Slack incoming webhooks and signed outgoing webhooks. URLs and secrets are stored sealed.
 */
import type { Sql } from "../db/connect.ts";
import type { SecretBox } from "../lib/crypto.ts";
import { newWebhookSecret } from "../lib/standard_webhooks.ts";
import { checkOutboundUrl, OutboundRefused } from "../lib/outbound.ts";
import { Invalid } from "../lib/errors.ts";
import { unsubscribeTokenFor, validUnsubscribeToken } from "../mail/unsubscribe.ts";

/** A stored channel (URL and secret still sealed). */
export interface AlertChannel {
  id: number;
  site_id: number;
  kind: "email" | "slack" | "webhook";
  name: string;
  url_enc: string | null;
  secret_enc: string | null;
  enabled: boolean;
  created_at: Date;
}

/** A site's channels, email first. */
export function listChannels(sql: Sql, siteId: number): Promise<AlertChannel[]> {
  return sql<AlertChannel[]>`
    select * from alert_channels where site_id = ${siteId}
    order by kind <> 'email', id`;
}

/** One channel of the site, or null. */
export async function findChannel(
  sql: Sql,
  siteId: number,
  channelId: number,
): Promise<AlertChannel | null> {
  const [row] = await sql<AlertChannel[]>`
    select * from alert_channels where site_id = ${siteId} and id = ${channelId}`;
  return row ?? null;
}

/**
 * Adds a Slack or webhook channel after checking its URL may be reached; answers the channel
 * and, for a webhook, its signing secret (shown once, stored sealed).
 */
export async function addChannel(
  deps: { sql: Sql; secrets: SecretBox; allowPrivate: boolean },
  siteId: number,
  input: { kind: "slack" | "webhook"; name: string; url: string },
): Promise<{ channel: AlertChannel; secret?: string }> {
  try {
    await checkOutboundUrl(input.url, { allowPrivate: deps.allowPrivate });
  } catch (e) {
    if (e instanceof OutboundRefused) throw new Invalid("url", e.message);
    throw e;
  }
  const secret = input.kind === "webhook" ? newWebhookSecret() : undefined;
  const [channel] = await deps.sql<AlertChannel[]>`
    insert into alert_channels (site_id, kind, name, url_enc, secret_enc)
    values (${siteId}, ${input.kind}, ${input.name}, ${await deps.secrets.encrypt(input.url)},
      ${secret ? await deps.secrets.encrypt(secret) : null})
    returning *`;
  return { channel, secret };
}

/** Removes a Slack or webhook channel (the email channel stays; members opt out instead). */
export async function removeChannel(sql: Sql, siteId: number, channelId: number): Promise<boolean> {
  const rows = await sql`
    delete from alert_channels
    where site_id = ${siteId} and id = ${channelId} and kind <> 'email' returning id`;
  return rows.length > 0;
}

/**
 * Who receives the site's alert email: owners and admins unless they opted out, other members
 * when they opted in.
 */
export function alertRecipients(
  sql: Sql,
  siteId: number,
): Promise<{ email: string; user_id: number }[]> {
  return sql<{ email: string; user_id: number }[]>`
    select u.email, u.id as user_id from sites s
    join memberships m on m.org_id = s.org_id
    join users u on u.id = m.user_id
    left join alert_email_prefs p on p.site_id = s.id and p.user_id = u.id
    where s.id = ${siteId}
      and coalesce(p.subscribed, m.role in ('owner', 'admin'))
    order by u.id`;
}

/** A member's choice to receive (or not) the site's alert email. */
export async function setAlertEmail(
  sql: Sql,
  siteId: number,
  userId: number,
  subscribed: boolean,
): Promise<void> {
  await sql`
    insert into alert_email_prefs (site_id, user_id, subscribed)
    values (${siteId}, ${userId}, ${subscribed})
    on conflict (site_id, user_id) do update set subscribed = excluded.subscribed`;
}

const unsubscribeSubject = (siteId: number, userId: number) =>
  `alert-unsubscribe:${siteId}:${userId}`;

/** The sign-in-free address that stops one member's alert email for one site. */
export async function alertUnsubscribeUrl(
  config: { PUBLIC_URL: string; SECRET_KEY: string },
  siteId: number,
  userId: number,
): Promise<string> {
  const token = await unsubscribeTokenFor(config.SECRET_KEY, unsubscribeSubject(siteId, userId));
  return `${config.PUBLIC_URL}/alerts/unsubscribe?s=${siteId}&u=${userId}&t=${token}`;
}

/**
 * Stops a member's alert email from the link; false when the link is not valid. Repeating it
 * (mail clients may) answers true again and changes nothing.
 */
export async function unsubscribeAlertEmail(
  deps: { sql: Sql; secret: string },
  siteId: number,
  userId: number,
  token: string,
): Promise<boolean> {
  if (![siteId, userId].every((n) => Number.isSafeInteger(n) && n > 0)) return false;
  if (!await validUnsubscribeToken(deps.secret, unsubscribeSubject(siteId, userId), token)) {
    return false;
  }
  // Only a member may hold a preference: the row would otherwise outlive the membership's end.
  await deps.sql`
    insert into alert_email_prefs (site_id, user_id, subscribed)
    select s.id, m.user_id, false from sites s
    join memberships m on m.org_id = s.org_id and m.user_id = ${userId}
    where s.id = ${siteId}
    on conflict (site_id, user_id) do update set subscribed = false`;
  return true;
}
