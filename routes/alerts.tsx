/**
 * /sites/:siteId/alerts — the site's incidents (with a small chart of actual against the expected
 * band), its rules (tune, turn off, snooze) and its channels (email for each member, Slack,
 * signed webhooks; "send a test"; failures shown).
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { shellProps } from "../http/shell.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Notice } from "../components/AuthCard.tsx";
import { Field, Form } from "../components/Form.tsx";
import { roleAtLeast } from "../accounts/orgs.ts";
import type { Site } from "../accounts/sites.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import {
  type AlertRule,
  ensureDefaults,
  findRule,
  listRules,
  ruleTitle,
  snoozeRule,
  updateRule,
} from "../alerts/rules.ts";
import { type Incident, listIncidents } from "../alerts/incidents.ts";
import {
  addChannel,
  alertRecipients,
  findChannel,
  listChannels,
  removeChannel,
  setAlertEmail,
} from "../alerts/channels.ts";
import { channelHealth, sendTest } from "../alerts/deliver.ts";
import { formatValue, siteTime } from "../alerts/messages.ts";
import { checked, type FormProblem, idParam, readForm, tryForm } from "./forms.ts";
import { subscriptionsOf } from "../digests/schedule.ts";
import {
  CONDITIONS,
  createCustomRule,
  CUSTOM_METRIC_LABELS,
  CUSTOM_METRICS,
  customFormValues,
  deleteCustomRule,
  describeCondition,
  parseCustomRule,
  updateCustomRule,
  WINDOWS,
} from "../alerts/custom.ts";
import { type Goal, listGoals } from "../analytics/goals.ts";
import { DIMENSION_INFO, DIMENSIONS, FILTER_OPS } from "../analytics/dimensions.ts";
import { DigestSection } from "./digests.tsx";

const DONE: Record<string, string> = {
  saved: "Rule saved.",
  added:
    "Rule added. It is checked every few minutes against the last completed hour, day or week.",
  deleted: "Rule deleted.",
  snoozed: "Rule snoozed.",
  unsnoozed: "Snooze lifted.",
  removed: "Channel removed.",
  tested: "Test sent.",
  subscribed: "You will get this site's alerts by email.",
  unsubscribed: "You will no longer get this site's alerts by email.",
  digests: "Email reports saved.",
  "digest-sent": "Report sent: it's on its way to your inbox.",
  "digest-invalid": "Choose the hour and time zone from the lists.",
};

const SNOOZE_HOURS = [1, 4, 24, 168];

/** A rule's numeric settings, as form fields. */
const RULE_FIELDS = [
  ["sensitivity", "Sensitivity"],
  ["min_volume", "Minimum volume"],
  ["cooldown_minutes", "Cooldown (minutes)"],
] as const;

const CONDITION_LABELS: Record<(typeof CONDITIONS)[number], string> = {
  above: "is above",
  below: "is below",
  change_pct: "changes by % against the period before",
};
const OP_LABELS: Record<(typeof FILTER_OPS)[number], string> = {
  is: "is",
  is_not: "is not",
  contains: "contains",
};

function Select(props: {
  id: string;
  name: string;
  label: string;
  value: string;
  options: Array<[string, string]>;
  error?: string;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} name={props.name} aria-invalid={props.error ? "true" : undefined}>
        {props.options.map(([v, label]) => (
          <option value={v} selected={v === props.value}>{label}</option>
        ))}
      </select>
      {props.error && <div class="hint negative" role="alert">{props.error}</div>}
    </div>
  );
}

function Input(props: {
  id: string;
  name: string;
  label: string;
  value: string;
  error?: string;
  placeholder?: string;
  type?: string;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        placeholder={props.placeholder}
        step={props.type === "number" ? "any" : undefined}
        aria-invalid={props.error ? "true" : undefined}
      />
      {props.error && <div class="hint negative" role="alert">{props.error}</div>}
    </div>
  );
}

