/**
 * /sites/:siteId/customers/automations — trigger → conditions → actions: list, create, edit,
 * enable or disable, a dry run of who would be affected, and the run history with each action's
 * result. Admins change them (they send mail and call other servers); everyone reads them.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { shellProps } from "../../http/shell.ts";
import { requireSite } from "../../http/middleware/auth.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Form } from "../../components/Form.tsx";
import SegmentBuilder from "../../islands/SegmentBuilder.tsx";
import { minorDigits } from "../../attribution/currency.ts";
import { idParam, readForm } from "../forms.ts";
import {
  type Automation,
  type AutomationForm,
  automationHistory,
  createAutomation,
  deleteAutomation,
  describeAction,
  dryRun,
  findAutomation,
  listAutomations,
  setEnabled,
  TRIGGER_KINDS,
  TRIGGER_LABELS,
  updateAutomation,
  webhookSecret,
} from "../../customers/automations.ts";
import { listSegments, type Segment } from "../../customers/segments.ts";
import { listTags, type Tag } from "../../customers/tags.ts";
import { CUSTOMER_STATUSES, STATUS_LABELS } from "../../customers/store.ts";
import { formatWhen } from "../../components/CustomerParts.tsx";
import { CustomersNav } from "./nav.tsx";

type C = Context<AppEnv>;

const BASE = "/sites/:siteId{[0-9]+}/customers/automations";
const ONE = `${BASE}/:automationId{[0-9]+}`;

function triggerWords(a: Automation, segments: Segment[], tags: Tag[]): string {
  const t = a.trigger;
  if (t.kind === "entered_segment") {
    return `Enters “${segments.find((s) => s.id === t.segmentId)?.name ?? "a deleted segment"}”`;
  }
  if (t.kind === "inactive") return `Is inactive for ${t.days} days`;
  if (t.kind === "tag_added") {
    return `Is given the tag “${tags.find((x) => x.id === t.tagId)?.name ?? "?"}”`;
  }
  return TRIGGER_LABELS[t.kind];
}

/** The create/edit form; `a` fills it for editing. */
function automationFields(
  c: C,
  a: Automation | null,
  segments: Segment[],
  tags: Tag[],
) {
  const site = c.get("site");
  const tagName = (id: number) => tags.find((t) => t.id === id)?.name ?? "";
  const act = <K extends string>(kind: K) => a?.actions.find((x) => x.kind === kind);
  const t = a?.trigger;
  const addTag = act("add_tag");
  const removeTag = act("remove_tag");
  const note = act("note");
  const email = act("email");
  const slack = act("slack");
  const hook = act("webhook");
  return (
    <>
      <div class="field">
        <label for="auto-name">Name</label>
        <input
          type="text"
          id="auto-name"
          name="name"
          value={a?.name ?? ""}
          required
          maxLength={80}
        />
      </div>
      <fieldset class="auto-part">
        <legend>When a customer…</legend>
        <label class="visually-hidden" for="auto-trigger">Trigger</label>
        <select id="auto-trigger" name="trigger">
          {TRIGGER_KINDS.map((k) => (
            <option key={k} value={k} selected={t?.kind === k}>{TRIGGER_LABELS[k]}</option>
          ))}
        </select>
        <div class="row wrap small">
          <label for="auto-segment">Segment (for “enters a segment”)</label>
          <select id="auto-segment" name="segmentId">
            <option value="">—</option>
            {segments.map((s) => (
              <option
                key={s.id}
                value={s.id}
                selected={t?.kind === "entered_segment" && t.segmentId === s.id}
              >
                {s.name}
              </option>
            ))}
          </select>
          <label for="auto-days">Days (for “inactive”)</label>
          <input
            type="number"
            id="auto-days"
            name="days"
            min={1}
            max={3650}
            value={t?.kind === "inactive" ? String(t.days) : "30"}
          />
          <label for="auto-tag">Tag (for “is given a tag”)</label>
          <input
            type="text"
            id="auto-tag"
            name="tag"
            value={t?.kind === "tag_added" ? tagName(t.tagId) : ""}
          />
        </div>
      </fieldset>
      <fieldset class="auto-part">
        <legend>…and matches (optional)</legend>
        <SegmentBuilder
          siteId={site.id}
          rule={a?.conditions ?? { match: "all", conditions: [] }}
          tags={tags.map((x) => ({ id: x.id, name: x.name }))}
          statuses={CUSTOMER_STATUSES.map((s) => [s, STATUS_LABELS[s]] as [string, string])}
          unit={10 ** minorDigits(site.currency.trim().toUpperCase())}
        />
      </fieldset>
      <fieldset class="auto-part">
        <legend>…then</legend>
        <p class="muted small">
          Fill in the actions to take. Texts may use {"{{email}}"}, {"{{name}}"}, {"{{status}}"} and
          {" "}
          {"{{automation}}"}.
        </p>
        <div class="field">
          <label for="auto-add-tag">Add the tag</label>
          <input
            type="text"
            id="auto-add-tag"
            name="addTag"
            value={addTag?.kind === "add_tag" ? tagName(addTag.tagId) : ""}
          />
        </div>
        <div class="field">
          <label for="auto-remove-tag">Remove the tag</label>
          <input
            type="text"
            id="auto-remove-tag"
            name="removeTag"
            value={removeTag?.kind === "remove_tag" ? tagName(removeTag.tagId) : ""}
          />
        </div>
        <div class="field">
          <label for="auto-note">Add a note</label>
          <textarea id="auto-note" name="note" rows={2}>
            {note?.kind === "note" ? note.body : ""}
          </textarea>
        </div>
        <div class="field">
          <label for="auto-email-subject">Email the customer: subject</label>
          <input
            type="text"
            id="auto-email-subject"
            name="emailSubject"
            value={email?.kind === "email" ? email.subject : ""}
          />
          <label for="auto-email-body">Message</label>
          <textarea id="auto-email-body" name="emailBody" rows={3}>
            {email?.kind === "email" ? email.body : ""}
          </textarea>
        </div>
        <div class="field">
          <label for="auto-slack">Slack incoming webhook URL</label>
          <input
            type="url"
            id="auto-slack"
            name="slackUrl"
            placeholder={slack
              ? "Saved (leave empty to keep it)"
              : "https://hooks.slack.com/services/…"}
          />
          <label for="auto-slack-text">Slack message</label>
          <input
            type="text"
            id="auto-slack-text"
            name="slackText"
            value={slack?.kind === "slack" ? slack.text : "{{email}} — {{automation}}"}
          />
        </div>
        <div class="field">
          <label for="auto-webhook">Send a signed webhook to</label>
          <input
            type="url"
            id="auto-webhook"
            name="webhookUrl"
            value={hook?.kind === "webhook" ? hook.url : ""}
            placeholder="https://example.com/hooks/sextant"
          />
        </div>
      </fieldset>
    </>
  );
}

