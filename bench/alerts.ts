/**
 * `deno task bench:alerts`: 8 weeks of hourly traffic for tiny, medium and large sites (weekly
 * seasonality, over-dispersed noise, a holiday) with anomalies of known size and time injected
 * in the last 4 weeks. The detectors run every 5 minutes over what the rollups would hold at
 * that moment (completed hours, the current hour so far), with incidents opened and closed as
 * live. Prints recall per anomaly, false alerts per site per 30 days and detection delay.
 */
import { HOUR_MS, type HourlyMetric, HourlySeries, WEEK_MS } from "../alerts/series.ts";
import { DETECTORS, SUPPRESSED_BY } from "../alerts/evaluate.ts";
import { seededRandom } from "../testing/analytics_data.ts";

export const TICK_MS = 5 * 60_000;
/** The rules' sensitivity (4 is every rule's default); BENCH_SENSITIVITY=3 shows the trade-off. */
const SENSITIVITY = Number(Deno.env.get("BENCH_SENSITIVITY") ?? 4);
const WEEKS = 8;
const EVAL_FROM_WEEK = 4;
export const METRICS: HourlyMetric[] = ["visitors", "pageviews", "events", "purchases", "revenue"];

export interface Shape {
  name: string;
  /** Visitors in the busiest hour of a weekday. */
  peak: number;
  conversion: number;
}
export const SHAPES: Shape[] = [
  { name: "tiny", peak: 3, conversion: 0.01 },
  { name: "medium", peak: 60, conversion: 0.02 },
  { name: "large", peak: 1500, conversion: 0.02 },
];

interface Anomaly {
  kind: string;
  label: string;
  start: number;
  end: number;
}

