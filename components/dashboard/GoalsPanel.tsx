/**
 * The overview's Goals panel: each defined goal with its converting visitors, conversion rate,
 * completions, revenue from converting visitors and median time to convert. Clicking a goal
 * filters the whole dashboard to the visits that completed it.
 */
import { columnFormatter, formatDuration } from "../../analytics/format.ts";
import { type DashboardData, drillDown, viewHref } from "../../analytics/view.ts";

export interface GoalsPanelProps {
  data: DashboardData;
  base: string;
  loading: boolean;
  /** Where goals are managed (signed-in dashboards only). */
  goalsHref?: string;
}

/** The Goals panel; nothing on a shared dashboard of a site without goals. */
export function GoalsPanel(props: GoalsPanelProps) {
  const { data, base } = props;
  const goals = data.goals ?? [];
  if (goals.length === 0 && !props.goalsHref) return null;
  const active = data.view.filters.find((f) => f.dimension === "goal" && f.op === "is")?.value;
  const max = Math.max(1, ...goals.map((g) => g.visitors));
  const count = columnFormatter("count", goals.map((g) => g.visitors), data.site.currency);
  const total = columnFormatter("count", goals.map((g) => g.completions), data.site.currency);
  const rate = columnFormatter("percent", goals.map((g) => g.conversion_rate), data.site.currency);
  const money = columnFormatter("money", goals.map((g) => g.revenue), data.site.currency);
  const showMoney = data.hasRevenue;
  return (
    <section class="card panel goals-panel" aria-labelledby="panel-defined-goals">
      <div class="panel-head">
        <h2 id="panel-defined-goals">Goals</h2>
      </div>
      {goals.length === 0
        ? (
          <p class="panel-empty muted">
            No goals defined yet. <a href={props.goalsHref}>Add a goal</a>{" "}
            — a signup page, a custom event or a purchase — to see who converts, from where.
          </p>
        )
        : (
          <table class="breakdown">
            <thead>
              <tr>
                <th scope="col">Goal</th>
                <th scope="col" class="num" title="Visitors who completed the goal">Uniques</th>
                <th scope="col" class="num" title="Converting visitors ÷ all visitors">Conv.</th>
                <th scope="col" class="num col-optional" title="Completions">Total</th>
                {showMoney && (
                  <th
                    scope="col"
                    class="num col-optional"
                    title="Purchases by the converting visitors"
                  >
                    Revenue
                  </th>
                )}
                <th
                  scope="col"
                  class="num col-optional"
                  title="Median time from first visit to conversion"
                >
                  Time
                </th>
              </tr>
            </thead>
            <tbody>
              {goals.map((g) => {
                const width = Math.round((g.visitors / max) * 100);
                const on = active === g.name;
                return (
                  <tr key={g.id} aria-current={on ? "true" : undefined}>
                    <td class="bar-cell" style={`--w:${width}%`}>
                      <a
                        class="bar-label"
                        href={viewHref(base, drillDown(data.view, "goals", "goal", g.name))}
                        data-nav=""
                        title={`${g.description}. Filter the dashboard to visits that completed it.`}
                      >
                        {g.name}
                      </a>
                    </td>
                    <td class="num">{count(g.visitors)}</td>
                    <td class="num">{rate(g.conversion_rate)}</td>
                    <td class="num col-optional">{total(g.completions)}</td>
                    {showMoney && <td class="num col-optional">{money(g.revenue)}</td>}
                    <td class="num col-optional">{formatDuration(g.median_seconds)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      {props.goalsHref && (
        <div class="panel-foot">
          <a href={props.goalsHref}>Manage goals →</a>
        </div>
      )}
    </section>
  );
}