async function listPage(c: C): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const [automations, segments, tags] = await Promise.all([
    listAutomations(sql, site.id),
    listSegments(sql, site.id),
    listTags(sql, site.id),
  ]);
  const canEdit = ["admin", "owner"].includes(c.get("role") ?? "");
  const csrf = (await shellProps(c)).csrf;
  const base = `/sites/${site.id}/customers/automations`;
  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <div class="page-header">
        <h1>Automations</h1>
        <CustomersNav siteId={site.id} active="automations" />
      </div>
      <section class="card" aria-labelledby="autos-h">
        <h2 id="autos-h">Automations</h2>
        {automations.length === 0
          ? (
            <p class="muted">
              None yet. An automation tags, notes, emails, posts to Slack or calls a webhook when
              something happens to a customer.
            </p>
          )
          : (
            <ul class="plain-list automation-list">
              {automations.map((a) => (
                <li key={a.id}>
                  <a href={`${base}/${a.id}`}>{a.name}</a>{" "}
                  <span class={`badge ${a.enabled ? "ok" : ""}`}>{a.enabled ? "On" : "Off"}</span>
                  <div class="muted small">
                    {triggerWords(a, segments, tags)} → {a.actions.map((x) =>
                      describeAction(x, (id) => tags.find((t) => t.id === id)?.name ?? "?")
                    ).join(", ")}
                  </div>
                </li>
              ))}
            </ul>
          )}
      </section>
      {canEdit && (
        <section class="card" aria-labelledby="new-auto-h">
          <h2 id="new-auto-h">New automation</h2>
          <Form action={base} csrf={csrf} class="automation-form">
            {automationFields(c, null, segments, tags)}
            <button type="submit">Create automation</button>
          </Form>
        </section>
      )}
    </AppShell>
  );
  return renderPage(c, body, { title: "Automations" });
}

