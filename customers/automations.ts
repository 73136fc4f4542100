/**
 * Automations: trigger → conditions → actions. A trigger is something that happens to a customer
 * (a purchase, renewal, failed payment, refund, cancellation, entering a segment, going inactive,
 * being tagged); conditions are a segment rule the customer must match then; actions tag, untag,
 * note, email (through the mailer), post to Slack or send a signed webhook. Each trigger event
 * is claimed once per automation before its actions run, so no action runs twice for it, whichever
 * instance sees it first.
 */
import { z } from "zod";
import type { Sql } from "../db/connect.ts";
import type { AppContext } from "../http/context.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { guardedFetch } from "../lib/outbound.ts";
import { newWebhookSecret, signDelivery } from "../lib/standard_webhooks.ts";
import { sendMail } from "../mail/mailer.ts";
import { renderEmail } from "../mail/template.tsx";
import { storableText } from "../lib/text.ts";
import {
  parseRule,
  type SegmentRule,
  SegmentRule as RuleSchema,
  segmentWhere,
} from "./segments.ts";
import { findSegment } from "./segments.ts";
import { ensureTag, findTag, tagCustomers, untagCustomers } from "./tags.ts";
import { addNotes } from "./notes.ts";
import { type Customer, settleCustomers, STATUS_LABELS } from "./store.ts";

export const TRIGGER_KINDS = [
  "purchase",
  "renewal",
  "payment_failed",
  "refund",
  "cancellation",
  "entered_segment",
  "inactive",
  "tag_added",
] as const;
export type TriggerKind = typeof TRIGGER_KINDS[number];

export const TRIGGER_LABELS: Record<TriggerKind, string> = {
  purchase: "Makes a purchase",
  renewal: "Renews",
  payment_failed: "Has a failed payment",
  refund: "Is refunded",
  cancellation: "Cancels",
  entered_segment: "Enters a segment",
  inactive: "Is inactive for some days",
  tag_added: "Is given a tag",
};

const Trigger = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("purchase") }),
  z.object({ kind: z.literal("renewal") }),
  z.object({ kind: z.literal("payment_failed") }),
  z.object({ kind: z.literal("refund") }),
  z.object({ kind: z.literal("cancellation") }),
  z.object({ kind: z.literal("entered_segment"), segmentId: z.number().int().positive() }),
  z.object({ kind: z.literal("inactive"), days: z.number().int().min(1).max(3650) }),
  z.object({ kind: z.literal("tag_added"), tagId: z.number().int().positive() }),
]);
export type Trigger = z.infer<typeof Trigger>;

const Action = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("add_tag"), tagId: z.number().int().positive() }),
  z.object({ kind: z.literal("remove_tag"), tagId: z.number().int().positive() }),
  z.object({ kind: z.literal("note"), body: z.string().min(1).max(10_000) }),
  z.object({
    kind: z.literal("email"),
    subject: z.string().min(1).max(200),
    body: z.string().min(1).max(10_000),
  }),
  // Slack incoming-webhook URLs are secrets: stored sealed.
  z.object({ kind: z.literal("slack"), urlSealed: z.string(), text: z.string().min(1).max(3000) }),
  z.object({ kind: z.literal("webhook"), url: z.string().url(), secretSealed: z.string() }),
]);
export type Action = z.infer<typeof Action>;

/** A saved automation. */
export interface Automation {
  id: number;
  site_id: number;
  name: string;
  enabled: boolean;
  trigger: Trigger;
  conditions: SegmentRule;
  actions: Action[];
  active_since: Date;
  segment_seen_at: Date | null;
  created_at: Date;
}

/** What a person fills in; empty fields mean "no such action". */
export interface AutomationForm {
  name: string;
  trigger: string;
  segmentId?: string;
  days?: string;
  tag?: string;
  conditions?: string;
  addTag?: string;
  removeTag?: string;
  note?: string;
  emailSubject?: string;
  emailBody?: string;
  slackUrl?: string;
  slackText?: string;
  webhookUrl?: string;
}

const text = (s: string | undefined) => storableText(s ?? "").trim();

