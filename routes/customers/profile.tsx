/**
 * /sites/:siteId/customers/:customerId — one person: header, overview, tags, notes and the
 * timeline of everything they did, 20 items at a time.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Form } from "../../components/Form.tsx";
import { Markdown } from "../../components/Markdown.tsx";
import { providerName, TimelineEntry } from "../../components/TimelineEntry.tsx";
import TimelineMore from "../../islands/TimelineMore.tsx";
import CopyButton from "../../islands/CopyButton.tsx";
import { formatCount, formatMoney } from "../../analytics/format.ts";
import { idParam } from "../forms.ts";
import {
  type Customer,
  customerProviders,
  customerVisitors,
  findCustomer,
} from "../../customers/store.ts";
import { customerTags, listTags, TAG_COLORS } from "../../customers/tags.ts";
import { listNotes, type Note } from "../../customers/notes.ts";
import {
  customerTimeline,
  parseCursor,
  parseTypes,
  TIMELINE_LABELS,
  TIMELINE_TYPES,
  type TimelineType,
} from "../../customers/timeline.ts";
import { ENGAGEMENT_PARTS } from "../../customers/engagement.ts";
import {
  ago,
  formatDay,
  formatWhen,
  StatusBadge,
  TagChip,
} from "../../components/CustomerParts.tsx";

type C = Context<AppEnv>;

/** Where a platform shows this customer, when it has a page we can link to by email. */
function platformLink(provider: string, email: string): string | null {
  if (provider === "stripe") {
    return `https://dashboard.stripe.com/search?query=${encodeURIComponent(email)}`;
  }
  return null;
}

/** The customer, timeline page and side data a profile shows. */
export async function loadProfile(c: C) {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const customer = await findCustomer(sql, site.id, idParam(c, "customerId"));
  const types = parseTypes(c.req.query("type"));
  const before = parseCursor(c.req.query("before"));
  const timeline = await customerTimeline(sql, {
    siteId: site.id,
    customerId: customer.id,
    email: customer.email,
  }, { types, before });
  return { customer, types, before, timeline };
}

