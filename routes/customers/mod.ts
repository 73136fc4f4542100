/**
 * Every customer route: the list and its CSV, profiles, tag and note forms, and the same
 * data as JSON under /api/v1 (Bearer key) and /api/app (session, for islands).
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { requireSite } from "../../http/middleware/auth.ts";
import { readCappedText } from "../../http/body.ts";
import { Invalid } from "../../lib/errors.ts";
import { safeRedirectPath } from "../../lib/redirect.ts";
import { idParam, readForm } from "../forms.ts";
import { apiKeyRoute, apiSite } from "../stats_api.ts";
import { assertCustomer, listCustomers } from "../../customers/store.ts";
import {
  addTagToCustomer,
  customerTags,
  deleteTag,
  findTag,
  tagsOfCustomers,
  untagCustomers,
  updateTag,
} from "../../customers/tags.ts";
import { addNote, deleteNote, editNote, listNotes } from "../../customers/notes.ts";
import { customersExport, customersPage, listSelection } from "./list.tsx";
import { loadProfile, profilePage } from "./profile.tsx";
import { registerSegments } from "./segments.tsx";
import { registerMetrics } from "./metrics.tsx";
import { registerAutomations } from "./automations.tsx";
import { mountSegmentAutomationApi } from "./api.ts";

type C = Context<AppEnv>;

const CUSTOMER = "/sites/:siteId{[0-9]+}/customers/:customerId{[0-9]+}";

/** Back to the profile (or where the form said), after a form post. */
function backToProfile(c: C, anchor: string) {
  const site = c.get("site");
  return c.redirect(
    safeRedirectPath(`/sites/${site.id}/customers/${idParam(c, "customerId")}${anchor}`),
    303,
  );
}

/**
 * Reads a small JSON object body (or a form, which the form middleware has already read);
 * anything else is a 400 that says what to send.
 */
async function jsonObject(c: C, example: string): Promise<Record<string, unknown>> {
  if (/form/.test(c.req.header("content-type") ?? "")) return await readForm(c);
  const text = await readCappedText(c.req.raw, 64 * 1024);
  try {
    const value = JSON.parse(text || "{}");
    if (value && typeof value === "object" && !Array.isArray(value)) return value;
  } catch {
    // Falls through to the sentence below.
  }
  throw new Invalid("body", `Send a JSON object: ${example}.`);
}

/** A string field of a JSON body, or Invalid. */
function stringField(body: Record<string, unknown>, name: string, optional = false): string {
  const v = body[name];
  if (v === undefined && optional) return "";
  if (typeof v !== "string") throw new Invalid(name, `"${name}" must be a string.`);
  return v;
}

/** The site of an /api/v1 route, authorized for the key, set like requireSite sets it. */
function apiSiteScope(): MiddlewareHandler<AppEnv> {
  const keyed = apiKeyRoute();
  return (c, next) =>
    keyed(c, async () => {
      c.set("site", await apiSite(c));
      await next();
    });
}

const noStore = { "Cache-Control": "no-store" };

/** JSON handlers shared by /api/v1 and /api/app. */
function mountJson(
  app: Hono<AppEnv>,
  base: string,
  read: MiddlewareHandler<AppEnv>,
  write: MiddlewareHandler<AppEnv>,
) {
  const one = `${base}/customers/:customerId{[0-9]+}`;
  app.get(`${base}/customers`, read, async (c) => {
    const { params, query } = await listSelection(c);
    const sql = c.get("app").db.sql;
    const { rows, total } = await listCustomers(sql, query);
    const tags = await tagsOfCustomers(sql, c.get("site").id, rows.map((r) => r.id));
    return c.json(
      {
        total,
        page: params.page,
        per_page: query.limit,
        customers: rows.map((r) => ({ ...r, tags: tags.get(r.id) ?? [] })),
      },
      200,
      noStore,
    );
  });
  app.get(one, read, async (c) => {
    const { customer, timeline } = await loadProfile(c);
    const sql = c.get("app").db.sql;
    const site = c.get("site");
    return c.json(
      {
        customer,
        tags: await customerTags(sql, site.id, customer.id),
        notes: await listNotes(sql, site.id, customer.id),
        timeline,
      },
      200,
      noStore,
    );
  });
  app.get(`${one}/timeline`, read, async (c) => {
    const { timeline } = await loadProfile(c);
    return c.json(timeline, 200, noStore);
  });
  app.post(`${one}/tags`, write, async (c) => {
    const body = await jsonObject(c, '{"name": "VIP", "color": "purple"}');
    const site = c.get("site");
    const tag = await addTagToCustomer(
      c.get("app").db.sql,
      site.id,
      idParam(c, "customerId"),
      stringField(body, "name"),
      stringField(body, "color", true) || undefined,
    );
    return c.json({ tag }, 201, noStore);
  });
  app.delete(`${one}/tags/:tagId{[0-9]+}`, write, async (c) => {
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const customerId = idParam(c, "customerId");
    await assertCustomer(sql, site.id, customerId);
    const tag = await findTag(sql, site.id, idParam(c, "tagId"));
    const removed = await untagCustomers(sql, site.id, tag.id, [customerId]);
    return c.json({ removed: removed > 0 }, 200, noStore);
  });
  app.post(`${one}/notes`, write, async (c) => {
    const body = await jsonObject(c, '{"body": "Asked about the annual plan"}');
    const site = c.get("site");
    const user = c.get("user");
    const note = await addNote(
      c.get("app").db.sql,
      site.id,
      idParam(c, "customerId"),
      stringField(body, "body"),
      user?.id ?? null,
    );
    return c.json({ note }, 201, noStore);
  });
}