/** Checks a form and turns it into trigger, conditions and actions (sealing secrets). */
export async function buildAutomation(
  ctx: Pick<AppContext, "db" | "secrets">,
  site: { id: number },
  form: AutomationForm,
  previous?: Automation,
): Promise<{ name: string; trigger: Trigger; conditions: SegmentRule; actions: Action[] }> {
  const sql = ctx.db.sql;
  const name = text(form.name).replace(/\s+/g, " ");
  if (!name) throw new Invalid("name", "Give the automation a name.");
  if (name.length > 80) throw new Invalid("name", "Keep automation names to 80 characters.");
  const kind = form.trigger as TriggerKind;
  if (!TRIGGER_KINDS.includes(kind)) {
    throw new Invalid("trigger", "Pick what starts the automation.");
  }
  let trigger: Trigger;
  if (kind === "entered_segment") {
    const id = Number(form.segmentId);
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new Invalid("segmentId", "Pick the segment people enter.");
    }
    trigger = { kind, segmentId: (await findSegment(sql, site.id, id)).id };
  } else if (kind === "inactive") {
    const days = Number(form.days);
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
      throw new Invalid("days", "Say after how many days (1 to 3650) without activity.");
    }
    trigger = { kind, days };
  } else if (kind === "tag_added") {
    if (!text(form.tag)) throw new Invalid("tag", "Name the tag that starts it.");
    trigger = { kind, tagId: (await ensureTag(sql, site.id, text(form.tag))).id };
  } else trigger = { kind };
  const conditions = form.conditions
    ? parseRule(form.conditions)
    : { match: "all" as const, conditions: [] };
  const actions: Action[] = [];
  if (text(form.addTag)) {
    actions.push({ kind: "add_tag", tagId: (await ensureTag(sql, site.id, text(form.addTag))).id });
  }
  if (text(form.removeTag)) {
    actions.push({
      kind: "remove_tag",
      tagId: (await ensureTag(sql, site.id, text(form.removeTag))).id,
    });
  }
  if (text(form.note)) actions.push({ kind: "note", body: text(form.note).slice(0, 10_000) });
  if (text(form.emailSubject) || text(form.emailBody)) {
    if (!text(form.emailSubject) || !text(form.emailBody)) {
      throw new Invalid("emailSubject", "An email needs both a subject and a message.");
    }
    actions.push({
      kind: "email",
      subject: text(form.emailSubject).slice(0, 200),
      body: text(form.emailBody).slice(0, 10_000),
    });
  }
  const slackUrl = text(form.slackUrl);
  const oldSlack = previous?.actions.find((a) => a.kind === "slack");
  if (slackUrl || (oldSlack && text(form.slackText))) {
    if (slackUrl && !/^https?:\/\//.test(slackUrl)) {
      throw new Invalid("slackUrl", "The Slack webhook address starts with https://.");
    }
    actions.push({
      kind: "slack",
      urlSealed: slackUrl
        ? await ctx.secrets.encrypt(slackUrl)
        : (oldSlack as { urlSealed: string }).urlSealed,
      text: (text(form.slackText) || "{{email}} triggered {{automation}}").slice(0, 3000),
    });
  }
  const webhookUrl = text(form.webhookUrl);
  if (webhookUrl) {
    let ok = false;
    try {
      ok = ["http:", "https:"].includes(new URL(webhookUrl).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new Invalid("webhookUrl", "The webhook address must be an http(s) URL.");
    const old = previous?.actions.find((a) => a.kind === "webhook");
    actions.push({
      kind: "webhook",
      url: webhookUrl,
      secretSealed: old && old.kind === "webhook"
        ? old.secretSealed
        : await ctx.secrets.encrypt(newWebhookSecret()),
    });
  }
  if (actions.length === 0) throw new Invalid("actions", "Add at least one action.");
  return { name, trigger, conditions: RuleSchema.parse(conditions), actions };
}

const COLUMNS = [
  "id",
  "site_id",
  "name",
  "enabled",
  "trigger",
  "conditions",
  "actions",
  "active_since",
  "segment_seen_at",
  "created_at",
];

/** The site's automations, newest first. */
export async function listAutomations(sql: Sql, siteId: number): Promise<Automation[]> {
  return await sql<Automation[]>`
    select ${sql(COLUMNS)} from customer_automations where site_id = ${siteId} order by id desc`;
}

/** One automation of the site; NotFound otherwise. */
export async function findAutomation(sql: Sql, siteId: number, id: number): Promise<Automation> {
  const [row] = await sql<Automation[]>`
    select ${sql(COLUMNS)} from customer_automations where site_id = ${siteId} and id = ${id}`;
  if (!row) throw new NotFound("We couldn't find that automation.");
  return row;
}

/** Saves a new automation (enabled); it acts on events from now on. */
export async function createAutomation(
  ctx: Pick<AppContext, "db" | "secrets">,
  site: { id: number },
  form: AutomationForm,
): Promise<Automation> {
  const a = await buildAutomation(ctx, site, form);
  const sql = ctx.db.sql;
  const [row] = await sql<{ id: number }[]>`
    insert into customer_automations (site_id, name, trigger, conditions, actions)
    values (${site.id}, ${a.name}, ${sql.json(a.trigger as never)},
      ${sql.json(a.conditions as never)}, ${sql.json(a.actions as never)})
    returning id`;
  return await findAutomation(sql, site.id, row.id);
}

/** Changes an automation; a new trigger starts looking from now. */
export async function updateAutomation(
  ctx: Pick<AppContext, "db" | "secrets">,
  site: { id: number },
  id: number,
  form: AutomationForm,
): Promise<Automation> {
  const sql = ctx.db.sql;
  const previous = await findAutomation(sql, site.id, id);
  const a = await buildAutomation(ctx, site, form, previous);
  const sameTrigger = JSON.stringify(a.trigger) === JSON.stringify(previous.trigger);
  await sql`
    update customer_automations set name = ${a.name}, trigger = ${sql.json(a.trigger as never)},
      conditions = ${sql.json(a.conditions as never)}, actions = ${sql.json(a.actions as never)},
      active_since = ${sameTrigger ? previous.active_since : new Date()},
      segment_seen_at = ${sameTrigger ? previous.segment_seen_at : null}, updated_at = now()
    where site_id = ${site.id} and id = ${id}`;
  if (!sameTrigger) {
    await sql`delete from customer_automation_members where automation_id = ${id}`;
  }
  return await findAutomation(sql, site.id, id);
}

/** Turns an automation on (acting on events from now) or off. */
export async function setEnabled(sql: Sql, siteId: number, id: number, on: boolean) {
  const a = await findAutomation(sql, siteId, id);
  if (a.enabled === on) return;
  await sql`
    update customer_automations set enabled = ${on},
      active_since = case when ${on} then now() else active_since end,
      segment_seen_at = case when ${on} then null else segment_seen_at end, updated_at = now()
    where site_id = ${siteId} and id = ${id}`;
  if (on) await sql`delete from customer_automation_members where automation_id = ${id}`;
}

/** Deletes an automation and its history. */
export async function deleteAutomation(sql: Sql, siteId: number, id: number): Promise<void> {
  await findAutomation(sql, siteId, id);
  await sql`delete from customer_automations where site_id = ${siteId} and id = ${id}`;
}

/** The webhook secret an automation signs with, for the person setting up the receiver. */
export async function webhookSecret(
  ctx: Pick<AppContext, "secrets">,
  a: Automation,
): Promise<string | null> {
  const hook = a.actions.find((x) => x.kind === "webhook");
  return hook && hook.kind === "webhook" ? await ctx.secrets.decrypt(hook.secretSealed) : null;
}

/** One thing that happened to one customer. */
export interface TriggerEvent {
  customerId: number;
  /** Unique per automation: the same event always has the same key. */
  key: string;
  at: Date;
}

/** Most events one pass takes per automation; the rest wait for the next pass. */
const BATCH = 500;

/** Events of the trigger since `since`, oldest first; `look` stores segment membership. */
async function triggerEvents(
  sql: Sql,
  a: Automation,
  site: { id: number; timezone: string },
  since: Date,
  look: boolean,
): Promise<TriggerEvent[]> {
  await settleCustomers(sql, site.id);
  const t = a.trigger;
  const purchaseKinds: Record<string, string[]> = {
    purchase: ["one_time", "subscription_start"],
    renewal: ["renewal"],
    refund: ["refund"],
  };
  if (t.kind === "purchase" || t.kind === "renewal" || t.kind === "refund") {
    const rows = await sql<{ customer_id: number; id: string; ts: Date }[]>`
      select customer_id, id, ts from purchases
      where site_id = ${site.id} and customer_id is not null
        and kind in ${sql(purchaseKinds[t.kind])} and created_at >= ${since}
      order by created_at, id limit ${BATCH}`;
    return rows.map((r) => ({ customerId: r.customer_id, key: `p:${r.id}`, at: r.ts }));
  }
  if (t.kind === "cancellation") {
    const rows = await sql<{ customer_id: number; id: number; ts: Date }[]>`
      select s.customer_id, m.id, m.ts from mrr_movements m
      join subscriptions s on s.site_id = m.site_id and s.provider = m.provider
        and s.subscription_id = m.subscription_id
      where m.site_id = ${site.id} and m.kind = 'churn' and s.customer_id is not null
        and m.created_at >= ${since}
      order by m.created_at, m.id limit ${BATCH}`;
    return rows.map((r) => ({ customerId: r.customer_id, key: `m:${r.id}`, at: r.ts }));
  }
  if (t.kind === "payment_failed") {
    // One run per stored failure: each retry that fails is its own.
    const rows = await sql<{ id: number; customer_id: number; ts: Date }[]>`
      select id, customer_id, ts from payment_failures
      where site_id = ${site.id} and customer_id is not null and created_at >= ${since}
      order by created_at, id limit ${BATCH}`;
    return rows.map((r) => ({ customerId: r.customer_id, key: `pf:${r.id}`, at: r.ts }));
  }
  if (t.kind === "tag_added") {
    const rows = await sql<{ customer_id: number; added_at: Date }[]>`
      select customer_id, added_at from customer_taggings
      where site_id = ${site.id} and tag_id = ${t.tagId} and added_at >= ${since}
      order by added_at limit ${BATCH}`;
    return rows.map((r) => ({
      customerId: r.customer_id,
      key: `t:${t.tagId}:${r.customer_id}:${r.added_at.getTime()}`,
      at: r.added_at,
    }));
  }
  if (t.kind === "inactive") {
    // Fires once per quiet stretch: the key is the last activity it counts from.
    const rows = await sql<{ id: number; last_active_at: Date }[]>`
      select id, last_active_at from customer_facts
      where site_id = ${site.id}
        and last_active_at < now() - make_interval(days => ${t.days})
        and last_active_at + make_interval(days => ${t.days}) >= ${since}
      order by last_active_at limit ${BATCH}`;
    return rows.map((r) => ({
      customerId: r.id,
      key: `i:${r.id}:${r.last_active_at.getTime()}`,
      at: new Date(r.last_active_at.getTime() + t.days * 86_400_000),
    }));
  }
  // entered_segment: who is in now and was not at the last look.
  const segment = await findSegment(sql, site.id, t.segmentId).catch(() => null);
  if (!segment) return [];
  const now = await sql<{ id: number }[]>`
    select f.id from customer_facts f
    where f.site_id = ${site.id} and (${segmentWhere(sql, segment.rule, site.timezone)})`;
  const ids = now.map((r) => r.id);
  const before = new Set(
    (await sql<{ customer_id: number }[]>`
      select customer_id from customer_automation_members where automation_id = ${a.id}`)
      .map((r) => r.customer_id),
  );
  const seeded = a.segment_seen_at !== null;
  const at = new Date();
  const entered = seeded ? ids.filter((id) => !before.has(id)) : [];
  if (look) {
    await sql`delete from customer_automation_members where automation_id = ${a.id}`;
    if (ids.length > 0) {
      await sql`
        insert into customer_automation_members (automation_id, customer_id)
        select ${a.id}, unnest(${ids}::bigint[]) on conflict do nothing`;
    }
    if (!seeded) {
      await sql`update customer_automations set segment_seen_at = ${at} where id = ${a.id}`;
    }
  }
  return entered.slice(0, BATCH).map((id) => ({
    customerId: id,
    key: `s:${id}:${at.getTime()}`,
    at,
  }));
}

/** The events whose customers match the automation's conditions. */
async function matching(
  sql: Sql,
  a: Automation,
  site: { id: number; timezone: string },
  events: TriggerEvent[],
): Promise<TriggerEvent[]> {
  if (events.length === 0) return [];
  const ids = [...new Set(events.map((e) => e.customerId))];
  const rows = await sql<{ id: number }[]>`
    select f.id from customer_facts f
    where f.site_id = ${site.id} and f.id = any(${ids}::bigint[])
      and (${segmentWhere(sql, a.conditions, site.timezone)})`;
  const ok = new Set(rows.map((r) => r.id));
  return events.filter((e) => ok.has(e.customerId));
}

/** What an action does, in words (dry runs and history). */
export function describeAction(action: Action, tagName: (id: number) => string): string {
  switch (action.kind) {
    case "add_tag":
      return `Add tag “${tagName(action.tagId)}”`;
    case "remove_tag":
      return `Remove tag “${tagName(action.tagId)}”`;
    case "note":
      return "Add a note";
    case "email":
      return `Email “${action.subject}”`;
    case "slack":
      return "Post to Slack";
    case "webhook":
      return `Send a signed webhook to ${new URL(action.url).host}`;
  }
}

/** {{email}}, {{name}}, {{status}} and {{automation}} in a template. */
function fill(template: string, c: Customer, a: Automation): string {
  return template
    .replaceAll("{{email}}", c.email)
    .replaceAll("{{name}}", c.name || c.email)
    .replaceAll("{{status}}", STATUS_LABELS[c.status])
    .replaceAll("{{automation}}", a.name);
}

/**
 * Emails customers of the site from a template (subject and message, with the same
 * placeholders as automations) through the mailer; returns how many were queued.
 */
export async function emailCustomers(
  sql: Sql,
  siteId: number,
  ids: number[],
  template: { subject: string; body: string },
): Promise<number> {
  const subject = text(template.subject);
  const body = text(template.body);
  if (!subject || !body) {
    throw new Invalid("subject", "An email needs both a subject and a message.");
  }
  if (ids.length === 0) return 0;
  await settleCustomers(sql, siteId);
  const rows = await sql<Customer[]>`
    select * from customer_facts where site_id = ${siteId} and id = any(${ids}::bigint[])`;
  const none = { name: "a bulk email" } as Automation;
  for (const c of rows) await queueEmail(sql, c, none, subject.slice(0, 200), body);
  return rows.length;
}

/** Puts one templated email to a customer in the outbox. */
async function queueEmail(sql: Sql, c: Customer, a: Automation, subject: string, body: string) {
  await sendMail(sql, {
    to: c.email,
    kind: "customer_automation",
    message: renderEmail({
      subject: fill(subject, c, a),
      heading: fill(subject, c, a),
      paragraphs: fill(body, c, a).split(/\n{2,}/).map((p) => p.trim()).filter(Boolean),
    }),
  });
}

/** The result of one action. */
export interface ActionResult {
  action: string;
  ok: boolean;
  detail: string;
}

async function runAction(
  ctx: Pick<AppContext, "db" | "secrets" | "config">,
  a: Automation,
  action: Action,
  c: Customer,
  runId: number,
  triggerKey: string,
): Promise<ActionResult> {
  const sql = ctx.db.sql;
  const outbound = { allowPrivate: ctx.config.OUTBOUND_ALLOW_PRIVATE, timeoutMs: 10_000 };
  try {
    switch (action.kind) {
      case "add_tag": {
        const tag = await findTag(sql, a.site_id, action.tagId);
        await tagCustomers(sql, a.site_id, tag.id, [c.id]);
        return { action: "add_tag", ok: true, detail: `Tagged “${tag.name}”` };
      }
      case "remove_tag": {
        const tag = await findTag(sql, a.site_id, action.tagId);
        await untagCustomers(sql, a.site_id, tag.id, [c.id]);
        return { action: "remove_tag", ok: true, detail: `Removed “${tag.name}”` };
      }
      case "note":
        await addNotes(sql, a.site_id, [c.id], fill(action.body, c, a), null);
        return { action: "note", ok: true, detail: "Note added" };
      case "email":
        await queueEmail(sql, c, a, action.subject, action.body);
        return { action: "email", ok: true, detail: `Queued for ${c.email}` };
      case "slack": {
        const url = await ctx.secrets.decrypt(action.urlSealed);
        const res = await guardedFetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text: fill(action.text, c, a) }),
        }, outbound);
        await res.body?.cancel();
        return {
          action: "slack",
          ok: res.ok,
          detail: res.ok ? "Posted" : `Slack answered ${res.status}`,
        };
      }
      case "webhook": {
        const secret = await ctx.secrets.decrypt(action.secretSealed);
        const id = `auto_${a.id}_${runId}`;
        const body = JSON.stringify({
          type: "customer.automation",
          automation: { id: a.id, name: a.name },
          trigger: { kind: a.trigger.kind, key: triggerKey },
          customer: {
            id: c.id,
            email: c.email,
            name: c.name,
            status: c.status,
            revenue_minor: c.revenue,
          },
        });
        const res = await guardedFetch(action.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...await signDelivery(secret, id, body) },
          body,
        }, outbound);
        await res.body?.cancel();
        return {
          action: "webhook",
          ok: res.ok,
          detail: res.ok ? `Delivered (${res.status})` : `The receiver answered ${res.status}`,
        };
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { action: action.kind, ok: false, detail: message.slice(0, 300) };
  }
}

