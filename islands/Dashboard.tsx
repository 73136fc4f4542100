/**
 * The site dashboard. The server renders it complete (every control is a plain link or GET form,
 * so it works before and without script); in the browser it takes over those links, fetches the
 * next view as JSON, keeps the URL in step (back button included) and re-sorts panels in place.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import { DIMENSION_INFO, type Metric, METRIC_INFO } from "../analytics/dimensions.ts";
import { formatMetric } from "../analytics/format.ts";
import { daysBetween, formatDay, type Granularity } from "../analytics/period.ts";
import { withoutFilter } from "../analytics/url.ts";
import {
  CARD_METRICS,
  type DashboardData,
  PANEL_IDS,
  type PanelData,
  type PanelId,
  valueLabel,
  viewHref,
} from "../analytics/view.ts";
import { Chart } from "../components/dashboard/Chart.tsx";
import { Panel } from "../components/dashboard/Panels.tsx";
import { GoalsPanel } from "../components/dashboard/GoalsPanel.tsx";

export interface DashboardProps {
  data: DashboardData;
  /** Page path of this dashboard: "/sites/12" or "/share/<token>". */
  base: string;
  /** JSON endpoints: "/api/app/sites/12" or "/share/<token>/api". */
  api: string;
  /** Members may add and remove annotations (forms post with this token). */
  csrf?: string;
  canAnnotate?: boolean;
  /** Where to send people to install the script (signed-in dashboards only). */
  installHref?: string;
  /** Where goals are managed (signed-in dashboards only). */
  goalsHref?: string;
}

