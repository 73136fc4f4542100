/**
 * /sites/:siteId/import — bring history from Plausible or Umami: upload a CSV export, watch its
 * progress. Admins only (it writes to the site's data).
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireSite } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Form } from "../../components/Form.tsx";
import { Invalid } from "../../lib/errors.ts";
import { storableText } from "../../lib/text.ts";
import { formatCount } from "../../analytics/format.ts";
import { runInBackground } from "../../integrations/background.ts";
import { createImport, listImports, runImport, type SiteImport } from "../../imports/run.ts";
import { type FormProblem, tryForm } from "../forms.ts";

const STATUS: Record<SiteImport["status"], string> = {
  queued: "Waiting to start",
  running: "Importing",
  done: "Imported",
  failed: "Failed",
};

async function importPage(c: Context<AppEnv>, problem?: FormProblem) {
  const site = c.get("site");
  const shell = await shellProps(c, { active: "settings" });
  const imports = await listImports(c.get("app").db.sql, site.id);
  const busy = imports.some((i) => i.status === "queued" || i.status === "running");
  return renderPage(
    c,
    <AppShell {...shell}>
      {busy && <meta http-equiv="refresh" content="3" />}
      <div class="narrow-page stack">
        <div class="page-header">
          <h1>Import history</h1>
          <a class="button secondary" href={`/sites/${site.id}/settings`}>Settings</a>
        </div>
        <section class="card stack" aria-labelledby="upload-title">
          <h2 id="upload-title">Upload an export</h2>
          <p>
            Bring your history from Plausible (the pages CSV of its export: date, page, visitors,
            pageviews) or Umami (its events CSV), or any CSV with date, page, source, visitors and
            pageviews columns. Up to 400 days back. Importing the same file again adds nothing.
            Larger histories can be sent through the events API with an import key.
          </p>
          {problem && <Notice kind="error">{problem.message}</Notice>}
          <Form
            action={`/sites/${site.id}/import`}
            csrf={shell.csrf}
            enctype="multipart/form-data"
            class="stack"
          >
            <div class="field">
              <label for="f-file">CSV file (up to 50 MB)</label>
              <input id="f-file" type="file" name="file" accept=".csv,text/csv" required />
            </div>
            <p>
              <button type="submit">Import</button>
            </p>
          </Form>
        </section>
        <section class="card" aria-labelledby="imports-title">
          <h2 id="imports-title">Imports</h2>
          {imports.length === 0
            ? <p class="empty">No imports yet. Upload an export above to see its progress here.</p>
            : (
              <ul class="imports">
                {imports.map((i) => (
                  <li>
                    <strong>{i.filename}</strong> · {STATUS[i.status]}{" "}
                    <progress max={i.total_rows} value={i.done_rows}>
                      {formatCount(i.done_rows)} of {formatCount(i.total_rows)}
                    </progress>{" "}
                    <span class="muted small">
                      {formatCount(i.done_rows)} of {formatCount(i.total_rows)} rows,{" "}
                      {formatCount(i.events)} page views
                    </span>
                    {i.error && <div class="small negative">{i.error}</div>}
                  </li>
                ))}
              </ul>
            )}
        </section>
      </div>
    </AppShell>,
    { title: `Import · ${site.name}`, status: problem?.status },
  );
}

/** Registers the import page. */
export function registerImport(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId/import", requireSite("admin"), (c) => importPage(c));

  app.post("/sites/:siteId/import", requireSite("admin"), async (c) => {
    const ctx = c.get("app");
    const site = c.get("site");
    const result = await tryForm(async () => {
      const type = c.req.header("content-type") ?? "";
      const body = type.includes("multipart/form-data") ? await c.req.parseBody() : {};
      const file = body.file;
      if (!(file instanceof File) || file.size === 0) {
        throw new Invalid("file", "Choose a CSV file to import.");
      }
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
      } catch {
        throw new Invalid("file", "That file isn't text (UTF-8): export it again as CSV.");
      }
      return await createImport(ctx.db.sql, site, {
        filename: file.name || "export.csv",
        text: storableText(text),
        userId: c.get("user")!.id,
      });
    });
    if (!result.ok) return importPage(c, result.problem);
    runInBackground(ctx, "import", (signal) => runImport(ctx, result.value.id, signal));
    return c.redirect(`/sites/${site.id}/import`, 303);
  });
}
