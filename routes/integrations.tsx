/**
 * /sites/:siteId/integrations — connect payment platforms, watch their backfills, fix webhooks,
 * replay failed deliveries, set currency rates, and learn how to link checkouts to visitors.
 * The page is an overview: one compact card per platform (what it is for, its status, last
 * webhook and sync), connected platforms first, each one's forms opening on demand. Every card
 * is drawn from the platform's own description (integrations/types.ts).
 */
import type { Context, Hono } from "hono";
import type { ComponentChildren } from "preact";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite, requireUser } from "../http/middleware/auth.ts";
import { csrfToken } from "../http/middleware/csrf.ts";
import { AppShell } from "../components/AppShell.tsx";
import { Form } from "../components/Form.tsx";
import { RevenueNav } from "../components/RevenueNav.tsx";
import SyncProgress from "../islands/SyncProgress.tsx";
import { roleAtLeast } from "../accounts/orgs.ts";
import { idParam } from "./forms.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import {
  countFailedDeliveries,
  findSiteIntegration,
  type Integration,
  latestSync,
  listDeliveries,
  type Sync,
} from "../integrations/store.ts";
import {
  ChoiceRequired,
  connectPlatform,
  disconnectPlatform,
  finishOAuth,
  resync,
  rotateWebhookToken,
  saveWebhookSecret,
  startOAuth,
  webhookUrl,
} from "../integrations/connection.ts";
import { replayDelivery } from "../integrations/webhooks.ts";
import { statusView } from "../integrations/status_view.ts";
import { allPlatforms, platformFor } from "../integrations/platforms.ts";
import type { Platform } from "../integrations/types.ts";
import { currenciesWithoutRate, listRates, setRate } from "../attribution/rates.ts";
import { revalueCurrency } from "../attribution/rematch.ts";
import { isCurrencyCode } from "../attribution/currency.ts";
import { LinkingGuide } from "../components/LinkingGuide.tsx";

type C = Context<AppEnv>;

const base = (c: C) => `/sites/${c.get("site").id}/integrations`;

/** The platform named by the URL; NotFound for unknown ones. */
const platformOf = (c: C): Platform => platformFor(c.get("app").config, c.req.param("provider")!);

async function siteIntegration(c: C): Promise<Integration> {
  const p = platformOf(c);
  const i = await findSiteIntegration(c.get("app").db.sql, c.get("site").id, p.id);
  if (!i) throw new NotFound(`${p.name} isn't connected to this site.`);
  return i;
}