export function registerCustomers(app: Hono<AppEnv>): void {
  registerSegments(app);
  registerMetrics(app);
  registerAutomations(app);
  app.get("/sites/:siteId{[0-9]+}/customers", requireSite("viewer"), customersPage);
  app.get("/sites/:siteId{[0-9]+}/customers.csv", requireSite("viewer"), customersExport);
  app.get(CUSTOMER, requireSite("viewer"), profilePage);
  app.post(`${CUSTOMER}/tags`, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    await addTagToCustomer(
      c.get("app").db.sql,
      site.id,
      idParam(c, "customerId"),
      form.name ?? "",
      form.color,
    );
    return backToProfile(c, "#tags-h");
  });
  app.post(`${CUSTOMER}/tags/:tagId{[0-9]+}/remove`, requireSite("member"), async (c) => {
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const customerId = idParam(c, "customerId");
    await assertCustomer(sql, site.id, customerId);
    const tag = await findTag(sql, site.id, idParam(c, "tagId"));
    await untagCustomers(sql, site.id, tag.id, [customerId]);
    return backToProfile(c, "#tags-h");
  });
  app.post(
    "/sites/:siteId{[0-9]+}/customers/tags/:tagId{[0-9]+}",
    requireSite("member"),
    async (c) => {
      const form = await readForm(c);
      const site = c.get("site");
      await updateTag(c.get("app").db.sql, site.id, idParam(c, "tagId"), {
        name: form.name ?? "",
        color: form.color ?? "",
      });
      return c.redirect(`/sites/${site.id}/customers#tags`, 303);
    },
  );
  app.post(
    "/sites/:siteId{[0-9]+}/customers/tags/:tagId{[0-9]+}/delete",
    requireSite("member"),
    async (c) => {
      const site = c.get("site");
      await deleteTag(c.get("app").db.sql, site.id, idParam(c, "tagId"));
      return c.redirect(`/sites/${site.id}/customers#tags`, 303);
    },
  );
  app.post(`${CUSTOMER}/notes`, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    await addNote(
      c.get("app").db.sql,
      site.id,
      idParam(c, "customerId"),
      form.body ?? "",
      c.get("user")!.id,
    );
    return backToProfile(c, "#notes-h");
  });
  app.post(`${CUSTOMER}/notes/:noteId{[0-9]+}`, requireSite("member"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const customerId = idParam(c, "customerId");
    const noteId = idParam(c, "noteId");
    await editNote(c.get("app").db.sql, site.id, customerId, noteId, form.body ?? "");
    return backToProfile(c, `#note-${noteId}`);
  });
  app.post(`${CUSTOMER}/notes/:noteId{[0-9]+}/delete`, requireSite("member"), async (c) => {
    const site = c.get("site");
    await deleteNote(
      c.get("app").db.sql,
      site.id,
      idParam(c, "customerId"),
      idParam(c, "noteId"),
    );
    return backToProfile(c, "#notes-h");
  });
  mountJson(
    app,
    "/api/app/sites/:siteId{[0-9]+}",
    requireSite("viewer"),
    requireSite("member"),
  );
  const keyed = apiSiteScope();
  mountJson(app, "/api/v1/sites/:siteId{[0-9]+}", keyed, keyed);
  mountSegmentAutomationApi(app, "/api/v1/sites/:siteId{[0-9]+}", keyed);
}
