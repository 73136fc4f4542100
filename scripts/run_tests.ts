/**
 * `deno task test`: runs every test file with `deno test`, streams its output, and ends with one
 * line `N passed, N failed, N skipped` (steps not counted; skipped = tests Deno reports as
 * ignored, i.e. registered but not run because this machine lacks what they need).
 * Extra arguments pass through to `deno test` (a file or `--filter …`).
 */
import { parseDenoSummary } from "../testing/deno_summary.ts";

const cmd = new Deno.Command(Deno.execPath(), {
  args: ["test", "-A", "--parallel", ...Deno.args],
  stdout: "piped",
  stderr: "inherit",
  env: { NO_COLOR: "1" },
});
const child = cmd.spawn();
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-16_000);
}
const status = await child.status;
const summary = parseDenoSummary(tail);
const passed = summary?.passed ?? 0;
let failed = summary?.failed ?? 0;
const skipped = summary?.ignored ?? 0;
// A crash before the summary (a type error, a missing file), or an exit code the summary does not
// explain, is a failure: a run that did not succeed never reports "0 failed".
if (!status.success) failed = Math.max(failed, 1);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
Deno.exit(status.success && failed === 0 ? 0 : 1);
