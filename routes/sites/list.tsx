/** /sites — the "all sites" overview with totals — and /sites/new to add one. */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireUser } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { Notice } from "../../components/AuthCard.tsx";
import { Field, Form } from "../../components/Form.tsx";
import { OnboardingGuide } from "../../components/OnboardingGuide.tsx";
import { Sparkline } from "../../components/Sparkline.tsx";
import TimeZoneSelect from "../../islands/TimeZoneSelect.tsx";
import { formatCount, formatMoneyMinor } from "../../components/format.ts";
import { currentMembership, roleAtLeast } from "../../accounts/orgs.ts";
import { createSite, listSitesInOrg } from "../../accounts/sites.ts";
import {
  OVERVIEW_PERIODS,
  overviewLabel,
  overviewPeriod,
  sitesOverview,
} from "../../accounts/overview.ts";
import { onboardingFor } from "../../accounts/onboarding.ts";
import {
  assertCurrency,
  assertTimeZone,
  currencies,
  timeZones,
} from "../../accounts/site_settings.ts";
import { Forbidden } from "../../lib/errors.ts";
import { type FormProblem, readForm, tryForm } from "../forms.ts";

async function orgInView(c: Context<AppEnv>) {
  const user = c.get("user")!;
  const m = await currentMembership(c.get("app").db.sql, user.id);
  if (!m) return null;
  return m;
}

/** Options of a <select>, with `selected` marked. */
export function Options(props: { values: string[]; selected: string }) {
  return (
    <>
      {props.values.map((v) => (
        <option key={v} value={v} selected={v === props.selected}>{v}</option>
      ))}
    </>
  );
}

async function newSitePage(
  c: Context<AppEnv>,
  values: { domain?: string; name?: string; timezone?: string; currency?: string },
  problem?: FormProblem,
) {
  const shell = await shellProps(c, { active: "sites" });
  const welcome = c.req.query("welcome") === "1";
  return renderPage(
    c,
    <AppShell {...shell}>
      <div class="narrow-page stack">
        {welcome && (
          <Notice kind="success">
            Welcome to Sextant! Two more minutes: add your site, paste one line, and watch your
            first visitor arrive.
          </Notice>
        )}
        <h1>Add a site</h1>
        <p class="muted">Step 2 of 5 · You can change all of this later in the site's settings.</p>
        {problem && !problem.field && <Notice kind="error">{problem.message}</Notice>}
        <Form action="/sites/new" csrf={shell.csrf} class="card">
          <Field
            label="Domain"
            name="domain"
            value={values.domain}
            required
            placeholder="example.com"
            autocomplete="off"
            hint="Just the domain, without https:// or www. Subdomains can be added later."
            error={problem?.field === "domain" ? problem.message : undefined}
          />
          <Field
            label="Name (optional)"
            name="name"
            value={values.name}
            placeholder="My course site"
            hint="Shown in the site switcher. Defaults to the domain."
          />
          <div class="grid two">
            <div class="field">
              <label for="f-timezone">Reporting time zone</label>
              <TimeZoneSelect
                id="f-timezone"
                name="timezone"
                zones={timeZones()}
                selected={values.timezone ?? "UTC"}
                guess={!values.timezone}
              />
              {problem?.field === "timezone" && <div class="hint negative">{problem.message}</div>}
            </div>
            <div class="field">
              <label for="f-currency">Revenue currency</label>
              <select id="f-currency" name="currency">
                <Options values={currencies()} selected={values.currency ?? "USD"} />
              </select>
              {problem?.field === "currency" && <div class="hint negative">{problem.message}</div>}
            </div>
          </div>
          <button type="submit">Add site and get the snippet</button>
        </Form>
      </div>
    </AppShell>,
    { title: "Add a site", status: problem?.status },
  );
}

