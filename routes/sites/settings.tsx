/** /sites/:siteId/settings — everything about tracking a site, and deleting it. */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireSite } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { roleAtLeast } from "../../accounts/orgs.ts";
import { platformConnected, type Site } from "../../accounts/sites.ts";
import {
  browserRevenueOn,
  currencies,
  timeZones,
  updateSiteSettings,
} from "../../accounts/site_settings.ts";
import { deleteSite } from "../../accounts/site_deletion.ts";
import {
  DEFAULT_RETENTION_DAYS,
  RETENTION_CHOICES,
  WEBHOOK_BODY_RETENTION_DAYS,
} from "../../privacy/retention.ts";
import {
  eraseVisitor,
  type Erasure,
  exportVisitor,
  parseSubject,
  privacyLog,
} from "../../privacy/mod.ts";
import type { AuditRow } from "../../privacy/store.ts";
import { exportDownload } from "../privacy_api.ts";
import { checked, type FormProblem, readForm, tryForm } from "../forms.ts";
import { Options } from "./list.tsx";

const DONE: Record<string, string> = { saved: "Settings saved." };

function FieldError(props: { problem?: FormProblem; field: string }) {
  return props.problem?.field === props.field
    ? <div class="hint negative" role="alert">{props.problem.message}</div>
    : null;
}

function TextArea(props: {
  label: string;
  name: string;
  value: string;
  hint: string;
  placeholder?: string;
  problem?: FormProblem;
  disabled: boolean;
}) {
  return (
    <div class="field">
      <label for={`f-${props.name}`}>{props.label}</label>
      <textarea
        id={`f-${props.name}`}
        name={props.name}
        rows={3}
        placeholder={props.placeholder}
        disabled={props.disabled}
        aria-invalid={props.problem?.field === props.name ? "true" : undefined}
      >
        {props.value}
      </textarea>
      <div class="hint">{props.hint}</div>
      <FieldError problem={props.problem} field={props.name} />
    </div>
  );
}

function Check(
  props: { name: string; label: string; hint: string; on: boolean; disabled: boolean },
) {
  return (
    <div class="field">
      <label class="checkbox">
        <input type="checkbox" name={props.name} checked={props.on} disabled={props.disabled} />
        {props.label}
      </label>
      <div class="hint">{props.hint}</div>
    </div>
  );
}

