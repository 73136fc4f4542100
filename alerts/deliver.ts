/**
 * Sends incident events to a site's channels. Each (incident, channel, event) gets one delivery
 * row, so nothing is sent twice however many instances evaluate. Email goes into the mail outbox
 * in the same transaction (the mailer retries SMTP); Slack and webhooks are attempted by the
 * delivery job with backoff, and their failures stay visible on the channel.
 */
import type { AppContext } from "../http/context.ts";
import type { Sql } from "../db/connect.ts";
import { sendMail } from "../mail/mailer.ts";
import { guardedFetch } from "../lib/outbound.ts";
import { signDelivery } from "../lib/standard_webhooks.ts";
import { type AlertChannel, alertRecipients, alertUnsubscribeUrl } from "./channels.ts";
import { listUnsubscribeHeaders } from "../mail/unsubscribe.ts";
import type { Incident } from "./incidents.ts";
import { alertEmail, type AlertNotice, slackPayload, webhookPayload } from "./messages.ts";
import { type AlertRule, ruleTitle } from "./rules.ts";
import { describeCondition } from "./custom.ts";

/** Attempts at a Slack or webhook delivery before it is marked failed (backoff doubles from 30 s). */
export const MAX_ALERT_ATTEMPTS = 5;
/** The job that sends due Slack and webhook deliveries. */
export const ALERT_DELIVERY_JOB = "alert-deliveries";

/** A stored delivery. */
export interface AlertDelivery {
  id: number;
  site_id: number;
  channel_id: number;
  incident_id: number | null;
  event: "opened" | "resolved" | "test";
  status: "pending" | "sent" | "failed";
  attempts: number;
  next_attempt_at: Date;
  last_error: string;
  created_at: Date;
  sent_at: Date | null;
}

type Deps = Pick<AppContext, "db" | "config" | "secrets" | "log">;

async function noticeFor(
  deps: Deps,
  siteId: number,
  incident: Incident | null,
  event: AlertNotice["event"],
): Promise<AlertNotice> {
  const sql = deps.db.sql;
  const [site] = await sql<AlertNotice["site"][]>`
    select id, name, domain, timezone, currency from sites where id = ${siteId}`;
  const [rule] = incident
    ? await sql<(AlertRule & { goal_name: string | null })[]>`
      select r.*, g.name as goal_name from alert_rules r
      left join goals g on g.site_id = r.site_id and 'goal:' || g.id = r.metric
      where r.id = ${incident.rule_id}`
    : [];
  const base = `${deps.config.PUBLIC_URL}/sites/${siteId}`;
  const day = incident
    ? new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone }).format(incident.period_start)
    : "";
  const custom = rule?.kind === "custom";
  // A custom rule's dashboard link keeps its filter, so the numbers there are the alert's.
  const filter = custom && rule.filter ? `&f=${encodeURIComponent(rule.filter)}` : "";
  return {
    event,
    site,
    title: rule ? ruleTitle(rule, site.currency, rule.goal_name ?? undefined) : "Test",
    kind: rule?.kind ?? "test",
    metric: rule?.metric ?? "",
    expectedText: custom ? describeCondition(rule, site.currency) : undefined,
    incident,
    dashboardUrl: incident ? `${base}?period=custom&from=${day}&to=${day}${filter}` : base,
    alertsUrl: `${base}/alerts`,
  };
}

/** Mails the notice; members get their own one-click unsubscribe link and headers. */
async function mailNotice(
  deps: Pick<Deps, "config">,
  sql: Sql,
  notice: AlertNotice,
  to: { email: string; user_id?: number }[],
) {
  for (const r of to) {
    const unsubscribe = r.user_id
      ? await alertUnsubscribeUrl(deps.config, notice.site.id, r.user_id)
      : undefined;
    await sendMail(sql, {
      to: r.email,
      kind: "alert",
      message: alertEmail(notice, unsubscribe),
      headers: unsubscribe ? listUnsubscribeHeaders(unsubscribe) : undefined,
    });
  }
}

/**
 * Records an incident event for every enabled channel of its site: email is queued in the
 * outbox at once, Slack and webhooks wait for the delivery job (woken here).
 */
export async function queueIncidentEvent(
  ctx: Deps & Pick<AppContext, "wake">,
  incident: Incident,
  event: "opened" | "resolved",
): Promise<void> {
  const sql = ctx.db.sql;
  const channels = await sql<AlertChannel[]>`
    select * from alert_channels where site_id = ${incident.site_id} and enabled`;
  const notice = await noticeFor(ctx, incident.site_id, incident, event);
  let pending = false;
  for (const channel of channels) {
    await sql.begin(async (txRaw) => {
      const tx = txRaw as unknown as Sql;
      const [row] = await tx<{ id: number }[]>`
        insert into alert_deliveries (site_id, channel_id, incident_id, event)
        values (${incident.site_id}, ${channel.id}, ${incident.id}, ${event})
        on conflict (incident_id, channel_id, event) where incident_id is not null do nothing
        returning id`;
      if (!row) return;
      if (channel.kind === "email") {
        await mailNotice(ctx, tx, notice, await alertRecipients(tx, incident.site_id));
        await tx`
          update alert_deliveries set status = 'sent', attempts = 1, sent_at = now()
          where id = ${row.id}`;
      } else pending = true;
    });
  }
  if (pending) ctx.wake?.(ALERT_DELIVERY_JOB);
}