async function formFields(c: C): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  return Object.fromEntries(
    Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/**
 * Runs a form action; Invalid errors re-render the page with the sentence beside the form of
 * the platform concerned. `fn` answers a notice key, or a Response (a redirect elsewhere).
 */
async function action(c: C, fn: () => Promise<string | Response>): Promise<Response> {
  const provider = c.req.param("provider");
  try {
    const done = await fn();
    if (done instanceof Response) return done;
    const p = provider ? `&p=${encodeURIComponent(provider)}` : "";
    return c.redirect(`${base(c)}?notice=${encodeURIComponent(done)}${p}`, 303);
  } catch (e) {
    if (e instanceof Invalid) {
      return await page(c, {
        provider,
        errors: { [e.field]: e.message },
        choice: e instanceof ChoiceRequired ? { field: e.field, options: e.options } : undefined,
        given: e instanceof ChoiceRequired ? await formFields(c) : undefined,
        status: 400,
      });
    }
    throw e;
  }
}

const NOTICES: Record<string, (name: string) => string> = {
  connected: (n) => `${n} is connected. Sextant is syncing your last 30 days.`,
  disconnected: (n) => `${n} is disconnected. Your purchases so far stay in Sextant.`,
  "disconnected-unrevoked": (n) =>
    `${n} is disconnected, but ${n} didn't confirm that Sextant's access was withdrawn: remove ` +
    `the Sextant app in ${n}'s settings to be sure. Your purchases so far stay in Sextant.`,
  "disconnected-webhook": (n) =>
    `${n} is disconnected, but Sextant couldn't remove its webhook in ${n}: delete the webhook ` +
    `that points at Sextant in ${n}'s settings. Your purchases so far stay in Sextant.`,
  "disconnected-unrevoked-webhook": (n) =>
    `${n} is disconnected, but ${n} didn't confirm that Sextant's access was withdrawn, and ` +
    `Sextant couldn't remove its webhook there: remove the Sextant app and its webhook in ` +
    `${n}'s settings. Your purchases so far stay in Sextant.`,
  secret: (n) => `Webhook signing secret saved. New ${n} events will arrive here.`,
  resync: () => "Syncing the last 30 days again.",
  token: (n) =>
    `The webhook address has a new secret token; the old one no longer works. If you added ` +
    `the webhook in ${n} yourself, paste the new address there.`,
  replayed: () => "Delivery processed again.",
  "replay-failed": () => "That delivery failed again; the error is shown below.",
  rate: () => "Rate saved. Purchases in that currency were converted again.",
};

export function registerIntegrations(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId/integrations", requireSite("viewer"), (c) => page(c, {}));

  app.get(
    "/api/app/sites/:siteId/integrations/:provider/status",
    requireSite("viewer"),
    async (c) => {
      const sql = c.get("app").db.sql;
      const i = await findSiteIntegration(sql, c.get("site").id, c.req.param("provider"));
      if (!i) throw new NotFound("That platform isn't connected to this site.");
      return c.json(statusView(i, await latestSync(sql, i.id)));
    },
  );

  const platformAction = (path: string, fn: (c: C) => Promise<string | Response>) =>
    app.post(
      `/sites/:siteId/integrations/:provider/${path}`,
      requireSite("admin"),
      (c) => action(c, () => fn(c)),
    );

  platformAction("connect", async (c) => {
    const platform = platformOf(c);
    const fields = await formFields(c);
    if (platform.auth === "oauth") {
      const url = await startOAuth(
        c.get("app"),
        c.get("site").id,
        c.get("user")!.id,
        platform.id,
        fields,
      );
      return c.redirect(url, 303);
    }
    await connectPlatform(c.get("app"), c.get("site").id, platform.id, fields);
    return "connected";
  });
  // The approval screen offered beside a key form (Polar with Sextant's OAuth app).
  platformAction("authorize", async (c) => {
    const url = await startOAuth(
      c.get("app"),
      c.get("site").id,
      c.get("user")!.id,
      platformOf(c).id,
      {},
    );
    return c.redirect(url, 303);
  });
  platformAction("disconnect", async (c) => {
    const done = await disconnectPlatform(c.get("app"), await siteIntegration(c));
    if (done.revokeFailed) {
      return done.webhookLeft ? "disconnected-unrevoked-webhook" : "disconnected-unrevoked";
    }
    return done.webhookLeft ? "disconnected-webhook" : "disconnected";
  });
  platformAction("webhook-secret", async (c) => {
    const secret = (await formFields(c)).webhookSecret ?? "";
    await saveWebhookSecret(c.get("app"), await siteIntegration(c), secret);
    return "secret";
  });
  platformAction("webhook-token", async (c) => {
    await rotateWebhookToken(c.get("app"), await siteIntegration(c));
    return "token";
  });
  platformAction("resync", async (c) => {
    await resync(c.get("app"), await siteIntegration(c));
    return "resync";
  });
  platformAction("deliveries/:deliveryId/replay", async (c) => {
    const id = idParam(c, "deliveryId");
    const status = await replayDelivery(c.get("app"), await siteIntegration(c), id);
    if (status === null) throw new NotFound("We couldn't find that delivery.");
    return status === "processed" || status === "ignored" ? "replayed" : "replay-failed";
  });

  // The platform sends the owner back here after they approve Sextant (the OAuth callback).
  app.get("/integrations/oauth/:provider/callback", requireUser(), async (c) => {
    const platform = platformOf(c);
    const url = new URL(c.req.url);
    const done = await finishOAuth(c.get("app"), c.get("user")!.id, platform.id, url.searchParams);
    const back = `/sites/${done.siteId}/integrations`;
    if (done.error) {
      return c.redirect(`${back}?oauth_error=${encodeURIComponent(done.error)}&p=${platform.id}`);
    }
    return c.redirect(`${back}?notice=connected&p=${platform.id}`);
  });

  app.post("/sites/:siteId/integrations/rates", requireSite("admin"), (c) =>
    action(c, async () => {
      const body = await c.req.parseBody();
      const currency = String(body.currency ?? "").trim().toUpperCase();
      const rate = String(body.rate ?? "").trim().replace(",", ".");
      const site = c.get("site");
      if (!isCurrencyCode(currency)) {
        throw new Invalid("currency", "Enter a three-letter currency code, like EUR.");
      }
      if (currency === site.currency.trim().toUpperCase()) {
        throw new Invalid("currency", `${currency} is this site's own currency; it needs no rate.`);
      }
      if (!/^\d{1,12}(\.\d{1,10})?$/.test(rate) || Number(rate) <= 0) {
        throw new Invalid(
          "rate",
          `Enter how many ${site.currency} one ${currency} is worth, like 1.08.`,
        );
      }
      const app = c.get("app");
      await setRate(app.db.sql, site.id, currency, rate);
      await revalueCurrency(app, site.id, currency);
      return "rate";
    }));
}

interface PageState {
  /** The platform whose form the errors belong to. */
  provider?: string;
  errors?: Record<string, string>;
  /** The platform accepted the credentials but the owner must pick a store. */
  choice?: { field: string; options: readonly { value: string; label: string }[] };
  /** What the form sent, to fill it again when a choice is asked. */
  given?: Record<string, string>;
  status?: number;
}

async function page(c: C, state: PageState): Promise<Response> {
  const app = c.get("app");
  const sql = app.db.sql;
  const site = c.get("site");
  const user = c.get("user")!;
  const canManage = roleAtLeast(c.get("role"), "admin");
  if (canManage) {
    // A connect form answered with the platform's approval screen is a form leaving the site.
    c.set("formActions", allPlatforms(app.config).flatMap((p) => p.oauth?.approvalSource() ?? []));
  }
  const csrf = await csrfToken(c);
  const rates = await listRates(sql, site.id);
  const missing = await currenciesWithoutRate(sql, site.id, site.currency.trim());
  const noticeFor = c.req.query("p") ?? "";
  const noticeName = allPlatforms(app.config).find((p) => p.id === noticeFor)?.name ?? "";
  const notice = NOTICES[c.req.query("notice") ?? ""]?.(noticeName);
  const oauthError = c.req.query("oauth_error");
  const errors = state.errors ?? {};
  const siteCurrency = site.currency.trim();
  const rows = [];
  for (const platform of allPlatforms(app.config)) {
    const integration = await findSiteIntegration(sql, site.id, platform.id);
    const connected = integration && integration.status !== "disconnected" ? integration : null;
    const sync = connected ? await latestSync(sql, connected.id) : null;
    const failed = connected ? await countFailedDeliveries(sql, connected.id) : 0;
    const mine = state.provider === platform.id || noticeFor === platform.id;
    rows.push({
      platform,
      connected,
      props: {
        platform,
        siteId: site.id,
        csrf,
        canManage,
        integration: connected,
        sync,
        deliveries: connected ? await listDeliveries(sql, connected.id, 15) : [],
        failed,
        attention: connected ? attentionFor(platform, connected, sync, failed) : null,
        url: connected ? await webhookUrl(app, connected) : "",
        open: mine,
        errors: mine
          ? {
            ...errors,
            ...(oauthError ? { [platform.fields[0]?.name ?? ""]: oauthError } : {}),
          }
          : {},
        choice: mine ? state.choice : undefined,
        given: mine ? state.given : undefined,
      },
    });
  }
  // Connected platforms first, each group in the registry's order.
  rows.sort((a, b) => Number(!a.connected) - Number(!b.connected));
  const connectedIds = rows.filter((r) => r.connected).map((r) => r.platform.id);

  const body = (
    <AppShell user={user} csrf={csrf} path={c.req.path} site={site} active="revenue">
      <div class="page-header">
        <h1>Integrations</h1>
        <RevenueNav siteId={site.id} active="integrations" />
      </div>
      {notice && <p class="alert success" role="status">{notice}</p>}
      <p class="muted lead">
        Connect your payment platforms and Sextant links every purchase to the visit that brought it
        — so you can see which traffic source actually made money.
      </p>

      <div class="integration-list">
        {rows.map((r) => <PlatformSection key={r.platform.id} {...r.props} />)}
      </div>

      <LinkingGuide
        siteId={site.id}
        platforms={allPlatforms(app.config)}
        connected={connectedIds}
      />

      <section class="card" id="rates" aria-labelledby="rates-title">
        <h2 id="rates-title">Currency rates</h2>
        <p class="muted small">
          Revenue is reported in{" "}
          {siteCurrency}. Purchases in other currencies are converted with these rates and marked
          “converted” in the report. Changing a rate converts every purchase in that currency again.
        </p>
        {missing.length > 0 && (
          <p class="alert error" role="alert">
            No rate for {missing.join(", ")} yet: those purchases count as zero until you add one.
          </p>
        )}
        {errors.currency && <p class="alert error" role="alert">{errors.currency}</p>}
        {errors.rate && <p class="alert error" role="alert">{errors.rate}</p>}
        {rates.length > 0 && (
          <div class="table-wrap">
            <table class="rates">
              <thead>
                <tr>
                  <th>Currency</th>
                  <th class="num">{siteCurrency} per unit</th>
                  <th>Set by</th>
                  {canManage && <th></th>}
                </tr>
              </thead>
              <tbody>
                {rates.map((r) => (
                  <tr>
                    <td>{r.currency}</td>
                    <td class="num">{shortRate(r.rate)}</td>
                    <td>
                      {r.origin === "owner"
                        ? "You"
                        : <span title="An approximate rate Sextant filled in">Reference rate</span>}
                    </td>
                    {canManage && (
                      <td>
                        <Form
                          action={`/sites/${site.id}/integrations/rates`}
                          csrf={csrf}
                          class="row"
                        >
                          <input type="hidden" name="currency" value={r.currency} />
                          <label class="visually-hidden" for={`rate-${r.currency}`}>
                            {siteCurrency} per {r.currency}
                          </label>
                          <input
                            id={`rate-${r.currency}`}
                            name="rate"
                            type="text"
                            inputMode="decimal"
                            class="rate-input"
                            value={r.rate.replace(/\.?0+$/, "")}
                          />
                          <button type="submit" class="secondary small-button">Save</button>
                        </Form>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {canManage && (
          <Form action={`/sites/${site.id}/integrations/rates`} csrf={csrf} class="rate-add">
            <div class="field">
              <label for="new-currency">Currency</label>
              <input
                id="new-currency"
                name="currency"
                type="text"
                maxLength={3}
                placeholder={missing[0] ?? "EUR"}
                autocomplete="off"
              />
            </div>
            <div class="field">
              <label for="new-rate">{siteCurrency} per unit</label>
              <input id="new-rate" name="rate" type="text" inputMode="decimal" placeholder="1.08" />
            </div>
            <button type="submit">Add rate</button>
          </Form>
        )}
      </section>
    </AppShell>
  );
  return renderPage(c, body, { title: "Integrations", status: state.status });
}

/** A rate for reading: at most six decimals ("1.162791"). */
function shortRate(rate: string): string {
  return Number(rate).toFixed(6).replace(/\.?0+$/, "");
}

/** Text with `**bold**` spans, and `{url}` / `{events}` standing for code. */
function Rich(props: { text: string; url?: string; events?: readonly string[] }) {
  const parts: ComponentChildren[] = [];
  for (const [n, piece] of props.text.split(/(\*\*[^*]+\*\*|\{url\}|\{events\})/).entries()) {
    if (piece === "{url}") parts.push(<code class="break">{props.url}</code>);
    else if (piece === "{events}") {
      (props.events ?? []).forEach((e, i) => {
        if (i > 0) parts.push(", ");
        parts.push(<code>{e}</code>);
      });
    } else if (n % 2 === 1) parts.push(<strong>{piece.slice(2, -2)}</strong>);
    else if (piece) parts.push(piece);
  }
  return <>{parts}</>;
}

/**
 * Why a connected platform needs its owner, in one sentence; null when all is well. The
 * sync's own failure and an error status are already shown by the live status beside it.
 */
function attentionFor(
  p: Platform,
  i: Integration,
  sync: Sync | null,
  failed: number,
): string | null {
  if (i.status === "error" || sync?.status === "failed") return null;
  if (failed > 0) {
    return `${failed} webhook ${failed === 1 ? "delivery" : "deliveries"} failed: replay ${
      failed === 1 ? "it" : "them"
    } below once the cause is fixed.`;
  }
  if (i.signature_failures > 0) {
    return `Recent webhooks from ${p.name} failed the signature check: save the signing secret again.`;
  }
  if (i.webhook_mode === "manual" && p.webhook.secret && !i.webhook_secret_enc) {
    return `Add the webhook in ${p.name} and paste its signing secret, or new purchases won't arrive.`;
  }
  if (i.webhook_mode === "manual" && !i.last_webhook_at) {
    return `No webhook from ${p.name} yet: add it there so new purchases arrive.`;
  }
  return null;
}

/** When something last happened, for the overview: "2026-12-07 20:14 UTC". */
const utcMinute = (d: Date) => `${d.toISOString().replace("T", " ").slice(0, 16)} UTC`;

function PlatformSection(props: {
  platform: Platform;
  siteId: number;
  csrf: string;
  canManage: boolean;
  integration: Integration | null;
  sync: Sync | null;
  deliveries: Awaited<ReturnType<typeof listDeliveries>>;
  failed: number;
  attention: string | null;
  url: string;
  /** Open the platform's forms: the page came back to this platform (a notice, an error). */
  open: boolean;
  errors: Record<string, string>;
  choice?: PageState["choice"];
  given?: Record<string, string>;
}) {
  const { platform: p, integration, siteId, csrf, canManage, errors, attention } = props;
  const actionUrl = (path: string) => `/sites/${siteId}/integrations/${p.id}/${path}`;
  const last = props.deliveries[0];
  const hasErrors = Object.keys(errors).length > 0;
  const needsAttention = !!attention || integration?.status === "error" ||
    props.sync?.status === "failed";
  return (
    <section
      class="card integration"
      id={p.id}
      aria-labelledby={`${p.id}-title`}
      data-state={integration ? (needsAttention ? "attention" : "connected") : "disconnected"}
    >
      <div class="integration-row">
        <div class="integration-head">
          <h2 id={`${p.id}-title`}>{p.name}</h2>
          <p class="muted small">
            {integration
              ? (
                <>
                  {integration.livemode ? "Live mode" : "Test mode"} ·{" "}
                  {p.auth === "oauth" ? "access" : "key"} {integration.key_hint}
                  {integration.account_name ? ` · ${integration.account_name}` : ""}
                </>
              )
              : p.tagline}
          </p>
        </div>
        <div class="integration-state">
          {integration
            ? (
              <>
                <SyncProgress
                  url={`/api/app/sites/${siteId}/integrations/${p.id}/status`}
                  reportUrl={`/sites/${siteId}/revenue`}
                  initial={statusView(integration, props.sync)}
                />
                <p class="small muted last-delivery">
                  {last
                    ? <>Last webhook {utcMinute(last.received_at)} ({last.status})</>
                    : "No webhook deliveries yet."}
                </p>
                {attention && (
                  <p class="small attention">
                    <span class="badge warn">Needs attention</span> {attention}
                  </p>
                )}
              </>
            )
            : (
              <p class="row">
                <span class="badge" data-status="disconnected">Not connected</span>
              </p>
            )}
        </div>
      </div>

      {(canManage || integration) && (
        <details class="integration-more" open={props.open || hasErrors || needsAttention}>
          <summary>
            {integration ? `Webhooks, deliveries and settings` : `Connect ${p.name}`}
          </summary>
          {integration && (
            <WebhookPanel
              platform={p}
              integration={integration}
              url={props.url}
              canManage={canManage}
              csrf={csrf}
              error={errors.webhookSecret}
              action={actionUrl("webhook-secret")}
              tokenAction={actionUrl("webhook-token")}
            />
          )}

          {integration && props.deliveries.length > 0 && (
            <details class="deliveries" open={props.failed > 0}>
              <summary>
                Recent webhook deliveries{props.failed > 0 ? ` · ${props.failed} failed` : ""}
              </summary>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>Received</th>
                      <th>Event</th>
                      <th>Status</th>
                      <th></th>
                    </tr>
                  </thead>
                  <tbody>
                    {props.deliveries.map((d) => (
                      <tr>
                        <td class="nowrap">
                          <time datetime={d.received_at.toISOString()}>
                            {d.received_at.toISOString().replace("T", " ").slice(0, 19)} UTC
                          </time>
                        </td>
                        <td>
                          <code>{d.event_type}</code>
                        </td>
                        <td>
                          <span
                            class={`badge ${
                              d.status === "failed" || d.status === "malformed"
                                ? "bad"
                                : d.status === "processed"
                                ? "ok"
                                : ""
                            }`}
                          >
                            {d.status}
                          </span>
                          {d.last_error && <div class="small negative">{d.last_error}</div>}
                          {d.status === "retrying" && d.next_attempt_at && (
                            <div class="small muted">
                              Attempt {d.attempts} of 3; retrying automatically.
                            </div>
                          )}
                        </td>
                        <td>
                          {canManage && (d.status === "failed" || d.status === "retrying") && (
                            <Form action={actionUrl(`deliveries/${d.id}/replay`)} csrf={csrf}>
                              <button type="submit" class="secondary small-button">Replay</button>
                            </Form>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          )}

          {canManage && (
            integration
              ? (
                <div class="integration-actions">
                  {errors.sync && <p class="alert error" role="alert">{errors.sync}</p>}
                  <Form action={actionUrl("resync")} csrf={csrf}>
                    <button type="submit" class="secondary">Sync last 30 days again</button>
                  </Form>
                  <details
                    open={Object.keys(errors).some((k) => k !== "sync" && k !== "webhookSecret")}
                  >
                    <summary>{p.auth === "oauth" ? "Connect again" : "Replace the key"}</summary>
                    <ConnectForm {...props} again />
                  </details>
                  <details>
                    <summary>Disconnect {p.name}…</summary>
                    <p class="small muted">
                      Sextant stops receiving purchases and removes the webhook endpoint it created.
                      Purchases already recorded stay.
                    </p>
                    <Form action={actionUrl("disconnect")} csrf={csrf}>
                      <button type="submit" class="danger">Disconnect {p.name}</button>
                    </Form>
                  </details>
                </div>
              )
              : <ConnectForm {...props} />
          )}
        </details>
      )}
      {!canManage && !integration && (
        <p class="muted small">Ask an admin of this site to connect {p.name}.</p>
      )}
    </section>
  );
}

function ConnectForm(props: {
  platform: Platform;
  siteId: number;
  csrf: string;
  errors: Record<string, string>;
  choice?: PageState["choice"];
  given?: Record<string, string>;
  again?: boolean;
}) {
  const p = props.platform;
  const id = (name: string) => `f-${p.id}-${name}`;
  const approval = p.oauth && p.auth !== "oauth" && (
    <Form
      action={`/sites/${props.siteId}/integrations/${p.id}/authorize`}
      csrf={props.csrf}
      class="connect-form"
    >
      <p class="small muted">
        Approve Sextant on {p.name}'s own screen, or paste a token below.
      </p>
      <button type="submit" class="connect-button">Connect with {p.name}</button>
    </Form>
  );
  return (
    <>
      {approval}
      <Form
        action={`/sites/${props.siteId}/integrations/${p.id}/connect`}
        csrf={props.csrf}
        class="connect-form"
      >
        {!props.again && (
          <ol class="steps small">
            {p.connectSteps.map((s) => (
              <li>
                <Rich text={s} />
              </li>
            ))}
          </ol>
        )}
        {p.fields.map((f) => {
          const error = props.errors[f.name];
          const choice = props.choice?.field === f.name ? props.choice : undefined;
          const describedBy = error ? `${id(f.name)}-error` : `${id(f.name)}-hint`;
          return (
            <div class="field">
              <label for={id(f.name)}>{f.label}</label>
              {choice
                ? (
                  <select id={id(f.name)} name={f.name} aria-describedby={describedBy}>
                    {choice.options.map((o) => (
                      <option key={o.value} value={o.value}>{o.label}</option>
                    ))}
                  </select>
                )
                : (
                  <input
                    id={id(f.name)}
                    name={f.name}
                    type={f.secret ? "password" : "text"}
                    autocomplete="off"
                    spellcheck={false}
                    placeholder={f.placeholder}
                    required={!f.optional}
                    // Kept only for non-secret fields: a store id, a shop domain.
                    value={f.secret ? undefined : props.given?.[f.name]}
                    aria-invalid={error ? "true" : undefined}
                    aria-describedby={describedBy}
                  />
                )}
              {error
                ? <div class="hint negative" id={`${id(f.name)}-error`} role="alert">{error}</div>
                : <div class="hint" id={`${id(f.name)}-hint`}>{f.help}</div>}
            </div>
          );
        })}
        <button type="submit" class="connect-button">
          {props.again
            ? (p.auth === "oauth" ? "Approve again" : "Use this key")
            : `Connect ${p.name}`}
        </button>
      </Form>
    </>
  );
}

function WebhookPanel(props: {
  platform: Platform;
  integration: Integration;
  url: string;
  canManage: boolean;
  csrf: string;
  error?: string;
  action: string;
  tokenAction: string;
}) {
  const { platform: p, integration: i } = props;
  const renewToken = p.webhook.proof === "url_token" && props.canManage && (
    <Form action={props.tokenAction} csrf={props.csrf}>
      <button type="submit" class="secondary small-button">New secret address</button>
    </Form>
  );
  if (i.webhook_mode === "auto") {
    return (
      <>
        <p class="small muted webhook-line">
          Webhooks: registered in {p.name} automatically ({i.webhook_endpoint_id}).
          {i.last_webhook_at
            ? ` Last event ${i.last_webhook_at.toISOString().replace("T", " ").slice(0, 16)} UTC.`
            : " Waiting for the first event."}
          {p.webhook.proof === "url_token" &&
            ` ${p.name} doesn't sign its webhooks, so their address carries a secret token; a new ` +
              "one moves the webhook there and the old address stops working."}
        </p>
        {renewToken}
      </>
    );
  }
  const prompt = p.webhook.secret;
  return (
    <div class="webhook-manual">
      <h3>Add the webhook in {p.name}</h3>
      {i.webhook_note && <p class="small">{i.webhook_note}</p>}
      {p.webhook.proof === "url_token" && (
        <p class="small">
          {p.name}{" "}
          doesn't sign its webhooks, so the address below carries a secret token: keep it private.
          If it leaks, make a new one (then paste the new address in{" "}
          {p.name}); the old one stops working at once.
        </p>
      )}
      {renewToken}
      <ol class="steps small">
        {p.webhook.steps.map((s) => (
          <li>
            <Rich text={s} url={props.url} events={p.webhook.events} />
          </li>
        ))}
      </ol>
      {prompt && i.webhook_secret_enc && !props.error && (
        <p class="small positive">A signing secret is saved. Paste a new one to replace it.</p>
      )}
      {prompt && props.canManage && (
        <Form action={props.action} csrf={props.csrf}>
          <div class="field">
            <label for={`f-${p.id}-webhookSecret`}>{prompt.label}</label>
            <input
              id={`f-${p.id}-webhookSecret`}
              name="webhookSecret"
              type="password"
              autocomplete="off"
              placeholder={prompt.placeholder}
              aria-invalid={props.error ? "true" : undefined}
            />
            {props.error && <div class="hint negative" role="alert">{props.error}</div>}
          </div>
          <button type="submit" class="secondary">Save signing secret</button>
        </Form>
      )}
    </div>
  );
}
