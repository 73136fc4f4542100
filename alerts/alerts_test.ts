import assert from "node:assert/strict";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { mailHeader, mailText, oneClickUnsubscribe } from "../testing/smtp.ts";
import { withAlerts } from "../testing/alert_harness.ts";
import { type HourSpec, writeHours } from "../testing/alert_traffic.ts";
import { waitFor } from "../testing/wait.ts";
import { verifyDelivery, webhookKey } from "../lib/standard_webhooks.ts";
import { addChannel, alertRecipients } from "./channels.ts";
import { channelHealth, deliverDue, MAX_ALERT_ATTEMPTS, sendTest } from "./deliver.ts";
import { listRules, snoozeRule } from "./rules.ts";
import { listIncidents } from "./incidents.ts";
import { HOUR_MS, hourOf, WEEK_MS } from "./series.ts";

const MIN = 60_000;
/** The hour anomalies start in: weeks back, so every hour written is in the past. */
const T = hourOf(Date.now()) - 3 * WEEK_MS;

/** The same hours in each of the four weeks before T's week. */
function history(spec: (offsetHours: number, week: number) => Omit<HourSpec, "at">): HourSpec[] {
  const out: HourSpec[] = [];
  for (let week = 1; week <= 4; week++) {
    for (let off = -6; off <= 2; off++) {
      out.push({ at: T + off * HOUR_MS - week * WEEK_MS, ...spec(off, week) });
    }
  }
  return out;
}

interface Scenario {
  name: string;
  kind: string;
  past: HourSpec[];
  /** The current week up to the anomaly, evaluated at T + 30 min. */
  anomaly: HourSpec[];
  /** Traffic back to normal, evaluated at T + 90 min. */
  recovery: HourSpec[];
  says: RegExp;
}

/** Hours of the current week at T + offsets, each with `visitors`. */
const steady = (offsets: number[], visitors: number): HourSpec[] =>
  offsets.map((o) => ({ at: T + o * HOUR_MS, visitors }));

const usual = (n: number) => (_off: number, week: number) => ({ visitors: n + (week % 3) * 2 });

const SCENARIOS: Scenario[] = [
  {
    name: "a traffic spike",
    kind: "traffic_spike",
    past: history(usual(40)),
    anomaly: [...steady([-3, -2, -1], 40), { at: T, visitors: 200, minutes: 30 }],
    recovery: [{ at: T + HOUR_MS, visitors: 20, minutes: 30 }],
    says: /Visitors spiked: 200 so far this hour/,
  },
  {
    name: "a traffic drop",
    kind: "traffic_drop",
    past: history(usual(80)),
    anomaly: [...steady([-3, -2, -1], 80), { at: T, visitors: 3, minutes: 30 }],
    recovery: [{ at: T + HOUR_MS, visitors: 40, minutes: 30 }],
    says: /Visitors dropped: 3 so far this hour/,
  },
  {
    name: "a silent tracker",
    kind: "tracker_silent",
    past: history(usual(40)),
    anomaly: steady([-3, -2], 40),
    recovery: [{ at: T + HOUR_MS, visitors: 20, minutes: 30 }],
    says: /tracker went silent: no events in the last 90 minutes/,
  },
  {
    name: "purchases stopping",
    kind: "purchases_stopped",
    past: history(() => ({ purchases: 6, amount: 2500 })),
    anomaly: [-6, -5, -4, -3, -2].map((o) => ({ at: T + o * HOUR_MS, purchases: 6, amount: 2500 })),
    recovery: [{ at: T + HOUR_MS, purchases: 3, amount: 2500, minutes: 30 }],
    says: /Purchases stopped: none in the last 2 hours/,
  },
];

