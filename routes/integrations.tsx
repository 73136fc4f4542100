/**
 * /sites/:siteId/integrations — connect Stripe, watch its backfill, fix webhooks, replay failed
 * deliveries, set currency rates, and learn how to link checkouts to visitors.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
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
} from "../integrations/store.ts";
import {
  connectPlatform,
  disconnectPlatform,
  resync,
  saveWebhookSecret,
  webhookUrl,
} from "../integrations/connection.ts";
import { replayDelivery } from "../integrations/webhooks.ts";
import { statusView } from "../integrations/status_view.ts";
import { STRIPE_EVENTS } from "../integrations/stripe/mod.ts";
import { currenciesWithoutRate, listRates, setRate } from "../attribution/rates.ts";
import { revalueCurrency } from "../attribution/rematch.ts";
import { isCurrencyCode } from "../attribution/currency.ts";
import { LinkingGuide } from "../components/LinkingGuide.tsx";

type C = Context<AppEnv>;

const base = (c: C) => `/sites/${c.get("site").id}/integrations`;

async function stripeIntegration(c: C): Promise<Integration> {
  const i = await findSiteIntegration(c.get("app").db.sql, c.get("site").id, "stripe");
  if (!i) throw new NotFound("Stripe isn't connected to this site.");
  return i;
}

async function formValue(c: C, name: string): Promise<string> {
  const body = await c.req.parseBody();
  const v = body[name];
  return typeof v === "string" ? v : "";
}

/** Runs a form action; Invalid errors re-render the page with the sentence beside the form. */
async function action(c: C, fn: () => Promise<string>): Promise<Response> {
  try {
    const notice = await fn();
    return c.redirect(`${base(c)}?notice=${encodeURIComponent(notice)}`, 303);
  } catch (e) {
    if (e instanceof Invalid) {
      return await page(c, { errors: { [e.field]: e.message }, status: 400 });
    }
    throw e;
  }
}

