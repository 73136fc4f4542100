/**
 * A site with alert channels on local stand-ins (SMTP, Slack and a webhook endpoint), for tests
 * that drive the evaluator by hand and read what each channel received.
 */
import { type DbMode } from "./db.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { type SmtpSink, smtpSink } from "./smtp.ts";
import { type FakeSlack, startFakeSlack } from "./fake_slack.ts";
import { createSiteWithOwner } from "./journeys.ts";
import { addChannel, type AlertChannel } from "../alerts/channels.ts";
import { evaluateSite } from "../alerts/evaluate.ts";
import { ensureDefaults, listRules } from "../alerts/rules.ts";

/** The site's name: with characters every channel must escape. */
export const SITE_NAME = "Shop <&> Co";

export interface Harness {
  app: TestApp;
  siteId: number;
  ownerEmail: string;
  smtp: SmtpSink;
  slack: FakeSlack;
  slackChannel: AlertChannel;
  webhookSecret: string;
  /** Evaluates the site (or only rules of kind `only`) at `at`; answers the rules' kinds that opened or resolved. */
  evaluate(at: number, only?: string): Promise<{ opened: string[]; resolved: string[] }>;
  /** Slack and webhook posts so far, by path. */
  posts(path: string): Record<string, unknown>[];
}

export async function withAlerts(mode: DbMode, fn: (h: Harness) => Promise<void>) {
  const smtp = await smtpSink();
  const slack = startFakeSlack();
  const app = await startTestApp({
    dbMode: mode,
    env: { SMTP_URL: smtp.url, OUTBOUND_ALLOW_PRIVATE: "on" },
  });
  try {
    const owner = await createSiteWithOwner(app.db.sql);
    const siteId = owner.site.id;
    await app.db.sql`update sites set name = ${SITE_NAME} where id = ${siteId}`;
    await ensureDefaults(app.db.sql, siteId);
    const deps = { sql: app.db.sql, secrets: app.ctx.secrets, allowPrivate: true };
    const { channel: slackChannel } = await addChannel(deps, siteId, {
      kind: "slack",
      name: "#alerts",
      url: `${slack.url}/services/T0001/B0001/ok`,
    });
    const { secret } = await addChannel(deps, siteId, {
      kind: "webhook",
      name: "My endpoint",
      url: `${slack.url}/hooks/mine`,
    });
    await fn({
      app,
      siteId,
      ownerEmail: owner.email,
      smtp,
      slack,
      slackChannel,
      webhookSecret: secret!,
      async evaluate(at, only) {
        const outcomes = await evaluateSite(app.ctx, siteId, new Date(at), only);
        const rules = await listRules(app.db.sql, siteId);
        const kinds = (o: string) => rules.filter((r) => outcomes[r.id] === o).map((r) => r.kind);
        return { opened: kinds("opened"), resolved: kinds("resolved") };
      },
      posts: (path) =>
        slack.received.filter((r) => r.path.startsWith(path)).map((r) => r.json ?? {}),
    });
  } finally {
    await app.stop();
    await slack.close();
    await smtp.close();
  }
}
