/**
 * `deno task start`: runs Sextant. Flags: --no-demo (never seed demo data), --demo (seed even
 * with DATABASE_URL), --dev (re-read client bundles on every page).
 */
import { ConfigError, loadConfig } from "./config.ts";
import { startSextant } from "./boot.ts";
import { createLogger } from "./lib/log.ts";
import { setManifestReload } from "./http/assets.ts";
import { startDemo } from "./demo/mod.ts";

async function main() {
  const args = new Set(Deno.args);
  const env = Deno.env.toObject();
  if (args.has("--no-demo")) env.SEXTANT_DEMO = "off";
  if (args.has("--demo")) env.SEXTANT_DEMO = "on";
  // In development, mail that goes nowhere is still readable at /dev/mail.
  if (args.has("--dev")) env.MAIL_PREVIEW ??= "on";
  let config;
  try {
    config = await loadConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`Sextant cannot start: ${e.message}`);
      Deno.exit(1);
    }
    throw e;
  }
  if (args.has("--dev")) setManifestReload(true);
  const log = createLogger(config.LOG_LEVEL);
  let running;
  try {
    running = await startSextant(config, { log });
  } catch (e) {
    log.error("start-up failed", { error: e });
    console.error(`Sextant cannot start: ${(e as Error).message}`);
    Deno.exit(1);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    const force = setTimeout(() => {
      log.error("shutdown took longer than 30 s; exiting");
      Deno.exit(1);
    }, 30_000);
    await running.stop();
    clearTimeout(force);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  try {
    await startDemo(running.ctx);
  } catch (e) {
    log.error("demo data could not be created", { error: e });
  }
}

if (import.meta.main) await main();
