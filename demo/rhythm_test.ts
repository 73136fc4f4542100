import assert from "node:assert/strict";
import {
  arrivalsPerMinute,
  expectedLiveVisitors,
  hourFor,
  hourShare,
  nextVisitGapMs,
} from "./rhythm.ts";
import { ACTIVE_WINDOW_MS } from "../realtime/live_state.ts";

const hourOf = (h: number) => Date.UTC(2026, 11, 7, h, 30); // a Monday
// A played visit lasts about a minute; then it stays counted for the active window.
const counted = 1 + ACTIVE_WINDOW_MS / 60_000;

Deno.test("a day's hourly shares add up to the whole day and peak in the daytime", () => {
  const shares = Array.from({ length: 24 }, (_, h) => hourShare(h));
  assert.ok(Math.abs(shares.reduce((s, x) => s + x, 0) - 1) < 1e-9);
  assert.ok(hourShare(15) > 5 * hourShare(3), "afternoon UTC is far busier than the night");
  assert.ok(hourShare(3) > 0, "the night is quiet, not empty");
  assert.equal(hourFor(0), 0);
  assert.equal(hourFor(0.999999), 23);
});

Deno.test("the live simulation starts as many visits a day as the seeded history has", () => {
  const perDay = Array.from({ length: 24 }, (_, h) => arrivalsPerMinute(hourOf(h)) * 60)
    .reduce((s, x) => s + x, 0);
  assert.ok(perDay > 150 && perDay < 220, `visits a day: ${perDay}`);
});

Deno.test("a site of ~190 visitors a day shows a handful right now, never dozens", () => {
  const byHour = Array.from({ length: 24 }, (_, h) => expectedLiveVisitors(hourOf(h), counted));
  const peak = Math.max(...byHour);
  assert.ok(peak >= 1 && peak <= 6, `at the busiest hour: ${peak}`);
  assert.ok(Math.min(...byHour) < 0.5, `at night: ${Math.min(...byHour)}`);
  // The old stream started a visit every ~6 seconds: about 60 on screen at every hour.
  assert.ok(byHour.every((n) => n < 10));
});

Deno.test("the gap to the next visit averages one over the hour's arrival rate", () => {
  const at = hourOf(15);
  const n = 2000;
  let total = 0;
  for (let i = 0; i < n; i++) total += nextVisitGapMs(at, (i + 0.5) / n);
  const mean = total / n;
  const expected = 60_000 / arrivalsPerMinute(at);
  assert.ok(Math.abs(mean - expected) / expected < 0.02, `${mean} vs ${expected}`);
  assert.ok(nextVisitGapMs(hourOf(3), 0.5) > nextVisitGapMs(at, 0.5), "nights have longer gaps");
});
