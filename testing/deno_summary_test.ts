import assert from "node:assert/strict";
import { parseDenoSummary } from "./deno_summary.ts";

const RUNNER = new URL("../scripts/run_tests.ts", import.meta.url).pathname;

/** Runs `deno task test`'s runner on one throwaway test file and returns its last line. */
async function runOn(source: string): Promise<{ code: number; last: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sextant-runner-" });
  try {
    const file = `${dir}/sample_test.ts`;
    await Deno.writeTextFile(file, source);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", RUNNER, file],
      stdout: "piped",
      stderr: "null",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).trimEnd().split("\n");
    return { code: out.code, last: lines.at(-1)! };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the last summary at a line start counts, with ignored tests as skipped", () => {
  const output = [
    "a ...",
    "------- output -------",
    "ok | 999 passed | 0 failed",
    "----- output end -----",
    "  said: ok | 5 passed | 0 failed",
    "ok | 2 passed (1 step) | 0 failed | 1 ignored (11ms)",
  ].join("\n");
  assert.deepEqual(parseDenoSummary(output), { passed: 2, failed: 0, ignored: 1 });
  assert.deepEqual(
    parseDenoSummary(
      "FAILED | 2 passed (3 steps) | 1 failed (1 step) (341ms)\n\nerror: Test failed",
    ),
    { passed: 2, failed: 1, ignored: 0 },
  );
  assert.equal(parseDenoSummary("error: Module not found"), null);
});

Deno.test("the runner's closing line counts skips, and a test's printed summary changes nothing", async () => {
  const { code, last } = await runOn(`
    Deno.test("prints", () => { console.log("ok | 999 passed | 0 failed"); });
    Deno.test({ name: "needs a missing service", ignore: true, fn() {} });
  `);
  assert.equal(last, "1 passed, 0 failed, 1 skipped");
  assert.equal(code, 0);
});

Deno.test("a run that fails or never reaches a summary never reports 0 failed", async () => {
  const failing = await runOn(`Deno.test("breaks", () => { throw new Error("no"); });`);
  assert.equal(failing.last, "0 passed, 1 failed, 0 skipped");
  assert.equal(failing.code, 1);
  const broken = await runOn(`import "./missing_module.ts";`);
  assert.equal(broken.last, "0 passed, 1 failed, 0 skipped");
  assert.equal(broken.code, 1);
});
