import assert from "node:assert/strict";
import { isoTime } from "./iso_time.ts";

Deno.test("isoTime writes exactly what toISOString writes", () => {
  const samples = [
    0,
    1,
    999,
    1000,
    Date.UTC(2026, 10, 22, 9, 30, 5, 7),
    Date.UTC(2026, 10, 22, 9, 30, 5, 70),
    Date.UTC(2026, 10, 22, 9, 30, 5, 700),
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    -1,
    -999.5,
    1_700_000_000_123.9,
    -62_167_219_200_000,
    253_402_300_799_999,
    253_402_300_800_000,
    -62_167_219_200_001,
  ];
  let seed = 7;
  for (let i = 0; i < 20_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    samples.push(Date.now() - (seed % 90_000_000) * 1000 + (seed % 1000));
  }
  for (const ms of samples) assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
});
