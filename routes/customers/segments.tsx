/**
 * /sites/:siteId/customers/segments — saved segments and templates; the builder with a live
 * count; a segment's members with bulk actions (tag, untag, note, CSV).
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { shellProps } from "../../http/shell.ts";
import { requireSite } from "../../http/middleware/auth.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Form } from "../../components/Form.tsx";
import { BulkActionFields } from "../../components/BulkActions.tsx";
import SegmentBuilder from "../../islands/SegmentBuilder.tsx";
import { columnFormatter, formatCount } from "../../analytics/format.ts";
import { minorDigits } from "../../attribution/currency.ts";
import { Invalid } from "../../lib/errors.ts";
import { idParam, readForm } from "../forms.ts";
import {
  countSegment,
  createSegment,
  deleteSegment,
  duplicateSegment,
  findSegment,
  listSegments,
  parseRule,
  SEGMENT_TEMPLATES,
  segmentMemberIds,
  type SegmentRule,
  segmentWhere,
  updateSegment,
} from "../../customers/segments.ts";
import { CUSTOMER_STATUSES, listCustomers, STATUS_LABELS } from "../../customers/store.ts";
import {
  ensureTag,
  findTag,
  listTags,
  tagCustomers,
  untagCustomers,
} from "../../customers/tags.ts";
import { addNotes } from "../../customers/notes.ts";
import { emailCustomers } from "../../customers/automations.ts";
import { ago, StatusBadge } from "../../components/CustomerParts.tsx";
import { CustomersNav } from "./nav.tsx";

type C = Context<AppEnv>;

const SEGMENTS = "/sites/:siteId{[0-9]+}/customers/segments";
const ONE = `${SEGMENTS}/:segmentId{[0-9]+}`;

/** The builder's props for a rule. */
async function builderProps(c: C, rule: SegmentRule) {
  const site = c.get("site");
  const tags = await listTags(c.get("app").db.sql, site.id);
  return {
    siteId: site.id,
    rule,
    tags: tags.map((t) => ({ id: t.id, name: t.name })),
    statuses: CUSTOMER_STATUSES.map((s) => [s, STATUS_LABELS[s]] as [string, string]),
    unit: 10 ** minorDigits(site.currency.trim().toUpperCase()),
  };
}

