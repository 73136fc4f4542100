/**
 * /sites/:siteId/install — the snippet, per-platform instructions, a live "receiving data"
 * indicator and a test-visit button; plus the two JSON endpoints the indicator uses.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { requireSite } from "../../http/middleware/auth.ts";
import { shellProps } from "../../http/shell.ts";
import { clientKey } from "../../http/client_ip.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { OnboardingGuide } from "../../components/OnboardingGuide.tsx";
import CopyButton from "../../islands/CopyButton.tsx";
import InstallStatus from "../../islands/InstallStatus.tsx";
import { roleAtLeast } from "../../accounts/orgs.ts";
import { listSitesInOrg } from "../../accounts/sites.ts";
import { onboardingFor } from "../../accounts/onboarding.ts";
import { limitAction } from "../../accounts/rate_limits.ts";
import {
  gtmSnippet,
  nextSnippet,
  PLATFORM_GUIDES,
  trackingSnippet,
} from "../../accounts/install_snippets.ts";
import { sendTestVisit } from "./test_visit.ts";
import { recentDrops } from "../../ingest/drop_reasons.ts";

export function registerInstall(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId/install", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    const { config, db } = c.get("app");
    const shell = await shellProps(c, { active: "install" });
    const guide = await onboardingFor(
      db.sql,
      c.get("user")!.id,
      await listSitesInOrg(db.sql, site.org_id),
    );
    const heatmaps = site.heatmaps_enabled;
    const snippet = trackingSnippet(config.PUBLIC_URL, site.public_id, heatmaps);
    const snippets = {
      plain: snippet,
      gtm: gtmSnippet(config.PUBLIC_URL, site.public_id, heatmaps),
      next: nextSnippet(config.PUBLIC_URL, site.public_id, heatmaps),
    };
    return renderPage(
      c,
      <AppShell {...shell}>
        <div class="narrow-page stack">
          {guide.site?.id === site.id && <OnboardingGuide guide={guide} csrf={shell.csrf} />}
          <div class="page-header">
            <div>
              <h1>Install Sextant on {site.domain}</h1>
              <p class="muted">
                One line, under 2 KB, no cookie banner needed in cookieless mode.
              </p>
            </div>
          </div>
          <section class="card stack" aria-labelledby="snippet-title">
            <h2 id="snippet-title">1. Copy your snippet</h2>
            <p>
              Paste it into the <code>&lt;head&gt;</code> of every page of your site.
            </p>
            <pre class="snippet" id="snippet"><code>{snippet}</code></pre>
            <div class="row">
              <CopyButton text={snippet} label="Copy snippet" />
              <span class="muted small">
                Tracking id: <code>{site.public_id}</code>
              </span>
            </div>
          </section>
          <section class="card stack" aria-labelledby="status-title">
            <h2 id="status-title">2. Check it works</h2>
            <InstallStatus
              siteId={site.id}
              csrf={shell.csrf}
              receiving={site.first_event_at !== null}
              drops={site.first_event_at !== null ? [] : await recentDrops(c.get("app"), site.id)}
              canTest={roleAtLeast(c.get("role"), "member")}
            />
          </section>
          <section class="card stack" aria-labelledby="platforms-title">
            <h2 id="platforms-title">Instructions for your platform</h2>
            {PLATFORM_GUIDES.map((p) => (
              <details class="platform" id={`platform-${p.key}`}>
                <summary>{p.name}</summary>
                <ol>
                  {p.steps.map((s) => <li key={s}>{s}</li>)}
                </ol>
                {p.snippet !== "plain" && (
                  <>
                    <pre class="snippet"><code>{snippets[p.snippet]}</code></pre>
                    <CopyButton text={snippets[p.snippet]} label="Copy code" />
                  </>
                )}
                {p.identify && (
                  <>
                    <h3>Match sales by email</h3>
                    <ol>
                      {p.identify.steps.map((s) => <li key={s}>{s}</li>)}
                    </ol>
                    <pre class="snippet"><code>{p.identify.code}</code></pre>
                    <CopyButton text={p.identify.code} label="Copy identify code" />
                  </>
                )}
              </details>
            ))}
          </section>
          <section class="card stack" aria-labelledby="next-title">
            <h2 id="next-title">Next</h2>
            <ul class="plain-list">
              <li>
                <a href={`/sites/${site.id}/integrations`}>
                  Connect Stripe or your course platform
                </a>{" "}
                to see which sources bring revenue.
              </li>
              <li>
                Track signups and purchases as goals: <code>sextant('event', 'signup')</code> or
                {" "}
                <code>data-sextant-goal="signup"</code> on any button.
              </li>
              <li>
                Subdomains or a separate checkout domain? Add them to the{" "}
                <a href={`/sites/${site.id}/settings`}>allowed hosts</a>.
              </li>
            </ul>
          </section>
        </div>
      </AppShell>,
      { title: `Install · ${site.name}` },
    );
  });

  app.get("/api/app/sites/:siteId/install-status", requireSite("viewer"), async (c) => {
    const site = c.get("site");
    const receiving = site.first_event_at !== null;
    return c.json(
      {
        receiving,
        firstEventAt: site.first_event_at,
        drops: receiving ? [] : await recentDrops(c.get("app"), site.id),
      },
      200,
      { "Cache-Control": "no-store" },
    );
  });

  app.post("/api/app/sites/:siteId/test-visit", requireSite("member"), async (c) => {
    const ctx = c.get("app");
    await limitAction(ctx.bus.kv, "test-visit", 20, await clientKey(c));
    const result = await sendTestVisit(ctx, app, c.get("site"), {
      userAgent: c.req.header("user-agent") ?? "",
      remoteAddr: c.env?.remoteAddr ?? "",
      forwardedFor: c.req.header("x-forwarded-for"),
    });
    return c.json(result, 200);
  });
}
