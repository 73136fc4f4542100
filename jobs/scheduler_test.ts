import assert from "node:assert/strict";
import { createScheduler } from "./scheduler.ts";
import { silentLogger } from "../lib/log.ts";

Deno.test("a kicked job runs now, once more if kicked mid-run, and not at all once stopped", async () => {
  const scheduler = createScheduler(silentLogger);
  let runs = 0;
  let release = () => {};
  scheduler.every("work", 3_600_000, async () => {
    runs++;
    await new Promise<void>((r) => release = r);
  });
  scheduler.kick("work");
  assert.equal(runs, 1, "runs at once instead of in an hour");
  scheduler.kick("work");
  scheduler.kick("work");
  assert.equal(runs, 1, "never two runs of one job at once");
  release();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(runs, 2, "kicks during a run give exactly one more run");
  release();
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(runs, 2);
  scheduler.kick("no such job");
  await scheduler.stop();
  scheduler.kick("work");
  assert.equal(runs, 2);
});
