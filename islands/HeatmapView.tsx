/**
 * The heatmap over the page: a canvas the size of the layout's screenshot, drawn over it (or
 * over a neutral outline when there is none), with a legend, an opacity slider and the table
 * of clicked elements, whose rows outline their element when hovered or focused.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import type { HeatmapReport } from "../analytics/heatmaps.ts";
import { formatCount, formatPercent } from "../analytics/format.ts";

interface Props {
  report: HeatmapReport;
  /** The screenshot to draw over, or null for the outline. */
  screenshot: { url: string; height: number } | null;
  /** The layout came from the URL; otherwise narrow screens switch to the mobile layout. */
  layoutChosen: boolean;
  /** While screenshots are being taken: where to ask how they are doing. */
  statusUrl: string | null;
}

/** Canvas height when nothing says how tall the page is. */
const FALLBACK_HEIGHT = 2400;

/** Blue → cyan → green → yellow → red, as 256 RGB triples: the usual heatmap ramp. */
function ramp(): Uint8ClampedArray {
  const stops: Array<[number, number, number, number]> = [
    [0, 0, 0, 255],
    [0.25, 0, 255, 255],
    [0.5, 0, 255, 0],
    [0.75, 255, 255, 0],
    [1, 255, 0, 0],
  ];
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    let k = 0;
    while (k < stops.length - 2 && t > stops[k + 1][0]) k++;
    const [t0, r0, g0, b0] = stops[k];
    const [t1, r1, g1, b1] = stops[k + 1];
    const f = (t - t0) / (t1 - t0);
    out[i * 3] = r0 + (r1 - r0) * f;
    out[i * 3 + 1] = g0 + (g1 - g0) * f;
    out[i * 3 + 2] = b0 + (b1 - b0) * f;
  }
  return out;
}

/** Page height the canvas covers. */
function pageHeight(props: Props): number {
  return props.screenshot?.height || props.report.height || FALLBACK_HEIGHT;
}

function drawDensity(ctx: CanvasRenderingContext2D, r: HeatmapReport, h: number) {
  // Spots stay visible on narrow layouts, whose cells are only a few pixels wide.
  const radius = Math.max(r.cell * 1.6, 16);
  for (const c of r.grid) {
    const x = (c.col + 0.5) * r.cell;
    const y = (c.row + 0.5) * r.cell;
    if (y > h + radius) continue;
    const g = ctx.createRadialGradient(x, y, 0, x, y, radius);
    g.addColorStop(0, `rgba(0,0,0,${Math.max(0.05, c.value / r.max)})`);
    g.addColorStop(1, "rgba(0,0,0,0)");
    ctx.fillStyle = g;
    ctx.fillRect(x - radius, y - radius, radius * 2, radius * 2);
  }
  // Colour by intensity: the alpha channel indexes the ramp.
  const img = ctx.getImageData(0, 0, r.width, h);
  const colours = ramp();
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const a = d[i + 3];
    if (!a) continue;
    d[i] = colours[a * 3];
    d[i + 1] = colours[a * 3 + 1];
    d[i + 2] = colours[a * 3 + 2];
    d[i + 3] = Math.min(230, 60 + a);
  }
  ctx.putImageData(img, 0, 0);
}

function drawBands(ctx: CanvasRenderingContext2D, values: number[], max: number, h: number) {
  const colours = ramp();
  const band = h / values.length;
  values.forEach((v, i) => {
    const k = Math.round((max ? v / max : 0) * 255) * 3;
    ctx.fillStyle = `rgba(${colours[k]},${colours[k + 1]},${colours[k + 2]},0.55)`;
    ctx.fillRect(0, i * band, ctx.canvas.width, band);
  });
}

function drawScroll(ctx: CanvasRenderingContext2D, r: HeatmapReport, h: number) {
  const steps = r.scroll;
  drawBands(ctx, steps.slice(1).map((s) => s.share), 1, h);
  ctx.font = `${Math.max(14, r.width / 60)}px system-ui, sans-serif`;
  for (const s of steps) {
    if (![25, 50, 75, 90].includes(s.depth)) continue;
    const y = (s.depth / 100) * h;
    ctx.fillStyle = "rgba(0,0,0,0.75)";
    ctx.fillRect(0, y - 1, r.width, 2);
    const label = `${formatPercent(s.share * 100)} reached this point`;
    const w = ctx.measureText(label).width + 16;
    ctx.fillRect(8, y - 28, w, 26);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, 16, y - 10);
  }
}