/** "12 events, 3 visits and 1 identity" — what an erasure changed, in words. */
function erasedSummary(e: Erasure): string {
  const c = e.counts;
  const parts = [
    [c.events, "event", "events"],
    [c.sessions, "visit", "visits"],
    [c.identities, "identity", "identities"],
    [c.purchases, "purchase", "purchases"],
    [c.webhook_deliveries, "webhook body", "webhook bodies"],
  ].filter(([n]) => Number(n) > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  if (parts.length === 0) return "Nothing was stored about that person on this site.";
  const list = parts.length > 1
    ? `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`
    : parts[0];
  return `Erased ${list}. Purchases keep their amounts, without the person's details.`;
}

function PrivacySection(props: {
  site: Site;
  csrf: string;
  problem?: FormProblem;
  values?: Record<string, string>;
  erased?: Erasure;
  log: AuditRow[];
}) {
  const { site, problem: p, values: v } = props;
  return (
    <section class="card" aria-labelledby="privacy-title">
      <h2 id="privacy-title">Privacy</h2>
      <p>
        Export or erase everything stored about one person — their visits, events, identify calls,
        and the personal details on their purchases (amounts stay, so revenue totals are kept).
        Devices linked to the same email are included. Each request is logged without the person's
        details.
      </p>
      {props.erased && <Notice kind="success">{erasedSummary(props.erased)}</Notice>}
      {p && !p.field && <Notice kind="error">{p.message}</Notice>}
      <Form action={`/sites/${site.id}/privacy`} csrf={props.csrf} class="stack">
        <div class="grid two">
          <Field
            label="Visitor id"
            name="visitor_id"
            value={v?.visitor_id ?? ""}
            autocomplete="off"
            hint="From sextant.visitorId() or the sx_id cookie."
            error={p?.field === "visitor_id" ? p.message : undefined}
          />
          <Field
            label="or email"
            name="email"
            type="email"
            value={v?.email ?? ""}
            autocomplete="off"
            error={p?.field === "email" ? p.message : undefined}
          />
        </div>
        <p class="row">
          <button type="submit" name="action" value="export" class="secondary">
            Download their data (JSON)
          </button>{" "}
          <button type="submit" name="action" value="erase" class="danger">
            Erase their data
          </button>
        </p>
      </Form>
      {props.log.length > 0 && (
        <details>
          <summary>Recent requests</summary>
          <ul>
            {props.log.map((e) => (
              <li>
                {e.action === "privacy.erasure" ? "Erasure" : "Export"} by{" "}
                {e.actor ?? "a removed user"} on{" "}
                <time datetime={e.created_at.toISOString()}>
                  {e.created_at.toISOString().slice(0, 16).replace("T", " ")} UTC
                </time>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

interface PageOptions {
  problem?: FormProblem;
  values?: Record<string, string>;
  deleteProblem?: FormProblem;
  privacyProblem?: FormProblem;
  privacyValues?: Record<string, string>;
  erased?: Erasure;
}

async function settingsPage(c: Context<AppEnv>, site: Site, opts: PageOptions = {}) {
  const shell = await shellProps(c, { active: "settings" });
  const canEdit = roleAtLeast(c.get("role"), "admin");
  const v = opts.values;
  const p = opts.problem;
  const text = (name: keyof Site, fallback: string) => v?.[name as string] ?? fallback;
  const done = DONE[c.req.query("done") ?? ""];
  const platform = await platformConnected(c.get("app").db.sql, site.id);
  const browserRevenue = v?.browser_revenue ?? site.browser_revenue;
  const log = canEdit ? await privacyLog(c.get("app").db.sql, site) : [];
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        <div class="page-header">
          <h1>Site settings</h1>
          <span class="row">
            <a class="button secondary" href={`/sites/${site.id}/install`}>Install snippet</a>
            {canEdit && (
              <a class="button secondary" href={`/sites/${site.id}/import`}>Import history</a>
            )}
          </span>
        </div>
        {done && <Notice kind="success">{done}</Notice>}
        {!canEdit && (
          <Notice kind="info">
            You can look, but only admins and owners change site settings.
          </Notice>
        )}
        {p && !p.field && <Notice kind="error">{p.message}</Notice>}
        <Form action={`/sites/${site.id}/settings`} csrf={shell.csrf} class="stack">
          <fieldset class="card" disabled={!canEdit}>
            <legend>General</legend>
            <Field label="Name" name="name" value={text("name", site.name)} />
            <Field
              label="Domain"
              name="domain"
              value={text("domain", site.domain)}
              required
              error={p?.field === "domain" ? p.message : undefined}
            />
            <div class="field">
              <span class="label-like">Tracking id</span>
              <code class="tracking-id">{site.public_id}</code>
            </div>
            <div class="grid two">
              <div class="field">
                <label for="f-timezone">Reporting time zone</label>
                <select id="f-timezone" name="timezone">
                  <Options values={timeZones()} selected={text("timezone", site.timezone)} />
                </select>
                <FieldError problem={p} field="timezone" />
              </div>
              <div class="field">
                <label for="f-currency">Revenue currency</label>
                <select id="f-currency" name="currency">
                  <Options values={currencies()} selected={text("currency", site.currency)} />
                </select>
                <FieldError problem={p} field="currency" />
              </div>
            </div>
          </fieldset>
          <fieldset class="card" disabled={!canEdit}>
            <legend>Tracking</legend>
            <TextArea
              label="Other allowed hosts"
              name="allowed_hosts"
              value={text("allowed_hosts", site.allowed_hosts.join("\n"))}
              placeholder="*.example.com
checkout.example.org"
              hint={`Events are accepted from ${site.domain} and these hosts (one per line). *.example.com allows every subdomain; other domains join cross-domain journeys.`}
              problem={p}
              disabled={!canEdit}
            />
            <Check
              name="cookieless"
              label="Cookieless mode"
              hint="No cookies or storage: visitors are counted with a daily-rotating hash. Returning visitors and multi-day attribution become approximate."
              on={v ? checked(v, "cookieless") : site.cookieless}
              disabled={!canEdit}
            />
            <Check
              name="respect_dnt"
              label="Honour Do Not Track and Global Privacy Control"
              hint="Browsers that send these signals are not tracked."
              on={v ? checked(v, "respect_dnt") : site.respect_dnt}
              disabled={!canEdit}
            />
            <Check
              name="heatmaps_enabled"
              label="Record heatmaps"
              hint="Records clicks, pointer movement and scrolling. Add data-heatmaps to your snippet (the install page shows it) so visitors load the module."
              on={v ? checked(v, "heatmaps_enabled") : site.heatmaps_enabled}
              disabled={!canEdit}
            />
            <TextArea
              label="Excluded IP addresses"
              name="excluded_ips"
              value={text("excluded_ips", site.excluded_ips.join("\n"))}
              placeholder="203.0.113.7
198.51.100.0/24"
              hint="Visits from these addresses or ranges (yours, your office) are not counted."
              problem={p}
              disabled={!canEdit}
            />
            <TextArea
              label="Excluded paths"
              name="excluded_paths"
              value={text("excluded_paths", site.excluded_paths.join("\n"))}
              placeholder="/admin
/preview/*"
              hint="Pages that are not tracked. * matches within one path segment, ** across segments."
              problem={p}
              disabled={!canEdit}
            />
          </fieldset>
          <fieldset class="card" disabled={!canEdit}>
            <legend>Attribution and data</legend>
            <Field
              label="Attribution window (days)"
              name="attribution_window_days"
              type="number"
              value={text("attribution_window_days", String(site.attribution_window_days))}
              hint="How long after a visit a purchase is still credited to its source: 1 to 90 days, 30 by default."
              error={p?.field === "attribution_window_days" ? p.message : undefined}
            />
            <div class="field">
              <label for="f-browser_revenue">Revenue reported by the browser</label>
              <select id="f-browser_revenue" name="browser_revenue">
                {[
                  ["auto", "Automatic: only until a payment platform is connected"],
                  ["on", "Always take it"],
                  ["off", "Never take it"],
                ].map(([val, label]) => (
                  <option value={val} selected={browserRevenue === val}>{label}</option>
                ))}
              </select>
              <div class="hint">
                Purchases your pages send with sextant('revenue', …). Anyone who knows the site's id
                can send them, so the revenue report marks them "reported by the browser"; a
                connected payment platform's records are verified. {browserRevenueOn({
                    browser_revenue: site.browser_revenue,
                    platform_connected: platform,
                  })
                  ? "On now: no payment platform is connected, or you turned it on."
                  : platform && site.browser_revenue === "auto"
                  ? "Off now: a payment platform is connected."
                  : "Off now."}
              </div>
              <FieldError problem={p} field="browser_revenue" />
            </div>
            <Field
              label={`Largest purchase reported by the browser or the events API (${site.currency})`}
              name="revenue_max_major"
              type="number"
              value={text("revenue_max_major", String(site.revenue_max_major))}
              hint="Reports above this, in whole units of the site's currency, are refused. 100,000 by default."
              error={p?.field === "revenue_max_major" ? p.message : undefined}
            />
            <div class="field">
              <label for="f-retention_days">Keep visitor data</label>
              <select id="f-retention_days" name="retention_days">
                {RETENTION_CHOICES.map(([val, label]) => (
                  <option
                    value={val}
                    selected={(v?.retention_days ?? String(site.retention_days ?? "")) === val}
                  >
                    {label}
                  </option>
                ))}
              </select>
              <div class="hint">
                Visits, events, identify calls and heatmap clicks older than this are deleted a few
                times a day, and older purchases lose the buyer's email and visitor id (their
                amounts stay). Raw webhook bodies are kept {WEBHOOK_BODY_RETENTION_DAYS}{" "}
                days. The default is {DEFAULT_RETENTION_DAYS / 365} years.
              </div>
              <FieldError problem={p} field="retention_days" />
            </div>
          </fieldset>
          {canEdit && (
            <p>
              <button type="submit">Save settings</button>
            </p>
          )}
        </Form>
        <section class="card" aria-labelledby="goals-title">
          <h2 id="goals-title">Goals</h2>
          <p>
            Say what counts as a conversion — a page, a custom event, a long or deep visit, a
            purchase — and the dashboard shows each goal's conversions and revenue, past visits
            included.
          </p>
          <p>
            <a href={`/sites/${site.id}/goals`}>Manage goals →</a>
          </p>
        </section>
        {canEdit && (
          <section class="card" aria-labelledby="share-title">
            <h2 id="share-title">Public dashboard</h2>
            <p>
              Share a read-only dashboard with a link, with an optional password and expiry date.
              Revoke it at any time.
            </p>
            <p>
              <a href={`/sites/${site.id}/share`}>Manage the public link →</a>
            </p>
          </section>
        )}
        {canEdit && (
          <PrivacySection
            site={site}
            csrf={shell.csrf}
            problem={opts.privacyProblem}
            values={opts.privacyValues}
            erased={opts.erased}
            log={log}
          />
        )}
        {canEdit && (
          <section class="card danger-zone" aria-labelledby="delete-title">
            <h2 id="delete-title">Delete this site</h2>
            <p>
              This removes{" "}
              {site.domain}, its visitors, events, revenue history and shared links for everyone. It
              can't be undone.
            </p>
            {opts.deleteProblem && <Notice kind="error">{opts.deleteProblem.message}</Notice>}
            <Form action={`/sites/${site.id}/delete`} csrf={shell.csrf}>
              <Field
                label={`Type ${site.domain} to confirm`}
                name="confirm"
                autocomplete="off"
                required
              />
              <button type="submit" class="danger">Delete site and all its data</button>
            </Form>
          </section>
        )}
      </div>
    </AppShell>,
    {
      title: `Settings · ${site.name}`,
      status: opts.problem?.status ?? opts.deleteProblem?.status ?? opts.privacyProblem?.status,
    },
  );
}

export function registerSiteSettings(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId/settings", requireSite("viewer"), (c) => settingsPage(c, c.get("site")));

  app.post("/sites/:siteId/settings", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const result = await tryForm(() =>
      updateSiteSettings(c.get("app").db.sql, site, {
        name: form.name ?? site.name,
        domain: form.domain ?? site.domain,
        timezone: form.timezone ?? site.timezone,
        currency: form.currency ?? site.currency,
        attribution_window_days: form.attribution_window_days ?? site.attribution_window_days,
        allowed_hosts: form.allowed_hosts ?? "",
        excluded_ips: form.excluded_ips ?? "",
        excluded_paths: form.excluded_paths ?? "",
        retention_days: form.retention_days ?? null,
        cookieless: checked(form, "cookieless"),
        respect_dnt: checked(form, "respect_dnt"),
        heatmaps_enabled: checked(form, "heatmaps_enabled"),
        browser_revenue: form.browser_revenue,
        revenue_max_major: form.revenue_max_major,
      })
    );
    if (!result.ok) {
      const problem = result.problem.status === 409
        ? { ...result.problem, field: "domain" }
        : result.problem;
      return settingsPage(c, site, { problem, values: form });
    }
    return c.redirect(`/sites/${site.id}/settings?done=saved`, 303);
  });

  // Export answers with the file; erasure shows what it removed. Owners and admins only.
  app.post("/sites/:siteId/privacy", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const sql = c.get("app").db.sql;
    const actor = { userId: c.get("user")!.id };
    const result = await tryForm(async () => {
      const subject = parseSubject(form);
      if (form.action === "export") return { data: await exportVisitor(sql, site, subject, actor) };
      return { erased: await eraseVisitor(sql, site, subject, actor) };
    });
    if (!result.ok) {
      return settingsPage(c, site, { privacyProblem: result.problem, privacyValues: form });
    }
    if ("data" in result.value) return exportDownload(c, site, result.value.data);
    return settingsPage(c, site, { erased: result.value.erased });
  });

  app.post("/sites/:siteId/delete", requireSite("admin"), async (c) => {
    const form = await readForm(c);
    const site = c.get("site");
    const result = await tryForm(() => deleteSite(c.get("app").db.sql, site, form.confirm ?? ""));
    if (!result.ok) return settingsPage(c, site, { deleteProblem: result.problem });
    return c.redirect("/sites", 303);
  });
}
