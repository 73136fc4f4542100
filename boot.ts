/**
 * Starts one Sextant instance in the documented order — config → db → migrate → bus →
 * http + sockets → jobs — and stops it gracefully in reverse. main.ts, the admin CLI, benches
 * and tests all boot through here.
 */
import type { Hono } from "hono";
import type { Config } from "./config.ts";
import { type Database, openDatabase } from "./db/connect.ts";
import { migrate } from "./db/migrate.ts";
import { openBus } from "./bus/mod.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { SecretBox } from "./lib/crypto.ts";
import type { AppContext, AppEnv } from "./http/context.ts";
import { createApp } from "./http/app.ts";
import { type HttpServer, startHttpServer } from "./http/server.ts";
import { type SocketHost, startSocketHost } from "./realtime/socket_server.ts";
import { createScheduler, type Scheduler } from "./jobs/scheduler.ts";
import { registerJobs } from "./jobs/mod.ts";
import { registerServices } from "./services.ts";
import { outboxStartupMessage } from "./mail/outbox_access.ts";

export interface BootOptions {
  log?: Logger;
  /** Use this database instead of opening one from the config (tests). */
  db?: Database;
  /** Redis key prefix (tests isolate themselves with it). */
  busPrefix?: string;
  /** Run background jobs (default true). */
  jobs?: boolean;
  /** Serve HTTP (default true); the admin CLI only needs the services. */
  http?: boolean;
  /** Extra routes mounted after the app's own (tests). */
  extraRoutes?: (app: Hono<AppEnv>) => void;
}

export interface RunningSextant {
  ctx: AppContext;
  /** Port actually listened on (0 when HTTP is off). */
  port: number;
  url: string;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

/** Opens the database the config points at (embedded in DATA_DIR when no URL). */
export function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    url: config.DATABASE_URL,
    embeddedPath: `${config.DATA_DIR}/pglite`,
  });
}

/** Boots an instance; on failure everything opened so far is closed again. */
export async function startSextant(
  config: Config,
  opts: BootOptions = {},
): Promise<RunningSextant> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const cleanup: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => {});
  };
  try {
    const db = opts.db ?? await openConfiguredDatabase(config);
    if (!opts.db) cleanup.push(() => db.close());
    const { timescale } = await migrate(db.sql, { log: (msg) => log.info(msg) });
    log.info("database ready", { mode: db.mode, timescale });

    const bus = await openBus({ redisUrl: config.REDIS_URL, prefix: opts.busPrefix });
    cleanup.push(() => bus.close());
    log.info("bus ready", { kind: bus.kind });

    const ctx: AppContext = {
      config,
      db,
      bus,
      log,
      secrets: await SecretBox.fromSecret(config.SECRET_KEY),
      onShutdown: [],
    };

    let sockets: SocketHost | undefined;
    let http: HttpServer | undefined;
    if (opts.http !== false) {
      sockets = await startSocketHost({ redisUrl: config.REDIS_URL, prefix: opts.busPrefix });
      ctx.io = sockets.io;
      cleanup.push(() => sockets!.close());
    }
    await registerServices(ctx);
    log.info(outboxStartupMessage(config));
    cleanup.push(async () => {
      for (const hook of ctx.onShutdown) await hook();
    });
    const scheduler = createScheduler(log);
    if (opts.jobs !== false) {
      registerJobs(ctx, scheduler);
      ctx.wake = (job) => scheduler.kick(job);
    }
    cleanup.push(() => scheduler.stop());

    if (opts.http !== false) {
      const app = createApp(ctx, opts.extraRoutes);
      http = await startHttpServer(ctx, app, sockets, { port: config.PORT, hostname: config.HOST });
      cleanup.push(() => http!.stop());
      log.info("listening", { port: http.port, url: config.PUBLIC_URL });
    }

    let stopping: Promise<void> | undefined;
    const port = http?.port ?? 0;
    return {
      ctx,
      port,
      url: `http://127.0.0.1:${port}`,
      scheduler,
      stop() {
        // Reverse order: stop accepting, stop jobs, drain queues, close sockets, bus, database.
        stopping ??= undo().then(() => log.info("stopped"));
        return stopping;
      },
    };
  } catch (e) {
    await undo();
    throw e;
  }
}