export function registerSiteList(app: Hono<AppEnv>): void {
  app.get("/sites", requireUser(), async (c) => {
    const sql = c.get("app").db.sql;
    const user = c.get("user")!;
    const m = await orgInView(c);
    if (!m) return c.redirect("/orgs/new", 303);
    const period = overviewPeriod(c.req.query("period"));
    const label = overviewLabel(period);
    const sites = await listSitesInOrg(sql, m.org_id);
    const [{ summaries, totals }, guide, shell] = await Promise.all([
      sitesOverview(sql, sites, period),
      onboardingFor(sql, user.id, sites),
      shellProps(c, { active: "sites", orgId: m.org_id }),
    ]);
    const canAdd = roleAtLeast(m.role, "admin");
    return renderPage(
      c,
      <AppShell {...shell}>
        <OnboardingGuide guide={guide} csrf={shell.csrf} />
        <div class="page-header">
          <div>
            <h1>Sites</h1>
            <p class="muted small">{m.org_name}</p>
          </div>
          <div class="row">
            <nav class="segmented" aria-label="Period">
              {OVERVIEW_PERIODS.map((p) => (
                <a href={`/sites?period=${p}`} aria-current={p === period ? "page" : undefined}>
                  {p}
                </a>
              ))}
            </nav>
            {canAdd && <a class="button" href="/sites/new">+ Add site</a>}
          </div>
        </div>
        {sites.length === 0
          ? (
            <div class="card empty">
              <h2>No sites yet</h2>
              <p>
                {canAdd
                  ? "Add your website to get a one-line snippet. Your first visitor shows up here seconds after you paste it."
                  : "Nobody has added a site to this organization yet. Ask an admin to add one."}
              </p>
              {canAdd && <a class="button" href="/sites/new">Add your first site</a>}
            </div>
          )
          : (
            <>
              <section
                class="grid cards totals"
                aria-label={`Totals, ${label}`}
              >
                <div class="metric">
                  <div class="label">Visitors · {label}</div>
                  <div class="value">{formatCount(totals.visitors)}</div>
                </div>
                <div class="metric">
                  <div class="label">Pageviews</div>
                  <div class="value">{formatCount(totals.pageviews)}</div>
                </div>
                <div class="metric">
                  <div class="label">Revenue</div>
                  <div class="value">
                    {totals.revenue.length === 0
                      ? "—"
                      : totals.revenue.map((r) => formatMoneyMinor(r.minor, r.currency)).join(
                        " + ",
                      )}
                  </div>
                </div>
                <div class="metric">
                  <div class="label">Sites</div>
                  <div class="value">{sites.length}</div>
                </div>
              </section>
              <ul class="site-grid">
                {summaries.map((s) => (
                  <li class="card site-card">
                    <a class="site-card-link" href={`/sites/${s.site.id}`}>
                      <span class="site-card-name">{s.site.name}</span>
                      <span class="muted small">{s.site.domain}</span>
                    </a>
                    <Sparkline
                      values={s.series}
                      label={`Visitors of ${s.site.name}, ${label}`}
                    />
                    <div class="row spread small">
                      <span>
                        <strong>{formatCount(s.visitors)}</strong> visitors
                      </span>
                      <span>
                        <strong>{formatMoneyMinor(s.revenueMinor, s.site.currency)}</strong> revenue
                      </span>
                    </div>
                    {!s.site.first_event_at && (
                      <a class="badge warn" href={`/sites/${s.site.id}/install`}>
                        Waiting for first event · install
                      </a>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
      </AppShell>,
      { title: "Sites" },
    );
  });

  app.get("/sites/new", requireUser(), async (c) => {
    const m = await orgInView(c);
    if (!m) return c.redirect("/orgs/new", 303);
    if (!roleAtLeast(m.role, "admin")) {
      throw new Forbidden("Only admins and owners can add sites to this organization.");
    }
    return newSitePage(c, {});
  });

  app.post("/sites/new", requireUser(), async (c) => {
    const form = await readForm(c);
    const m = await orgInView(c);
    if (!m) return c.redirect("/orgs/new", 303);
    if (!roleAtLeast(m.role, "admin")) {
      throw new Forbidden("Only admins and owners can add sites to this organization.");
    }
    const result = await tryForm(() =>
      createSite(c.get("app").db.sql, {
        orgId: m.org_id,
        domain: form.domain ?? "",
        name: form.name,
        timezone: assertTimeZone(form.timezone || "UTC"),
        currency: assertCurrency(form.currency || "USD"),
      })
    );
    if (!result.ok) {
      const problem = result.problem.status === 409
        ? { ...result.problem, field: "domain" }
        : result.problem;
      return newSitePage(c, form, problem);
    }
    return c.redirect(`/sites/${result.value.id}/install`, 303);
  });
}