for (const mode of ALL_DB_MODES) {
  for (const s of SCENARIOS) {
    Deno.test({
      name: `[${mode}] ${s.name} is told once on every channel, then back to normal`,
      ...inDbMode(mode),
      fn: () =>
        withAlerts(mode, async (h) => {
          const sql = h.app.db.sql;
          await writeHours(sql, h.siteId, [...s.past, ...s.anomaly]);
          assert.deepEqual(await h.evaluate(T + 30 * MIN), { opened: [s.kind], resolved: [] });
          const sent = await deliverDue(h.app.ctx);
          assert.equal(sent, 2, JSON.stringify(await sql`select * from alert_deliveries`));
          await waitFor(() => h.smtp.received.length === 1, 30_000, "the alert email");

          // Slack: Block Kit and a fallback text, the site's name escaped.
          const [slack] = h.posts("/services/");
          assert.match(String(slack.text), /on Shop &lt;&amp;&gt; Co/);
          assert.match(String(slack.text), s.says);
          assert.ok(Array.isArray(slack.blocks) && slack.blocks.length >= 2);
          assert.match(JSON.stringify(slack.blocks), /Open in Sextant/);

          // The webhook: signed with Standard Webhooks, typed JSON.
          const hook = h.slack.received.find((r) => r.path === "/hooks/mine")!;
          await verifyDelivery(webhookKey(h.webhookSecret), hook.body, hook.headers);
          assert.equal(hook.json?.type, "alert.opened");
          assert.match(JSON.stringify(hook.json), new RegExp(`"kind":"${s.kind}"`));

          // Email: over SMTP to the owner, HTML and text, a table of recent hours.
          const mail = h.smtp.received[0];
          assert.match(mail, new RegExp(`To: ${h.ownerEmail}`));
          assert.match(mail, /multipart\/alternative/);
          assert.match(mailText(mail), s.says);
          assert.match(mailText(mail), /Hour \| Actual \| Expected/);
          assert.match(mailText(mail), /Stop these emails with one click, no sign-in needed/);
          assert.match(
            mailHeader(mail, "List-Unsubscribe") ?? "",
            /^<http.*\/alerts\/unsubscribe\?/,
          );

          // Still anomalous a few minutes later: nothing repeats.
          assert.deepEqual(await h.evaluate(T + 40 * MIN), { opened: [], resolved: [] });
          assert.equal(await deliverDue(h.app.ctx), 0);

          await writeHours(sql, h.siteId, s.recovery);
          assert.deepEqual(await h.evaluate(T + 90 * MIN), { opened: [], resolved: [s.kind] });
          assert.equal(await deliverDue(h.app.ctx), 2);
          await waitFor(() => h.smtp.received.length === 2, 30_000, "the back-to-normal email");
          const slackPosts = h.posts("/services/");
          assert.equal(slackPosts.length, 2, "one message per event on Slack");
          assert.match(String(slackPosts[1].text), /^Back to normal: /);
          assert.match(mailText(h.smtp.received[1]), /Back to normal/);
          assert.equal(h.slack.received.filter((r) => r.path === "/hooks/mine").length, 2);

          const [incident] = await listIncidents(sql, h.siteId);
          assert.ok(incident.closed_at);
          assert.equal(incident.series.length, 24, "a day of actual vs expected for the chart");
        }),
    });
  }

  Deno.test({
    name: `[${mode}] a snoozed rule stays quiet until its snooze ends`,
    ...inDbMode(mode),
    fn: () =>
      withAlerts(mode, async (h) => {
        const sql = h.app.db.sql;
        await writeHours(sql, h.siteId, [...SCENARIOS[0].past, ...SCENARIOS[0].anomaly]);
        const spike = (await listRules(sql, h.siteId)).find((r) => r.kind === "traffic_spike")!;
        await snoozeRule(sql, h.siteId, spike.id, new Date(T + HOUR_MS));
        assert.deepEqual(await h.evaluate(T + 30 * MIN), { opened: [], resolved: [] });
        assert.equal(await deliverDue(h.app.ctx), 0);
        assert.equal(h.slack.received.length, 0);

        // Still spiking once the snooze is over: now it is told.
        await writeHours(sql, h.siteId, [{ at: T + HOUR_MS, visitors: 150, minutes: 20 }]);
        assert.deepEqual(await h.evaluate(T + 80 * MIN), {
          opened: ["traffic_spike"],
          resolved: [],
        });
        assert.equal(await deliverDue(h.app.ctx), 2);
      }),
  });

  Deno.test({
    name: `[${mode}] a failing Slack endpoint is retried with backoff and shown as failing`,
    ...inDbMode(mode),
    fn: () =>
      withAlerts(mode, async (h) => {
        const sql = h.app.db.sql;
        h.slack.failing("/broken/");
        const { channel: broken } = await addChannel(
          { sql, secrets: h.app.ctx.secrets, allowPrivate: true },
          h.siteId,
          { kind: "slack", name: "#old", url: `${h.slack.url}/services/broken/B2/x` },
        );
        const test = await sendTest(h.app.ctx, broken, h.ownerEmail);
        assert.equal(test.ok, false);
        assert.match(test.error, /Slack answered 500: rollup_error/);
        assert.deepEqual(await sendTest(h.app.ctx, h.slackChannel, h.ownerEmail), {
          ok: true,
          error: "",
        });

        await writeHours(sql, h.siteId, [...SCENARIOS[0].past, ...SCENARIOS[0].anomaly]);
        await h.evaluate(T + 30 * MIN);
        assert.equal(await deliverDue(h.app.ctx), 2, "the working Slack and the webhook");
        const brokenPosts = () => h.posts("/services/broken/").length;
        const tries = brokenPosts();
        assert.equal(await deliverDue(h.app.ctx), 0, "backoff: not due again at once");
        assert.equal(brokenPosts(), tries);
        for (let i = 1; i < MAX_ALERT_ATTEMPTS; i++) {
          await sql`update alert_deliveries set next_attempt_at = now()
            where channel_id = ${broken.id} and status = 'pending'`;
          await deliverDue(h.app.ctx);
        }
        const health = (await channelHealth(sql, h.siteId)).find((c) =>
          c.channel_id === broken.id
        )!;
        assert.equal(health.status, "failed");
        assert.equal(health.attempts, MAX_ALERT_ATTEMPTS);
        assert.match(health.last_error, /500: rollup_error/);
        await sql`update alert_deliveries set next_attempt_at = now() where channel_id = ${broken.id}`;
        const before = brokenPosts();
        await deliverDue(h.app.ctx);
        assert.equal(brokenPosts(), before, "given up after the last attempt");
      }),
  });
}