/** The form that adds or edits a custom rule; `prefix` keeps its ids apart from the others'. */
function CustomRuleForm(props: {
  action: string;
  csrf: string;
  prefix: string;
  values: Record<string, string>;
  goals: Goal[];
  problem?: FormProblem;
  submit: string;
}) {
  const v = props.values;
  const id = (name: string) => `cr-${props.prefix}-${name}`;
  const err = (name: string) => props.problem?.field === name ? props.problem.message : undefined;
  // Every control's id, name, value and error, from its name and the value it starts with.
  const f = (name: string, fallback = "") => ({
    id: id(name),
    name,
    value: v[name] ?? fallback,
    error: err(name),
  });
  const metrics: Array<[string, string]> = [
    ...CUSTOM_METRICS.map((m): [string, string] => [m, CUSTOM_METRIC_LABELS[m]]),
    ...props.goals.map((g): [string, string] => [`goal:${g.id}`, `Goal: ${g.name}`]),
  ];
  const dimensions: Array<[string, string]> = [
    ["", "(all traffic)"],
    ...DIMENSIONS.filter((d) => d !== "goal").map((d): [string, string] => [
      d,
      DIMENSION_INFO[d].label,
    ]),
  ];
  return (
    <Form action={props.action} csrf={props.csrf} class="inline-form custom-rule-form">
      <Input {...f("name")} label="Name (optional)" placeholder="YouTube traffic" />
      <Select {...f("metric", "visitors")} label="Metric" options={metrics} />
      <Select
        {...f("condition", "above")}
        label="When it"
        options={CONDITIONS.map((c) => [c, CONDITION_LABELS[c]])}
      />
      <Input {...f("threshold")} label="Number or %" type="number" placeholder="500 or -30" />
      <Select
        {...f("window", "hour")}
        label="Over the last"
        options={Object.keys(WINDOWS).map((w) => [w, w])}
      />
      <Select {...f("filter_dimension")} label="Only traffic where" options={dimensions} />
      <Select
        {...f("filter_op", "is")}
        label="Match"
        options={FILTER_OPS.map((o) => [o, OP_LABELS[o]])}
      />
      <Input {...f("filter_value")} label="Value" placeholder="YouTube" />
      <Input {...f("min_volume", "0")} label="Minimum visitors" type="number" />
      <Input {...f("cooldown_minutes", "60")} label="Cooldown (minutes)" type="number" />
      <label class="checkbox">
        <input type="checkbox" name="enabled" checked={checked(v, "enabled")} />
        On
      </label>
      <button type="submit" class="secondary">{props.submit}</button>
    </Form>
  );
}

/** Actual (line) against the expected band (shaded) over the incident's day. */
function IncidentChart(props: { incident: Incident }) {
  const pts = props.incident.series;
  if (pts.length < 2) return null;
  const w = 240, h = 60;
  const max = Math.max(1, ...pts.map((p) => Math.max(p.actual, p.upper)));
  const x = (i: number) => ((i / (pts.length - 1)) * w).toFixed(1);
  const y = (v: number) => (h - 2 - (v / max) * (h - 4)).toFixed(1);
  const band = [
    ...pts.map((p, i) => `${x(i)},${y(p.upper)}`),
    ...pts.map((p, i) => `${x(i)},${y(p.lower)}`).reverse(),
  ].join(" ");
  const line = pts.map((p, i) => `${x(i)},${y(p.actual)}`).join(" ");
  return (
    <svg
      class="incident-chart"
      viewBox={`0 0 ${w} ${h}`}
      preserveAspectRatio="none"
      role="img"
      aria-label="Actual against the expected range over the day before the incident"
    >
      <polygon points={band} class="band" />
      <polyline points={line} class="actual" fill="none" />
    </svg>
  );
}

function IncidentItem(
  props: { incident: Incident; rule?: AlertRule; site: Site; goalName?: string },
) {
  const { incident: i, site } = props;
  const notice = { metric: props.rule?.metric ?? "", site };
  const day = new Intl.DateTimeFormat("en-CA", { timeZone: site.timezone }).format(i.period_start);
  // A custom rule's dashboard link keeps its filter, so the numbers there are the alert's.
  const filter = props.rule?.kind === "custom" && props.rule.filter
    ? `&f=${encodeURIComponent(props.rule.filter)}`
    : "";
  return (
    <li class="incident">
      <div class="incident-head">
        <strong>
          {props.rule ? ruleTitle(props.rule, site.currency, props.goalName) : "Alert"}
        </strong>{" "}
        {i.closed_at
          ? <span class="badge ok">Back to normal</span>
          : <span class="badge bad">Open</span>}
      </div>
      <p>{i.summary}</p>
      {i.closed_at && i.resolution && <p class="muted small">{i.resolution}</p>}
      <IncidentChart incident={i} />
      <p class="small muted">
        {siteTime(i.opened_at, site.timezone)}
        {i.closed_at ? ` – ${siteTime(i.closed_at, site.timezone)}` : " – now"} · actual{" "}
        {formatValue(notice, i.actual)}, {props.rule?.kind === "custom"
          ? `alert when ${describeCondition(props.rule, site.currency)}`
          : `expected ${formatValue(notice, i.lower)}–${formatValue(notice, i.upper)}`} ·{" "}
        <a href={`/sites/${site.id}?period=custom&from=${day}&to=${day}${filter}`}>
          See the dashboard then
        </a>
      </p>
    </li>
  );
}