const PERIOD_LINKS: Array<[string, string]> = [
  ["today", "Today"],
  ["yesterday", "Yesterday"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["90d", "Last 90 days"],
  ["12mo", "Last 12 months"],
  ["all", "All time"],
];

const LOWER_IS_BETTER = new Set<Metric>(["bounce_rate"]);
const POINTS = new Set<Metric>(["bounce_rate", "conversion_rate"]);

function Change(props: { metric: Metric; change: number | null }) {
  const c = props.change;
  if (c === null) return <span class="change muted">—</span>;
  const good = LOWER_IS_BETTER.has(props.metric) ? c < 0 : c > 0;
  const arrow = c > 0 ? "↑" : c < 0 ? "↓" : "";
  const size = Math.abs(c) >= 1000 ? ">999" : String(Math.abs(c));
  const text = `${arrow}${size}${POINTS.has(props.metric) ? " pts" : "%"}`;
  return (
    <span class={`change ${c === 0 ? "muted" : good ? "positive" : "negative"}`}>
      {text}
      <span class="visually-hidden">vs the previous period</span>
    </span>
  );
}

function Toolbar(props: DashboardProps & { data: DashboardData }) {
  const { data, base } = props;
  const v = data.view;
  return (
    <div class="dash-toolbar">
      <details class="menu period-picker">
        <summary aria-label={`Period: ${data.period.label}. Change period`}>
          {data.period.label}
        </summary>
        <div class="menu-panel" role="menu">
          {PERIOD_LINKS.map(([p, label]) => (
            <a
              role="menuitem"
              href={viewHref(base, {
                ...v,
                period: p,
                from: undefined,
                to: undefined,
                interval: undefined,
              })}
              data-nav=""
              aria-current={v.period === p ? "true" : undefined}
            >
              {label}
            </a>
          ))}
          <form method="get" action={base} class="custom-range" data-nav-form="">
            <input type="hidden" name="period" value="custom" />
            {v.filters.map((f) => (
              <input type="hidden" name="f" value={`${f.dimension}:${f.op}:${f.value}`} />
            ))}
            {v.funnel && v.droppedAt && (
              <>
                <input type="hidden" name="funnel" value={String(v.funnel)} />
                <input type="hidden" name="dropped_at" value={String(v.droppedAt)} />
              </>
            )}
            <label>
              From <input type="date" name="from" value={data.period.firstDay} required />
            </label>
            <label>
              To <input type="date" name="to" value={data.period.lastDay} required />
            </label>
            <button type="submit" class="secondary">Apply</button>
          </form>
        </div>
      </details>
      <div class="chips" aria-label="Active filters">
        {v.filters.map((f) => {
          const info = DIMENSION_INFO[f.dimension];
          const op = f.op === "is" ? "is" : f.op === "is_not" ? "is not" : "contains";
          const text = `${info.label} ${op} ${valueLabel(f.dimension, f.value)}`;
          return (
            <a
              class="chip"
              href={viewHref(base, { ...v, ...withoutFilter(v, f.dimension) })}
              data-nav=""
              aria-label={`Remove filter: ${text}`}
              title="Remove this filter"
            >
              {text} <span aria-hidden="true">×</span>
            </a>
          );
        })}
        {data.dropoff && (
          <a
            class="chip"
            href={viewHref(base, { ...v, funnel: undefined, droppedAt: undefined })}
            data-nav=""
            aria-label={`Remove filter: left ${data.dropoff.name} after step ${data.dropoff.step}`}
            title="Remove this filter"
          >
            Left “{data.dropoff.name}” after step {data.dropoff.step}{" "}
            <span aria-hidden="true">×</span>
          </a>
        )}
        {v.filters.length + (data.dropoff ? 1 : 0) > 1 && (
          <a
            href={viewHref(base, { ...v, filters: [], funnel: undefined, droppedAt: undefined })}
            data-nav=""
            class="small"
          >
            Clear all
          </a>
        )}
      </div>
      {data.updating && (
        <span class="updating-note small muted" role="status">
          Updating… the newest visits are on their way
        </span>
      )}
      <span class="spacer" />
      <a
        class="button secondary small-button"
        href={viewHref(`${props.api}/export.zip`, v)}
        download
      >
        Download all (zip)
      </a>
    </div>
  );
}

function Cards(props: { data: DashboardData; base: string; loading: boolean }) {
  const { data } = props;
  const metric = (data.view.metric ?? "visitors") as Metric;
  const shown = data.hasRevenue
    ? CARD_METRICS
    : CARD_METRICS.filter((m) => !["revenue_per_visitor", "customers"].includes(m));
  return (
    <nav class="cards" aria-label="Totals; choose one to chart it">
      {shown.map((m) => {
        const card = data.cards.find((c) => c.metric === m)!;
        return (
          <a
            class={`metric${props.loading ? " is-loading" : ""}`}
            href={viewHref(props.base, { ...data.view, metric: m })}
            data-nav=""
            aria-current={m === metric ? "true" : undefined}
          >
            <span class="label">{METRIC_INFO[m].label}</span>
            <span class="value">
              {formatMetric(METRIC_INFO[m].unit, card.value, data.site.currency)}
            </span>
            {data.period.comparable && <Change metric={m} change={card.change} />}
          </a>
        );
      })}
    </nav>
  );
}

function intervals(data: DashboardData): Granularity[] {
  const days = daysBetween(data.period.firstDay, data.period.lastDay) + 1;
  const out: Granularity[] = [];
  if (days <= 31) out.push("hour");
  if (days > 1 && days <= 1100) out.push("day");
  if (days > 13) out.push("week");
  if (days > 45) out.push("month");
  return out;
}

function Annotations(props: DashboardProps) {
  const { data } = props;
  if (!props.canAnnotate && data.annotations.length === 0) return null;
  return (
    <div class="annotations">
      {data.annotations.length > 0 && (
        <ul class="annotation-list">
          {data.annotations.map((a) => (
            <li>
              <span class={`badge cat-${a.category}`}>{a.category}</span>{" "}
              <time dateTime={a.day}>{formatDay(a.day)}</time> — {a.body}
              {props.canAnnotate && (
                <form
                  method="post"
                  action={`${props.base}/annotations/${a.id}/delete`}
                  class="inline-form"
                >
                  <input type="hidden" name="_csrf" value={props.csrf} />
                  <button
                    type="submit"
                    class="link-button small"
                    aria-label={`Delete note: ${a.body}`}
                  >
                    Delete
                  </button>
                </form>
              )}
            </li>
          ))}
        </ul>
      )}
      {props.canAnnotate && (
        <details class="add-note">
          <summary class="small">Add a note to the chart</summary>
          <form method="post" action={`${props.base}/annotations`} class="note-form">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <input type="hidden" name="back" value={viewHref(props.base, data.view)} />
            <label>
              Date <input type="date" name="day" value={data.period.lastDay} required />
            </label>
            <label>
              Category
              <select name="category">
                <option value="note">Note</option>
                <option value="launch">Launch</option>
                <option value="campaign">Campaign</option>
                <option value="content">Content</option>
                <option value="incident">Incident</option>
              </select>
            </label>
            <label class="grow">
              Note{" "}
              <input
                type="text"
                name="body"
                maxLength={280}
                required
                placeholder="Launched on Product Hunt"
              />
            </label>
            <button type="submit">Add note</button>
          </form>
        </details>
      )}
    </div>
  );
}

/** The dashboard body (also rendered alone on the server). */
export function DashboardView(
  props: DashboardProps & {
    loading?: boolean;
    loadingPanels?: Set<PanelId>;
    error?: string | null;
    onSort?: (id: PanelId, metric: Metric) => void;
  },
) {
  const { data, base } = props;
  if (!data.hasData) {
    return (
      <div class="card empty">
        <h2>No visits yet</h2>
        {props.installHref
          ? (
            <>
              <p>
                Add the Sextant script to {data.site.domain}{" "}
                and visitors will appear here within seconds.
              </p>
              <p>
                <a class="button" href={props.installHref}>Install the script</a>
              </p>
            </>
          )
          : <p>This site has not recorded any visits yet. Check back soon.</p>}
      </div>
    );
  }
  const metric = (data.view.metric ?? "visitors") as Metric;
  return (
    <div class={`dashboard${props.loading ? " is-loading" : ""}`} aria-busy={props.loading}>
      <Toolbar {...props} />
      {props.error && <p class="alert error" role="alert">{props.error}</p>}
      <Cards data={data} base={base} loading={!!props.loading} />
      <section class="card chart-card" aria-label={`${METRIC_INFO[metric].label} over time`}>
        <div class="chart-head">
          <h2>{METRIC_INFO[metric].label}</h2>
          <nav class="granularity" aria-label="Chart granularity">
            {intervals(data).map((g) => (
              <a
                href={viewHref(base, { ...data.view, interval: g })}
                data-nav=""
                aria-current={g === data.granularity ? "true" : undefined}
              >
                {g === "hour" ? "Hours" : g === "day" ? "Days" : g === "week" ? "Weeks" : "Months"}
              </a>
            ))}
          </nav>
        </div>
        <Chart
          buckets={data.series.buckets}
          values={data.series.values[metric] ?? []}
          partial={data.series.partial}
          metric={metric}
          granularity={data.granularity}
          currency={data.site.currency}
          annotations={data.annotations}
        />
        <Annotations {...props} />
      </section>
      <div class="panels">
        {PANEL_IDS.map((id) => (
          <>
            {id === "goals" && (
              <GoalsPanel
                data={data}
                base={base}
                loading={!!props.loading}
                goalsHref={props.goalsHref}
              />
            )}
            <Panel
              id={id}
              data={data}
              base={base}
              panel={data.panels[id]}
              loading={!!props.loading || !!props.loadingPanels?.has(id)}
              onSort={props.onSort}
            />
          </>
        ))}
      </div>
    </div>
  );
}

async function fetchJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { accept: "application/json" } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error ?? "We couldn't load that view. Please try again.");
  return body as T;
}