/** Poisson draw (normal approximation above 50). */
function poisson(rand: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 50) {
    const z = Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const l = Math.exp(-lambda);
  let k = 0, p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

/** The usual visitors of an hour: a day curve, quieter weekends. */
function usual(shape: Shape, t: number): number {
  const d = new Date(t);
  const hour = d.getUTCHours();
  const day = 0.15 + 0.85 * Math.max(0, Math.sin(((hour - 5) / 19) * Math.PI));
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.6 : 1;
  return shape.peak * day * weekend;
}

/** One site's simulated weeks: hourly counts per metric and the anomalies injected. */
export type Simulation = ReturnType<typeof simulate>;

export function simulate(shape: Shape, seed: number) {
  const rand = seededRandom(seed);
  const start = Date.UTC(2026, 0, 5); // a Monday
  const hours = WEEKS * 7 * 24;
  const evalFrom = start + EVAL_FROM_WEEK * WEEK_MS;
  const anomalies: Anomaly[] = [];
  const at = (week: number, day: number, hour: number) =>
    start + week * WEEK_MS + day * 24 * HOUR_MS + hour * HOUR_MS;
  // Sizes in units of the hour's normal variation (its standard deviation).
  for (const [i, k] of [3, 5, 10].entries()) {
    anomalies.push({
      kind: "traffic_spike",
      label: `spike ${k}σ`,
      start: at(4 + i, 2, 14),
      end: at(4 + i, 2, 15),
    });
    anomalies.push({
      kind: "traffic_drop",
      label: `drop ${k}σ`,
      start: at(4 + i, 3, 15),
      end: at(4 + i, 3, 16),
    });
  }
  anomalies.push({
    kind: "tracker_silent",
    label: "outage 3 h",
    start: at(7, 1, 10),
    end: at(7, 1, 13),
  });
  anomalies.push({
    kind: "purchases_stopped",
    label: "checkout broken 8 h",
    start: at(7, 3, 9),
    end: at(7, 3, 17),
  });
  const holiday = { start: at(6, 4, 0), end: at(6, 5, 0) };
  const sizeOf = (a: Anomaly) => Number(/(\d+)σ/.exec(a.label)?.[1] ?? 0);

  const data = METRICS.map(() => new Float64Array(hours));
  for (let h = 0; h < hours; h++) {
    const t = start + h * HOUR_MS;
    let mean = usual(shape, t) * (t >= holiday.start && t < holiday.end ? 0.5 : 1);
    // Over-dispersion: the hour's rate wanders ±10%.
    mean *= 0.9 + 0.2 * rand();
    let v = poisson(rand, mean);
    // The hour's normal variation: Poisson noise and the rate's own wander (uniform ±10%).
    const sd = Math.sqrt(Math.max(mean, 1) + (0.2 / Math.sqrt(12) * mean) ** 2);
    for (const a of anomalies) {
      if (t < a.start || t >= a.end) continue;
      if (a.kind === "traffic_spike") v = Math.round(mean + sizeOf(a) * sd);
      if (a.kind === "traffic_drop") v = Math.max(0, Math.round(mean - sizeOf(a) * sd));
      if (a.kind === "tracker_silent") v = 0;
    }
    data[0][h] = v;
    data[1][h] = poisson(rand, v * 1.6);
    data[2][h] = data[1][h] + poisson(rand, v * 0.4);
    const broken = anomalies.some((a) =>
      a.kind === "purchases_stopped" && t >= a.start && t < a.end
    );
    data[3][h] = broken ? 0 : poisson(rand, v * shape.conversion);
    data[4][h] = data[3][h] * 4900;
  }
  return { start, hours, evalFrom, anomalies, holiday, data };
}

/** What the rollups hold at `now`: completed hours, and the current one up to now. */
class SeriesAt extends HourlySeries {
  constructor(
    private readonly sim: ReturnType<typeof simulate>,
    private readonly now: number,
  ) {
    super(
      new Map([[sim.start, { visitors: 0, pageviews: 0, events: 0, purchases: 0, revenue: 0 }]]),
    );
  }
  override at(hour: number, metric: HourlyMetric): number {
    const i = (hour - this.sim.start) / HOUR_MS;
    if (i < 0 || i >= this.sim.hours || hour > this.now) return 0;
    const v = this.sim.data[METRICS.indexOf(metric)][i];
    const part = Math.min(1, (this.now - hour) / HOUR_MS);
    return part < 1 ? Math.floor(v * part) : v;
  }
}

function run(shape: Shape, seed: number) {
  const sim = simulate(shape, seed);
  const kinds = [
    "tracker_silent",
    "purchases_stopped",
    "traffic_spike",
    "traffic_drop",
    "revenue_drop",
  ];
  const open = new Map<string, number>();
  const closedAt = new Map<string, number>();
  const opened: { kind: string; at: number }[] = [];
  for (let now = sim.evalFrom; now < sim.start + sim.hours * HOUR_MS; now += TICK_MS) {
    const series = new SeriesAt(sim, now);
    const anomalous = new Set<string>();
    for (const kind of kinds) {
      let j = DETECTORS[kind]({
        series,
        now,
        currency: "USD",
        rule: {
          kind,
          metric: kind === "traffic_spike" || kind === "traffic_drop" ? "visitors" : "",
          sensitivity: SENSITIVITY,
          minVolume: 0,
        },
      });
      if (j.state === "anomalous") anomalous.add(kind);
      const cause = SUPPRESSED_BY[kind];
      if (cause && anomalous.has(cause)) j = { ...j, state: "unknown" };
      if (
        j.state === "anomalous" && !open.has(kind) && now - (closedAt.get(kind) ?? 0) >= HOUR_MS
      ) {
        open.set(kind, now);
        opened.push({ kind, at: now });
      } else if (j.state === "normal" && open.has(kind)) {
        open.delete(kind);
        closedAt.set(kind, now);
      }
    }
  }
  return score(sim, opened);
}

/** Recall, delay and false alerts of the incidents a run opened. */
export function score(sim: Simulation, opened: { kind: string; at: number }[]) {
  const results = sim.anomalies.map((a) => {
    const hit = opened.find((o) =>
      o.kind === a.kind && o.at >= a.start && o.at <= a.end + 2 * HOUR_MS
    );
    // Delay after the first anomalous hour completes (negative: caught within that hour).
    return {
      label: a.label,
      caught: !!hit,
      delayMin: hit ? (hit.at - (a.start + HOUR_MS)) / 60_000 : null,
    };
  });
  // A day-long detector (revenue) still sees an anomaly or the holiday for a day after it.
  const after = (kind: string) => (kind === "revenue_drop" ? 24 : 3) * HOUR_MS;
  const explained = (o: { kind: string; at: number }) =>
    sim.anomalies.some((a) => o.at >= a.start && o.at <= a.end + after(o.kind));
  const onHoliday =
    opened.filter((o) =>
      !explained(o) && o.at >= sim.holiday.start && o.at < sim.holiday.end + after(o.kind)
    ).length;
  const falseAlerts = opened.filter((o) => !explained(o)).length - onHoliday;
  const falseKinds: Record<string, number> = {};
  for (const o of opened) {
    if (
      !explained(o) && !(o.at >= sim.holiday.start && o.at < sim.holiday.end + after(o.kind))
    ) {
      falseKinds[o.kind] = (falseKinds[o.kind] ?? 0) + 1;
    }
  }
  const days = (sim.start + sim.hours * HOUR_MS - sim.evalFrom) / (24 * HOUR_MS);
  return { results, falsePer30: (falseAlerts / days) * 30, onHoliday, falseKinds };
}

/** Prints one shape's figures over its runs. */
export function report(shape: Shape, runs: ReturnType<typeof score>[]): void {
  const labels = runs[0].results.map((r) => r.label);
  console.log(`\n${shape.name} (peak ${shape.peak} visitors/hour)`);
  for (const label of labels) {
    const rs = runs.map((r) => r.results.find((x) => x.label === label)!);
    const caught = rs.filter((r) => r.caught);
    const delays = caught.map((r) => r.delayMin!).sort((a, b) => a - b);
    const median = delays.length ? delays[Math.floor(delays.length / 2)] : null;
    console.log(
      `  ${label.padEnd(22)} caught ${caught.length}/${rs.length}` +
        (median === null ? "" : `, median delay ${median} min after the hour`),
    );
  }
  const fp = runs.reduce((s, r) => s + r.falsePer30, 0) / runs.length;
  const hol = runs.reduce((s, r) => s + r.onHoliday, 0);
  const byKind: Record<string, number> = {};
  for (const r of runs) {
    for (const [k, n] of Object.entries(r.falseKinds)) byKind[k] = (byKind[k] ?? 0) + n;
  }
  console.log(
    `  false alerts per site per 30 days: ${fp.toFixed(2)} (holiday alerts in all: ${hol}; ` +
      `false by detector in all: ${JSON.stringify(byKind)})`,
  );
}

if (import.meta.main) {
  const SEEDS = [1, 2, 3, 4, 5];
  console.log(
    `bench:alerts — ${WEEKS} weeks hourly, detectors every 5 min over the last ${
      WEEKS - EVAL_FROM_WEEK
    }, ${SEEDS.length} sites per shape, sensitivity ${SENSITIVITY}, load average ${
      Deno.loadavg().map((l) => l.toFixed(2)).join(" ")
    }`,
  );
  for (const shape of SHAPES) {
    report(shape, SEEDS.map((s) => run(shape, s * 7919 + shape.peak)));
  }
}
