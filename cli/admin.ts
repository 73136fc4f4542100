/**
 * `deno task admin <command> [--flags]`: account administration for self-hosters and scripts.
 * Prints JSON on stdout; errors are one sentence on stderr with exit code 1.
 */
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "../config.ts";
import { openConfiguredDatabase } from "../boot.ts";
import { migrate } from "../db/migrate.ts";
import type { Sql } from "../db/connect.ts";
import { AppError } from "../lib/errors.ts";
import { createUser, findUserByEmail, setPassword } from "../accounts/users.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createSite, listSitesInOrg } from "../accounts/sites.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { SITE_COLUMNS } from "../accounts/sites.ts";
import { EmbeddedDatabaseInUse } from "../db/embedded.ts";

/** The help text: `deno task admin`, `help` or `--help` print it. */
export const USAGE = `Usage: deno task admin <command> [options]

Account administration on the database Sextant is configured for (DATABASE_URL, or the embedded
one in DATA_DIR). Prints JSON on success; a sentence on stderr and exit code 1 on failure.

Commands:
  create-user     --email E --password P [--name N] [--verified]
  reset-password  --email E --password P
  create-org      --name N --owner E
  create-site     --org ID --domain D [--name N] [--timezone TZ] [--currency CUR]
  create-api-key  --org ID --name N [--site ID] [--import]
  list-sites      [--org ID]
  help            this text (also --help, -h, or no command)

The embedded database opens in one process at a time: with it, stop Sextant before running a
command, then start it again.`;

/** True when the arguments ask for help rather than a command. */
export function wantsHelp(args: string[]): boolean {
  return args.length === 0 || args.some((a) => a === "--help" || a === "-h") ||
    args[0] === "help";
}

/** The one sentence shown when a running Sextant holds the embedded database. */
export function inUseSentence(e: EmbeddedDatabaseInUse): string {
  return `The embedded database in ${e.path} is open in the Sextant running as process ` +
    `${e.pid}, and only one process can open it: stop that Sextant (Ctrl+C or kill ${e.pid}), ` +
    "run this command, then start Sextant again — or run Sextant on PostgreSQL " +
    "(DATABASE_URL), where admin commands work while it runs.";
}

type Flags = Record<string, string | boolean | undefined>;

class UsageError extends Error {}

function need(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name} is required.`);
  return v;
}

function id(flags: Flags, name: string): number {
  const n = Number(need(flags, name));
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} must be a number.`);
  return n;
}

/** Runs one command against `sql`; returns what to print. */
export async function runAdminCommand(sql: Sql, command: string, flags: Flags): Promise<unknown> {
  switch (command) {
    case "create-user": {
      const user = await createUser(sql, {
        email: need(flags, "email"),
        password: need(flags, "password"),
        name: typeof flags.name === "string" ? flags.name : undefined,
        verified: flags.verified === true,
      });
      return { user };
    }
    case "reset-password": {
      const user = await findUserByEmail(sql, need(flags, "email"));
      if (!user) throw new UsageError(`No user has the email ${flags.email}.`);
      await setPassword(sql, user.id, need(flags, "password"));
      await sql`delete from user_sessions where user_id = ${user.id}`;
      return { user: { id: user.id, email: user.email }, passwordReset: true, sessionsEnded: true };
    }
    case "create-org": {
      const owner = await findUserByEmail(sql, need(flags, "owner"));
      if (!owner) throw new UsageError(`No user has the email ${flags.owner}.`);
      return { org: await createOrg(sql, need(flags, "name"), owner.id) };
    }
    case "create-site": {
      const orgId = id(flags, "org");
      const [org] = await sql`select id from orgs where id = ${orgId}`;
      if (!org) throw new UsageError(`There is no organization ${orgId}.`);
      const site = await createSite(sql, {
        orgId,
        domain: need(flags, "domain"),
        name: typeof flags.name === "string" ? flags.name : undefined,
        timezone: typeof flags.timezone === "string" ? flags.timezone : undefined,
        currency: typeof flags.currency === "string" ? flags.currency : undefined,
      });
      return { site, trackingId: site.public_id };
    }
    case "create-api-key": {
      const orgId = id(flags, "org");
      const siteId = flags.site === undefined ? null : id(flags, "site");
      if (siteId) {
        const [s] = await sql`select 1 from sites where id = ${siteId} and org_id = ${orgId}`;
        if (!s) throw new UsageError(`Site ${siteId} is not in organization ${orgId}.`);
      }
      const { key, secret } = await createApiKey(sql, {
        orgId,
        siteId,
        name: need(flags, "name"),
        scopes: flags.import === true ? ["import"] : [],
      });
      return { apiKey: key, secret, note: "Store this key now: it is not shown again." };
    }
    case "list-sites": {
      if (flags.org !== undefined) return { sites: await listSitesInOrg(sql, id(flags, "org")) };
      const sites = await sql`
        select ${sql(SITE_COLUMNS as unknown as string[])} from sites order by org_id, name, id`;
      return { sites };
    }
    default:
      throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
  }
}

if (import.meta.main) {
  if (wantsHelp(Deno.args)) {
    console.log(USAGE);
    Deno.exit(0);
  }
  try {
    const text = { type: "string" } as const;
    const { positionals, values } = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        email: text,
        password: text,
        name: text,
        owner: text,
        org: text,
        site: text,
        domain: text,
        timezone: text,
        currency: text,
        verified: { type: "boolean" },
        import: { type: "boolean" },
      },
    });
    const config = await loadConfig();
    const db = await openConfiguredDatabase(config);
    try {
      await migrate(db.sql);
      const result = await runAdminCommand(db.sql, positionals[0] ?? "", values as Flags);
      console.log(JSON.stringify(result, null, 2));
    } finally {
      await db.close();
    }
  } catch (e) {
    if (e instanceof EmbeddedDatabaseInUse) {
      console.error(inUseSentence(e));
      Deno.exit(1);
    }
    const known = e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") || e instanceof AppError ||
      e instanceof ConfigError;
    console.error(known ? (e as Error).message : `Admin command failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
