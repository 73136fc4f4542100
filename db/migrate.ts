/**
 * Applies the numbered SQL files in migrations/ once each, in order, under an advisory lock so
 * that two instances starting together cannot collide. A version may come in two variants,
 * `NNNN_name.timescale.sql` and `NNNN_name.plain.sql`; the one matching the database is applied
 * (a version with only one variant is skipped in the other mode). Each applied file is recorded
 * with its checksum; a file changed after it was applied stops start-up.
 */
import postgres from "postgres";
import type { Sql } from "./connect.ts";
import { splitSqlStatements } from "./sql_split.ts";
import { inTransaction, withSessionLock } from "./session_lock.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { preloadsTimescale, timescaleChoice, type TimescaleFacts } from "./timescale_choice.ts";

const LOCK_ID = 7_295_011;
const NO_TX = /^--\s*migrate:\s*no-transaction/m;

export interface MigrationFile {
  version: number;
  name: string;
  variant: "any" | "timescale" | "plain";
  path: string;
}

export interface MigrateResult {
  applied: string[];
  timescale: boolean;
}

/** The default migrations folder beside this module. */
export const MIGRATIONS_DIR = new URL("../migrations/", import.meta.url);

/** Lists migration files with parsed versions; rejects malformed names and clashing versions. */
export async function listMigrations(dir: URL = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const m = /^(\d{4})_([a-z0-9_]+?)(?:\.(timescale|plain))?\.sql$/.exec(entry.name);
    if (!m) throw new Error(`Migration file name not understood: ${entry.name}`);
    files.push({
      version: Number(m[1]),
      name: m[2],
      variant: (m[3] as "timescale" | "plain" | undefined) ?? "any",
      path: new URL(entry.name, dir).pathname,
    });
  }
  files.sort((a, b) => a.version - b.version || a.variant.localeCompare(b.variant));
  const seen = new Map<number, MigrationFile[]>();
  for (const f of files) seen.set(f.version, [...(seen.get(f.version) ?? []), f]);
  for (const [version, group] of seen) {
    const names = new Set(group.map((g) => g.name));
    const generic = group.filter((g) => g.variant === "any").length;
    if (names.size > 1 || generic > 1 || (generic === 1 && group.length > 1)) {
      throw new Error(`Migration version ${version} is used by more than one file`);
    }
  }
  return files;
}

