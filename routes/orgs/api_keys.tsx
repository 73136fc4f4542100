/** /orgs/:orgId/api-keys — create (shown once), list with last use, revoke. Admins only. */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireOrg } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { timeAgo } from "../../components/format.ts";
import CopyButton from "../../islands/CopyButton.tsx";
import { createApiKey, listApiKeys, revokeApiKey } from "../../accounts/api_keys.ts";
import { listSitesInOrg } from "../../accounts/sites.ts";
import { Invalid, NotFound } from "../../lib/errors.ts";
import { checked, formId, type FormProblem, idParam, readForm, tryForm } from "../forms.ts";

async function keysPage(
  c: Context<AppEnv>,
  opts: { secret?: string; problem?: FormProblem; revoked?: boolean } = {},
) {
  const org = c.get("org");
  const sql = c.get("app").db.sql;
  const [keys, sites, shell] = await Promise.all([
    listApiKeys(sql, org.id),
    listSitesInOrg(sql, org.id),
    shellProps(c, { active: "api-keys", orgId: org.id }),
  ]);
  const siteName = (id: number | null) =>
    id === null ? "All sites" : sites.find((s) => s.id === id)?.name ?? "Deleted site";
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        <div class="page-header">
          <div>
            <h1>API keys</h1>
            <p class="muted small">{org.name} · for the stats and events APIs</p>
          </div>
        </div>
        {opts.secret && (
          <section class="card stack new-key" aria-live="polite">
            <Notice kind="success">
              Your new key is below. Copy it now: for your safety we only keep a fingerprint and
              can't show it again.
            </Notice>
            <pre class="snippet" id="new-key"><code>{opts.secret}</code></pre>
            <CopyButton text={opts.secret} label="Copy key" />
            <p class="muted small">
              Use it as <code>Authorization: Bearer {opts.secret.slice(0, 11)}…</code>
            </p>
          </section>
        )}
        {opts.revoked && <Notice kind="success">Key revoked. Requests using it now fail.</Notice>}
        <section class="card stack" aria-labelledby="create-title">
          <h2 id="create-title">Create a key</h2>
          {opts.problem && !opts.problem.field && (
            <Notice kind="error">{opts.problem.message}</Notice>
          )}
          <Form action={`/orgs/${org.id}/api-keys`} csrf={shell.csrf} class="grid two">
            <Field
              label="Name"
              name="name"
              required
              placeholder="Zapier export"
              error={opts.problem?.field === "name" ? opts.problem.message : undefined}
            />
            <div class="field">
              <label for="f-site">Access</label>
              <select id="f-site" name="site_id">
                <option value="">All sites in {org.name}</option>
                {sites.map((s) => <option key={s.id} value={String(s.id)}>Only {s.name}</option>)}
              </select>
            </div>
            <div class="field">
              <label class="checkbox">
                <input type="checkbox" name="import" />
                Import history
              </label>
              <div class="hint">
                Lets the events API take timestamps up to 400 days back, to bring your history from
                another tool.
              </div>
            </div>
            <div>
              <button type="submit">Create key</button>
            </div>
          </Form>
        </section>
        <section class="card stack" aria-labelledby="keys-title">
          <h2 id="keys-title">Keys</h2>
          {keys.length === 0
            ? (
              <p class="muted">
                No keys yet. Create one to pull stats into your own tools or send server-side
                events.
              </p>
            )
            : (
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Name</th>
                      <th>Key</th>
                      <th>Access</th>
                      <th>Last used</th>
                      <th>
                        <span class="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {keys.map((k) => (
                      <tr class={k.revoked_at ? "muted" : ""}>
                        <td>{k.name}</td>
                        <td>
                          <code>{k.prefix}…</code>
                        </td>
                        <td>
                          {siteName(k.site_id)}
                          {k.scopes.includes("import") && <span class="badge">import</span>}
                        </td>
                        <td>{timeAgo(k.last_used_at)}</td>
                        <td class="num">
                          {k.revoked_at ? <span class="badge bad">revoked</span> : (
                            <Form
                              action={`/orgs/${org.id}/api-keys/${k.id}/revoke`}
                              csrf={shell.csrf}
                              class="inline-form"
                            >
                              <button type="submit" class="link-button negative">Revoke</button>
                            </Form>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
        </section>
      </div>
    </AppShell>,
    { title: "API keys", status: opts.problem?.status },
  );
}

export function registerApiKeys(app: Hono<AppEnv>): void {
  app.get(
    "/orgs/:orgId/api-keys",
    requireOrg("admin"),
    (c) => keysPage(c, { revoked: c.req.query("done") === "revoked" }),
  );

  app.post("/orgs/:orgId/api-keys", requireOrg("admin"), async (c) => {
    const form = await readForm(c);
    const org = c.get("org");
    const sql = c.get("app").db.sql;
    const r = await tryForm(async () => {
      let siteId: number | null = null;
      if (form.site_id) {
        siteId = formId(form, "site_id", "Choose one of this organization's sites.");
        const [s] = await sql`select 1 from sites where id = ${siteId} and org_id = ${org.id}`;
        if (!s) throw new Invalid("site_id", "Choose one of this organization's sites.");
      }
      return await createApiKey(sql, {
        orgId: org.id,
        name: form.name ?? "",
        siteId,
        createdBy: c.get("user")!.id,
        scopes: checked(form, "import") ? ["import"] : [],
      });
    });
    if (!r.ok) return keysPage(c, { problem: r.problem });
    return keysPage(c, { secret: r.value.secret });
  });

  app.post("/orgs/:orgId/api-keys/:keyId/revoke", requireOrg("admin"), async (c) => {
    const ok = await revokeApiKey(c.get("app").db.sql, c.get("org").id, idParam(c, "keyId"));
    if (!ok) throw new NotFound("We couldn't find that API key.");
    return c.redirect(`/orgs/${c.get("org").id}/api-keys?done=revoked`, 303);
  });
}
