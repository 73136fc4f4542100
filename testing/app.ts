/** Boots a whole Sextant instance for a test: real HTTP on a free port, a fresh database. */
import type { Hono } from "hono";
import { loadConfig } from "../config.ts";
import { type RunningSextant, startSextant } from "../boot.ts";
import { createLogger, silentLogger } from "../lib/log.ts";
import type { AppEnv } from "../http/context.ts";
import { createTestDatabase, type DbMode, type TestDatabase } from "./db.ts";
import { type BusKind, deleteKeys, testPrefix, testRedisUrl } from "./bus.ts";

export interface TestAppOptions {
  dbMode?: DbMode;
  /** Share an existing test database (several instances on one database). */
  db?: TestDatabase;
  bus?: BusKind;
  /** Share a Redis prefix between instances (multi-instance tests). */
  busPrefix?: string;
  env?: Record<string, string>;
  jobs?: boolean;
  extraRoutes?: (app: Hono<AppEnv>) => void;
  /** Receives every log line (JSON) at debug level and above. */
  logSink?: (line: string) => void;
}

export interface TestApp extends RunningSextant {
  db: TestDatabase;
  /** fetch relative to the app's URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
}

/** Starts an instance; call `stop()` (closes the instance, then its own database). */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const db = opts.db ?? await createTestDatabase(opts.dbMode);
  const dataDir = await Deno.makeTempDir({ prefix: "sextant-data-" });
  const redis = opts.bus === "redis" ? testRedisUrl() : undefined;
  if (opts.bus === "redis" && !redis) throw new Error("TEST_REDIS_URL is not set");
  const config = await loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    SECRET_KEY: "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    SEXTANT_DEMO: "off",
    LOG_LEVEL: "error",
    ...(redis ? { REDIS_URL: redis } : {}),
    ...opts.env,
  });
  const log = opts.logSink
    ? createLogger("debug", {}, opts.logSink)
    : Deno.env.get("TEST_LOG")
    ? createLogger("debug")
    : silentLogger;
  const busPrefix = opts.busPrefix ?? testPrefix();
  let running: RunningSextant;
  try {
    running = await startSextant(config, {
      log,
      db,
      busPrefix,
      jobs: opts.jobs ?? false,
      extraRoutes: opts.extraRoutes,
    });
  } catch (e) {
    if (!opts.db) await db.close();
    throw e;
  }
  const publicUrl = `http://127.0.0.1:${running.port}`;
  running.ctx.config.PUBLIC_URL = publicUrl;
  return {
    ...running,
    url: publicUrl,
    db,
    fetch: (path, init) => fetch(new URL(path, publicUrl), init),
    async stop() {
      await running.stop();
      if (!opts.db) await db.close();
      if (config.REDIS_URL && !opts.busPrefix) await deleteKeys(config.REDIS_URL, busPrefix);
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
