/**
 * /sites/:siteId/revenue — which source made the money, under any attribution model, with
 * drill-down to campaigns and contents, subscription metrics and CSV exports.
 */
import { plainValueLabel } from "../analytics/view.ts";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { renderPage } from "../http/render.tsx";
import { requireSite } from "../http/middleware/auth.ts";
import { csrfToken } from "../http/middleware/csrf.ts";
import { AppShell } from "../components/AppShell.tsx";
import { RevenueNav } from "../components/RevenueNav.tsx";
import { isModel, type Model, MODEL_LABELS, MODELS } from "../attribution/models.ts";
import { parsePeriod, PERIOD_LABELS, type PeriodName } from "../attribution/period.ts";
import {
  type CohortRow,
  type Level,
  listPurchases,
  ltvByFirstTouch,
  type PurchaseListItem,
  type ReportRow,
  type RevenueReport,
  revenueReport,
  type SubscriptionMetrics,
  subscriptionMetrics,
} from "../attribution/report.ts";
import { formatMoney } from "../attribution/currency.ts";
import { formatCount } from "../analytics/format.ts";
import { enrollmentCounts } from "../customers/enrollments.ts";
import { DIMENSION_INFO } from "../analytics/dimensions.ts";
import { purchasesCsv, reportCsv } from "../attribution/csv.ts";
import { listConnectedProviders } from "../integrations/store.ts";
import { platformFor, subscriptionPlatformNames } from "../integrations/platforms.ts";
import { currenciesWithoutRate } from "../attribution/rates.ts";
import { registerIntegrations } from "./integrations.tsx";
import { registerWebhooks } from "./webhooks.ts";

type C = Context<AppEnv>;

/** Every revenue route: the report, the integrations page and platform webhooks. */
export function registerRevenue(app: Hono<AppEnv>): void {
  registerWebhooks(app);
  registerIntegrations(app);
  app.get("/sites/:siteId/revenue", requireSite("viewer"), reportPage);
  app.get("/sites/:siteId/revenue.csv", requireSite("viewer"), reportExport);
}

interface Params {
  period: PeriodName;
  from?: string;
  to?: string;
  model: Model;
  source?: string;
  campaign?: string;
}

function readParams(c: C) {
  const site = c.get("site");
  const model = c.req.query("model");
  const period = parsePeriod(
    { period: c.req.query("period"), from: c.req.query("from"), to: c.req.query("to") },
    site.timezone,
  );
  const source = c.req.query("source");
  const campaign = source === undefined ? undefined : c.req.query("campaign");
  const params: Params = {
    period: period.name,
    from: period.name === "custom" ? period.fromDate : undefined,
    to: period.name === "custom" ? period.toDate : undefined,
    model: isModel(model) ? model : "last_touch",
    source,
    campaign,
  };
  return { params, period, currency: site.currency.trim().toUpperCase() };
}

/** A URL of this report with some parameters changed (undefined removes one). */
function reportHref(siteId: number, p: Params, change: Partial<Params> = {}, path = "revenue") {
  const merged: Record<string, string | undefined> = { ...p, ...change } as never;
  const q = new URLSearchParams();
  for (const k of ["period", "from", "to", "model", "source", "campaign"]) {
    const v = merged[k];
    if (v === undefined) continue;
    if (k === "period" && v === "30d") continue;
    if (k === "model" && v === "last_touch") continue;
    q.set(k, v);
  }
  const s = q.toString();
  return `/sites/${siteId}/${path}${s ? `?${s}` : ""}`;
}

const LABEL_EMPTY: Record<Level, string> = {
  source: DIMENSION_INFO.source.empty,
  campaign: "(no campaign)",
  content: "(no content)",
};

function rowLabel(level: Level, key: string): string {
  return key === "" ? LABEL_EMPTY[level] : key;
}