async function segmentsPage(c: C): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const segments = await listSegments(sql, site.id);
  const counts = await Promise.all(segments.map((s) => countSegment(sql, site, s.rule)));
  const base = `/sites/${site.id}/customers/segments`;
  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <div class="page-header">
        <h1>Segments</h1>
        <CustomersNav siteId={site.id} active="segments" />
      </div>
      <section class="card" aria-labelledby="saved-h">
        <div class="section-head">
          <h2 id="saved-h">Saved segments</h2>
          <a class="button small-button" href={`${base}/new`}>New segment</a>
        </div>
        {segments.length === 0
          ? <p class="muted">No saved segments yet: start from a template below, or build one.</p>
          : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Segment</th>
                    <th class="num">Customers</th>
                  </tr>
                </thead>
                <tbody>
                  {segments.map((s, i) => (
                    <tr key={s.id}>
                      <td>
                        <a href={`${base}/${s.id}`}>{s.name}</a>
                      </td>
                      <td class="num">{formatCount(counts[i])}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
      </section>
      <section class="card" aria-labelledby="templates-h">
        <h2 id="templates-h">Templates</h2>
        <ul class="plain-list template-list">
          {SEGMENT_TEMPLATES.map((t) => (
            <li key={t.key}>
              <a href={`${base}/new?template=${t.key}`}>{t.name}</a>
            </li>
          ))}
        </ul>
      </section>
    </AppShell>
  );
  return renderPage(c, body, { title: "Segments" });
}

/** The builder, for a new segment or a saved one, with the members and bulk actions. */
async function builderPage(c: C, segmentId: number | null): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const segment = segmentId ? await findSegment(sql, site.id, segmentId) : null;
  const templateKey = c.req.query("template");
  const template = templateKey ? SEGMENT_TEMPLATES.find((t) => t.key === templateKey) : undefined;
  if (templateKey && !template) {
    throw new Invalid("template", "There is no segment template by that name.");
  }
  const rule: SegmentRule = segment?.rule ?? template?.rule ?? { match: "all", conditions: [] };
  const name = segment?.name ?? template?.name ?? "";
  const base = `/sites/${site.id}/customers/segments`;
  const csrf = (await shellProps(c)).csrf;
  const canEdit = c.get("role") !== "viewer";
  const done = c.req.query("done");
  const members = segment
    ? await listCustomers(sql, {
      siteId: site.id,
      where: segmentWhere(sql, segment.rule, site.timezone),
      sort: "revenue",
      dir: "desc",
      page: 1,
      limit: 50,
    })
    : null;
  const currency = site.currency.trim().toUpperCase();
  const revenue = columnFormatter("money", members?.rows.map((r) => r.revenue) ?? [], currency);
  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <p class="small">
        <a href={base}>← Segments</a>
      </p>
      <h1>{segment ? segment.name : "New segment"}</h1>
      {done && <p class="alert" role="status">{done.slice(0, 200)}</p>}
      <section class="card" aria-labelledby="builder-h">
        <h2 id="builder-h" class="visually-hidden">Conditions</h2>
        <Form
          action={segment ? `${base}/${segment.id}` : base}
          csrf={csrf}
          class="segment-form"
          id="segment-form"
        >
          <SegmentBuilder {...await builderProps(c, rule)} />
          {canEdit && (
            <div class="row">
              <label for="segment-name">Name</label>
              <input
                type="text"
                id="segment-name"
                name="name"
                value={name}
                required
                maxLength={80}
              />
              <button type="submit">{segment ? "Save changes" : "Save segment"}</button>
            </div>
          )}
        </Form>
        {segment && canEdit && (
          <div class="row">
            <Form action={`${base}/${segment.id}/duplicate`} csrf={csrf} class="inline-form">
              <button type="submit" class="secondary small-button">Duplicate</button>
            </Form>
            <Form action={`${base}/${segment.id}/delete`} csrf={csrf} class="inline-form">
              <button type="submit" class="secondary small-button negative">Delete</button>
            </Form>
          </div>
        )}
      </section>
      {segment && members && (
        <section class="card" aria-labelledby="members-h">
          <div class="section-head">
            <h2 id="members-h">
              {formatCount(members.total)} {members.total === 1 ? "customer" : "customers"}
            </h2>
            <a
              class="button secondary small-button"
              href={`/sites/${site.id}/customers.csv?segment=${segment.id}&sort=revenue`}
              download
            >
              Export CSV
            </a>
          </div>
          {canEdit && members.total > 0 && (
            <Form action={`${base}/${segment.id}/bulk`} csrf={csrf} class="bulk-form row wrap">
              <BulkActionFields who="For everyone in this segment:" />
            </Form>
          )}
          {members.total === 0
            ? <p class="muted">Nobody matches yet. Loosen a condition, or switch ALL to ANY.</p>
            : (
              <div class="table-wrap">
                <table class="customer-table">
                  <thead>
                    <tr>
                      <th>Email</th>
                      <th>Status</th>
                      <th class="num">Lifetime revenue</th>
                      <th class="hide-narrow">Last active</th>
                    </tr>
                  </thead>
                  <tbody>
                    {members.rows.map((r) => (
                      <tr key={r.id}>
                        <td class="customer-cell">
                          <a class="customer-link" href={`/sites/${site.id}/customers/${r.id}`}>
                            {r.email}
                          </a>
                        </td>
                        <td>
                          <StatusBadge status={r.status} />
                        </td>
                        <td class="num">{revenue(r.revenue)}</td>
                        <td class="hide-narrow">{ago(r.last_active_at)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {members.total > members.rows.length && (
                  <p>
                    <a
                      href={`/sites/${site.id}/customers?segment=${segment.id}&sort=revenue&page=2`}
                    >
                      See everyone
                    </a>
                  </p>
                )}
              </div>
            )}
        </section>
      )}
    </AppShell>
  );
  return renderPage(c, body, { title: segment ? segment.name : "New segment" });
}

/** Runs a bulk action on customer ids; returns the sentence to show. */
async function bulkAction(
  c: C,
  ids: number[],
  form: Record<string, string>,
): Promise<string> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const text = (form.text ?? "").trim();
  const people = (n: number) => `${n} ${n === 1 ? "customer" : "customers"}`;
  switch (form.action) {
    case "tag": {
      const tag = await ensureTag(sql, site.id, text, form.color);
      const n = await tagCustomers(sql, site.id, tag.id, ids);
      return `Tagged ${people(n)} “${tag.name}” (${people(ids.length - n)} already had it).`;
    }
    case "untag": {
      const tags = await listTags(sql, site.id);
      const tag = tags.find((t) => t.name.toLowerCase() === text.toLowerCase());
      if (!tag) throw new Invalid("text", `There is no tag called "${text.slice(0, 40)}".`);
      const n = await untagCustomers(sql, site.id, (await findTag(sql, site.id, tag.id)).id, ids);
      return `Removed “${tag.name}” from ${people(n)}.`;
    }
    case "note": {
      const n = await addNotes(sql, site.id, ids, text, c.get("user")?.id ?? null);
      return `Added the note to ${people(n)}.`;
    }
    case "email": {
      const n = await emailCustomers(sql, site.id, ids, {
        subject: form.subject ?? "",
        body: text,
      });
      return `Queued the email for ${people(n)}.`;
    }
    default:
      throw new Invalid(
        "action",
        "Pick what to do: add a tag, remove a tag, add a note or send an email.",
      );
  }
}

/** Every segment route. */
export function registerSegments(app: Hono<AppEnv>): void {
  app.get(SEGMENTS, requireSite("viewer"), segmentsPage);
  app.get(`${SEGMENTS}/new`, requireSite("viewer"), (c) => builderPage(c, null));
  app.get(ONE, requireSite("viewer"), (c) => builderPage(c, idParam(c, "segmentId")));
  app.post(SEGMENTS, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const s = await createSegment(c.get("app").db.sql, site.id, {
      name: form.name ?? "",
      rule: parseRule(form.rule ?? ""),
    });
    return c.redirect(`/sites/${site.id}/customers/segments/${s.id}`, 303);
  });
  app.post(ONE, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const s = await updateSegment(c.get("app").db.sql, site.id, idParam(c, "segmentId"), {
      name: form.name ?? "",
      rule: parseRule(form.rule ?? ""),
    });
    return c.redirect(`/sites/${site.id}/customers/segments/${s.id}`, 303);
  });
  app.post(`${ONE}/duplicate`, requireSite("member"), async (c) => {
    const site = c.get("site");
    const s = await duplicateSegment(c.get("app").db.sql, site.id, idParam(c, "segmentId"));
    return c.redirect(`/sites/${site.id}/customers/segments/${s.id}`, 303);
  });
  app.post(`${ONE}/delete`, requireSite("member"), async (c) => {
    const site = c.get("site");
    await deleteSegment(c.get("app").db.sql, site.id, idParam(c, "segmentId"));
    return c.redirect(`/sites/${site.id}/customers/segments`, 303);
  });
  app.post(`${ONE}/bulk`, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const segment = await findSegment(sql, site.id, idParam(c, "segmentId"));
    const ids = await segmentMemberIds(sql, site, segment.rule);
    const done = await bulkAction(c, ids, form);
    return c.redirect(
      `/sites/${site.id}/customers/segments/${segment.id}?done=${encodeURIComponent(done)}`,
      303,
    );
  });
  app.post("/sites/:siteId{[0-9]+}/customers/bulk", requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const picked = (await c.req.parseBody({ all: true })).id;
    const ids = (Array.isArray(picked) ? picked : [picked]).filter((v) => typeof v === "string")
      .map((v) => String(v).trim()).filter(Boolean);
    if (ids.length === 0 || ids.length > 10_000 || ids.some((s) => !/^[1-9][0-9]{0,14}$/.test(s))) {
      throw new Invalid("ids", "Select at least one customer first.");
    }
    const done = await bulkAction(c, ids.map(Number), form);
    return c.redirect(`/sites/${site.id}/customers?done=${encodeURIComponent(done)}`, 303);
  });
  app.get(
    "/api/app/sites/:siteId{[0-9]+}/customers/segments/preview",
    requireSite("viewer"),
    async (c) => {
      const site = c.get("site");
      const rule = parseRule(c.req.query("rule") ?? "");
      const count = await countSegment(c.get("app").db.sql, site, rule);
      return c.json({ count }, 200, { "Cache-Control": "no-store" });
    },
  );
}
