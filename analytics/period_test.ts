import assert from "node:assert/strict";
import { chartBuckets, resolvePeriod } from "./period.ts";

const TZ = "America/New_York";
// 11:30 in New York.
const NOW = new Date("2026-03-20T15:30:00Z");
const OLD_SITE = new Date("2025-01-01T00:00:00Z");

function buckets(
  period: "today" | "yesterday" | "7d" | "30d" | "12mo",
  g: "hour" | "day" | "month",
  since: Date | null = OLD_SITE,
) {
  return chartBuckets(resolvePeriod({ period }, TZ, NOW), g, NOW, since);
}

Deno.test("today's hourly chart stops at the current hour, which is marked partial", () => {
  const today = buckets("today", "hour");
  assert.equal(today.buckets.length, 12);
  assert.equal(today.buckets[0], "2026-03-20T00:00");
  assert.equal(today.buckets.at(-1), "2026-03-20T11:00");
  assert.equal(today.partial, true);
});

Deno.test("longer periods end at the current day or month, never in the future", () => {
  const days = buckets("30d", "day");
  assert.equal(days.buckets.length, 30);
  assert.equal(days.buckets.at(-1), "2026-03-20T00:00");
  assert.equal(days.partial, true);
  const months = buckets("12mo", "month");
  assert.equal(months.buckets.length, 12);
  assert.equal(months.buckets.at(-1), "2026-03-01T00:00");
  assert.equal(months.partial, true);
  const hours = buckets("7d", "hour");
  assert.equal(hours.buckets.length, 6 * 24 + 12);
  assert.equal(hours.buckets.at(-1), "2026-03-20T11:00");
});

Deno.test("a finished period has every bucket and none of them partial", () => {
  const y = buckets("yesterday", "hour");
  assert.equal(y.buckets.length, 24);
  assert.equal(y.buckets.at(-1), "2026-03-19T23:00");
  assert.equal(y.partial, false);
});

Deno.test("a new site's chart starts on the day the site began, in its time zone", () => {
  // 02:00 UTC on the 17th is still the 16th in New York.
  const days = buckets("30d", "day", new Date("2026-03-17T02:00:00Z"));
  assert.deepEqual(days.buckets, [
    "2026-03-16T00:00",
    "2026-03-17T00:00",
    "2026-03-18T00:00",
    "2026-03-19T00:00",
    "2026-03-20T00:00",
  ]);
  const hours = buckets("7d", "hour", new Date("2026-03-19T20:00:00Z"));
  assert.equal(hours.buckets[0], "2026-03-19T00:00");
  const months = buckets("12mo", "month", new Date("2026-02-10T12:00:00Z"));
  assert.deepEqual(months.buckets, ["2026-02-01T00:00", "2026-03-01T00:00"]);
  const today = buckets("today", "hour", new Date("2026-03-20T14:00:00Z"));
  assert.equal(today.buckets[0], "2026-03-20T00:00");
});

Deno.test("data older than the site's beginning (an import) is still drawn", () => {
  const p = resolvePeriod({ period: "30d" }, TZ, NOW);
  const since = new Date("2026-03-18T15:00:00Z");
  const got = chartBuckets(p, "day", NOW, since, (b) => b === "2026-03-15T00:00");
  assert.equal(got.buckets[0], "2026-03-15T00:00");
  assert.equal(got.buckets.length, 6);
});