async function reportExport(c: C): Promise<Response> {
  const { params, period, currency } = readParams(c);
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const what = c.req.query("what") === "purchases" ? "purchases" : "report";
  let body: string;
  if (what === "purchases") {
    const items = await listPurchases(sql, {
      siteId: site.id,
      model: params.model,
      from: period.from,
      to: period.to,
      limit: 100_000,
    });
    body = purchasesCsv(items, currency);
  } else {
    const report = await revenueReport(sql, {
      siteId: site.id,
      model: params.model,
      from: period.from,
      to: period.to,
      source: params.source,
      campaign: params.campaign,
    });
    body = reportCsv(report, currency, (r) => rowLabel(report.level, r.key));
  }
  const name = `${site.domain}-${what}-${params.model}-${period.fromDate}-to-${period.toDate}.csv`;
  return c.body("\uFEFF" + body, 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, "_")}"`,
    "Cache-Control": "no-store",
  });
}

async function reportPage(c: C): Promise<Response> {
  const { params, period, currency } = readParams(c);
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const q = { siteId: site.id, model: params.model, from: period.from, to: period.to };
  const report = await revenueReport(sql, {
    ...q,
    source: params.source,
    campaign: params.campaign,
  });
  const purchases = await listPurchases(sql, { ...q, limit: 20 });
  const subs = await subscriptionMetrics(sql, site.id, period.from, period.to);
  const cohorts = await ltvByFirstTouch(sql, site.id, period.from, period.to);
  const enrollments = await enrollmentCounts(sql, site.id, period.from, period.to);
  const providers = (await listConnectedProviders(sql, site.id)).map((i) => i.provider);
  const connected = providers.map((id) => platformFor(c.get("app").config, id).name);
  const subscriptionSources = subscriptionPlatformNames(providers);
  const [any] =
    await sql`select exists (select 1 from purchases where site_id = ${site.id}) as yes`;
  const missingRates = await currenciesWithoutRate(sql, site.id, currency);
  const money = (m: number | null) => (m === null ? "—" : formatMoney(Math.round(m), currency));
  const href = (change: Partial<Params>, path?: string) =>
    reportHref(site.id, params, change, path);

  const body = (
    <AppShell
      user={c.get("user")!}
      csrf={await csrfToken(c)}
      path={c.req.path}
      site={site}
      active="revenue"
    >
      <div class="page-header">
        <h1>Revenue</h1>
        <RevenueNav siteId={site.id} active="report" />
      </div>
      <nav class="chips" aria-label="Period">
        {(["today", "7d", "30d", "90d", "12mo", "all"] as PeriodName[]).map((p) => (
          <a
            class="chip"
            href={href({ period: p, from: undefined, to: undefined })}
            aria-current={params.period === p ? "page" : undefined}
          >
            {PERIOD_LABELS[p]}
          </a>
        ))}
        <form method="get" class="custom-range" action={`/sites/${site.id}/revenue`}>
          <input type="hidden" name="period" value="custom" />
          {params.model !== "last_touch" && (
            <input type="hidden" name="model" value={params.model} />
          )}
          <label class="visually-hidden" for="range-from">From</label>
          <input id="range-from" type="date" name="from" value={period.fromDate} />
          <label class="visually-hidden" for="range-to">To</label>
          <input id="range-to" type="date" name="to" value={period.toDate} />
          <button type="submit" class="secondary small-button">Apply</button>
        </form>
      </nav>

      {!any.yes
        ? (
          <EmptyState
            siteId={site.id}
            connected={connected}
          />
        )
        : (
          <>
            {missingRates.length > 0 && (
              <p class="alert error" role="alert">
                Purchases in {missingRates.join(", ")} count as zero: there is no rate for{" "}
                {missingRates.length === 1 ? "it" : "them"} yet.{" "}
                <a href={`/sites/${site.id}/integrations#rates`}>Set a rate</a>
              </p>
            )}
            <Summary report={report} money={money} currency={currency} />
            <section class="card" aria-labelledby="by-source">
              <div class="section-head">
                <h2 id="by-source">
                  <Breadcrumbs params={params} href={href} />
                </h2>
                <a class="button secondary small-button" href={href({}, "revenue.csv")} download>
                  Export CSV
                </a>
              </div>
              <nav class="model-tabs" aria-label="Attribution model">
                {MODELS.map((m) => (
                  <a
                    href={href({ model: m })}
                    aria-current={params.model === m ? "page" : undefined}
                  >
                    {MODEL_LABELS[m]}
                  </a>
                ))}
              </nav>
              <ReportTable report={report} params={params} href={href} money={money} />
              <Reconciliation report={report} money={money} />
              <Enrollments {...enrollments} />
            </section>
            <SubscriptionSection
              subs={subs}
              cohorts={cohorts}
              money={money}
              sources={subscriptionSources}
            />
            <PurchasesSection
              purchases={purchases}
              money={money}
              siteCurrency={currency}
              exportHref={`${href({}, "revenue.csv")}${
                href({}).includes("?") ? "&" : "?"
              }what=purchases`}
            />
          </>
        )}
      <HowItWorks />
    </AppShell>
  );
  return renderPage(c, body, { title: "Revenue" });
}