/** Runs one automation over its new events; returns how many runs it started. */
export async function runAutomation(
  ctx: Pick<AppContext, "db" | "secrets" | "config">,
  a: Automation,
): Promise<number> {
  const sql = ctx.db.sql;
  if (!a.enabled) return 0;
  const [site] = await sql<{ id: number; timezone: string }[]>`
    select id, timezone from sites where id = ${a.site_id}`;
  if (!site) return 0;
  const events = await matching(
    sql,
    a,
    site,
    await triggerEvents(sql, a, site, a.active_since, true),
  );
  let started = 0;
  for (const e of events) {
    // The claim: a second pass, or another instance, finds the row and does nothing.
    const [run] = await sql<{ id: number }[]>`
      insert into customer_automation_runs (automation_id, site_id, customer_id, trigger_key)
      values (${a.id}, ${a.site_id}, ${e.customerId}, ${e.key})
      on conflict (automation_id, trigger_key) do nothing
      returning id`;
    if (!run) continue;
    started++;
    const [c] = await sql<Customer[]>`
      select * from customer_facts where site_id = ${a.site_id} and id = ${e.customerId}`;
    const results: ActionResult[] = [];
    for (const action of a.actions) {
      results.push(
        c
          ? await runAction(ctx, a, action, c, run.id, e.key)
          : { action: action.kind, ok: false, detail: "The customer no longer exists" },
      );
    }
    await sql`
      update customer_automation_runs
      set status = ${results.every((r) => r.ok) ? "done" : "failed"},
        results = ${sql.json(results as never)}, finished_at = now()
      where id = ${run.id}`;
  }
  return started;
}