const NOTICES: Record<string, string> = {
  connected: "Stripe is connected. Sextant is syncing your last 30 days.",
  disconnected: "Stripe is disconnected. Your purchases so far stay in Sextant.",
  secret: "Webhook signing secret saved. New Stripe events will arrive here.",
  resync: "Syncing the last 30 days again.",
  replayed: "Delivery processed again.",
  "replay-failed": "That delivery failed again; the error is shown below.",
  rate: "Rate saved. Purchases in that currency were converted again.",
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

  const stripeAction = (path: string, fn: (c: C) => Promise<string>) =>
    app.post(
      `/sites/:siteId/integrations/stripe/${path}`,
      requireSite("admin"),
      (c) => action(c, () => fn(c)),
    );

  stripeAction("connect", async (c) => {
    await connectPlatform(c.get("app"), c.get("site").id, "stripe", await formValue(c, "apiKey"));
    return "connected";
  });
  stripeAction("disconnect", async (c) => {
    await disconnectPlatform(c.get("app"), await stripeIntegration(c));
    return "disconnected";
  });
  stripeAction("webhook-secret", async (c) => {
    const secret = await formValue(c, "webhookSecret");
    await saveWebhookSecret(c.get("app"), await stripeIntegration(c), secret);
    return "secret";
  });
  stripeAction("resync", async (c) => {
    await resync(c.get("app"), await stripeIntegration(c));
    return "resync";
  });
  stripeAction("deliveries/:deliveryId/replay", async (c) => {
    const id = idParam(c, "deliveryId");
    const status = await replayDelivery(c.get("app"), await stripeIntegration(c), id);
    if (status === null) throw new NotFound("We couldn't find that delivery.");
    return status === "processed" || status === "ignored" ? "replayed" : "replay-failed";
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
  errors?: Record<string, string>;
  status?: number;
}

async function page(c: C, state: PageState): Promise<Response> {
  const app = c.get("app");
  const sql = app.db.sql;
  const site = c.get("site");
  const user = c.get("user")!;
  const canManage = roleAtLeast(c.get("role"), "admin");
  const csrf = await csrfToken(c);
  const integration = await findSiteIntegration(sql, site.id, "stripe");
  const connected = integration && integration.status !== "disconnected";
  const sync = integration ? await latestSync(sql, integration.id) : null;
  const deliveries = integration ? await listDeliveries(sql, integration.id, 15) : [];
  const failed = integration ? await countFailedDeliveries(sql, integration.id) : 0;
  const rates = await listRates(sql, site.id);
  const missing = await currenciesWithoutRate(sql, site.id, site.currency.trim());
  const notice = NOTICES[c.req.query("notice") ?? ""];
  const errors = state.errors ?? {};
  const siteCurrency = site.currency.trim();

  const body = (
    <AppShell user={user} csrf={csrf} path={c.req.path} site={site} active="revenue">
      <div class="page-header">
        <h1>Integrations</h1>
        <RevenueNav siteId={site.id} active="integrations" />
      </div>
      {notice && <p class="alert success" role="status">{notice}</p>}
      <p class="muted lead">
        Connect your payment platform and Sextant links every purchase to the visit that brought it
        — so you can see which traffic source actually made money.
      </p>

      <section class="card integration" id="stripe" aria-labelledby="stripe-title">
        <div class="integration-head">
          <h2 id="stripe-title">Stripe</h2>
          {integration && connected && (
            <span class="muted small">
              {integration.livemode ? "Live mode" : "Test mode"} · key {integration.key_hint}
              {integration.account_name ? ` · ${integration.account_name}` : ""}
            </span>
          )}
        </div>

        {connected && integration
          ? (
            <SyncProgress
              url={`/api/app/sites/${site.id}/integrations/stripe/status`}
              reportUrl={`/sites/${site.id}/revenue`}
              initial={statusView(integration, sync)}
            />
          )
          : (
            <p class="row">
              <span class="badge" data-status="disconnected">Not connected</span>
              <span class="muted small">
                Checkout, Payment Links, subscriptions and refunds flow in within a second.
              </span>
            </p>
          )}

        {connected && integration && (
          <WebhookPanel
            integration={integration}
            url={webhookUrl(app, integration)}
            canManage={canManage}
            csrf={csrf}
            error={errors.webhookSecret}
            siteId={site.id}
          />
        )}

        {connected && integration && deliveries.length > 0 && (
          <details class="deliveries" open={failed > 0}>
            <summary>
              Recent webhook deliveries{failed > 0 ? ` · ${failed} failed` : ""}
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
                  {deliveries.map((d) => (
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
                          <Form
                            action={`/sites/${site.id}/integrations/stripe/deliveries/${d.id}/replay`}
                            csrf={csrf}
                          >
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
          connected
            ? (
              <div class="integration-actions">
                {errors.sync && <p class="alert error" role="alert">{errors.sync}</p>}
                <Form action={`/sites/${site.id}/integrations/stripe/resync`} csrf={csrf}>
                  <button type="submit" class="secondary">Sync last 30 days again</button>
                </Form>
                <details>
                  <summary>Replace the key</summary>
                  <ConnectForm siteId={site.id} csrf={csrf} error={errors.apiKey} again />
                </details>
                <details>
                  <summary>Disconnect Stripe…</summary>
                  <p class="small muted">
                    Sextant stops receiving purchases and removes the webhook endpoint it created.
                    Purchases already recorded stay.
                  </p>
                  <Form action={`/sites/${site.id}/integrations/stripe/disconnect`} csrf={csrf}>
                    <button type="submit" class="danger">Disconnect Stripe</button>
                  </Form>
                </details>
              </div>
            )
            : <ConnectForm siteId={site.id} csrf={csrf} error={errors.apiKey} />
        )}
        {!canManage && !connected && (
          <p class="muted small">Ask an admin of this site to connect Stripe.</p>
        )}
      </section>

      <LinkingGuide siteId={site.id} />

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

function ConnectForm(props: { siteId: number; csrf: string; error?: string; again?: boolean }) {
  return (
    <Form
      action={`/sites/${props.siteId}/integrations/stripe/connect`}
      csrf={props.csrf}
      class="connect-form"
    >
      {!props.again && (
        <ol class="steps small">
          <li>
            In Stripe, open <strong>Developers → API keys</strong> and choose{" "}
            <strong>Create restricted key</strong>.
          </li>
          <li>
            Give it <strong>Read</strong>{" "}
            access to Checkout Sessions, Invoices, Subscriptions and Refunds, and{" "}
            <strong>Write</strong>{" "}
            access to Webhook Endpoints (so Sextant can register its webhook for you).
          </li>
          <li>Paste the key below. Sextant checks it, then syncs your last 30 days.</li>
        </ol>
      )}
      <div class="field">
        <label for="f-apiKey">Restricted API key</label>
        <input
          id="f-apiKey"
          name="apiKey"
          type="password"
          autocomplete="off"
          spellcheck={false}
          placeholder="rk_live_…"
          required
          aria-invalid={props.error ? "true" : undefined}
          aria-describedby={props.error ? "f-apiKey-error" : "f-apiKey-hint"}
        />
        {props.error
          ? <div class="hint negative" id="f-apiKey-error" role="alert">{props.error}</div>
          : (
            <div class="hint" id="f-apiKey-hint">
              Stored encrypted. A secret key (sk_…) works too, but a restricted key is safer.
            </div>
          )}
      </div>
      <button type="submit" class="connect-button">
        {props.again ? "Use this key" : "Connect Stripe"}
      </button>
    </Form>
  );
}

function WebhookPanel(props: {
  integration: Integration;
  url: string;
  canManage: boolean;
  csrf: string;
  error?: string;
  siteId: number;
}) {
  const i = props.integration;
  if (i.webhook_mode === "auto") {
    return (
      <p class="small muted webhook-line">
        Webhooks: registered in Stripe automatically ({i.webhook_endpoint_id}).
        {i.last_webhook_at
          ? ` Last event ${i.last_webhook_at.toISOString().replace("T", " ").slice(0, 16)} UTC.`
          : " Waiting for the first event."}
      </p>
    );
  }
  return (
    <div class="webhook-manual">
      <h3>Add the webhook in Stripe</h3>
      {i.webhook_note && <p class="small">{i.webhook_note}</p>}
      <ol class="steps small">
        <li>
          In Stripe, open <strong>Developers → Webhooks</strong> and choose{" "}
          <strong>Add endpoint</strong>.
        </li>
        <li>
          Endpoint URL: <code class="break">{props.url}</code>
        </li>
        <li>
          Events: {STRIPE_EVENTS.map((e, n) => (
            <>
              {n > 0 && ", "}
              <code>{e}</code>
            </>
          ))}.
        </li>
        <li>Reveal the endpoint's signing secret and paste it here.</li>
      </ol>
      {i.webhook_secret_enc && !props.error && (
        <p class="small positive">A signing secret is saved. Paste a new one to replace it.</p>
      )}
      {props.canManage && (
        <Form
          action={`/sites/${props.siteId}/integrations/stripe/webhook-secret`}
          csrf={props.csrf}
        >
          <div class="field">
            <label for="f-webhookSecret">Signing secret</label>
            <input
              id="f-webhookSecret"
              name="webhookSecret"
              type="password"
              autocomplete="off"
              placeholder="whsec_…"
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
