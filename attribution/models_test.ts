import assert from "node:assert/strict";
import { allocate, creditShares, MODELS, modelWeights, type Touch } from "./models.ts";

const day = 86_400_000;
const buy = new Date("2026-03-31T12:00:00Z");
const touch = (daysAgo: number, channel = "Referral"): Touch => ({
  startedAt: new Date(buy.getTime() - daysAgo * day),
  channel,
});

Deno.test("shares of every model add up exactly to the amount, refunds too", () => {
  const journeys = [[touch(1)], [touch(9), touch(2)], [
    touch(20),
    touch(9, "Direct"),
    touch(3),
    touch(0.1),
  ]];
  for (const journey of journeys) {
    for (const model of MODELS) {
      for (const amount of [1, 2, 99, 100, 4999, 1_000_003, -4999, -1, 0]) {
        const shares = creditShares(model, journey, buy, amount);
        assert.equal(shares.reduce((a, s) => a + s.amount, 0), amount, `${model} ${amount}`);
      }
    }
  }
});

Deno.test("a full refund mirrors its sale share for share", () => {
  const journey = [touch(20), touch(9), touch(3)];
  for (const model of MODELS) {
    const sale = creditShares(model, journey, buy, 10_000);
    const refund = creditShares(model, journey, buy, -10_000);
    assert.deepEqual(refund.map((s) => s.amount), sale.map((s) => -s.amount));
  }
});

Deno.test("last touch skips direct visits unless every visit was direct", () => {
  assert.deepEqual(modelWeights("last_touch", [touch(5), touch(1, "Direct")], buy), [1, 0]);
  assert.deepEqual(
    modelWeights("last_touch", [touch(5, "Direct"), touch(1, "Direct")], buy),
    [0, 1],
  );
});

Deno.test("position based gives 40/20/40 and linear splits leftover cents to recent touches", () => {
  const four = [touch(20), touch(10), touch(5), touch(1)];
  assert.deepEqual(creditShares("position_based", four, buy, 1000).map((s) => s.amount), [
    400,
    100,
    100,
    400,
  ]);
  assert.deepEqual(
    creditShares("position_based", [touch(3), touch(1)], buy, 1001).map((s) => s.amount),
    [500, 501],
  );
  assert.deepEqual(
    creditShares("linear", [touch(3), touch(2), touch(1)], buy, 100).map((s) => s.amount),
    [33, 33, 34],
  );
});

Deno.test("time decay halves the weight of a visit a week older", () => {
  const [recent, weekOld] = modelWeights("time_decay", [touch(0), touch(7)], buy);
  assert.equal(recent, 1_000_000);
  assert.equal(weekOld, 500_000);
  assert.deepEqual(allocate(300, [1_000_000, 500_000]), [200, 100]);
});
