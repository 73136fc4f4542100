/**
 * A Sextant instance that only runs services (the ingest writer), for tests that kill it
 * mid-batch. Reads DATABASE_URL, REDIS_URL, BUS_PREFIX and INGEST_WRITER_NAME; prints "ready".
 */
import { loadConfig } from "../../config.ts";
import { startSextant } from "../../boot.ts";
import { silentLogger } from "../../lib/log.ts";

const dataDir = await Deno.makeTempDir({ prefix: "sextant-writer-" });
const config = await loadConfig({
  ...Deno.env.toObject(),
  DATA_DIR: dataDir,
  SECRET_KEY: "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
  SEXTANT_DEMO: "off",
});
const running = await startSextant(config, {
  log: silentLogger,
  busPrefix: Deno.env.get("BUS_PREFIX"),
  http: false,
  jobs: false,
});
console.log("ready");
Deno.addSignalListener("SIGTERM", async () => {
  await running.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  Deno.exit(0);
});
