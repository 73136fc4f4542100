import assert from "node:assert/strict";
import { createTestDatabase, dbModes } from "./testing/db.ts";

function spawnMain(env: Record<string, string>, args: string[] = []) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: new URL(".", import.meta.url).pathname,
    env: { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function readUntil(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  pattern: RegExp,
  into: string[],
) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    into.push(...lines);
    if (lines.some((l) => pattern.test(l))) break;
  }
  return reader;
}

Deno.test("a bad setting stops start-up with one sentence and exit code 1", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: new URL(".", import.meta.url).pathname,
    env: { PORT: "not-a-port", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 1);
  const err = new TextDecoder().decode(out.stderr).trim();
  assert.match(err, /^Sextant cannot start: PORT: /);
  assert.equal(err.split("\n").length, 1);
});

Deno.test({
  name: "SIGTERM stops accepting, drains and exits cleanly",
  ignore: !dbModes().includes("server"),
  async fn() {
    const db = await createTestDatabase("server");
    const dataDir = await Deno.makeTempDir();
    const child = spawnMain({ DATABASE_URL: db.url!, DATA_DIR: dataDir }, ["--no-demo"]);
    const lines: string[] = [];
    try {
      const reader = await readUntil(child.stdout, /"msg":"listening"/, lines);
      const { port } = JSON.parse(lines.find((l) => l.includes('"listening"'))!);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      child.kill("SIGTERM");
      const status = await child.status;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        lines.push(...value.split("\n"));
      }
      assert.equal(status.code, 0);
      const msgs = lines.filter(Boolean).map((l) => JSON.parse(l).msg);
      const shuttingDown = msgs.indexOf("shutting down");
      const stopped = msgs.indexOf("stopped");
      assert.ok(shuttingDown >= 0 && stopped >= 0, `both steps are logged: ${msgs.join(", ")}`);
      assert.ok(shuttingDown < stopped, msgs.join(", "));
      await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => assert.fail("the port still answers after shutdown"),
        () => {},
      );
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await child.stderr.cancel().catch(() => {});
      await db.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
