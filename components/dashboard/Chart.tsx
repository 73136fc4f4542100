/**
 * The time-series chart. The server draws an SVG so the page shows the curve before any script;
 * in the browser Chart.js (loaded on demand) replaces it with tooltips and annotation markers.
 */
import { useEffect, useRef } from "preact/hooks";
import { type Metric, METRIC_INFO } from "../../analytics/dimensions.ts";
import { formatMetric } from "../../analytics/format.ts";
import type { Granularity } from "../../analytics/period.ts";
import type { Annotation } from "../../analytics/view.ts";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2026-03-14T00:00" → "14 Mar" / "13:00" / "Mar 2026". */
export function bucketLabel(bucket: string, g: Granularity): string {
  const [date, time] = bucket.split("T");
  const [y, m, d] = date.split("-").map(Number);
  if (g === "hour") return time;
  if (g === "month") return `${MONTHS[m - 1]} ${y}`;
  return `${d} ${MONTHS[m - 1]}`;
}

/** A bucket named in full for a tooltip: hours spanning several days carry their date. */
export function bucketTitle(bucket: string, g: Granularity, buckets: string[]): string {
  if (g !== "hour" || !spansDays(buckets)) return bucketLabel(bucket, g);
  return `${bucketLabel(bucket, "day")} ${bucketLabel(bucket, "hour")}`;
}

function spansDays(buckets: string[]): boolean {
  return buckets.length > 0 && buckets[0].slice(0, 10) !== buckets[buckets.length - 1].slice(0, 10);
}

/**
 * The x-axis label of every bucket, null where none is drawn. Hours over several days are
 * labelled by their date at midnight (every few days, so about eight labels fit); otherwise the
 * chart library picks which of the bucket labels to show.
 */
export function axisLabels(buckets: string[], g: Granularity): Array<string | null> {
  if (g !== "hour" || !spansDays(buckets)) return buckets.map((b) => bucketLabel(b, g));
  const days = new Set(buckets.map((b) => b.slice(0, 10))).size;
  const every = Math.ceil(days / 8);
  let midnight = 0;
  return buckets.map((b) => {
    if (!b.endsWith("T00:00")) return null;
    return midnight++ % every === 0 ? bucketLabel(b, "day") : null;
  });
}

/** Index of the bucket an annotation's day falls into, or -1. */
export function annotationIndex(buckets: string[], day: string, g: Granularity): number {
  if (g === "hour") return buckets.indexOf(`${day}T00:00`);
  let found = -1;
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i].slice(0, 10) <= day) found = i;
  }
  if (g === "month" && found >= 0 && buckets[found].slice(0, 7) !== day.slice(0, 7)) return -1;
  return found;
}

export interface ChartProps {
  buckets: string[];
  values: Array<number | null>;
  metric: Metric;
  granularity: Granularity;
  currency: string;
  annotations: Annotation[];
  /** The last bucket is still under way (this hour, today, this month): it reads low. */
  partial?: boolean;
}

