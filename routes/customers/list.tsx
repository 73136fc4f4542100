/**
 * /sites/:siteId/customers — everyone who identified or paid: search by email or name, filter
 * by status or tag, sort by lifetime revenue, last activity, joining or engagement, 50 a page,
 * and the same selection as CSV.
 */
import type { Context } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Form } from "../../components/Form.tsx";
import { BulkActionFields } from "../../components/BulkActions.tsx";
import { columnFormatter, formatCount } from "../../analytics/format.ts";
import {
  CUSTOMER_STATUSES,
  type CustomerSort,
  listCustomers,
  STATUS_LABELS,
} from "../../customers/store.ts";
import {
  CUSTOMERS_PAGE,
  DEFAULT_SORT,
  listHref,
  type ListParams,
  parseListParams,
} from "../../customers/query.ts";
import { findTag, listTags, type Tag, TAG_COLORS, tagsOfCustomers } from "../../customers/tags.ts";
import { customersCsv } from "../../customers/csv.ts";
import { findSegment, segmentWhere } from "../../customers/segments.ts";
import { ago, formatDay, StatusBadge, TagChip } from "../../components/CustomerParts.tsx";
import { CustomersNav } from "./nav.tsx";

type C = Context<AppEnv>;

/** Most rows one CSV holds. */
export const CSV_MAX = 100_000;

/** The list's selection for this request (page, CSV and API share it). */
export async function listSelection(c: C) {
  const params = parseListParams(new URL(c.req.url).searchParams);
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const segment = params.segmentId ? await findSegment(sql, site.id, params.segmentId) : null;
  return {
    params,
    segment,
    query: {
      where: segment ? segmentWhere(sql, segment.rule, site.timezone) : undefined,
      siteId: site.id,
      search: params.search,
      status: params.status,
      tagId: params.tagId,
      sort: params.sort,
      dir: params.dir,
      page: params.page,
      limit: CUSTOMERS_PAGE,
    },
  };
}

/** GET /sites/:siteId/customers.csv */
export async function customersExport(c: C): Promise<Response> {
  const { query } = await listSelection(c);
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const { rows } = await listCustomers(sql, { ...query, page: 1, limit: CSV_MAX });
  const tags = await tagsOfCustomers(sql, site.id, rows.map((r) => r.id));
  const currency = site.currency.trim().toUpperCase();
  const body = customersCsv(
    rows.map((r) => ({ ...r, tags: (tags.get(r.id) ?? []).map((t) => t.name) })),
    currency,
  );
  const name = `${site.domain}-customers.csv`.replace(/[^A-Za-z0-9._-]/g, "_");
  return c.body(body, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name}"`,
    "Cache-Control": "no-store",
  });
}

const SORT_LABELS: Record<CustomerSort, string> = {
  revenue: "Lifetime revenue",
  last_active: "Last active",
  joined: "Joined",
  engagement: "Engagement",
  email: "Email",
};