function HeatmapView(props: Props) {
  const { report } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const [opacity, setOpacity] = useState(70);
  const [hover, setHover] = useState<number | null>(null);
  const h = pageHeight(props);

  useEffect(() => {
    if (props.layoutChosen || report.layout === "mobile" || innerWidth >= 768) return;
    const url = new URL(location.href);
    url.searchParams.set("layout", "mobile");
    location.replace(url.href);
  }, []);

  useEffect(() => {
    if (!props.statusUrl) return;
    const url = props.statusUrl;
    const timer = setInterval(async () => {
      try {
        const res = await fetch(url, { headers: { accept: "application/json" } });
        const body = await res.json() as { screenshots: Array<{ status: string }> };
        if (!body.screenshots.some((s) => s.status === "pending" || s.status === "rendering")) {
          clearInterval(timer);
          location.reload();
        }
      } catch {
        // A missed poll is retried on the next tick.
      }
    }, 2000);
    return () => clearInterval(timer);
  }, [props.statusUrl]);

  useEffect(() => {
    const ctx = canvas.current?.getContext("2d", { willReadFrequently: true });
    if (!ctx) return;
    ctx.clearRect(0, 0, report.width, h);
    if (report.mode === "scroll") drawScroll(ctx, report, h);
    else if (report.mode === "attention") drawBands(ctx, report.attention, report.max, h);
    else if (report.max > 0) drawDensity(ctx, report, h);
    canvas.current!.dataset.drawn = "1";
  }, [report, h]);

  const box = hover === null ? null : report.elements[hover]?.box;
  const legendMax = report.mode === "scroll"
    ? "100% of page views"
    : report.mode === "attention"
    ? `${formatCount(report.max)} s`
    : `${formatCount(report.max)} per spot`;
  return (
    <div class="heatmap-view">
      <div class="heatmap-tools">
        <div class="heatmap-legend" aria-label="Colour scale">
          <span>{report.mode === "scroll" ? "0%" : "0"}</span>
          <span class="heatmap-ramp" aria-hidden="true" />
          <span>{legendMax}</span>
        </div>
        <label class="heatmap-opacity">
          Overlay opacity
          <input
            type="range"
            min={0}
            max={100}
            value={opacity}
            onInput={(e) => setOpacity(Number((e.target as HTMLInputElement).value))}
          />
        </label>
      </div>
      <div class="heatmap-stage">
        <div class="heatmap-page" style={{ aspectRatio: `${report.width} / ${h}` }}>
          {props.screenshot
            ? (
              <img
                src={props.screenshot.url}
                alt={`Screenshot of ${report.page}`}
                width={report.width}
                height={h}
              />
            )
            : <div class="heatmap-outline" aria-hidden="true" />}
          <canvas
            ref={canvas}
            width={report.width}
            height={h}
            style={{ opacity: opacity / 100 }}
            aria-label={`${report.mode} heatmap of ${report.page}`}
            role="img"
          />
          {box && (
            <div
              class="heatmap-box"
              style={{
                left: `${(box.x / report.width) * 100}%`,
                top: `${(box.y / h) * 100}%`,
                width: `${(box.width / report.width) * 100}%`,
                height: `${(box.height / h) * 100}%`,
              }}
            />
          )}
        </div>
      </div>
      {report.elements.length > 0 && (
        <section class="card" aria-labelledby="elements-title">
          <h2 id="elements-title">Most clicked elements</h2>
          <div class="table-wrap">
            <table class="heatmap-elements">
              <thead>
                <tr>
                  <th scope="col">Element</th>
                  <th scope="col" class="num">Clicks</th>
                  <th scope="col" class="num">% of clicks</th>
                  <th scope="col" class="num">Rage</th>
                  <th scope="col" class="num">Dead</th>
                </tr>
              </thead>
              <tbody>
                {report.elements.map((e, i) => (
                  <tr
                    tabIndex={0}
                    onMouseEnter={() => setHover(i)}
                    onMouseLeave={() => setHover(null)}
                    onFocus={() => setHover(i)}
                    onBlur={() => setHover(null)}
                  >
                    <th scope="row">
                      <code>{e.selector || "(unknown)"}</code>
                    </th>
                    <td class="num">{formatCount(e.clicks)}</td>
                    <td class="num">{formatPercent(e.share * 100)}</td>
                    <td class="num">{formatCount(e.rage)}</td>
                    <td class="num">{formatCount(e.dead)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

export default island("HeatmapView", HeatmapView);