async function detailPage(c: C): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const a = await findAutomation(sql, site.id, idParam(c, "automationId"));
  const [segments, tags, history] = await Promise.all([
    listSegments(sql, site.id),
    listTags(sql, site.id),
    automationHistory(sql, site.id, a.id),
  ]);
  const canEdit = ["admin", "owner"].includes(c.get("role") ?? "");
  const csrf = (await shellProps(c)).csrf;
  const base = `/sites/${site.id}/customers/automations`;
  const dry = c.req.query("dry") === "1" ? await dryRun(sql, a) : null;
  const secret = canEdit ? await webhookSecret(c.get("app"), a) : null;
  const tagName = (id: number) => tags.find((t) => t.id === id)?.name ?? "?";
  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <p class="small">
        <a href={base}>← Automations</a>
      </p>
      <div class="row">
        <h1>{a.name}</h1>
        <span class={`badge ${a.enabled ? "ok" : ""}`}>{a.enabled ? "On" : "Off"}</span>
      </div>
      <section class="card">
        <p>
          <strong>When a customer</strong> {triggerWords(a, segments, tags).toLowerCase()}
          {a.conditions.conditions.length > 0 && " and matches its conditions"}:{" "}
          {a.actions.map((x) => describeAction(x, tagName)).join(", ")}.
        </p>
        <p class="muted small">
          Acting on what happens since {formatWhen(a.active_since, site.timezone)}.
        </p>
        {secret && (
          <p class="small">
            Webhook signing secret (Standard Webhooks): <code>{secret}</code>
          </p>
        )}
        <div class="row">
          <a class="button secondary small-button" href={`${base}/${a.id}?dry=1#dry-run`}>
            Dry run
          </a>
          {canEdit && (
            <>
              <Form action={`${base}/${a.id}/toggle`} csrf={csrf} class="inline-form">
                <button type="submit" class="secondary small-button">
                  {a.enabled ? "Turn off" : "Turn on"}
                </button>
              </Form>
              <Form action={`${base}/${a.id}/delete`} csrf={csrf} class="inline-form">
                <button type="submit" class="secondary small-button negative">Delete</button>
              </Form>
            </>
          )}
        </div>
      </section>
      {dry && (
        <section class="card" id="dry-run" aria-labelledby="dry-h">
          <h2 id="dry-h">Dry run: the last 30 days</h2>
          {dry.length === 0
            ? <p class="muted">Nobody: no matching customer had this happen in the last 30 days.</p>
            : (
              <>
                <p>
                  {dry.filter((d) => !d.done).length} would get{" "}
                  {a.actions.map((x) => describeAction(x, tagName)).join(", ")};{" "}
                  {dry.filter((d) => d.done).length} already did. Nothing was changed.
                </p>
                <ul class="plain-list small">
                  {dry.map((d) => (
                    <li key={d.key}>
                      {d.email} · {formatWhen(d.at, site.timezone)}
                      {d.done && <span class="muted">· already done</span>}
                    </li>
                  ))}
                </ul>
              </>
            )}
        </section>
      )}
      <section class="card" aria-labelledby="history-h">
        <h2 id="history-h">History</h2>
        {history.length === 0 ? <p class="muted">It has not run yet.</p> : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>When</th>
                  <th>Customer</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                {history.map((r) => (
                  <tr key={r.id} data-status={r.status}>
                    <td>{formatWhen(r.created_at, site.timezone)}</td>
                    <td>
                      {r.customer_id
                        ? <a href={`/sites/${site.id}/customers/${r.customer_id}`}>{r.email}</a>
                        : <span class="muted">erased</span>}
                    </td>
                    <td>
                      <ul class="plain-list small">
                        {r.results.map((x, i) => (
                          <li key={i} class={x.ok ? "" : "negative"}>
                            {x.ok ? "✓" : "✗"} {x.detail}
                          </li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {canEdit && (
        <section class="card" aria-labelledby="edit-h">
          <h2 id="edit-h">Edit</h2>
          <Form action={`${base}/${a.id}`} csrf={csrf} class="automation-form">
            {automationFields(c, a, segments, tags)}
            <button type="submit">Save changes</button>
          </Form>
        </section>
      )}
    </AppShell>
  );
  return renderPage(c, body, { title: a.name });
}

function formOf(f: Record<string, string>): AutomationForm {
  return { ...f, name: f.name ?? "", trigger: f.trigger ?? "", conditions: f.rule };
}

/** Every automation route. */
export function registerAutomations(app: Hono<AppEnv>): void {
  app.get(BASE, requireSite("viewer"), listPage);
  app.get(ONE, requireSite("viewer"), detailPage);
  app.post(BASE, requireSite("admin"), async (c) => {
    const site = c.get("site");
    const a = await createAutomation(c.get("app"), site, formOf(await readForm(c)));
    return c.redirect(`/sites/${site.id}/customers/automations/${a.id}`, 303);
  });
  app.post(ONE, requireSite("admin"), async (c) => {
    const site = c.get("site");
    const id = idParam(c, "automationId");
    await updateAutomation(c.get("app"), site, id, formOf(await readForm(c)));
    return c.redirect(`/sites/${site.id}/customers/automations/${id}`, 303);
  });
  app.post(`${ONE}/toggle`, requireSite("admin"), async (c) => {
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const a = await findAutomation(sql, site.id, idParam(c, "automationId"));
    await setEnabled(sql, site.id, a.id, !a.enabled);
    return c.redirect(`/sites/${site.id}/customers/automations/${a.id}`, 303);
  });
  app.post(`${ONE}/delete`, requireSite("admin"), async (c) => {
    const site = c.get("site");
    await deleteAutomation(c.get("app").db.sql, site.id, idParam(c, "automationId"));
    return c.redirect(`/sites/${site.id}/customers/automations`, 303);
  });
}
