/**
 * Whether a fresh Sextant database runs on TimescaleDB, decided from facts about the server. A
 * pure function so every case is tested, including the ones this machine's PostgreSQL lacks.
 */

/** What the server says about TimescaleDB. */
export interface TimescaleFacts {
  /** The package is installed on the server (pg_available_extensions). */
  available: boolean;
  /** Its library is in shared_preload_libraries, or already loaded in this session (PGlite). */
  preloaded: boolean;
  /** The extension already exists in this database. */
  installed: boolean;
}

/** What to do, and the one line to log about it. */
export interface TimescaleChoice {
  action: "use" | "create" | "plain";
  log: string;
}

/** How a person turns TimescaleDB on where the package is installed but not preloaded. */
export const ENABLE_TIMESCALE_HINT = "to enable TimescaleDB, add timescaledb to " +
  "shared_preload_libraries in postgresql.conf and restart PostgreSQL, then start Sextant on a " +
  "fresh database";

/** Decides from the server's facts; `create extension` only where it cannot end the session. */
export function timescaleChoice(f: TimescaleFacts): TimescaleChoice {
  if (!f.available && !f.installed) {
    return { action: "plain", log: "TimescaleDB not available; using plain tables" };
  }
  // Without preloading, `create extension timescaledb` (and any use of it) is FATAL: it closes
  // the connection instead of failing one statement.
  if (!f.preloaded) {
    return {
      action: "plain",
      log: `TimescaleDB is installed but not preloaded, so Sextant uses plain tables; ` +
        `${ENABLE_TIMESCALE_HINT}.`,
    };
  }
  if (f.installed) return { action: "use", log: "TimescaleDB enabled" };
  return { action: "create", log: "TimescaleDB enabled" };
}

/** Whether a shared_preload_libraries value names TimescaleDB (quoted, with a path or not). */
export function preloadsTimescale(setting: string): boolean {
  return setting.split(",").some((lib) =>
    lib.trim().replace(/^"|"$/g, "").split("/").pop()!.replace(/\.so$/, "") === "timescaledb"
  );
}
