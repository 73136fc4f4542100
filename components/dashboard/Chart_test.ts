import assert from "node:assert/strict";
import { axisLabels, bucketTitle, chartConfig, type ChartProps } from "./Chart.tsx";

const COLORS = { accent: "#0f766e", grid: "#ddd", muted: "#666", marker: "#d97706" };

function props(over: Partial<ChartProps> = {}): ChartProps {
  return {
    buckets: ["2026-03-18T00:00", "2026-03-19T00:00", "2026-03-20T00:00"],
    values: [3, 5, 1],
    metric: "visitors",
    granularity: "day",
    currency: "USD",
    annotations: [],
    ...over,
  };
}

// deno-lint-ignore no-explicit-any
type Any = any;

function hours(firstDay: string, days: number): string[] {
  const out: string[] = [];
  for (let d = 0; d < days; d++) {
    const day = new Date(Date.parse(firstDay) + d * 86_400_000).toISOString().slice(0, 10);
    for (let h = 0; h < 24; h++) out.push(`${day}T${String(h).padStart(2, "0")}:00`);
  }
  return out;
}

Deno.test("the curve is monotone: it never swings above or below its points", () => {
  const ds: Any = chartConfig(props(), COLORS).data.datasets[0];
  assert.equal(ds.cubicInterpolationMode, "monotone");
  assert(!ds.tension, "no free tension that overshoots");
});

Deno.test("counts get whole-number ticks; rates and money do not", () => {
  const y = (metric: ChartProps["metric"]): Any =>
    chartConfig(props({ metric }), COLORS).options.scales.y;
  assert.equal(y("visitors").ticks.precision, 0);
  assert.equal(y("orders").ticks.precision, 0);
  assert.equal(y("bounce_rate").ticks.precision, undefined);
});

Deno.test("the segment into an unfinished last bucket is dashed and its tooltip says so", () => {
  const cfg: Any = chartConfig(props({ partial: true }), COLORS);
  const dash = cfg.data.datasets[0].segment.borderDash;
  assert.deepEqual(dash({ p0DataIndex: 1, p1DataIndex: 2 }), [6, 4]);
  assert.equal(dash({ p0DataIndex: 0, p1DataIndex: 1 }), undefined);
  const label = cfg.options.plugins.tooltip.callbacks.label;
  assert.match(label({ parsed: { y: 1 }, dataIndex: 2 }), /so far/);
  assert.doesNotMatch(label({ parsed: { y: 5 }, dataIndex: 1 }), /so far/);

  const done: Any = chartConfig(props(), COLORS);
  assert.equal(
    done.data.datasets[0].segment.borderDash({ p0DataIndex: 1, p1DataIndex: 2 }),
    undefined,
  );
  assert.doesNotMatch(
    done.options.plugins.tooltip.callbacks.label({ parsed: { y: 1 }, dataIndex: 2 }),
    /so far/,
  );
});

Deno.test("hours spanning several days are labelled by date at midnight", () => {
  const buckets = hours("2026-02-19", 30);
  const labels = axisLabels(buckets, "hour");
  const shown = labels.filter((l) => l !== null);
  assert.equal(shown[0], "19 Feb");
  assert(shown.length >= 5 && shown.length <= 8, `about eight labels (${shown.length})`);
  labels.forEach((l, i) => {
    if (l !== null) assert(buckets[i].endsWith("T00:00"), `${buckets[i]} is a midnight`);
  });
  const cfg: Any = chartConfig(
    props({ buckets, values: buckets.map(() => 1), granularity: "hour" }),
    COLORS,
  );
  const x = cfg.options.scales.x.ticks;
  assert.equal(x.autoSkip, false);
  assert.equal(x.callback(0, 0), "19 Feb");
  assert.equal(x.callback(0, 1), null);
  assert.equal(cfg.data.labels[13], "19 Feb 13:00", "the tooltip names the day too");
  assert.equal(bucketTitle("2026-02-19T13:00", "hour", buckets.slice(0, 24)), "13:00");
  // One day of hours keeps its hour labels.
  assert.deepEqual(axisLabels(buckets.slice(0, 3), "hour"), ["00:00", "01:00", "02:00"]);
});
