/** `deno task migrate`: applies pending migrations to the configured database and exits. */
import { ConfigError, loadConfig } from "../config.ts";
import { openConfiguredDatabase } from "../boot.ts";
import { migrate } from "../db/migrate.ts";

try {
  const config = await loadConfig();
  const db = await openConfiguredDatabase(config);
  try {
    const result = await migrate(db.sql, { log: (m) => console.error(m) });
    console.log(JSON.stringify({ mode: db.mode, ...result }));
  } finally {
    await db.close();
  }
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : `Migration failed: ${(e as Error).message}`);
  Deno.exit(1);
}
