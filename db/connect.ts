/**
 * Opens the database Sextant runs on: a PostgreSQL server when a URL is given, otherwise the
 * embedded PGlite+TimescaleDB. Everything above db/ sees the same `Database`.
 */
import postgres from "postgres";
import { Socket } from "node:net";
import { allowCopy } from "./copy.ts";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded.ts";

// deno-lint-ignore ban-types
export type Sql = postgres.Sql<{}>;
export type TransactionSql = postgres.TransactionSql;

export interface Database {
  sql: Sql;
  /** "embedded" serialises all queries over one connection; callers need not care. */
  readonly mode: "embedded" | "server";
  /** Answers true when a trivial query succeeds within the timeout. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** postgres:// URL; absent → embedded. */
  url?: string;
  /** Embedded data directory, or "memory://" for a throwaway database. */
  embeddedPath?: string;
  /** Server pool size. */
  max?: number;
}

/**
 * A TCP connection with Nagle's algorithm off. postgres.js leaves it on, which is harmless for
 * one-message queries but stalls COPY: its data and its end go out as two writes, and the
 * second waits for PostgreSQL's delayed ACK (40 ms) — per batch the ingest writer stores.
 */
export async function noDelaySocket(
  opts: { host: string[]; port: number[]; path?: string; connect_timeout?: number },
): Promise<Socket> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new Error(`could not connect to PostgreSQL within ${opts.connect_timeout} s`)),
      (opts.connect_timeout ?? 30) * 1000,
    );
    socket.once("error", fail);
    const ready = () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve();
    };
    if (opts.path) socket.connect(opts.path, ready);
    else socket.connect(opts.port[0], opts.host[0], ready);
  });
  if (!opts.path) socket.setNoDelay(true);
  return socket;
}

/** Connection options shared by both modes. */
function clientOptions(max: number) {
  return {
    max,
    socket: noDelaySocket,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
    connection: {
      application_name: "sextant",
      client_min_messages: "warning",
      TimeZone: "UTC",
      // JIT compiling costs ~100 ms per dashboard query over a year of rollups and saves nothing
      // on queries this short; servers built without LLVM accept the setting too.
      jit: "off",
      // postgres.js prepares every statement; after five runs PostgreSQL may switch to a generic
      // plan that ignores the actual site and dates, which made the dashboard's cards 4x slower
      // (20 → 87 ms at 10M events). Planning these statements anew costs well under a millisecond.
      plan_cache_mode: "force_custom_plan",
    },
    // int8 (ids, counts, minor-unit amounts) as plain numbers: all stay far below 2^53.
    types: {
      int8: {
        to: 20,
        from: [20],
        serialize: (x: number) => String(x),
        parse: (x: string) => Number(x),
      },
    },
  };
}

/** Opens a Database; the embedded one is started first when there is no URL. */
export async function openDatabase(opts: OpenOptions): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = opts.url;
  if (!url) {
    embedded = await startEmbeddedPostgres(opts.embeddedPath ?? "memory://");
    url = embedded.url;
  }
  // PGlite is one backend; more than one client connection would only queue at the socket.
  const sql = postgres(url, clientOptions(embedded ? 1 : opts.max ?? 10)) as unknown as Sql;
  if (!embedded) allowCopy(sql);
  return {
    sql,
    mode: embedded ? "embedded" : "server",
    async ping(timeoutMs = 2000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        return await Promise.race([
          sql`select 1 as ok`.then(() => true),
          new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), timeoutMs)),
        ]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await sql.end({ timeout: 5 });
      await embedded?.stop();
    },
  };
}