/** "Stripe", "Stripe and Polar", "Stripe, Polar and Paddle". */
function listNames(names: string[]): string {
  return names.length <= 1
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

function EmptyState(props: { siteId: number; connected: string[] }) {
  return (
    <section class="card empty">
      <h2>No revenue yet</h2>
      {props.connected.length > 0
        ? (
          <p>
            {listNames(props.connected)} {props.connected.length === 1 ? "is" : "are"}{" "}
            connected. Purchases appear here within a second of being paid; past ones arrive as the
            sync finishes.
          </p>
        )
        : (
          <p>
            Connect Stripe, Lemon Squeezy or another payment platform and Sextant shows which
            traffic source made each sale — to the cent.
          </p>
        )}
      <p class="row center">
        <a class="button" href={`/sites/${props.siteId}/integrations`}>
          {props.connected.length > 0 ? "See the sync" : "Connect a payment platform"}
        </a>
        <a class="button secondary" href={`/sites/${props.siteId}/integrations#linking`}>
          Link checkouts to visitors
        </a>
      </p>
    </section>
  );
}

function Summary(
  props: { report: RevenueReport; money: (m: number | null) => string; currency: string },
) {
  const t = props.report.totals;
  const aov = t.purchases > 0 ? (t.revenue - t.refunds) / t.purchases : null;
  const unmatchedShare = t.purchasesTable !== 0
    ? Math.round((props.report.unmatched.revenue / t.purchasesTable) * 100)
    : 0;
  const metric = (label: string, value: string, note?: string) => (
    <div class="metric">
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      {note && <div class="change muted">{note}</div>}
    </div>
  );
  return (
    <div class="grid cards revenue-metrics">
      {metric("Revenue", props.money(t.purchasesTable), t.refunds ? "after refunds" : undefined)}
      {metric("Purchases", t.purchases.toLocaleString("en-US"))}
      {metric("Customers", t.customers.toLocaleString("en-US"))}
      {metric("Avg order value", props.money(aov))}
      {metric(
        "Revenue per visitor",
        t.siteVisitors > 0 ? props.money(t.purchasesTable / t.siteVisitors) : "—",
      )}
      {metric(
        "Refunds",
        props.money(t.refunds),
        t.refundCount ? `${t.refundCount} refund${t.refundCount === 1 ? "" : "s"}` : undefined,
      )}
      {props.report.level === "source" && metric(
        "Unmatched",
        `${unmatchedShare}%`,
        "of revenue has no visitor",
      )}
    </div>
  );
}

function Breadcrumbs(props: { params: Params; href: (c: Partial<Params>) => string }) {
  const p = props.params;
  if (p.source === undefined) return <>Revenue by source</>;
  const src = rowLabel("source", p.source);
  return (
    <span class="crumbs">
      <a href={props.href({ source: undefined, campaign: undefined })}>All sources</a>
      <span aria-hidden="true">›</span>
      {p.campaign === undefined ? <span>{src}: campaigns</span> : (
        <>
          <a href={props.href({ campaign: undefined })}>{src}</a>
          <span aria-hidden="true">›</span>
          <span>{rowLabel("campaign", p.campaign)}: contents</span>
        </>
      )}
    </span>
  );
}

function ReportTable(props: {
  report: RevenueReport;
  params: Params;
  href: (c: Partial<Params>) => string;
  money: (m: number | null) => string;
}) {
  const { report, money } = props;
  const max = Math.max(1, ...report.rows.map((r) => r.revenue), report.unmatched.revenue);
  const heading = report.level === "source"
    ? "Source"
    : report.level === "campaign"
    ? "Campaign"
    : "Content";
  const drill = (r: ReportRow) =>
    report.level === "source"
      ? props.href({ source: r.key, campaign: undefined })
      : report.level === "campaign"
      ? props.href({ campaign: r.key })
      : null;
  const cells = (r: ReportRow) => (
    <>
      <td class="num">{r.visitors === null ? "—" : r.visitors.toLocaleString("en-US")}</td>
      <td class="num revenue-cell">
        <span
          class="bar"
          style={{ width: `${Math.max(0, Math.round((r.revenue / max) * 100))}%` }}
          aria-hidden="true"
        />
        <span class="amount">{money(r.revenue)}</span>
      </td>
      <td class="num minor">{r.customers.toLocaleString("en-US")}</td>
      <td class="num minor">{r.conversion === null ? "—" : `${r.conversion.toFixed(1)}%`}</td>
      <td class="num minor">{money(r.aov)}</td>
      <td class="num minor">{money(r.rpv)}</td>
    </>
  );
  if (report.rows.length === 0 && report.unmatched.revenue === 0) {
    return <p class="empty">No visits or purchases in this period.</p>;
  }
  return (
    <div class="table-wrap">
      <table class="revenue-table">
        <thead>
          <tr>
            <th scope="col">{heading}</th>
            <th scope="col" class="num">Visitors</th>
            <th scope="col" class="num">Revenue</th>
            <th scope="col" class="num minor">Customers</th>
            <th scope="col" class="num minor">Conversion</th>
            <th scope="col" class="num minor">Avg order</th>
            <th scope="col" class="num minor">Rev / visitor</th>
          </tr>
        </thead>
        <tbody>
          {report.rows.map((r) => {
            const link = drill(r);
            const label = rowLabel(report.level, r.key);
            return (
              <tr data-key={r.key}>
                <th scope="row" class="label-cell">
                  {link ? <a href={link}>{label}</a> : label}
                </th>
                {cells(r)}
              </tr>
            );
          })}
          {report.level === "source" && (
            <tr class="unmatched-row" data-key="(unmatched)">
              <th scope="row" class="label-cell">
                Unmatched revenue{" "}
                <a href="#how" class="muted small" title="Purchases with no visitor evidence">
                  (why?)
                </a>
              </th>
              {cells(report.unmatched)}
            </tr>
          )}
        </tbody>
        <tfoot>
          <tr class="total-row">
            <th scope="row">Total</th>
            <td class="num">{report.totals.visitors.toLocaleString("en-US")}</td>
            <td class="num">{money(report.totals.revenue)}</td>
            <td class="num minor">
              {report.level === "source" ? report.totals.customers : ""}
            </td>
            <td class="minor"></td>
            <td class="minor"></td>
            <td class="minor"></td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

function Reconciliation(props: { report: RevenueReport; money: (m: number | null) => string }) {
  const t = props.report.totals;
  if (props.report.level !== "source") {
    return (
      <p class="small muted">
        Revenue credited to this {props.report.level === "campaign" ? "source" : "campaign"}{" "}
        under the chosen model.
      </p>
    );
  }
  const matches = t.revenue === t.purchasesTable;
  return (
    <p class={`small ${matches ? "muted" : "negative"}`} data-reconciled={matches ? "yes" : "no"}>
      {matches
        ? `Adds up to the purchases table: ${
          props.money(t.purchasesTable)
        } from ${t.purchases} purchase${t.purchases === 1 ? "" : "s"}${
          t.refundCount ? ` and ${t.refundCount} refund${t.refundCount === 1 ? "" : "s"}` : ""
        }.`
        : `Credits (${props.money(t.revenue)}) differ from the purchases table (${
          props.money(t.purchasesTable)
        }); attribution is catching up.`}
      {t.convertedPurchases > 0 &&
        ` ${t.convertedPurchases} converted from other currencies with your rates.`}
    </p>
  );
}

/** Course enrollments that began in the period; they carry no revenue of their own. */
function Enrollments(props: { enrolled: number; ended: number }) {
  if (props.enrolled === 0) return null;
  const n = props.enrolled;
  return (
    <p class="small muted" data-enrollments={n}>
      {formatCount(n)} course enrollment{n === 1 ? "" : "s"} began in this period
      {props.ended > 0 ? ` (${formatCount(props.ended)} ended since)` : ""}; each learner's
      enrollments are on their customer timeline.
    </p>
  );
}

function SubscriptionSection(
  props: {
    subs: SubscriptionMetrics;
    cohorts: CohortRow[];
    money: (m: number | null) => string;
    /** The connected platforms that report subscriptions, by name. */
    sources: string[];
  },
) {
  const s = props.subs;
  const hasSubs = s.mrr !== 0 || s.newMrr !== 0 || s.churnedMrr !== 0 || s.activeSubscriptions > 0;
  const metric = (label: string, value: string) => (
    <div class="metric">
      <div class="label">{label}</div>
      <div class="value">{value}</div>
    </div>
  );
  return (
    <section class="card" aria-labelledby="subscriptions">
      <h2 id="subscriptions">Subscriptions and lifetime value</h2>
      {hasSubs
        ? (
          <div class="grid cards">
            {metric("MRR", props.money(s.mrr))}
            {metric("ARR", props.money(s.arr))}
            {metric("Active subscriptions", s.activeSubscriptions.toLocaleString("en-US"))}
            {metric("New MRR", props.money(s.newMrr))}
            {metric("Expansion MRR", props.money(s.expansionMrr + s.reactivationMrr))}
            {metric("Churned MRR", props.money(s.churnedMrr + s.contractionMrr))}
          </div>
        )
        : (
          <p class="muted small">
            No subscriptions yet. {props.sources.length > 0
              ? `Subscriptions from ${listNames(props.sources)}`
              : "Subscriptions from a connected payment or course platform"}{" "}
            show up here with MRR, churn and lifetime value by the source that first brought each
            customer.
          </p>
        )}
      {props.cohorts.length > 0 && (
        <>
          <h3>Lifetime value by first-touch source</h3>
          <p class="small muted">Customers whose first purchase was in this period.</p>
          <div class="table-wrap">
            <table class="cohort-table">
              <thead>
                <tr>
                  <th scope="col">First source</th>
                  <th scope="col" class="num">Customers</th>
                  <th scope="col" class="num">Revenue to date</th>
                  <th scope="col" class="num">LTV</th>
                  <th scope="col" class="num">MRR now</th>
                </tr>
              </thead>
              <tbody>
                {props.cohorts.map((r) => (
                  <tr>
                    <th scope="row" class="label-cell">
                      {r.source === null ? "Unmatched" : rowLabel("source", r.source)}
                    </th>
                    <td class="num">{r.customers}</td>
                    <td class="num">{props.money(r.revenue)}</td>
                    <td class="num">{props.money(r.ltv)}</td>
                    <td class="num">{props.money(r.mrr)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

const KIND_LABELS: Record<string, string> = {
  one_time: "Purchase",
  subscription_start: "New subscription",
  renewal: "Renewal",
  refund: "Refund",
};
const METHOD_LABELS: Record<string, string> = {
  checkout_id: "Checkout visitor id",
  tracker: "Tracker",
  email: "Email",
  fingerprint: "Time and place (low confidence)",
  none: "Unmatched",
};

function PurchasesSection(props: {
  purchases: PurchaseListItem[];
  money: (m: number | null) => string;
  siteCurrency: string;
  exportHref: string;
}) {
  return (
    <section class="card" aria-labelledby="purchases">
      <div class="section-head">
        <h2 id="purchases">Latest purchases</h2>
        <a class="button secondary small-button" href={props.exportHref} download>
          Export purchases
        </a>
      </div>
      {props.purchases.length === 0
        ? <p class="muted">No purchases in this period.</p>
        : (
          <div class="table-wrap">
            <table class="purchases-table">
              <thead>
                <tr>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">What</th>
                  <th scope="col" class="num">Amount</th>
                  <th scope="col">Credited to</th>
                  <th scope="col">Matched by</th>
                </tr>
              </thead>
              <tbody>
                {props.purchases.map((p) => (
                  <tr class={p.kind === "refund" ? "refund-row" : undefined}>
                    <td class="nowrap">
                      <time datetime={p.ts.toISOString()}>
                        {p.ts.toISOString().slice(0, 16).replace("T", " ")}
                      </time>
                    </td>
                    <td class="label-cell">
                      <span class="small muted">{KIND_LABELS[p.kind] ?? p.kind}</span>{" "}
                      {p.product || "—"}
                      {p.gift_recipient_email && <span class="badge">gift</span>}
                      {p.origin === "browser" && (
                        <span
                          class="badge"
                          title="Sent by the tracker on your page; no payment platform confirmed it"
                        >
                          reported by the browser
                        </span>
                      )}
                    </td>
                    <td class="num">
                      {props.money(p.amount_site_minor)}
                      {p.converted && (
                        <div class="small muted" title="Converted with your currency rates">
                          {p.amount_site_minor === 0 && p.amount_minor !== 0
                            ? `${formatMoney(p.amount_minor, p.currency)}: no rate yet`
                            : `converted from ${formatMoney(p.amount_minor, p.currency)}`}
                        </div>
                      )}
                    </td>
                    <td class="label-cell">
                      {p.sources.length === 0
                        ? "—"
                        : p.sources.length === 1
                        ? plainValueLabel("source", p.sources[0])
                        : `${plainValueLabel("source", p.sources[0])} + ${p.sources.length - 1}`}
                    </td>
                    <td>
                      <span class={`badge ${p.match_method === "none" ? "" : "ok"}`}>
                        {METHOD_LABELS[p.match_method] ?? p.match_method}
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </section>
  );
}

function HowItWorks() {
  return (
    <section class="card how" id="how" aria-labelledby="how-title">
      <h2 id="how-title">How revenue is attributed</h2>
      <ul class="small">
        <li>
          <strong>Matching.</strong>{" "}
          A purchase is linked to the visitor whose id the checkout carried; otherwise to the
          visitor who used the buyer's email (identify() or an earlier purchase; all of that
          customer's devices count); otherwise, with low confidence, to the only visitor on the site
          around checkout time. Anything else is <strong>Unmatched revenue</strong>.
        </li>
        <li>
          <strong>Journey.</strong>{" "}
          The buyer's visits within the site's attribution window before the purchase.
        </li>
        <li>
          <strong>Models.</strong>{" "}
          First touch: the first visit gets it all. Last non-direct touch: the last visit that came
          from somewhere. Linear: equal shares. Time decay: a visit's share halves for every 7 days
          before the purchase. Position based: 40% first, 40% last, 20% shared by the visits in
          between. Shares always add up to the purchase, to the cent.
        </li>
        <li>
          <strong>Refunds and renewals</strong>{" "}
          are credited like the sale or subscription start they belong to; refunds subtract on the
          day they happen.
        </li>
      </ul>
    </section>
  );
}