interface PageOptions {
  problem?: FormProblem;
  /** Which form the problem belongs to. */
  form?: string;
  values?: Record<string, string>;
  /** A new webhook's signing secret, shown once. */
  secret?: string;
}

async function alertsPage(c: Context<AppEnv>, opts: PageOptions = {}) {
  const site = c.get("site");
  const role = c.get("role");
  const user = c.get("user")!;
  const sql = c.get("app").db.sql;
  await ensureDefaults(sql, site.id);
  const shell = await shellProps(c, { active: "alerts" });
  const [rules, incidents, channels, health, recipients, subs, goals] = await Promise.all([
    listRules(sql, site.id),
    listIncidents(sql, site.id),
    listChannels(sql, site.id),
    channelHealth(sql, site.id),
    alertRecipients(sql, site.id),
    subscriptionsOf(sql, site.id, user.id),
    listGoals(sql, site.id),
  ]);
  const goalName = (metric: string) => goals.find((g) => `goal:${g.id}` === metric)?.name;
  const isAdmin = roleAtLeast(role, "admin");
  const isMember = roleAtLeast(role, "member");
  const subscribed = recipients.some((r) => r.email === user.email);
  const done = DONE[c.req.query("done") ?? ""];
  const p = opts.problem;
  const now = Date.now();
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        <div class="page-header">
          <h1>Alerts</h1>
        </div>
        {done && <Notice kind="success">{done}</Notice>}
        {p && <Notice kind="error">{p.message}</Notice>}
        {opts.secret && (
          <Notice kind="success">
            Webhook added. Its signing secret is shown only now: <code>{opts.secret}</code>{" "}
            Deliveries carry Standard Webhooks headers (webhook-id, webhook-timestamp,
            webhook-signature) signed with it.
          </Notice>
        )}

        <section class="card" aria-labelledby="incidents-title">
          <h2 id="incidents-title">Incidents</h2>
          {incidents.length === 0
            ? (
              <p class="empty">
                Nothing unusual so far. Sextant learns this site's normal traffic, purchases and
                revenue hour by hour and tells you here, by email and on your channels when
                something is off. It needs three weeks of history (or an import) to judge.
              </p>
            )
            : (
              <ul class="incidents">
                {incidents.map((i) => {
                  const rule = rules.find((r) => r.id === i.rule_id);
                  return (
                    <IncidentItem
                      incident={i}
                      rule={rule}
                      site={site}
                      goalName={rule && goalName(rule.metric)}
                    />
                  );
                })}
              </ul>
            )}
        </section>

        <section class="card" aria-labelledby="rules-title">
          <h2 id="rules-title">Rules</h2>
          <p class="muted">
            Sensitivity is how far from normal counts as unusual (higher: fewer alerts). Minimum
            volume keeps quiet hours from paging you; 0 keeps each rule's own.
          </p>
          <ul class="rules">
            {rules.map((r) => {
              const snoozed = r.snoozed_until && r.snoozed_until.getTime() > now;
              const mine = opts.form === `rule-${r.id}`;
              const v = mine ? opts.values : undefined;
              return (
                <li class="rule">
                  <div class="rule-head">
                    <strong>{ruleTitle(r, site.currency, goalName(r.metric))}</strong>{" "}
                    {!r.enabled && <span class="badge">Off</span>}
                    {snoozed && (
                      <span class="badge">
                        Snoozed until {siteTime(r.snoozed_until!, site.timezone)}
                      </span>
                    )}
                  </div>
                  {isAdmin && r.kind === "custom" && (
                    <>
                      <CustomRuleForm
                        action={`/sites/${site.id}/alerts/custom/${r.id}`}
                        csrf={shell.csrf}
                        prefix={String(r.id)}
                        values={v ?? customFormValues(r, site.currency)}
                        goals={goals}
                        problem={mine ? p : undefined}
                        submit="Save"
                      />
                      <Form
                        action={`/sites/${site.id}/alerts/custom/${r.id}/delete`}
                        csrf={shell.csrf}
                        class="inline-form"
                      >
                        <button type="submit" class="link-button">Delete this rule</button>
                      </Form>
                    </>
                  )}
                  {isAdmin && r.kind !== "custom" && (
                    <Form
                      action={`/sites/${site.id}/alerts/rules/${r.id}`}
                      csrf={shell.csrf}
                      class="inline-form"
                    >
                      <label class="checkbox">
                        <input
                          type="checkbox"
                          name="enabled"
                          checked={v ? checked(v, "enabled") : r.enabled}
                        />
                        On
                      </label>
                      {RULE_FIELDS.map(([name, label]) => (
                        <Field
                          id={`rule-${r.id}-${name}`}
                          label={label}
                          name={name}
                          type="number"
                          value={v?.[name] ?? String(r[name])}
                          error={mine && p?.field === name ? p.message : undefined}
                        />
                      ))}
                      <button type="submit" class="secondary">Save</button>
                    </Form>
                  )}
                  {isMember && (
                    <Form
                      action={`/sites/${site.id}/alerts/rules/${r.id}/snooze`}
                      csrf={shell.csrf}
                      class="inline-form"
                    >
                      {snoozed
                        ? (
                          <button type="submit" name="hours" value="0" class="link-button">
                            Lift the snooze
                          </button>
                        )
                        : (
                          <>
                            <label for={`snooze-${r.id}`}>Snooze for</label>
                            <select id={`snooze-${r.id}`} name="hours">
                              {SNOOZE_HOURS.map((h) => (
                                <option value={h}>{h < 24 ? `${h} h` : `${h / 24} d`}</option>
                              ))}
                            </select>
                            <button type="submit" class="secondary">Snooze</button>
                          </>
                        )}
                    </Form>
                  )}
                </li>
              );
            })}
          </ul>
          {isAdmin && (
            <div class="stack">
              <h3>Add a rule</h3>
              <p class="muted small">
                Your own line to watch, beside the learned detectors: for example visitors from
                YouTube above 500 in an hour, revenue below $100 in a day, or a goal's conversions
                30% lower than the week before (type −30). Rates are percents; revenue is in{" "}
                {site.currency}.
              </p>
              <CustomRuleForm
                action={`/sites/${site.id}/alerts/custom`}
                csrf={shell.csrf}
                prefix="new"
                values={opts.form === "custom-new" && opts.values
                  ? opts.values
                  : { enabled: "on", cooldown_minutes: "60", min_volume: "0" }}
                goals={goals}
                problem={opts.form === "custom-new" ? p : undefined}
                submit="Add rule"
              />
            </div>
          )}
        </section>

        <section class="card" aria-labelledby="channels-title">
          <h2 id="channels-title">Channels</h2>
          <Form action={`/sites/${site.id}/alerts/email`} csrf={shell.csrf} class="inline-form">
            <span>
              {subscribed
                ? "You get this site's alerts by email."
                : "You don't get this site's alerts by email."}
            </span>
            <button
              type="submit"
              name="subscribed"
              value={subscribed ? "off" : "on"}
              class="secondary"
            >
              {subscribed ? "Stop emailing me" : "Email me alerts"}
            </button>
          </Form>
          <ul class="channels">
            {channels.map((ch) => {
              const last = health.find((h) => h.channel_id === ch.id);
              const failing = last && last.last_error && last.status !== "sent";
              return (
                <li class="channel">
                  <strong>
                    {ch.kind === "email" ? "Email" : ch.kind === "slack" ? "Slack" : "Webhook"}
                  </strong>{" "}
                  {ch.kind !== "email" && ch.name} {ch.kind === "email" && (
                    <span class="muted">
                      {recipients.length} {recipients.length === 1 ? "member" : "members"}
                    </span>
                  )}
                  {failing && (
                    <div class="small negative" role="status">
                      {last.status === "failed" ? "Failing, gave up" : "Failing, retrying"} after
                      {" "}
                      {last.attempts} {last.attempts === 1 ? "attempt" : "attempts"}:{" "}
                      {last.last_error}
                    </div>
                  )}
                  {last && !failing && (
                    <div class="small muted">
                      Last message {last.status} on {siteTime(last.at, site.timezone)}.
                    </div>
                  )}
                  <div class="row">
                    {isMember && (
                      <Form
                        action={`/sites/${site.id}/alerts/channels/${ch.id}/test`}
                        csrf={shell.csrf}
                        class="inline-form"
                      >
                        <button type="submit" class="secondary">Send a test</button>
                      </Form>
                    )}
                    {isAdmin && ch.kind !== "email" && (
                      <Form
                        action={`/sites/${site.id}/alerts/channels/${ch.id}/delete`}
                        csrf={shell.csrf}
                        class="inline-form"
                      >
                        <button type="submit" class="link-button">Remove</button>
                      </Form>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
          {isAdmin && (
            <Form action={`/sites/${site.id}/alerts/channels`} csrf={shell.csrf} class="stack">
              <h3>Add a channel</h3>
              <div class="field">
                <label for="f-kind">Kind</label>
                <select id="f-kind" name="kind">
                  <option value="slack" selected={opts.values?.kind !== "webhook"}>
                    Slack incoming webhook
                  </option>
                  <option value="webhook" selected={opts.values?.kind === "webhook"}>
                    Webhook (signed JSON, for Discord, Zapier or your own code)
                  </option>
                </select>
              </div>
              <Field
                label="Name"
                name="name"
                value={opts.form === "channel" ? opts.values?.name : ""}
                placeholder="#alerts"
                error={opts.form === "channel" && p?.field === "name" ? p.message : undefined}
              />
              <Field
                label="URL"
                name="url"
                type="url"
                value={opts.form === "channel" ? opts.values?.url : ""}
                placeholder="https://hooks.slack.com/services/…"
                error={opts.form === "channel" && p?.field === "url" ? p.message : undefined}
              />
              <p>
                <button type="submit">Add channel</button>
              </p>
            </Form>
          )}
        </section>

        <DigestSection siteId={site.id} csrf={shell.csrf} subs={subs} timezone={site.timezone} />
      </div>
    </AppShell>,
    { title: `Alerts · ${site.name}`, status: p?.status },
  );
}

function numberIn(
  form: Record<string, string>,
  name: string,
  min: number,
  max: number,
  what: string,
) {
  const raw = (form[name] ?? "").trim();
  const n = Number(raw);
  if (raw === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new Invalid(name, `${what} must be a number from ${min} to ${max}.`);
  }
  return n;
}

/** Registers the alerts page and its forms. */
export function registerAlerts(app: Hono<AppEnv>): void {
  const back = (c: Context<AppEnv>, done: string) =>
    c.redirect(`/sites/${c.get("site").id}/alerts?done=${done}`, 303);

  app.get("/sites/:siteId/alerts", requireSite("viewer"), (c) => alertsPage(c));

  app.post("/sites/:siteId/alerts/rules/:ruleId", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const ruleId = idParam(c, "ruleId");
    const result = await tryForm(async () => {
      const values = {
        enabled: checked(form, "enabled"),
        sensitivity: numberIn(form, "sensitivity", 1, 20, "Sensitivity"),
        minVolume: Math.round(numberIn(form, "min_volume", 0, 1_000_000, "Minimum volume")),
        cooldownMinutes: Math.round(
          numberIn(form, "cooldown_minutes", 0, 10080, "The cooldown"),
        ),
      };
      if (!await updateRule(c.get("app").db.sql, site.id, ruleId, values)) throw new NotFound();
    });
    if (!result.ok) {
      return alertsPage(c, { problem: result.problem, form: `rule-${ruleId}`, values: form });
    }
    return back(c, "saved");
  });

  const customContext = async (c: Context<AppEnv>) => ({
    currency: c.get("site").currency,
    goalIds: (await listGoals(c.get("app").db.sql, c.get("site").id)).map((g) => g.id),
  });

  app.post("/sites/:siteId/alerts/custom", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const ctx = await customContext(c);
    const result = await tryForm(() =>
      createCustomRule(c.get("app").db.sql, site.id, parseCustomRule(form, ctx))
    );
    if (!result.ok) {
      return alertsPage(c, { problem: result.problem, form: "custom-new", values: form });
    }
    return back(c, "added");
  });

  app.post("/sites/:siteId/alerts/custom/:ruleId", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const ruleId = idParam(c, "ruleId");
    const sql = c.get("app").db.sql;
    const rule = await findRule(sql, site.id, ruleId);
    if (!rule || rule.kind !== "custom") throw new NotFound();
    const ctx = await customContext(c);
    const result = await tryForm(() =>
      updateCustomRule(sql, site.id, ruleId, parseCustomRule(form, ctx))
    );
    if (!result.ok) {
      return alertsPage(c, { problem: result.problem, form: `rule-${ruleId}`, values: form });
    }
    return back(c, "saved");
  });

  app.post("/sites/:siteId/alerts/custom/:ruleId/delete", requireSite("admin"), async (c) => {
    await readForm(c);
    const site = c.get("site");
    if (!await deleteCustomRule(c.get("app").db.sql, site.id, idParam(c, "ruleId"))) {
      throw new NotFound();
    }
    return back(c, "deleted");
  });

  app.post("/sites/:siteId/alerts/rules/:ruleId/snooze", requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const rule = await findRule(sql, site.id, idParam(c, "ruleId"));
    if (!rule) throw new NotFound();
    const hours = Number(form.hours);
    if (hours !== 0 && !SNOOZE_HOURS.includes(hours)) {
      return alertsPage(c, {
        problem: {
          message: "Choose how long to snooze from the list.",
          field: "hours",
          status: 400,
        },
      });
    }
    await snoozeRule(sql, site.id, rule.id, hours ? new Date(Date.now() + hours * 3600_000) : null);
    return back(c, hours ? "snoozed" : "unsnoozed");
  });

  app.post("/sites/:siteId/alerts/email", requireSite("viewer"), async (c) => {
    const form = await readForm(c);
    const on = checked(form, "subscribed");
    await setAlertEmail(c.get("app").db.sql, c.get("site").id, c.get("user")!.id, on);
    return back(c, on ? "subscribed" : "unsubscribed");
  });

  app.post("/sites/:siteId/alerts/channels", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const ctx = c.get("app");
    const result = await tryForm(() => {
      const kind = form.kind === "webhook" ? "webhook" : form.kind === "slack" ? "slack" : null;
      if (!kind) throw new Invalid("kind", "Choose Slack or webhook.");
      const name = (form.name ?? "").trim();
      if (name.length > 80) throw new Invalid("name", "Keep the name under 80 characters.");
      const url = (form.url ?? "").trim();
      if (!url) throw new Invalid("url", "Paste the address messages should be sent to.");
      if (url.length > 2000) throw new Invalid("url", "That address is too long.");
      return addChannel(
        { sql: ctx.db.sql, secrets: ctx.secrets, allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE },
        c.get("site").id,
        { kind, name, url },
      );
    });
    if (!result.ok) {
      return alertsPage(c, { problem: result.problem, form: "channel", values: form });
    }
    if (result.value.secret) return alertsPage(c, { secret: result.value.secret });
    return back(c, "saved");
  });

  app.post("/sites/:siteId/alerts/channels/:channelId/delete", requireSite("admin"), async (c) => {
    await readForm(c);
    const removed = await removeChannel(
      c.get("app").db.sql,
      c.get("site").id,
      idParam(c, "channelId"),
    );
    if (!removed) throw new NotFound();
    return back(c, "removed");
  });

  app.post("/sites/:siteId/alerts/channels/:channelId/test", requireSite("member"), async (c) => {
    await readForm(c);
    const ctx = c.get("app");
    const channel = await findChannel(ctx.db.sql, c.get("site").id, idParam(c, "channelId"));
    if (!channel) throw new NotFound();
    const result = await sendTest(ctx, channel, c.get("user")!.email);
    if (!result.ok) {
      return alertsPage(c, {
        problem: {
          message: `The test didn't go through: ${result.error} Sextant will retry it.`,
          // The page worked; the channel did not: the sentence says so.
          status: 200,
        },
      });
    }
    return back(c, "tested");
  });
}
