import assert from "node:assert/strict";
import { ENABLE_TIMESCALE_HINT, preloadsTimescale, timescaleChoice } from "./timescale_choice.ts";

Deno.test("without the TimescaleDB package Sextant uses plain tables and says so once", () => {
  const d = timescaleChoice({ available: false, preloaded: false, installed: false });
  assert.equal(d.action, "plain");
  assert.match(d.log, /not available/);
});

Deno.test("a package that is installed but not preloaded is never tried: plain mode, with how to enable it", () => {
  const d = timescaleChoice({ available: true, preloaded: false, installed: false });
  assert.equal(d.action, "plain");
  assert.ok(d.log.includes(ENABLE_TIMESCALE_HINT), d.log);
  assert.match(
    ENABLE_TIMESCALE_HINT,
    /add timescaledb to shared_preload_libraries in postgresql\.conf and restart PostgreSQL, then start Sextant on a fresh database/,
  );
  assert.equal(d.log.split("\n").length, 1, "one line");
});

Deno.test("a preloaded package is created; an extension already there is used as it is", () => {
  assert.equal(
    timescaleChoice({ available: true, preloaded: true, installed: false }).action,
    "create",
  );
  const used = timescaleChoice({ available: true, preloaded: true, installed: true });
  assert.equal(used.action, "use");
  assert.match(used.log, /TimescaleDB enabled/);
});

Deno.test("an extension created but no longer preloaded falls back to plain tables with the hint", () => {
  const d = timescaleChoice({ available: true, preloaded: false, installed: true });
  assert.equal(d.action, "plain");
  assert.ok(d.log.includes(ENABLE_TIMESCALE_HINT));
});

Deno.test("shared_preload_libraries is read however the server spells the library", () => {
  assert.equal(preloadsTimescale(""), false);
  assert.equal(preloadsTimescale("pg_stat_statements"), false);
  assert.equal(preloadsTimescale("pg_stat_statements, timescaledb"), true);
  assert.equal(preloadsTimescale('"timescaledb"'), true);
  assert.equal(preloadsTimescale("$libdir/timescaledb.so"), true);
  assert.equal(preloadsTimescale("timescaledb_toolkit"), false);
});
