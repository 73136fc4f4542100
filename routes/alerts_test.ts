import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import { signedInTenant } from "../testing/tenants.ts";
import { startFakeSlack } from "../testing/fake_slack.ts";
import { createUser } from "../accounts/users.ts";
import { setMembership } from "../accounts/orgs.ts";
import { listRules } from "../alerts/rules.ts";

/** Each label points at its own control only when no two elements share an id. */
function assertUniqueIds(html: string) {
  const ids = [...html.matchAll(/\sid="([^"]*)"/g)].map((m) => m[1]);
  const repeated = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  assert.deepEqual(repeated, [], `ids used more than once: ${repeated.join(", ")}`);
}

Deno.test("admins add channels, tune and snooze rules on the alerts page; viewers only choose email", async () => {
  const slack = startFakeSlack();
  const app = await startTestApp({ env: { OUTBOUND_ALLOW_PRIVATE: "on" } });
  const sql = app.db.sql;
  try {
    const tenant = await signedInTenant(sql, "alerts.example", { name: "Alerts <b>shop</b>" });
    const siteId = tenant.site.id;
    const owner = new TestClient(app);
    owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
    let { res, html } = await owner.page(`/sites/${siteId}/alerts`);
    assert.equal(res.status, 200);
    assert.match(html, /Nothing unusual so far/, "the empty state says what happens next");
    assert.match(html, /Traffic spike/);
    assert.match(html, /Tracker went silent/);
    assert.match(html, /You get this site(&#39;|')s alerts by email/);
    assert.doesNotMatch(html, /<b>shop<\/b>/, "the site name is escaped");

    // A Slack channel, then its test reaches the stand-in.
    let r = await owner.post(`/sites/${siteId}/alerts/channels`, {
      kind: "slack",
      name: "#alerts",
      url: `${slack.url}/services/T1/B1/abc`,
    });
    assert.equal(r.status, 303);
    const [{ id: channelId }] = await sql`
      select id from alert_channels where site_id = ${siteId} and kind = 'slack'`;
    r = await owner.post(`/sites/${siteId}/alerts/channels/${channelId}/test`);
    assert.equal(r.status, 303);
    assert.match(String(slack.received.at(-1)?.json?.text), /Test alert for Alerts &lt;b&gt;shop/);

    // A webhook's secret is shown once.
    r = await owner.post(`/sites/${siteId}/alerts/channels`, {
      kind: "webhook",
      name: "Zap",
      url: `${slack.url}/hooks/zap`,
    });
    assert.equal(r.status, 200);
    assert.match(await r.text(), /signing secret is shown only now: <code>whsec_/);

    r = await owner.post(`/sites/${siteId}/alerts/channels`, {
      kind: "slack",
      name: "x",
      url: "ftp://example.com/hook",
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /Only http:\/\/ and https:\/\/ addresses can be used/);

    const [rule] = await listRules(sql, siteId);
    r = await owner.post(`/sites/${siteId}/alerts/rules/${rule.id}`, {
      enabled: "on",
      sensitivity: "50",
      min_volume: "10",
      cooldown_minutes: "60",
    });
    assert.equal(r.status, 400);
    const rejected = await r.text();
    assert.match(rejected, /Sensitivity must be a number from 1 to 20/);
    assertUniqueIds(rejected);
    r = await owner.post(`/sites/${siteId}/alerts/rules/${rule.id}`, {
      sensitivity: "5",
      min_volume: "25",
      cooldown_minutes: "120",
    });
    assert.equal(r.status, 303);
    const [saved] = (await listRules(sql, siteId)).filter((x) => x.id === rule.id);
    assert.deepEqual(
      [saved.enabled, saved.sensitivity, saved.min_volume, saved.cooldown_minutes],
      [false, 5, 25, 120],
    );

    r = await owner.post(`/sites/${siteId}/alerts/rules/${rule.id}/snooze`, { hours: "4" });
    assert.equal(r.status, 303);
    ({ html } = await owner.page(`/sites/${siteId}/alerts`));
    assert.match(html, /Snoozed until/);
    r = await owner.post(`/sites/${siteId}/alerts/rules/${rule.id}/snooze`, { hours: "5" });
    assert.equal(r.status, 400);
    await r.body?.cancel();

    // Viewers see the page and choose their own email, nothing else.
    const viewer = await createUser(sql, {
      email: "viewer@example.com",
      password: "long enough pw",
    });
    await setMembership(sql, tenant.orgId, viewer.id, "viewer");
    const asViewer = new TestClient(app);
    await asViewer.signIn("viewer@example.com", "long enough pw");
    ({ html } = await asViewer.page(`/sites/${siteId}/alerts`));
    assert.match(html, /You don(&#39;|')t get this site(&#39;|')s alerts by email/);
    assert.doesNotMatch(html, /Add a channel/);
    r = await asViewer.post(`/sites/${siteId}/alerts/email`, { subscribed: "on" });
    assert.equal(r.status, 303);
    ({ html } = await asViewer.page(`/sites/${siteId}/alerts`));
    assert.match(html, /You get this site(&#39;|')s alerts by email/);
    r = await asViewer.post(`/sites/${siteId}/alerts/rules/${rule.id}/snooze`, { hours: "4" });
    assert.equal(r.status, 403);
    await r.body?.cancel();
  } finally {
    await app.stop();
    await slack.close();
  }
});

Deno.test("admins add, edit, turn off and delete custom rules; bad input gets a sentence", async () => {
  const app = await startTestApp();
  const sql = app.db.sql;
  try {
    const tenant = await signedInTenant(sql, "custom-rules.example");
    const siteId = tenant.site.id;
    const owner = new TestClient(app);
    owner.cookies.set("sextant_session", tenant.cookie.split("=")[1]);
    let { html } = await owner.page(`/sites/${siteId}/alerts`);
    assert.match(html, /Add a rule/);
    assert.match(html, /Conversion rate drop/, "the conversion detector is on by default");

    let r = await owner.post(`/sites/${siteId}/alerts/custom`, {
      metric: "visitors",
      condition: "change_pct",
      threshold: "0",
      window: "day",
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /The change must be a percent other than 0/);

    r = await owner.post(`/sites/${siteId}/alerts/custom`, {
      name: "",
      metric: "revenue",
      condition: "below",
      threshold: "100",
      window: "day",
      filter_dimension: "source",
      filter_op: "is",
      filter_value: "<YouTube>",
      enabled: "on",
    });
    assert.equal(r.status, 303);
    const custom = () =>
      sql`select * from alert_rules where site_id = ${siteId} and kind = 'custom'`;
    let [rule] = await custom();
    assert.deepEqual(
      [rule.metric, rule.condition, Number(rule.threshold), rule.time_window, rule.filter],
      ["revenue", "below", 10000, "day", "source:is:<YouTube>"],
    );
    ({ html } = await owner.page(`/sites/${siteId}/alerts`));
    assert.match(html, /Revenue \(source is &lt;YouTube(&gt;|>)\) below \$100 in a day/);
    assert.doesNotMatch(html, /<YouTube>/, "the filter's value is escaped");
    // Its incident tells the rule's line, and links to the dashboard with the rule's filter.
    await sql`
      insert into alert_incidents (site_id, rule_id, period_start, period_end, actual, expected,
        lower, upper, summary)
      values (${siteId}, ${rule.id}, now() - interval '1 day', now(), 4200, 10000, 10000, 10000,
        'Revenue fell below $100: $42 in the day to Mon 14:00.')`;
    ({ html } = await owner.page(`/sites/${siteId}/alerts`));
    assert.match(html, /actual \$42, alert when below \$100 in a day/);
    assert.match(html, /&amp;f=source%3Ais%3A%3CYouTube%3E/);
    assertUniqueIds(html);

    // Edit: off, another threshold; bad input keeps what was typed and names the problem.
    r = await owner.post(`/sites/${siteId}/alerts/custom/${rule.id}`, {
      metric: "bounce_rate",
      condition: "above",
      threshold: "140",
      window: "week",
    });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /A rate is a percent from 0 to 100/);
    r = await owner.post(`/sites/${siteId}/alerts/custom/${rule.id}`, {
      name: "Bouncy week",
      metric: "bounce_rate",
      condition: "above",
      threshold: "70",
      window: "week",
    });
    assert.equal(r.status, 303);
    [rule] = await custom();
    assert.deepEqual([rule.name, rule.enabled, rule.metric, rule.filter], [
      "Bouncy week",
      false,
      "bounce_rate",
      "",
    ]);

    // Built-in rules are turned off, never deleted.
    const [builtin] = await listRules(sql, siteId);
    r = await owner.post(`/sites/${siteId}/alerts/custom/${builtin.id}/delete`);
    assert.equal(r.status, 404);
    await r.body?.cancel();
    r = await owner.post(`/sites/${siteId}/alerts/custom/${rule.id}/delete`);
    assert.equal(r.status, 303);
    assert.equal((await custom()).length, 0);
  } finally {
    await app.stop();
  }
});
