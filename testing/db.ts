/**
 * Fresh, migrated databases for tests, in either mode:
 * - "server": a new database on TEST_DATABASE_URL's server, copied from a migrated template;
 * - "embedded": a PGlite+TimescaleDB data directory copied from a migrated template.
 * Templates are keyed by a hash of migrations/, so changing a migration rebuilds them.
 */
import postgres from "postgres";
import { type Database, openDatabase } from "../db/connect.ts";
import { listMigrations, migrate } from "../db/migrate.ts";
import { startEmbeddedPostgres } from "../db/embedded.ts";
import { sha256Hex } from "../lib/crypto.ts";

export type DbMode = "embedded" | "server";

export interface TestDatabase extends Database {
  /** Which kind of database this is, for test names. */
  label: string;
  /** Whether this database runs the TimescaleDB variants. */
  timescale: boolean;
  /** Connection URL (server mode only; the embedded one is private to this process). */
  url?: string;
}

const serverUrl = () => Deno.env.get("TEST_DATABASE_URL") || undefined;

/** Every mode available here: embedded always, server when TEST_DATABASE_URL is set. */
export function dbModes(): DbMode[] {
  return serverUrl() ? ["embedded", "server"] : ["embedded"];
}

/** The mode for tests that don't care: the server when there is one (faster), else embedded. */
export function defaultDbMode(): DbMode {
  return serverUrl() ? "server" : "embedded";
}

async function migrationsHash(): Promise<string> {
  const files = await listMigrations();
  const parts: string[] = [];
  for (const f of files) parts.push(f.path.split("/").pop()! + (await Deno.readTextFile(f.path)));
  return (await sha256Hex(parts.join("\n"))).slice(0, 12);
}

async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  for (let i = 0;; i++) {
    try {
      const f = await Deno.open(path, { createNew: true, write: true });
      f.close();
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      // A lock older than two minutes belongs to a crashed run.
      const stat = await Deno.stat(path).catch(() => null);
      if (stat?.mtime && Date.now() - stat.mtime.getTime() > 120_000) {
        await Deno.remove(path).catch(() => {});
      } else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

async function copyDir(from: string, to: string): Promise<void> {
  const cmd = new Deno.Command("cp", { args: ["-a", from, to] });
  const out = await cmd.output();
  if (!out.success) throw new Error(`cp failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function embeddedTemplate(): Promise<string> {
  const base = `${Deno.env.get("TMPDIR") ?? "/tmp"}/sextant-test-templates`;
  await Deno.mkdir(base, { recursive: true });
  const dir = `${base}/pglite-${await migrationsHash()}`;
  return await withFileLock(`${dir}.lock`, async () => {
    const ready = await Deno.stat(`${dir}/.ready`).then(() => true, () => false);
    if (ready) return dir;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    const pg = await startEmbeddedPostgres(dir);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await migrate(sql as never);
    } finally {
      await sql.end();
      await pg.stop();
    }
    await Deno.writeTextFile(`${dir}/.ready`, "");
    return dir;
  });
}

/**
 * The migrated template on the server, built once per migrations hash. A template is complete
 * only once it stops taking connections — the last step after its migrations — so one left
 * half-built by an interrupted run is rebuilt, and TimescaleDB's background workers (which
 * connect to every database with the extension) can't hold it open, which would make
 * `create database … template` fail with "being accessed by other users".
 */
async function serverTemplate(url: string): Promise<string> {
  const name = `sextant_tpl_${await migrationsHash()}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(7295099)`;
    try {
      const [found] = await admin<{ open: boolean }[]>`
        select datallowconn as open from pg_database where datname = ${name}`;
      if (found?.open) await admin.unsafe(`drop database "${name}" with (force)`);
      if (!found || found.open) {
        await admin.unsafe(`create database "${name}"`);
        const u = new URL(url);
        u.pathname = `/${name}`;
        const tpl = postgres(u.toString(), { max: 1, onnotice: () => {} });
        try {
          await migrate(tpl as never);
        } catch (e) {
          await tpl.end();
          await admin.unsafe(`drop database if exists "${name}" with (force)`);
          throw e;
        }
        await tpl.end();
        await admin.unsafe(`alter database "${name}" with allow_connections false`);
        await admin`select pg_terminate_backend(pid) from pg_stat_activity
                    where datname = ${name} and pid <> pg_backend_pid()`;
      }
    } finally {
      await admin`select pg_advisory_unlock(7295099)`;
    }
  } finally {
    await admin.end();
  }
  return name;
}

/** Creates a fresh migrated database; `close()` also deletes it. */
export async function createTestDatabase(mode: DbMode = defaultDbMode()): Promise<TestDatabase> {
  if (mode === "server") {
    const url = serverUrl();
    if (!url) throw new Error("TEST_DATABASE_URL is not set");
    const template = await serverTemplate(url);
    const name = `sextant_t_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}" template "${template}"`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    const db = await openDatabase({ url: u.toString(), max: 5 });
    const [ts] = await db.sql`select value from sextant_meta where key = 'timescale'`;
    return {
      ...db,
      label: "server",
      timescale: ts?.value === "on",
      url: u.toString(),
      async close() {
        await db.close();
        const a = postgres(url, { max: 1, onnotice: () => {} });
        await a.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
        await a.end();
      },
    };
  }
  const template = await embeddedTemplate();
  const dir = await Deno.makeTempDir({ prefix: "sextant-pglite-" });
  await Deno.remove(dir);
  await copyDir(template, dir);
  const db = await openDatabase({ embeddedPath: dir });
  return {
    ...db,
    label: "embedded",
    timescale: true,
    async close() {
      await db.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Every database mode Sextant runs in; tests register in each so a missing one is counted. */
export const ALL_DB_MODES: readonly DbMode[] = ["embedded", "server"];

/**
 * Options for a test that needs `mode`: ignored — and so reported as skipped — where this machine
 * has no such database, never silently left out.
 */
export function inDbMode(mode: DbMode): { ignore: boolean } {
  return { ignore: !dbModes().includes(mode) };
}