/** GET /sites/:siteId/customers/:customerId */
export async function profilePage(c: C): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const { customer, types, before, timeline } = await loadProfile(c);
  const [tags, allTags, notes, visitors, providers] = await Promise.all([
    customerTags(sql, site.id, customer.id),
    listTags(sql, site.id),
    listNotes(sql, site.id, customer.id),
    customerVisitors(sql, site.id, customer.email),
    customerProviders(sql, site.id, customer.id),
  ]);
  const currency = site.currency.trim().toUpperCase();
  const base = `/sites/${site.id}/customers`;
  const self = `${base}/${customer.id}`;
  const csrf = (await shellProps(c)).csrf;
  const canEdit = c.get("role") !== "viewer";
  const allTypes = types.length === TIMELINE_TYPES.length;
  const typeHref = (t: TimelineType | null) =>
    t ? `${self}?type=${t}#timeline` : `${self}#timeline`;
  const moreHref = timeline.next
    ? `${self}?${new URLSearchParams({
      ...(allTypes ? {} : { type: types.join(",") }),
      before: timeline.next,
    })}#timeline`
    : null;

  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <p class="small">
        <a href={base}>← Customers</a>
      </p>
      <header class="customer-header card">
        <div class="customer-id">
          <h1>{customer.name || customer.email}</h1>
          <div class="row wrap">
            {customer.name && <span class="muted">{customer.email}</span>}
            <CopyButton text={customer.email} label="Copy email" />
            <StatusBadge status={customer.status} />
            {providers.map((p) => {
              const link = platformLink(p, customer.email);
              return link
                ? (
                  <a key={p} class="badge" href={link} rel="noopener noreferrer" target="_blank">
                    {providerName(p)} ↗
                  </a>
                )
                : <span key={p} class="badge">{providerName(p)}</span>;
            })}
          </div>
        </div>
      </header>
      <Overview customer={customer} currency={currency} tz={site.timezone} />

      <div class="customer-columns">
        <div>
          <section class="card" aria-labelledby="tags-h">
            <h2 id="tags-h">Tags</h2>
            <div class="tag-row">
              {tags.length === 0 && <span class="muted">No tags yet.</span>}
              {tags.map((t) => (
                <span class="tag-with-remove">
                  <TagChip tag={t} href={`${base}?tag=${t.id}`} />
                  {canEdit && (
                    <Form action={`${self}/tags/${t.id}/remove`} csrf={csrf} class="inline-form">
                      <button type="submit" class="link-button" aria-label={`Remove tag ${t.name}`}>
                        ×
                      </button>
                    </Form>
                  )}
                </span>
              ))}
            </div>
            {canEdit && (
              <Form action={`${self}/tags`} csrf={csrf} class="tag-form row wrap">
                <label class="visually-hidden" for="tag-name">Tag</label>
                <input
                  type="text"
                  id="tag-name"
                  name="name"
                  list="tag-names"
                  placeholder="Add a tag"
                  required
                  maxLength={40}
                />
                <datalist id="tag-names">
                  {allTags.map((t) => <option key={t.id} value={t.name} />)}
                </datalist>
                <label class="visually-hidden" for="tag-color">Colour</label>
                <select id="tag-color" name="color">
                  {TAG_COLORS.map((col) => <option key={col} value={col}>{col}</option>)}
                </select>
                <button type="submit" class="secondary">Add tag</button>
              </Form>
            )}
          </section>

          <section class="card" aria-labelledby="notes-h">
            <h2 id="notes-h">Notes</h2>
            {canEdit && (
              <Form action={`${self}/notes`} csrf={csrf} class="note-form">
                <label class="visually-hidden" for="note-body">New note</label>
                <textarea
                  id="note-body"
                  name="body"
                  rows={3}
                  required
                  maxLength={10000}
                  placeholder="Write a note — **bold**, *italic*, lists and links work"
                />
                <button type="submit">Add note</button>
              </Form>
            )}
            {notes.length === 0 && <p class="muted">No notes yet.</p>}
            <ul class="notes">
              {notes.map((n) => (
                <NoteItem note={n} self={self} csrf={csrf} tz={site.timezone} canEdit={canEdit} />
              ))}
            </ul>
          </section>

          <section class="card" aria-labelledby="devices-h">
            <h2 id="devices-h">Linked visitors</h2>
            {visitors.length === 0
              ? (
                <p class="muted">
                  No visitor is linked yet: they have not visited since identifying.
                </p>
              )
              : (
                <ul class="plain-list small">
                  {visitors.map((v) => (
                    <li>
                      <code>{v.visitor_id}</code>{" "}
                      <span class="muted">
                        {v.origin === "purchase" ? "from a checkout" : "identified"},{" "}
                        {formatDay(v.first_seen_at, site.timezone)}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
          </section>
        </div>

        <section class="card" id="timeline" aria-labelledby="timeline-h">
          <h2 id="timeline-h">Timeline</h2>
          <nav class="chips" aria-label="Show">
            <a class="chip" href={typeHref(null)} aria-current={allTypes ? "page" : undefined}>
              Everything
            </a>
            {TIMELINE_TYPES.map((t) => (
              <a
                class="chip"
                href={typeHref(t)}
                aria-current={!allTypes && types.length === 1 && types[0] === t
                  ? "page"
                  : undefined}
              >
                {TIMELINE_LABELS[t]}
              </a>
            ))}
          </nav>
          {timeline.items.length === 0
            ? (
              <p class="muted">
                {before ? "Nothing older." : "Nothing of this kind yet."}
              </p>
            )
            : (
              <ol class="timeline">
                {timeline.items.map((item) => (
                  <TimelineEntry item={item} currency={currency} tz={site.timezone} />
                ))}
              </ol>
            )}
          {moreHref && timeline.next && (
            <TimelineMore
              href={moreHref}
              api={`/api/app/sites/${site.id}/customers/${customer.id}/timeline?${new URLSearchParams(
                allTypes ? {} : { type: types.join(",") },
              )}`}
              next={timeline.next}
              currency={currency}
              tz={site.timezone}
            />
          )}
          {before && (
            <p class="small">
              <a href={typeHref(allTypes ? null : types[0])}>Back to newest</a>
            </p>
          )}
        </section>
      </div>
    </AppShell>
  );
  return renderPage(c, body, { title: customer.name || customer.email });
}

function Overview(props: { customer: Customer; currency: string; tz: string }) {
  const c = props.customer;
  const money = (m: number) => formatMoney(m, props.currency);
  const metric = (label: string, value: string, note?: string) => (
    <div class="metric">
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      {note && <div class="change muted">{note}</div>}
    </div>
  );
  const p = ENGAGEMENT_PARTS;
  return (
    <div class="grid cards customer-overview">
      {metric("Joined", formatDay(c.joined_at, props.tz))}
      {metric("Plan", c.plan || "—", c.mrr > 0 ? `${money(c.mrr)} a month` : undefined)}
      {metric(
        "Lifetime revenue",
        money(c.revenue),
        c.refunds ? `after ${c.refunds} refund${c.refunds === 1 ? "" : "s"}` : undefined,
      )}
      {metric("Payments", formatCount(c.payments))}
      {metric("Last payment", formatDay(c.last_payment_at, props.tz))}
      {metric(
        "Last active",
        ago(c.last_active_at),
        `${formatCount(c.visits)} ${c.visits === 1 ? "visit" : "visits"}`,
      )}
      {metric(
        "First source",
        c.first_source || (c.visits > 0 ? "Direct" : "—"),
        c.first_campaign ? `campaign ${c.first_campaign}` : c.first_channel || undefined,
      )}
      <div
        class="metric"
        title={`${p.visitRecency.weight} × visit recency (0 after ${p.visitRecency.days} days) + ` +
          `${p.visitFrequency.weight} × visits in 30 days ÷ ${p.visitFrequency.count} + ` +
          `${p.paymentRecency.weight} × payment recency (0 after ${p.paymentRecency.days} days) + ` +
          `${p.paymentFrequency.weight} × payments in a year ÷ ${p.paymentFrequency.count}`}
      >
        <div class="label">Engagement</div>
        <div class="value">
          {c.engagement}
          <span class="muted small">/ 100</span>
        </div>
        <meter min={0} max={100} low={30} high={70} optimum={100} value={c.engagement} />
      </div>
    </div>
  );
}

function NoteItem(
  props: { note: Note; self: string; csrf: string; tz: string; canEdit: boolean },
) {
  const n = props.note;
  const edited = n.updated_at.getTime() - n.created_at.getTime() > 1000;
  return (
    <li class="note" id={`note-${n.id}`}>
      <div class="note-meta small muted">
        {n.author || "A former teammate"} · {formatWhen(n.created_at, props.tz)}
        {edited && " · edited"}
      </div>
      <Markdown text={n.body} />
      {props.canEdit && (
        <div class="row small">
          <details>
            <summary>Edit</summary>
            <Form action={`${props.self}/notes/${n.id}`} csrf={props.csrf} class="note-form">
              <label class="visually-hidden" for={`note-edit-${n.id}`}>Note</label>
              <textarea id={`note-edit-${n.id}`} name="body" rows={4} required maxLength={10000}>
                {n.body}
              </textarea>
              <button type="submit" class="secondary">Save</button>
            </Form>
          </details>
          <Form action={`${props.self}/notes/${n.id}/delete`} csrf={props.csrf} class="inline-form">
            <button type="submit" class="link-button negative">Delete</button>
          </Form>
        </div>
      )}
    </li>
  );
}