/** Server-side SVG of the series: an area and a line, scaled to the largest value. */
function SvgChart(props: ChartProps) {
  const w = 800;
  const h = 220;
  const vals = props.values.map((v) => v ?? 0);
  const max = Math.max(1, ...vals);
  const step = vals.length > 1 ? w / (vals.length - 1) : w;
  const pts = vals.map((v, i) =>
    `${(i * step).toFixed(1)},${(h - (v / max) * (h - 10)).toFixed(1)}`
  );
  // The segment into a bucket still under way is dashed: its drop is not real yet.
  const solid = props.partial && pts.length > 1 ? pts.slice(0, -1) : pts;
  const first = bucketTitle(props.buckets[0] ?? "", props.granularity, props.buckets);
  const last = bucketTitle(props.buckets.at(-1) ?? "", props.granularity, props.buckets);
  const unit = METRIC_INFO[props.metric].unit;
  return (
    <figure class="chart-fallback">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${METRIC_INFO[props.metric].label} from ${first} to ${last}${
          props.partial ? " (so far)" : ""
        }, peak ${formatMetric(unit, max, props.currency)}`}
      >
        <polygon points={`0,${h} ${pts.join(" ")} ${w},${h}`} class="chart-area" />
        <polyline points={solid.join(" ")} class="chart-line" fill="none" />
        {solid.length < pts.length && (
          <polyline
            points={pts.slice(-2).join(" ")}
            class="chart-line chart-partial"
            fill="none"
            stroke-dasharray="6 4"
          />
        )}
      </svg>
      <figcaption class="chart-axis muted small">
        <span>{first}</span>
        <span>{last}</span>
      </figcaption>
    </figure>
  );
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The colours the chart draws with, read from the page's theme. */
export interface ChartColors {
  accent: string;
  grid: string;
  muted: string;
  marker: string;
}

type Marks = Array<{ a: Annotation; i: number }>;

/**
 * The Chart.js configuration for the series. A monotone curve never swings past its points
 * (no bump before the first visit); counts get whole-number ticks; the segment into an
 * unfinished last bucket is dashed and its tooltip says the number is so far.
 */
export function chartConfig(props: ChartProps, colors: ChartColors) {
  const unit = METRIC_INFO[props.metric].unit;
  const label = METRIC_INFO[props.metric].label;
  const last = props.values.length - 1;
  const partialAt = props.partial && last > 0 ? last : -1;
  const ticks = axisLabels(props.buckets, props.granularity);
  const byDate = ticks.some((t) => t === null);
  const marks: Marks = props.annotations
    .map((a) => ({ a, i: annotationIndex(props.buckets, a.day, props.granularity) }))
    .filter((m) => m.i >= 0);
  return {
    type: "line",
    data: {
      labels: props.buckets.map((b) => bucketTitle(b, props.granularity, props.buckets)),
      datasets: [{
        label,
        data: props.values,
        borderColor: colors.accent,
        backgroundColor: colors.accent + "22",
        fill: true,
        cubicInterpolationMode: "monotone",
        pointRadius: props.values.length > 60 ? 0 : 2,
        borderWidth: 2,
        segment: {
          borderDash: (ctx: { p1DataIndex: number }) =>
            ctx.p1DataIndex === partialAt ? [6, 4] : undefined,
        },
      }],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: {
          grid: { display: false },
          ticks: byDate
            ? {
              color: colors.muted,
              autoSkip: false,
              maxRotation: 0,
              callback: (_v: string | number, i: number) => ticks[i],
            }
            : { color: colors.muted, maxTicksLimit: 8 },
        },
        y: {
          beginAtZero: true,
          grid: { color: colors.grid },
          ticks: {
            color: colors.muted,
            maxTicksLimit: 5,
            ...(unit === "count" ? { precision: 0 } : {}),
            callback: (v: string | number) => formatMetric(unit, Number(v), props.currency),
          },
        },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx: { parsed: { y: number | null }; dataIndex: number }) =>
              `${label}: ${formatMetric(unit, ctx.parsed.y, props.currency)}${
                ctx.dataIndex === partialAt ? " (so far, still counting)" : ""
              }`,
            afterBody: (items: Array<{ dataIndex: number }>) =>
              marks.filter((m) => m.i === items[0]?.dataIndex).map((m) => `📌 ${m.a.body}`),
          },
        },
      },
    },
    plugins: [{
      id: "annotations",
      afterDatasetsDraw(c: {
        ctx: CanvasRenderingContext2D;
        chartArea: { top: number; bottom: number };
        scales: { x: { getPixelForValue(i: number): number } };
      }) {
        const ctx = c.ctx;
        ctx.save();
        ctx.strokeStyle = colors.marker;
        ctx.setLineDash([4, 4]);
        for (const m of marks) {
          const x = c.scales.x.getPixelForValue(m.i);
          ctx.beginPath();
          ctx.moveTo(x, c.chartArea.top);
          ctx.lineTo(x, c.chartArea.bottom);
          ctx.stroke();
        }
        ctx.restore();
      },
    }],
  };
}

/** The chart: SVG on the server, Chart.js once the browser has loaded it. */
export function Chart(props: ChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<{ destroy(): void } | null>(null);
  const ready = useRef(false);
  useEffect(() => {
    let cancelled = false;
    (async () => {
      const { Chart: ChartJs } = await import("chart.js/auto");
      if (cancelled || !canvas.current) return;
      ready.current = true;
      canvas.current.closest(".chart")?.classList.add("chart-ready");
      chart.current?.destroy();
      chart.current = new ChartJs(
        canvas.current,
        chartConfig(props, {
          accent: cssVar("--chart-1") || "#0f766e",
          grid: cssVar("--border") || "#ddd",
          muted: cssVar("--muted") || "#666",
          marker: cssVar("--chart-3") || "#d97706",
        }) as never,
      );
    })().catch(() => {
      // The SVG stays: a chart library that failed to load is not worth an error message.
    });
    return () => {
      cancelled = true;
    };
  }, [props.buckets, props.values, props.metric, props.annotations, props.partial]);
  useEffect(() => () => chart.current?.destroy(), []);
  return (
    <div class="chart">
      <SvgChart {...props} />
      <div class="chart-canvas">
        <canvas ref={canvas} aria-hidden="true" />
      </div>
    </div>
  );
}