function Dashboard(props: DashboardProps) {
  const [data, setData] = useState(props.data);
  const [loading, setLoading] = useState(false);
  const [loadingPanels, setLoadingPanels] = useState<Set<PanelId>>(new Set());
  const [error, setError] = useState<string | null>(null);
  /** Looks taken at this view while its totals are behind (see below). */
  const looks = useRef(0);

  const load = async (search: string) => {
    looks.current = 0;
    setLoading(true);
    setError(null);
    try {
      setData(await fetchJson<DashboardData>(`${props.api}/dashboard${search}`));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoading(false);
    }
  };

  const navigate = (href: string) => {
    const url = new URL(href, location.href);
    history.pushState(null, "", url.pathname + url.search);
    load(url.search);
  };

  // The totals come from rollups refreshed every ~10 s: while they are behind the visits
  // already stored, look again shortly, so the cards catch up and the note goes. A site busy
  // enough to be always a few seconds behind is looked at again only for a minute per view.
  useEffect(() => {
    if (!data.updating) looks.current = 0;
    if (!data.updating || loading || looks.current >= 12) return;
    const timer = setTimeout(async () => {
      looks.current++;
      try {
        setData(await fetchJson<DashboardData>(`${props.api}/dashboard${location.search}`));
      } catch {
        setData((d) => ({ ...d })); // try again after the same pause
      }
    }, 5000);
    return () => clearTimeout(timer);
  }, [data, loading]);

  useEffect(() => {
    const onPop = () => load(location.search);
    addEventListener("popstate", onPop);
    return () => removeEventListener("popstate", onPop);
  }, []);

  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) {
      return;
    }
    const a = (e.target as Element).closest?.("a[data-nav]") as HTMLAnchorElement | null;
    if (!a || new URL(a.href).pathname !== location.pathname) return;
    e.preventDefault();
    a.closest("details")?.removeAttribute("open");
    navigate(a.href);
  };

  const onSubmit = (e: Event) => {
    const form = e.target as HTMLFormElement;
    if (!form.matches("[data-nav-form]")) return;
    e.preventDefault();
    const params = new URLSearchParams(new FormData(form) as unknown as Record<string, string>);
    for (const [k, v] of new URLSearchParams(location.search)) {
      if (["acq", "pages", "loc", "tech", "goals", "metric"].includes(k)) params.set(k, v);
    }
    form.closest("details")?.removeAttribute("open");
    navigate(`${location.pathname}?${params}`);
  };

  const onSort = async (id: PanelId, metric: Metric) => {
    const panel = data.panels[id];
    const direction = panel.sort.metric === metric && panel.sort.direction === "desc"
      ? "asc"
      : "desc";
    setLoadingPanels((s) => new Set(s).add(id));
    try {
      const url = new URL(`${props.api}/breakdown`, location.href);
      for (const [k, v] of new URLSearchParams(location.search)) url.searchParams.append(k, v);
      url.searchParams.set("dimension", panel.dimension);
      url.searchParams.set("sort", `${metric}:${direction}`);
      url.searchParams.set("limit", "10");
      const next = await fetchJson<PanelData>(url.toString());
      setData((d) => ({ ...d, panels: { ...d.panels, [id]: next } }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setLoadingPanels((s) => {
        const n = new Set(s);
        n.delete(id);
        return n;
      });
    }
  };

  return (
    <div onClick={onClick} onSubmit={onSubmit}>
      <DashboardView
        {...props}
        data={data}
        loading={loading}
        loadingPanels={loadingPanels}
        error={error}
        onSort={onSort}
      />
    </div>
  );
}

export default island("Dashboard", Dashboard);
