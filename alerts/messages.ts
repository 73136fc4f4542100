/**
 * What an alert says on each channel, worded once: the email (HTML + text, with the recent hours
 * as a table), the Slack message (Block Kit with a text fallback, user text escaped) and the
 * generic webhook's JSON.
 */
import { type RenderedEmail, renderEmail } from "../mail/template.tsx";
import { formatRuleValue } from "./custom.ts";
import type { Incident } from "./incidents.ts";

/** Everything a channel needs to tell about one incident event (or a test). */
export interface AlertNotice {
  event: "opened" | "resolved" | "test";
  site: { id: number; name: string; domain: string; timezone: string; currency: string };
  /** The rule's name for people ("Traffic spike"). */
  title: string;
  kind: string;
  metric: string;
  /** What a custom rule asks for ("above 500 in an hour"), told instead of an expected band. */
  expectedText?: string;
  incident: Incident | null;
  /** The dashboard at the incident's period, and the site's alerts page. */
  dashboardUrl: string;
  alertsUrl: string;
}

/** Formats a metric's value the way the dashboard does. */
export function formatValue(notice: Pick<AlertNotice, "metric" | "site">, v: number): string {
  return formatRuleValue(notice.metric, v, notice.site.currency);
}

/** A time in the site's zone, e.g. "Mon 7 Dec, 14:00". */
export function siteTime(t: Date | number, timezone: string): string {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: timezone,
    weekday: "short",
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  }).format(t);
}

/** The one line every channel leads with. */
export function headline(n: AlertNotice): string {
  if (n.event === "test") return `Test alert for ${n.site.name}`;
  return n.event === "opened"
    ? `${n.title} on ${n.site.name}`
    : `Back to normal: ${n.title} on ${n.site.name}`;
}

function body(n: AlertNotice): string {
  if (n.event === "test" || !n.incident) {
    return `This is a test from Sextant. Alerts for ${n.site.name} will arrive here like this.`;
  }
  return n.event === "opened" ? n.incident.summary : n.incident.resolution;
}

function chartRows(n: AlertNotice): string[][] {
  const points = n.incident?.series.slice(-6) ?? [];
  return points.map((p) => [
    siteTime(p.t, n.site.timezone),
    formatValue(n, p.actual),
    `${formatValue(n, p.lower)}–${formatValue(n, p.upper)}`,
  ]);
}

/** The alert email; `unsubscribe` is the recipient's sign-in-free link to stop it. */
export function alertEmail(n: AlertNotice, unsubscribe?: string): RenderedEmail {
  const rows = chartRows(n);
  const since = n.incident
    ? `Since ${siteTime(n.incident.period_start, n.site.timezone)} (${n.site.timezone}).`
    : "";
  return renderEmail({
    subject: headline(n),
    heading: headline(n),
    paragraphs: [
      body(n),
      ...(since && n.event === "opened" ? [since] : []),
      ...(n.expectedText ? [`This rule alerts when the value is ${n.expectedText}.`] : []),
    ],
    tables: rows.length ? [{ head: ["Hour", "Actual", "Expected"], rows }] : undefined,
    action: { label: "Open the dashboard", url: n.event === "test" ? n.alertsUrl : n.dashboardUrl },
    footnote: `You get this because you receive alerts for ${n.site.name}. Choose which alerts ` +
      `you get at ${n.alertsUrl}` +
      (unsubscribe ? `. Stop these emails with one click, no sign-in needed: ${unsubscribe}` : ""),
  });
}

/** Escapes text for Slack's mrkdwn (its three control characters). */
export function slackEscape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** The Slack incoming-webhook payload: Block Kit blocks and the notification text. */
export function slackPayload(n: AlertNotice): { text: string; blocks: unknown[] } {
  const icon = n.event === "opened"
    ? ":warning:"
    : n.event === "resolved"
    ? ":white_check_mark:"
    : ":bell:";
  const text = `${headline(n)}: ${body(n)}`;
  const blocks: unknown[] = [
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `${icon} *${slackEscape(headline(n))}*\n${slackEscape(body(n))}`,
      },
    },
  ];
  if (n.incident && n.event !== "test") {
    blocks.push({
      type: "section",
      fields: [
        { type: "mrkdwn", text: `*Actual*\n${slackEscape(formatValue(n, n.incident.actual))}` },
        n.expectedText
          ? { type: "mrkdwn", text: `*Alert when*\n${slackEscape(n.expectedText)}` }
          : {
            type: "mrkdwn",
            text: `*Expected*\n${
              slackEscape(`${formatValue(n, n.incident.lower)}–${formatValue(n, n.incident.upper)}`)
            }`,
          },
      ],
    });
  }
  blocks.push({
    type: "context",
    elements: [{
      type: "mrkdwn",
      text: `<${n.event === "test" ? n.alertsUrl : n.dashboardUrl}|Open in Sextant> · ` +
        `<${n.alertsUrl}|Alert settings>`,
    }],
  });
  return { text: slackEscape(text), blocks };
}

/** The generic webhook's JSON body. */
export function webhookPayload(n: AlertNotice, now: Date): Record<string, unknown> {
  const i = n.incident;
  return {
    type: `alert.${n.event}`,
    timestamp: now.toISOString(),
    data: {
      site: { id: n.site.id, name: n.site.name, domain: n.site.domain },
      rule: { kind: n.kind, metric: n.metric, title: n.title, condition: n.expectedText ?? null },
      message: body(n),
      incident: i && {
        id: i.id,
        opened_at: i.opened_at,
        closed_at: i.closed_at,
        period_start: i.period_start,
        period_end: i.period_end,
        actual: i.actual,
        expected: i.expected,
        lower: i.lower,
        upper: i.upper,
      },
      url: n.event === "test" ? n.alertsUrl : n.dashboardUrl,
    },
  };
}