/** Applies pending migrations; returns what it applied and whether TimescaleDB is in use. */
export async function migrate(
  sql: Sql,
  opts: { dir?: URL; log?: (msg: string) => void } = {},
): Promise<MigrateResult> {
  const log = opts.log ?? (() => {});
  const files = await listMigrations(opts.dir);
  const createFailure = await tryCreateTimescale(sql);
  return await withSessionLock(sql, LOCK_ID, async (conn) => {
    await conn`create table if not exists schema_migrations (
        version int primary key,
        name text not null,
        variant text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
    await conn`create table if not exists sextant_meta (key text primary key, value text not null)`;
    const timescale = await decideTimescale(conn as unknown as Sql, createFailure, log);
    const mode = timescale ? "timescale" : "plain";
    const done = new Map<number, { checksum: string; name: string }>();
    for (const r of await conn`select version, name, checksum from schema_migrations`) {
      done.set(r.version as number, { checksum: r.checksum as string, name: r.name as string });
    }
    const applied: string[] = [];
    const versions = [...new Set(files.map((f) => f.version))];
    for (const version of versions) {
      const group = files.filter((f) => f.version === version);
      const file = group.find((f) => f.variant === "any" || f.variant === mode);
      const text = file ? await Deno.readTextFile(file.path) : "";
      const checksum = file ? await sha256Hex(text) : "skipped";
      const label = `${String(version).padStart(4, "0")}_${group[0].name}`;
      const prior = done.get(version);
      if (prior) {
        if (prior.checksum !== checksum) {
          throw new Error(
            `Migration ${label} changed after it was applied; add a new migration instead.`,
          );
        }
        continue;
      }
      const statements = file ? splitSqlStatements(text) : [];
      const apply = async () => {
        for (const stmt of statements) {
          try {
            await conn.unsafe(stmt);
          } catch (e) {
            throw new Error(
              `Migration ${label} failed at: ${stmt.slice(0, 160)} — ${(e as Error).message}`,
            );
          }
        }
        await conn`insert into schema_migrations (version, name, variant, checksum)
            values (${version}, ${group[0].name}, ${file?.variant ?? "skipped"}, ${checksum})`;
      };
      if (NO_TX.test(text)) await apply();
      else await inTransaction(conn, apply);
      applied.push(label);
      log(`applied migration ${label}${file ? "" : " (not needed in " + mode + " mode)"}`);
    }
    return { applied, timescale };
  });
}

/** The stored mode, when a previous start decided it. */
async function storedTimescale(sql: Sql): Promise<boolean | null> {
  const [meta] = await sql`select to_regclass('sextant_meta') is not null as ok`;
  if (!meta.ok) return null;
  const [stored] = await sql`select value from sextant_meta where key = 'timescale'`;
  return stored ? stored.value === "on" : null;
}

async function timescaleFacts(sql: Sql): Promise<TimescaleFacts & { inSession: boolean }> {
  const [f] = await sql`select
      exists (select 1 from pg_available_extensions where name = 'timescaledb') as available,
      exists (select 1 from pg_extension where extname = 'timescaledb') as installed,
      current_setting('shared_preload_libraries') as preload,
      current_setting('timescaledb.disable_load', true) is not null as loaded`;
  const preloaded = preloadsTimescale(f.preload);
  return {
    available: f.available,
    installed: f.installed,
    preloaded: preloaded || f.loaded,
    // Loaded by the session's owner rather than the server: embedded PGlite, a single session.
    inSession: f.loaded && !preloaded,
  };
}

/**
 * Before the migration lock: creates the extension when the server can take it. On a server
 * that is a client of its own, closed afterwards: a FATAL answer ends that session only, never
 * the pool's or the one holding the lock. Answers why it failed, if it did.
 */
async function tryCreateTimescale(sql: Sql): Promise<string | null> {
  if (await storedTimescale(sql) !== null) return null;
  const facts = await timescaleFacts(sql);
  if (timescaleChoice(facts).action !== "create") return null;
  // PGlite serves one client at a time, so a second one would wait for ever; it cannot go FATAL.
  const { host, port, path, database, user, pass, ssl } = sql.options;
  const conn = facts.inSession ? sql : postgres({
    host: host.join(","),
    port: port[0],
    path,
    database,
    user,
    pass: pass ?? undefined,
    ssl,
    max: 1,
    onnotice: () => {},
  });
  try {
    await conn`create extension if not exists timescaledb`;
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    if (conn !== sql) await conn.end({ timeout: 5 }).catch(() => {});
  }
}

/**
 * Chooses TimescaleDB when the extension is there and preloaded, once: the choice is stored so a
 * database never switches modes under existing tables.
 */
async function decideTimescale(
  sql: Sql,
  createFailure: string | null,
  log: (msg: string) => void,
): Promise<boolean> {
  const stored = await storedTimescale(sql);
  if (stored !== null) return stored;
  const choice = timescaleChoice(await timescaleFacts(sql));
  const on = choice.action === "use";
  await sql`insert into sextant_meta (key, value) values ('timescale', ${on ? "on" : "off"})`;
  log(
    choice.action === "create"
      ? `TimescaleDB is installed but could not be enabled (${createFailure ?? "unknown"}); ` +
        "using plain tables and the rollup job"
      : choice.log,
  );
  return on;
}

/** Whether this database runs the TimescaleDB variants (read from what migrate decided). */
export async function usesTimescale(sql: Sql): Promise<boolean> {
  const [row] = await sql`select value from sextant_meta where key = 'timescale'`;
  return row?.value === "on";
}
