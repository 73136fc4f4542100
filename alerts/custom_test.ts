import assert from "node:assert/strict";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { mailText } from "../testing/smtp.ts";
import { type Harness, withAlerts } from "../testing/alert_harness.ts";
import { type HourSpec, writeHours } from "../testing/alert_traffic.ts";
import { waitFor } from "../testing/wait.ts";
import { createGoal, parseGoalInput } from "../analytics/goals.ts";
import { createCustomRule, parseCustomRule } from "./custom.ts";
import { listIncidents } from "./incidents.ts";
import { deliverDue } from "./deliver.ts";
import { HOUR_MS, hourOf, WEEK_MS } from "./series.ts";

const MIN = 60_000;
/** The hour after the judged one: weeks back, so every hour written is in the past. */
const T = hourOf(Date.now()) - 2 * WEEK_MS;

interface Case {
  name: string;
  rule: Record<string, string>;
  /** Hours before T; the last one, [T-1h, T), is judged at T + 5 min. */
  before: HourSpec[];
  /** The hour [T, T+1h), judged at T + 65 min: back to normal. */
  after: HourSpec[];
  says: RegExp;
  actual: number;
  back: RegExp;
}

const at = (h: number, visitors: number, source?: string): HourSpec => ({
  at: T + h * HOUR_MS,
  visitors,
  source,
});

const CASES: Case[] = [
  {
    name: "visitors above a number",
    rule: { metric: "visitors", condition: "above", threshold: "50", window: "hour" },
    before: [at(-2, 20), at(-1, 80)],
    after: [at(0, 20)],
    says: /Visitors went above 50: 80 in the hour to/,
    actual: 80,
    back: /Visitors back on the right side of 50: 20 in the hour to/,
  },
  {
    name: "pageviews below a number",
    rule: { metric: "pageviews", condition: "below", threshold: "10", window: "hour" },
    before: [at(-2, 30), at(-1, 3)],
    after: [at(0, 25)],
    says: /Pageviews fell below 10: 3 in the hour to/,
    actual: 3,
    back: /Pageviews back on the right side of 10: 25/,
  },
  {
    name: "a fall against the previous period",
    rule: { metric: "visitors", condition: "change_pct", threshold: "-50", window: "hour" },
    before: [at(-2, 100), at(-1, 30)],
    after: [at(0, 40)],
    says: /Visitors fell 70%: 30 in the hour to .* against 100 the hour before/,
    actual: 30,
    back: /Visitors back within 50% of the period before: 40 in the hour to .* against 30/,
  },
  {
    name: "a filtered rule, counting only its source",
    rule: {
      metric: "visitors",
      condition: "above",
      threshold: "20",
      window: "hour",
      filter_dimension: "source",
      filter_op: "is",
      filter_value: "YouTube",
    },
    // 15 from YouTube among 115: quiet. Then 30 from YouTube among 35: told, counting 30.
    before: [at(-3, 5), at(-2, 15, "YouTube"), at(-2, 100), at(-1, 30, "YouTube"), at(-1, 5)],
    after: [at(0, 4, "YouTube"), at(0, 200)],
    says: /Visitors \(source is YouTube\) went above 20: 30 in the hour to/,
    actual: 30,
    back: /Visitors \(source is YouTube\) back on the right side of 20: 4 in/,
  },
];

async function told(h: Harness, count: number) {
  assert.equal(await deliverDue(h.app.ctx), 2, "Slack and the webhook");
  await waitFor(() => h.smtp.received.length === count, 30_000, "the alert email");
  assert.equal(h.posts("/services/").length, count, "one Slack message per event");
}