Deno.test("a conversion-rate drop is told once with its rates, then back to normal", () =>
  withAlerts("server", async (h) => {
    const sql = h.app.db.sql;
    const day = (from: number, purchases: number, weeksBack = 0): HourSpec[] =>
      Array.from({ length: 24 }, (_, i) => ({
        at: T + (from + i) * HOUR_MS - weeksBack * WEEK_MS,
        visitors: 50,
        purchases,
        amount: 2500,
      }));
    const past = [1, 2, 3, 4].flatMap((w) => [...day(-24, 3, w), ...day(0, 3, w)]);
    // Same traffic, a third of the purchases: the rate fell from 6% to 2%.
    await writeHours(sql, h.siteId, [...past, ...day(-24, 1)]);
    assert.deepEqual(await h.evaluate(T + 5 * MIN, "conversion_drop"), {
      opened: ["conversion_drop"],
      resolved: [],
    });
    assert.equal(await deliverDue(h.app.ctx), 2);
    await waitFor(() => h.smtp.received.length === 1, 30_000, "the alert email");
    const says = /Conversion rate dropped: 2\.0% in the last 24 hours against 6\.0% usual/;
    assert.match(String(h.posts("/services/")[0].text), says);
    assert.match(mailText(h.smtp.received[0]), says);
    assert.deepEqual(await h.evaluate(T + 30 * MIN, "conversion_drop"), {
      opened: [],
      resolved: [],
    });

    await writeHours(sql, h.siteId, day(0, 3));
    assert.deepEqual(await h.evaluate(T + 24 * HOUR_MS + 5 * MIN, "conversion_drop"), {
      opened: [],
      resolved: ["conversion_drop"],
    });
    assert.equal(await deliverDue(h.app.ctx), 2);
    await waitFor(() => h.smtp.received.length === 2, 30_000, "the back-to-normal email");
    assert.match(mailText(h.smtp.received[1]), /Conversion rate is back to normal: 6\.0%/);
  }));

Deno.test("a conversion-rate drop on a day of a few purchases is not judged", () =>
  withAlerts("server", async (h) => {
    const hours = (weeksBack: number, purchases: number): HourSpec[] =>
      Array.from({ length: 24 }, (_, i) => ({
        at: T + (i - 24) * HOUR_MS - weeksBack * WEEK_MS,
        visitors: 10,
        purchases: i < 3 ? purchases : 0,
      }));
    await writeHours(h.app.db.sql, h.siteId, [
      ...[1, 2, 3, 4].flatMap((w) => hours(w, 2)),
      ...hours(0, 0),
    ]);
    assert.deepEqual(await h.evaluate(T + 5 * MIN, "conversion_drop"), {
      opened: [],
      resolved: [],
    });
  }));

Deno.test("an alert email's one-click unsubscribe stops that member's alert email, signed out", () =>
  withAlerts("server", async (h) => {
    const sql = h.app.db.sql;
    await writeHours(sql, h.siteId, [...SCENARIOS[0].past, ...SCENARIOS[0].anomaly]);
    await h.evaluate(T + 30 * MIN);
    await waitFor(() => h.smtp.received.length === 1, 30_000, "the alert email");
    const mail = h.smtp.received[0];
    for (let i = 0; i < 2; i++) {
      const res = await oneClickUnsubscribe(mail);
      assert.equal(res.status, 200, "no sign-in, no CSRF token, and again the same");
      assert.match(await res.text(), /alerts won(&#39;|')t be emailed to you any more/);
    }
    assert.equal((await alertRecipients(sql, h.siteId)).length, 0);
    const url = /<([^>]+)>/.exec(mailHeader(mail, "List-Unsubscribe")!)![1];
    const forged = await fetch(url.replace(/t=[0-9a-f]+/, "t=00"), { method: "POST" });
    assert.equal(forged.status, 404);
    await forged.body?.cancel();
  }));
