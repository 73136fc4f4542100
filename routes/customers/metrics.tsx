/**
 * /sites/:siteId/customers/metrics — MRR and its movements, churn, ARPU, LTV (overall and by
 * first source), revenue by plan, status breakdown and monthly retention cohorts.
 */
import type { Context, Hono } from "hono";
import type { AppEnv } from "../../http/context.ts";
import { renderPage } from "../../http/render.tsx";
import { shellProps } from "../../http/shell.ts";
import { requireSite } from "../../http/middleware/auth.ts";
import { AppShell } from "../../components/AppShell.tsx";
import { formatCount, formatMoney, formatPercent } from "../../analytics/format.ts";
import { parsePeriod, PERIOD_LABELS, type PeriodName } from "../../attribution/period.ts";
import { customerMetrics, retentionCohorts } from "../../customers/metrics.ts";
import { STATUS_LABELS } from "../../customers/store.ts";
import { CustomersNav } from "./nav.tsx";

type C = Context<AppEnv>;

async function metricsPage(c: C): Promise<Response> {
  const site = c.get("site");
  const sql = c.get("app").db.sql;
  const period = parsePeriod(
    { period: c.req.query("period"), from: c.req.query("from"), to: c.req.query("to") },
    site.timezone,
  );
  const currency = site.currency.trim().toUpperCase();
  const m = await customerMetrics(sql, site.id, period.from, period.to);
  const cohorts = await retentionCohorts(sql, site.id, site.timezone);
  const money = (v: number | null) => (v === null ? "—" : formatMoney(Math.round(v), currency));
  const pct = (v: number | null) => (v === null ? "—" : formatPercent(v * 100));
  const base = `/sites/${site.id}/customers/metrics`;
  const metric = (label: string, value: string, note?: string, key?: string) => (
    <div class="metric" data-metric={key}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      {note && <div class="change muted">{note}</div>}
    </div>
  );
  const s = m.subs;
  const longest = Math.max(0, ...cohorts.map((k) => k.retained.length));
  const body = (
    <AppShell {...await shellProps(c, { active: "customers" })}>
      <div class="page-header">
        <h1>Customer metrics</h1>
        <CustomersNav siteId={site.id} active="metrics" />
      </div>
      <nav class="chips" aria-label="Period">
        {(["30d", "90d", "12mo", "all"] as PeriodName[]).map((p) => (
          <a
            class="chip"
            href={p === "30d" ? base : `${base}?period=${p}`}
            aria-current={period.name === p ? "page" : undefined}
          >
            {PERIOD_LABELS[p]}
          </a>
        ))}
      </nav>
      {m.buyers === 0 && s.mrr === 0
        ? (
          <section class="card empty">
            <h2>No paying customers yet</h2>
            <p>
              Connect a payment platform and these figures fill in from its purchases and
              subscriptions.
            </p>
            <p class="row center">
              <a class="button" href={`/sites/${site.id}/integrations`}>Connect a platform</a>
            </p>
          </section>
        )
        : (
          <>
            <div class="grid cards">
              {metric("MRR", money(s.mrr), `${money(m.mrrAtStart)} at the start`, "mrr")}
              {metric("Paying customers", formatCount(m.payingCustomers), undefined, "paying")}
              {metric("ARPU", money(m.arpu), "MRR per paying customer", "arpu")}
              {metric("LTV", money(m.ltv), `${formatCount(m.buyers)} buyers ever`, "ltv")}
              {metric(
                "Customer churn",
                pct(m.customerChurnRate),
                `${m.churnedCustomers} of ${m.payingAtStart} paying at the start`,
                "customer-churn",
              )}
              {metric(
                "Revenue churn",
                pct(m.revenueChurnRate),
                "churned + contraction MRR",
                "revenue-churn",
              )}
            </div>
            <section class="card" aria-labelledby="moves-h">
              <h2 id="moves-h">MRR movements</h2>
              <div class="grid cards">
                {metric("New", money(s.newMrr), undefined, "new")}
                {metric("Expansion", money(s.expansionMrr), undefined, "expansion")}
                {metric("Reactivation", money(s.reactivationMrr), undefined, "reactivation")}
                {metric("Contraction", money(-s.contractionMrr), undefined, "contraction")}
                {metric("Churned", money(-s.churnedMrr), undefined, "churned")}
              </div>
            </section>
            <div class="grid two">
              <section class="card" aria-labelledby="status-h">
                <h2 id="status-h">Customers by status</h2>
                <table>
                  <tbody>
                    {m.byStatus.map((r) => (
                      <tr key={r.status}>
                        <td>
                          <a href={`/sites/${site.id}/customers?status=${r.status}`}>
                            {STATUS_LABELS[r.status]}
                          </a>
                        </td>
                        <td class="num">{formatCount(r.customers)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </section>
              <section class="card" aria-labelledby="plan-h">
                <h2 id="plan-h">Revenue by plan</h2>
                {m.byPlan.length === 0 ? <p class="muted">No purchases in this period.</p> : (
                  <table>
                    <tbody>
                      {m.byPlan.map((r) => (
                        <tr key={r.plan}>
                          <td>{r.plan || "(no product name)"}</td>
                          <td class="num">{money(r.revenue)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
            </div>
            <section class="card" aria-labelledby="ltv-h">
              <h2 id="ltv-h">LTV by first source</h2>
              <p class="muted small">Customers whose first purchase falls in the period.</p>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>First source</th>
                      <th class="num">Customers</th>
                      <th class="num">Revenue</th>
                      <th class="num">LTV</th>
                    </tr>
                  </thead>
                  <tbody>
                    {m.ltvBySource.map((r) => (
                      <tr key={String(r.source)} data-source={r.source ?? "(unmatched)"}>
                        <td>{r.source === null ? "Unmatched" : r.source || "Direct"}</td>
                        <td class="num">{formatCount(r.customers)}</td>
                        <td class="num">{money(r.revenue)}</td>
                        <td class="num">{money(r.ltv)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section class="card" aria-labelledby="cohort-h">
              <h2 id="cohort-h">Retention by first payment month</h2>
              <p class="muted small">
                Share of each month's new customers paying again k months later.
              </p>
              <div class="table-wrap">
                <table class="cohort-grid">
                  <thead>
                    <tr>
                      <th>Cohort</th>
                      <th class="num">Customers</th>
                      {Array.from({ length: longest }, (_, k) => <th key={k} class="num">M{k}</th>)}
                    </tr>
                  </thead>
                  <tbody>
                    {cohorts.map((k) => (
                      <tr key={k.month}>
                        <td>{k.month}</td>
                        <td class="num">{formatCount(k.customers)}</td>
                        {Array.from({ length: longest }, (_, i) => (
                          <td key={i} class="num">
                            {i < k.retained.length ? formatPercent(k.retained[i] * 100) : ""}
                          </td>
                        ))}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          </>
        )}
      <p class="muted small">
        MRR, its movements and LTV by first source are the revenue page's own figures. Customer
        churn: customers paying at the start of the period with no MRR left now, out of everyone
        paying at the start. Revenue churn: churned and contraction MRR in the period over MRR at
        the start. ARPU: MRR per paying customer. LTV: net revenue ever per customer who paid.
      </p>
    </AppShell>
  );
  return renderPage(c, body, { title: "Customer metrics" });
}

/** The metrics page. */
export function registerMetrics(app: Hono<AppEnv>): void {
  app.get("/sites/:siteId{[0-9]+}/customers/metrics", requireSite("viewer"), metricsPage);
}
