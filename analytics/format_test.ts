import assert from "node:assert/strict";
import { columnFormatter } from "./format.ts";

Deno.test("a money column uses one style: cents for all or none, compact for all or none", () => {
  const cents = columnFormatter("money", [204454, 76100, null], "USD");
  assert.deepEqual([204454, 76100, null].map(cents), ["$2,044.54", "$761.00", "—"]);
  const whole = columnFormatter("money", [76100, 4400], "USD");
  assert.deepEqual([76100, 4400].map(whole), ["$761", "$44"]);
  const big = columnFormatter("money", [1110000, 807962], "USD");
  assert.deepEqual([1110000, 807962].map(big), ["$11.1K", "$8.1K"]);
  // Below a thousand a compact column shows whole amounts: "$239", never "$238.8" beside "$12.4K".
  const mixed = columnFormatter("money", [1240000, 23880, 99], "USD");
  assert.deepEqual([1240000, 23880, 99].map(mixed), ["$12.4K", "$239", "$1"]);
  const yen = columnFormatter("money", [1500, 20], "JPY");
  assert.deepEqual([1500, 20].map(yen), ["¥1,500", "¥20"]);
});

Deno.test("a count column is compact for every row once one row needs it", () => {
  const f = columnFormatter("count", [12_345, 850], "USD");
  assert.deepEqual([12_345, 850].map(f), ["12.3K", "850"]);
  const g = columnFormatter("count", [9_999, 850], "USD");
  assert.deepEqual([9_999, 850].map(g), ["9,999", "850"]);
});