/** GET /sites/:siteId/customers */
export async function customersPage(c: C): Promise<Response> {
  const { params, query, segment } = await listSelection(c);
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const tag = params.tagId ? await findTag(sql, site.id, params.tagId) : null;
  const { rows, total } = await listCustomers(sql, query);
  const tags = await tagsOfCustomers(sql, site.id, rows.map((r) => r.id));
  const allTags = await listTags(sql, site.id);
  const currency = site.currency.trim().toUpperCase();
  // One formatter for the column, as the dashboard's tables: "$199.00" under "$219.77".
  const revenue = columnFormatter("money", rows.map((r) => r.revenue), currency);
  const base = `/sites/${site.id}/customers`;
  const href = (change: Partial<ListParams>) => listHref(base, params, change);
  const pages = Math.max(1, Math.ceil(total / CUSTOMERS_PAGE));
  const filtered = Boolean(params.search || params.status || params.tagId || segment);
  const sortLink = (sort: CustomerSort) => {
    const current = params.sort === sort;
    const dir = current
      ? (params.dir === "desc" ? "asc" : "desc")
      : sort === "email"
      ? "asc"
      : "desc";
    return (
      <a
        href={href({ sort, dir, page: 1 })}
        aria-sort={current ? (params.dir === "desc" ? "descending" : "ascending") : undefined}
      >
        {SORT_LABELS[sort]}
        {current ? (params.dir === "desc" ? " ↓" : " ↑") : ""}
      </a>
    );
  };
  const csvHref = listHref(`${base}.csv`, params, { page: 1 });
  const csrf = (await shellProps(c)).csrf;
  const canEdit = c.get("role") !== "viewer";
  const done = c.req.query("done");

  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <div class="page-header">
        <h1>Customers</h1>
        <CustomersNav siteId={site.id} active="list" />
      </div>
      <form method="get" action={base} class="customer-filters card" role="search">
        <label class="visually-hidden" for="customer-search">Search customers</label>
        <input
          id="customer-search"
          type="search"
          name="q"
          value={params.search}
          placeholder="Search by email or name"
          autocomplete="off"
        />
        <label class="visually-hidden" for="customer-status">Status</label>
        <select id="customer-status" name="status">
          <option value="">Any status</option>
          {CUSTOMER_STATUSES.map((s) => (
            <option value={s} selected={params.status === s}>{STATUS_LABELS[s]}</option>
          ))}
        </select>
        {allTags.length > 0 && (
          <>
            <label class="visually-hidden" for="customer-tag">Tag</label>
            <select id="customer-tag" name="tag">
              <option value="">Any tag</option>
              {allTags.map((t) => (
                <option value={t.id} selected={params.tagId === t.id}>{t.name}</option>
              ))}
            </select>
          </>
        )}
        {params.sort !== DEFAULT_SORT && <input type="hidden" name="sort" value={params.sort} />}
        {segment && <input type="hidden" name="segment" value={segment.id} />}
        <button type="submit">Search</button>
        {filtered && <a href={base} class="small">Clear</a>}
      </form>
      {allTags.length > 0 && canEdit && (
        <details class="card tag-manager" id="tags">
          <summary>Manage tags</summary>
          <ul class="plain-list">
            {allTags.map((t) => (
              <li key={t.id} class="row wrap">
                <Form action={`${base}/tags/${t.id}`} csrf={csrf} class="inline-form row wrap">
                  <label class="visually-hidden" for={`tag-${t.id}-name`}>Name</label>
                  <input
                    type="text"
                    id={`tag-${t.id}-name`}
                    name="name"
                    value={t.name}
                    required
                    maxLength={40}
                  />
                  <label class="visually-hidden" for={`tag-${t.id}-color`}>Colour</label>
                  <select id={`tag-${t.id}-color`} name="color">
                    {TAG_COLORS.map((col) => (
                      <option key={col} value={col} selected={t.color === col}>{col}</option>
                    ))}
                  </select>
                  <button type="submit" class="secondary small-button">Save</button>
                </Form>
                <Form action={`${base}/tags/${t.id}/delete`} csrf={csrf} class="inline-form">
                  <button type="submit" class="link-button negative">
                    Delete ({formatCount(t.customers ?? 0)})
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        </details>
      )}
      {allTags.length > 0 && (
        <nav class="tag-row" aria-label="Tags">
          {allTags.map((t) => <TagChip key={t.id} tag={t} href={href({ tagId: t.id, page: 1 })} />)}
        </nav>
      )}
      <section class="card" aria-labelledby="customer-count">
        <div class="section-head">
          <h2 id="customer-count">
            {formatCount(total)} {total === 1 ? "customer" : "customers"}
            {tag && (
              <>
                with <TagChip tag={tag} />
              </>
            )}
          </h2>
          {total > 0 && (
            <a class="button secondary small-button" href={csvHref} download>Export CSV</a>
          )}
        </div>
        {done && <p class="alert" role="status">{done.slice(0, 200)}</p>}
        {rows.length === 0
          ? <EmptyList siteId={site.id} filtered={filtered} />
          : (
            <Form action={`${base}/bulk`} csrf={csrf} id="bulk-form">
              {canEdit && (
                <div class="bulk-form row wrap">
                  <BulkActionFields who="For the selected customers:" />
                </div>
              )}
              <div class="table-wrap">
                <table class="customer-table">
                  <thead>
                    <tr>
                      {canEdit && (
                        <th>
                          <span class="visually-hidden">Select</span>
                        </th>
                      )}
                      <th>{sortLink("email")}</th>
                      <th class="hide-narrow">Status</th>
                      <th class="num">{sortLink("revenue")}</th>
                      <th class="num hide-narrow">{sortLink("engagement")}</th>
                      <th class="hide-narrow">{sortLink("last_active")}</th>
                      <th class="hide-narrow">{sortLink("joined")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((r) => (
                      <tr>
                        {canEdit && (
                          <td>
                            <input
                              type="checkbox"
                              name="id"
                              value={r.id}
                              aria-label={`Select ${r.email}`}
                            />
                          </td>
                        )}
                        <td class="customer-cell">
                          <a href={`${base}/${r.id}`} class="customer-link">{r.email}</a>
                          {r.name && <div class="muted small">{r.name}</div>}
                          <div class="show-narrow">
                            <StatusBadge status={r.status} />
                          </div>
                          <div class="tag-row">
                            {(tags.get(r.id) ?? []).map((t: Tag) => (
                              <TagChip tag={t} href={href({ tagId: t.id, page: 1 })} />
                            ))}
                          </div>
                        </td>
                        <td class="hide-narrow">
                          <StatusBadge status={r.status} />
                        </td>
                        <td class="num">{revenue(r.revenue)}</td>
                        <td class="num hide-narrow">{r.engagement}</td>
                        <td class="hide-narrow" title={r.last_active_at.toISOString()}>
                          {ago(r.last_active_at)}
                        </td>
                        <td class="hide-narrow">{formatDay(r.joined_at, site.timezone)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Form>
          )}
        {pages > 1 && (
          <nav class="pager" aria-label="Pages">
            {params.page > 1 && <a href={href({ page: params.page - 1 })} rel="prev">← Previous</a>}
            <span class="muted">Page {params.page} of {pages}</span>
            {params.page < pages && <a href={href({ page: params.page + 1 })} rel="next">Next →</a>}
          </nav>
        )}
      </section>
    </AppShell>
  );
  return renderPage(c, body, { title: "Customers" });
}

function EmptyList(props: { siteId: number; filtered: boolean }) {
  if (props.filtered) {
    return (
      <div class="empty">
        <p>No customer matches. Try part of the email, or clear the filters.</p>
      </div>
    );
  }
  return (
    <div class="empty">
      <h3>No customers yet</h3>
      <p>
        People appear here when they pay through a connected platform, or when your site calls{" "}
        <code>sextant('identify', email)</code> after they sign up or log in.
      </p>
      <p class="row center">
        <a class="button" href={`/sites/${props.siteId}/integrations`}>Connect a platform</a>
        <a class="button secondary" href={`/sites/${props.siteId}/install`}>
          See the tracker calls
        </a>
      </p>
    </div>
  );
}
