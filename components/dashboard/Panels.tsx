/** Breakdown panels of the overview: tabs, top rows with bars, links that filter and drill down. */
import {
  type Dimension,
  DIMENSION_INFO,
  type Metric,
  METRIC_INFO,
} from "../../analytics/dimensions.ts";
import { columnFormatter } from "../../analytics/format.ts";
import {
  type DashboardData,
  drillDown,
  type PanelData,
  type PanelId,
  PANELS,
  valueLabel,
  viewHref,
} from "../../analytics/view.ts";

/**
 * Columns a panel shows in the overview (the details page shows every metric); from the third
 * on they give way on narrow screens. With a goal filter every panel shows that goal's
 * conversion by row second.
 */
export function panelColumns(
  dimension: Dimension,
  hasRevenue: boolean,
  goalFiltered = false,
): Metric[] {
  const info = DIMENSION_INFO[dimension];
  if (info.scope === "goal") return ["visitors", "events", "conversion_rate"];
  const columns: Metric[] = info.scope === "page"
    ? ["visitors", "pageviews", "scroll_depth", "engaged_time"]
    : info.revenue && hasRevenue
    ? ["visitors", "revenue", "conversion_rate"]
    : ["visitors", "sessions", "bounce_rate"];
  if (!goalFiltered) return columns;
  // Four columns at most: pages give up their views for the conversion.
  const rest = columns.slice(1).filter((m) => m !== "conversion_rate" && m !== "pageviews");
  return ["visitors", "conversion_rate", ...rest];
}

const TAB_LABEL: Partial<Record<Dimension, string>> = {
  channel: "Channels",
  source: "Sources",
  campaign: "Campaigns",
  medium: "Medium",
  content: "Content",
  term: "Term",
  page: "Top pages",
  entry_page: "Entry",
  exit_page: "Exit",
  country: "Countries",
  region: "Regions",
  city: "Cities",
  device: "Devices",
  browser: "Browsers",
  os: "OS",
  goal: "Goals",
};

export interface PanelProps {
  id: PanelId;
  data: DashboardData;
  base: string;
  panel: PanelData;
  loading: boolean;
  /** Present in the browser: re-sorts the panel in place. */
  onSort?: (id: PanelId, metric: Metric) => void;
}

/** One panel: tab links, a sortable table of its top rows, a link to every row. */
export function Panel(props: PanelProps) {
  const { id, data, base, panel } = props;
  const def = PANELS[id];
  const dim = panel.dimension;
  const columns = panelColumns(
    dim,
    data.hasRevenue,
    data.view.filters.some((f) => f.dimension === "goal"),
  );
  const max = Math.max(1, ...panel.rows.map((r) => r.values.visitors ?? 0));
  const currency = data.site.currency;
  const formats = columns.map((m) =>
    columnFormatter(METRIC_INFO[m].unit, panel.rows.map((r) => r.values[m]), currency)
  );
  const headingId = `panel-${id}`;
  return (
    <section class="card panel" aria-labelledby={headingId} aria-busy={props.loading}>
      <div class="panel-head">
        <h2 id={headingId}>{def.title}</h2>
        {def.tabs.length > 1 && (
          <nav class="tabs" aria-label={`${def.title} breakdowns`}>
            {def.tabs.map((t) => (
              <a
                href={viewHref(base, { ...data.view, tabs: { ...data.view.tabs, [id]: t } })}
                data-nav=""
                aria-current={t === dim ? "true" : undefined}
                class={["medium", "content", "term"].includes(t) ? "tab-extra" : undefined}
              >
                {TAB_LABEL[t]}
              </a>
            ))}
          </nav>
        )}
      </div>
      {panel.rows.length === 0 && !props.loading
        ? <p class="panel-empty muted">{emptyText(dim, data.view.filters.length > 0)}</p>
        : (
          <table class="breakdown">
            <thead>
              <tr>
                <th scope="col">{DIMENSION_INFO[dim].label}</th>
                {columns.map((m, i) => {
                  const sorted = panel.sort.metric === m;
                  return (
                    <th
                      scope="col"
                      title={METRIC_INFO[m].label}
                      class={`num${i >= 2 ? " col-optional" : ""}`}
                      aria-sort={sorted
                        ? panel.sort.direction === "asc" ? "ascending" : "descending"
                        : undefined}
                    >
                      {props.onSort
                        ? (
                          <button
                            type="button"
                            class="sort-button"
                            onClick={() => props.onSort!(id, m)}
                          >
                            {METRIC_INFO[m].short}
                            {sorted ? (panel.sort.direction === "asc" ? " ↑" : " ↓") : ""}
                          </button>
                        )
                        : METRIC_INFO[m].short}
                    </th>
                  );
                })}
              </tr>
            </thead>
            <tbody>
              {props.loading && panel.rows.length === 0
                ? [0, 1, 2, 3, 4].map((i) => (
                  <tr key={i}>
                    <td colSpan={columns.length + 1}>
                      <div class="skeleton" style="height:1.2em" />
                    </td>
                  </tr>
                ))
                : panel.rows.map((row) => {
                  const label = valueLabel(dim, row.value);
                  const width = Math.round(((row.values.visitors ?? 0) / max) * 100);
                  return (
                    <tr key={row.value ?? "\u0000"}>
                      <td class="bar-cell" style={`--w:${width}%`}>
                        {row.value === null
                          ? (
                            <span
                              class="bar-label unmatched"
                              title="Purchases we could not link to a visit"
                            >
                              {label}
                            </span>
                          )
                          : (
                            <a
                              class="bar-label"
                              href={viewHref(base, drillDown(data.view, id, dim, row.value))}
                              data-nav=""
                              title={`Filter by ${
                                DIMENSION_INFO[dim].label.toLowerCase()
                              }: ${label}`}
                            >
                              {label}
                            </a>
                          )}
                      </td>
                      {columns.map((m, i) => (
                        <td class={`num${i >= 2 ? " col-optional" : ""}`}>
                          {formats[i](row.values[m])}
                        </td>
                      ))}
                    </tr>
                  );
                })}
            </tbody>
          </table>
        )}
      <div class="panel-foot">
        <a href={viewHref(`${base}/breakdown/${dim}`, data.view)}>
          {panel.totalRows > panel.rows.length
            ? `All ${panel.totalRows} ${(TAB_LABEL[dim] ?? dim).toLowerCase()} →`
            : "Details and export →"}
        </a>
      </div>
    </section>
  );
}

function emptyText(dim: Dimension, filtered: boolean): string {
  if (filtered) return "Nothing matches these filters in this period.";
  if (dim === "goal") {
    return "No goals completed yet. Track one with sextant('event', 'Signup') or a data-sextant-goal attribute.";
  }
  return "No data for this period yet.";
}
