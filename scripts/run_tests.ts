/**
 * `deno task test`: runs every test file with `deno test`, streams its output, and ends with
 * one line `N passed, N failed` (steps not counted; ignored tests are listed by deno).
 * Extra arguments pass through to `deno test` (a file or `--filter …`).
 */
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
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
}
const status = await child.status;
const m = /(?:ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/.exec(tail);
const passed = m ? Number(m[1]) : 0;
let failed = m ? Number(m[2]) : 0;
// A crash before the summary (a type error, a missing file) is a failure too.
if (!m && !status.success) failed = Math.max(failed, 1);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(status.success && failed === 0 ? 0 : 1);