/** Every enabled automation of every site (the background job). */
export async function runAllAutomations(
  ctx: Pick<AppContext, "db" | "secrets" | "config" | "log">,
): Promise<void> {
  // Every site's changed customers, so pages read summaries that are already current.
  await ctx.db.sql`
    select sextant_customer_summaries_settle(site_id)
    from (select distinct site_id from customer_summary_marks) m`;
  const rows = await ctx.db.sql<Automation[]>`
    select ${ctx.db.sql(COLUMNS)} from customer_automations where enabled order by id`;
  for (const a of rows) {
    await runAutomation(ctx, a).catch((error) =>
      ctx.log.warn("automation failed", { automation: a.id, error })
    );
  }
}

/** Who a dry run finds: events of the last 30 days (or the segment's newcomers) that match. */
export async function dryRun(
  sql: Sql,
  a: Automation,
): Promise<Array<TriggerEvent & { email: string; done: boolean }>> {
  const [site] = await sql<{ id: number; timezone: string }[]>`
    select id, timezone from sites where id = ${a.site_id}`;
  const since = new Date(Date.now() - 30 * 86_400_000);
  // A dry run of a segment trigger counts everyone in it who was not there at the last look.
  const probe = a.trigger.kind === "entered_segment" && a.segment_seen_at === null
    ? { ...a, segment_seen_at: new Date(0) }
    : a;
  const events = await matching(sql, a, site, await triggerEvents(sql, probe, site, since, false));
  if (events.length === 0) return [];
  const ids = [...new Set(events.map((e) => e.customerId))];
  const emails = new Map(
    (await sql<{ id: number; email: string }[]>`
      select id, email from customers where site_id = ${site.id} and id = any(${ids}::bigint[])`)
      .map((r) => [r.id, r.email]),
  );
  const done = new Set(
    (await sql<{ trigger_key: string }[]>`
      select trigger_key from customer_automation_runs
      where automation_id = ${a.id} and trigger_key in ${sql(events.map((e) => e.key))}`)
      .map((r) => r.trigger_key),
  );
  return events.map((e) => ({
    ...e,
    email: emails.get(e.customerId) ?? "",
    done: done.has(e.key),
  }));
}

/** One run of the history. */
export interface AutomationRun {
  id: number;
  customer_id: number | null;
  email: string | null;
  trigger_key: string;
  status: string;
  results: ActionResult[];
  created_at: Date;
}

/** The newest runs of an automation. */
export async function automationHistory(
  sql: Sql,
  siteId: number,
  automationId: number,
  limit = 50,
): Promise<AutomationRun[]> {
  return await sql<AutomationRun[]>`
    select r.id, r.customer_id, c.email, r.trigger_key, r.status, r.results, r.created_at
    from customer_automation_runs r left join customers c on c.id = r.customer_id
    where r.site_id = ${siteId} and r.automation_id = ${automationId}
    order by r.id desc limit ${limit}`;
}
