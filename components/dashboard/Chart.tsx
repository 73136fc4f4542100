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
  const unit = METRIC_INFO[props.metric].unit;
  return (
    <figure class="chart-fallback">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${METRIC_INFO[props.metric].label} from ${
          bucketLabel(props.buckets[0] ?? "", props.granularity)
        } to ${
          bucketLabel(props.buckets[props.buckets.length - 1] ?? "", props.granularity)
        }, peak ${formatMetric(unit, max, props.currency)}`}
      >
        <polygon points={`0,${h} ${pts.join(" ")} ${w},${h}`} class="chart-area" />
        <polyline points={pts.join(" ")} class="chart-line" fill="none" />
      </svg>
      <figcaption class="chart-axis muted small">
        <span>{bucketLabel(props.buckets[0] ?? "", props.granularity)}</span>
        <span>{bucketLabel(props.buckets[props.buckets.length - 1] ?? "", props.granularity)}</span>
      </figcaption>
    </figure>
  );
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
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
      const unit = METRIC_INFO[props.metric].unit;
      const accent = cssVar("--chart-1") || "#0f766e";
      const grid = cssVar("--border") || "#ddd";
      const muted = cssVar("--muted") || "#666";
      const marks = props.annotations
        .map((a) => ({ a, i: annotationIndex(props.buckets, a.day, props.granularity) }))
        .filter((m) => m.i >= 0);
      chart.current = new ChartJs(canvas.current, {
        type: "line",
        data: {
          labels: props.buckets.map((b) => bucketLabel(b, props.granularity)),
          datasets: [{
            label: METRIC_INFO[props.metric].label,
            data: props.values,
            borderColor: accent,
            backgroundColor: accent + "22",
            fill: true,
            tension: 0.25,
            pointRadius: props.values.length > 60 ? 0 : 2,
            borderWidth: 2,
          }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          interaction: { mode: "index", intersect: false },
          scales: {
            x: { grid: { display: false }, ticks: { color: muted, maxTicksLimit: 8 } },
            y: {
              beginAtZero: true,
              grid: { color: grid },
              ticks: {
                color: muted,
                maxTicksLimit: 5,
                callback: (v: string | number) => formatMetric(unit, Number(v), props.currency),
              },
            },
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: (ctx: { parsed: { y: number | null } }) =>
                  `${METRIC_INFO[props.metric].label}: ${
                    formatMetric(unit, ctx.parsed.y, props.currency)
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
            ctx.strokeStyle = cssVar("--chart-3") || "#d97706";
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
      } as never);
    })().catch(() => {
      // The SVG stays: a chart library that failed to load is not worth an error message.
    });
    return () => {
      cancelled = true;
    };
  }, [props.buckets, props.values, props.metric, props.annotations]);
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