/** Posts one delivery to a Slack or webhook channel; throws with a reason on failure. */
async function post(deps: Deps, channel: AlertChannel, delivery: AlertDelivery): Promise<void> {
  if (!channel.url_enc) throw new Error("The channel has no address.");
  const url = await deps.secrets.decrypt(channel.url_enc);
  const incident = delivery.incident_id
    ? (await deps.db.sql<Incident[]>`
      select * from alert_incidents where id = ${delivery.incident_id}`)[0] ?? null
    : null;
  const notice = await noticeFor(deps, delivery.site_id, incident, delivery.event);
  let body: string;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (channel.kind === "slack") body = JSON.stringify(slackPayload(notice));
  else {
    body = JSON.stringify(webhookPayload(notice, new Date()));
    const secret = await deps.secrets.decrypt(channel.secret_enc ?? "");
    Object.assign(headers, await signDelivery(secret, `alert_delivery_${delivery.id}`, body));
  }
  const res = await guardedFetch(url, { method: "POST", headers, body }, {
    allowPrivate: deps.config.OUTBOUND_ALLOW_PRIVATE,
    timeoutMs: 10_000,
    maxRedirects: 0,
  });
  const text = (await res.text()).slice(0, 200);
  if (!res.ok) {
    throw new Error(
      `${channel.kind === "slack" ? "Slack" : "The endpoint"} answered ` +
        `${res.status}${text ? `: ${text}` : ""}`,
    );
  }
}

async function attempt(deps: Deps, delivery: AlertDelivery): Promise<boolean> {
  const sql = deps.db.sql;
  const [channel] = await sql<AlertChannel[]>`
    select * from alert_channels where id = ${delivery.channel_id}`;
  try {
    if (!channel) throw new Error("The channel was removed.");
    await post(deps, channel, delivery);
    await sql`
      update alert_deliveries set status = 'sent', sent_at = now(), last_error = ''
      where id = ${delivery.id}`;
    return true;
  } catch (e) {
    const error = ((e as Error).message || String(e)).slice(0, 500);
    deps.log.warn("alert delivery failed", {
      delivery: delivery.id,
      attempts: delivery.attempts,
      error,
    });
    await sql`
      update alert_deliveries set last_error = ${error},
        status = case when attempts >= ${MAX_ALERT_ATTEMPTS} then 'failed' else 'pending' end
      where id = ${delivery.id}`;
    return false;
  }
}

/**
 * Sends the Slack and webhook deliveries that are due; answers how many went through. Rows are
 * claimed with SKIP LOCKED and pushed into the future first, so instances never double-send.
 */
export async function deliverDue(deps: Deps): Promise<number> {
  const claimed = await deps.db.sql<AlertDelivery[]>`
    update alert_deliveries
    set attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => 30 * power(2, attempts))
    where id in (
      select id from alert_deliveries
      where status = 'pending' and next_attempt_at <= now()
      order by id limit 20 for update skip locked)
    returning *`;
  let sent = 0;
  for (const d of claimed) if (await attempt(deps, d)) sent++;
  return sent;
}

/**
 * "Send a test" on a channel: email goes to `to` (the member asking), Slack and webhooks are
 * tried at once; a failure keeps being retried like any delivery and shows on the channel.
 */
export async function sendTest(
  deps: Deps,
  channel: AlertChannel,
  to: string,
): Promise<{ ok: boolean; error: string }> {
  const sql = deps.db.sql;
  const [row] = await sql<AlertDelivery[]>`
    insert into alert_deliveries (site_id, channel_id, event, attempts, next_attempt_at)
    values (${channel.site_id}, ${channel.id}, 'test', 1, now() + interval '30 seconds')
    returning *`;
  if (channel.kind === "email") {
    const notice = await noticeFor(deps, channel.site_id, null, "test");
    await mailNotice(deps, sql, notice, [{ email: to }]);
    await sql`update alert_deliveries set status = 'sent', sent_at = now() where id = ${row.id}`;
    return { ok: true, error: "" };
  }
  const ok = await attempt(deps, row);
  if (ok) return { ok, error: "" };
  const [after] = await sql<{ last_error: string }[]>`
    select last_error from alert_deliveries where id = ${row.id}`;
  return { ok, error: after.last_error };
}

/** Each channel's latest delivery, for the alerts page's "failing" marks. */
export function channelHealth(sql: Sql, siteId: number) {
  return sql<
    { channel_id: number; status: string; last_error: string; attempts: number; at: Date }[]
  >`
    select distinct on (channel_id) channel_id, status, last_error, attempts, created_at as at
    from alert_deliveries where site_id = ${siteId}
    order by channel_id, id desc`;
}