for (const mode of ALL_DB_MODES) {
  for (const c of CASES) {
    Deno.test({
      name: `[${mode}] a custom rule on ${c.name} is told once, then back to normal`,
      ...inDbMode(mode),
      fn: () =>
        withAlerts(mode, async (h) => {
          const sql = h.app.db.sql;
          const [site] = await sql<{ currency: string }[]>`
            select currency from sites where id = ${h.siteId}`;
          const rule = await createCustomRule(
            sql,
            h.siteId,
            parseCustomRule({ ...c.rule, enabled: "on", cooldown_minutes: "0" }, {
              currency: site.currency,
              goalIds: [],
            }),
          );
          await writeHours(sql, h.siteId, c.before);
          // The filtered case: the hour before, all traffic together would have been told.
          if (c.rule.filter_dimension) {
            assert.deepEqual(await h.evaluate(T - 55 * MIN, "custom"), {
              opened: [],
              resolved: [],
            });
          }
          assert.deepEqual(await h.evaluate(T + 5 * MIN, "custom"), {
            opened: ["custom"],
            resolved: [],
          });
          await told(h, 1);
          assert.match(String(h.posts("/services/")[0].text), c.says);
          assert.match(JSON.stringify(h.posts("/services/")[0].blocks), /Alert when/);
          assert.match(mailText(h.smtp.received[0]), c.says);
          const hook = h.slack.received.find((r) => r.path === "/hooks/mine")!;
          assert.equal(hook.json?.type, "alert.opened");
          assert.match(JSON.stringify(hook.json), /"kind":"custom"/);
          const [incident] = await listIncidents(sql, h.siteId);
          assert.equal(incident.rule_id, rule.id);
          assert.equal(incident.actual, c.actual);

          // Still over the line minutes later: nothing repeats.
          assert.deepEqual(await h.evaluate(T + 20 * MIN, "custom"), { opened: [], resolved: [] });
          assert.equal(await deliverDue(h.app.ctx), 0);

          await writeHours(sql, h.siteId, c.after);
          assert.deepEqual(await h.evaluate(T + 65 * MIN, "custom"), {
            opened: [],
            resolved: ["custom"],
          });
          await told(h, 2);
          assert.match(String(h.posts("/services/")[1].text), /^Back to normal: /);
          assert.match(String(h.posts("/services/")[1].text), c.back);
          assert.match(mailText(h.smtp.received[1]), c.back);
        }),
    });
  }
}

Deno.test("a goal's conversions: a custom rule on a goal counts the visitors who completed it", () =>
  withAlerts("server", async (h) => {
    const sql = h.app.db.sql;
    const goal = await createGoal(
      sql,
      h.siteId,
      parseGoalInput({ name: "Saw the home page", kind: "page", path_pattern: "/" }),
    );
    const form = {
      metric: `goal:${goal.id}`,
      condition: "below",
      threshold: "10",
      window: "hour",
      enabled: "on",
    };
    await createCustomRule(
      sql,
      h.siteId,
      parseCustomRule(form, { currency: "USD", goalIds: [goal.id] }),
    );
    await writeHours(sql, h.siteId, [at(-2, 30), at(-1, 4)]);
    assert.deepEqual(await h.evaluate(T + 5 * MIN, "custom"), { opened: ["custom"], resolved: [] });
    await told(h, 1);
    assert.match(
      String(h.posts("/services/")[0].text),
      /Conversions of “Saw the home page” fell below 10: 4 in the hour/,
    );
    assert.throws(
      () =>
        parseCustomRule({ ...form, metric: "goal:999999" }, {
          currency: "USD",
          goalIds: [goal.id],
        }),
      /Choose what to watch from the list/,
    );
  }));

Deno.test("custom rules answer bad input with a sentence naming the field", () => {
  const ctx = { currency: "USD", goalIds: [] };
  const ok = { metric: "visitors", condition: "above", threshold: "5", window: "day" };
  const bad: Array<[Record<string, string>, string, RegExp]> = [
    [{ metric: "sessions" }, "metric", /Choose what to watch/],
    [{ condition: "equals" }, "condition", /Choose above, below or a change/],
    [{ window: "month" }, "window", /an hour, a day or a week/],
    [{ threshold: "lots" }, "threshold", /must be a number/],
    [{ threshold: "-3" }, "threshold", /can't be negative/],
    [{ condition: "change_pct", threshold: "0" }, "threshold", /other than 0/],
    [{ metric: "bounce_rate", threshold: "120" }, "threshold", /from 0 to 100/],
    [{ filter_dimension: "planet", filter_value: "Mars" }, "filter_value", /from the lists/],
  ];
  for (const [change, field, sentence] of bad) {
    assert.throws(() => parseCustomRule({ ...ok, ...change }, ctx), (
      e: Error & {
        field?: string;
      },
    ) => {
      assert.equal(e.field, field);
      assert.match(e.message, sentence);
      return true;
    });
  }
  // Revenue is typed in the currency and kept in minor units, like every amount.
  assert.equal(
    parseCustomRule({ ...ok, metric: "revenue", threshold: "12.5" }, ctx).threshold,
    1250,
  );
  assert.equal(
    parseCustomRule({ ...ok, filter_dimension: "source", filter_value: "YouTube" }, ctx).filter,
    "source:is:YouTube",
  );
});
