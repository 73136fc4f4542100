import assert from "node:assert/strict";
import { bandOf } from "./baseline.ts";
import { HOUR_MS, type HourlyMetric, HourlySeries, hourOf, WEEK_MS } from "./series.ts";
import { trafficDrop, trafficSpike } from "./detectors/traffic.ts";
import { trackerSilent } from "./detectors/silent.ts";
import { revenueDrop } from "./detectors/revenue.ts";
import type { DetectorInput } from "./detectors/types.ts";

const NOW = hourOf(Date.UTC(2026, 10, 16, 17)) + 40 * 60_000;

/** A series where hour `h` holds `visitors(h)` visitors (one pageview and event each). */
function seriesOf(visitors: (hour: number) => number, weeks = 4): HourlySeries {
  const rows = new Map<number, Record<HourlyMetric, number>>();
  for (let h = hourOf(NOW) - weeks * WEEK_MS; h <= hourOf(NOW); h += HOUR_MS) {
    const v = visitors(h);
    rows.set(h, { visitors: v, pageviews: v, events: v, purchases: 0, revenue: 0 });
  }
  return new HourlySeries(rows);
}

const input = (series: HourlySeries): DetectorInput => ({
  series,
  now: NOW,
  currency: "USD",
  rule: { kind: "traffic", metric: "visitors", sensitivity: 4, minVolume: 0 },
});

Deno.test("one past outlier week does not move the expected band", () => {
  const band = bandOf([40, 42, 38, 400], 4)!;
  assert.ok(band.expected >= 38 && band.expected <= 42, `expected ${band.expected}`);
  assert.ok(band.upper < 100, `upper ${band.upper}`);
});

Deno.test("without three weeks of history nothing is judged", () => {
  assert.equal(bandOf([40, 42], 4), null);
  const young = seriesOf(() => 40, 2);
  assert.equal(trafficSpike(input(young)).state, "unknown");
});

Deno.test("a site with a few visitors a day is not paged for 0 against 2", () => {
  // Two visitors in this hour in past weeks, none now; then a busy two this hour.
  const now = hourOf(NOW);
  const tiny = seriesOf((h) => (h === now ? 0 : (h - now) % WEEK_MS === 0 ? 2 : 0));
  assert.notEqual(trafficDrop(input(tiny)).state, "anomalous");
  const busier = seriesOf((h) => (h === now ? 2 : 0));
  assert.notEqual(trafficSpike(input(busier)).state, "anomalous");
  assert.notEqual(trackerSilent(input(tiny)).state, "anomalous");
});

Deno.test("the current hour is judged against a band scaled to the part elapsed", () => {
  const now = hourOf(NOW);
  // 60 an hour as usual; 40 minutes into this hour, 40 is on track, not a drop.
  const onTrack = seriesOf((h) => (h === now ? 40 : 60));
  const j = trafficDrop(input(onTrack));
  assert.equal(j.state, "normal");
  assert.equal(j.periodStart, now);
  assert.equal(Math.round(j.expected), 40);
  const spiking = seriesOf((h) => (h === now ? 200 : 60));
  assert.equal(trafficSpike(input(spiking)).state, "anomalous");
});

/** A series from a function giving each hour's whole row. */
function rowsOf(row: (hour: number) => Partial<Record<HourlyMetric, number>>): HourlySeries {
  const rows = new Map<number, Record<HourlyMetric, number>>();
  for (let h = hourOf(NOW) - 4 * WEEK_MS; h <= hourOf(NOW); h += HOUR_MS) {
    rows.set(h, { visitors: 0, pageviews: 0, events: 0, purchases: 0, revenue: 0, ...row(h) });
  }
  return new HourlySeries(rows);
}

Deno.test("a quiet site whose few visitors bring many events each is not called silent", () => {
  // Usually one visitor an hour with eight events: sixteen events in two hours, but two
  // visitors, who are absent by chance often enough.
  const now = hourOf(NOW);
  const quiet = rowsOf((h) => h >= now - HOUR_MS ? {} : { visitors: 1, events: 8 });
  assert.equal(trackerSilent(input(quiet)).state, "unknown");
  // Twenty visitors an hour, none for the last 100 minutes: silent.
  const busy = rowsOf((h) => h >= now - HOUR_MS ? {} : { visitors: 20, events: 40 });
  assert.equal(trackerSilent(input(busy)).state, "anomalous");
});

Deno.test("a day of twelve usual purchases is not a revenue drop for wandering to five", () => {
  const now = hourOf(NOW);
  // Past weeks: exactly 12 purchases a day (one an hour from 08:00 to 20:00), no spread at all.
  const day = (h: number) => new Date(h).getUTCHours() >= 8 && new Date(h).getUTCHours() < 20;
  const today = (h: number) => h >= now - 24 * HOUR_MS;
  const series = rowsOf((h) => {
    const hour = new Date(h).getUTCHours();
    const buys = !day(h) ? 0 : !today(h) ? 1 : [9, 11, 13, 15, 17].includes(hour) ? 1 : 0;
    return { purchases: buys, revenue: buys * 4900 };
  });
  const j = revenueDrop({
    ...input(series),
    rule: { ...input(series).rule, kind: "revenue_drop" },
  });
  assert.notEqual(j.state, "anomalous", j.summary);
  // Nothing at all for a day is still a drop.
  const none = rowsOf((h) =>
    day(h) && !today(h) ? { purchases: 1, revenue: 4900 } : { purchases: 0, revenue: 0 }
  );
  assert.equal(revenueDrop(input(none)).state, "anomalous");
});
