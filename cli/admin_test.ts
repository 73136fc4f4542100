import assert from "node:assert/strict";
import { runAdminCommand } from "./admin.ts";
import { createTestDatabase } from "../testing/db.ts";
import { verifyApiKey } from "../accounts/api_keys.ts";
import { findUserByEmail } from "../accounts/users.ts";
import { verifyPassword } from "../accounts/passwords.ts";

Deno.test("admin CLI: user → org → site → API key → list, each answering JSON-ready data", async () => {
  const db = await createTestDatabase();
  const sql = db.sql;
  try {
    const { user } = await runAdminCommand(sql, "create-user", {
      email: "Founder@Example.com",
      password: "correct horse battery",
      verified: true,
    }) as { user: { id: number; email_verified_at: Date | null } };
    assert.ok(user.email_verified_at);
    const { org } = await runAdminCommand(sql, "create-org", {
      name: "Acme",
      owner: "founder@example.com",
    }) as { org: { id: number } };
    const site = await runAdminCommand(sql, "create-site", {
      org: String(org.id),
      domain: "https://www.Acme.io/pricing",
    }) as { trackingId: string; site: { domain: string } };
    assert.equal(site.site.domain, "acme.io");
    assert.match(site.trackingId, /^[a-z0-9]{12}$/);
    const key = await runAdminCommand(sql, "create-api-key", {
      org: String(org.id),
      name: "ci",
    }) as {
      secret: string;
    };
    assert.deepEqual((await verifyApiKey(sql, key.secret))?.orgId, org.id);
    const { sites } = await runAdminCommand(sql, "list-sites", {}) as { sites: unknown[] };
    assert.equal(sites.length, 1);

    await runAdminCommand(sql, "reset-password", {
      email: "founder@example.com",
      password: "a brand new passphrase",
    });
    const stored = await findUserByEmail(sql, "founder@example.com");
    assert.ok(await verifyPassword("a brand new passphrase", stored!.password_hash));
    assert.ok(!stored!.password_hash.includes("passphrase"), "never stored in clear");

    await assert.rejects(
      () => runAdminCommand(sql, "create-site", { org: "999", domain: "x.com" }),
      /There is no organization 999/,
    );
    await assert.rejects(
      () => runAdminCommand(sql, "create-user", { email: "a@b.co", password: "short" }),
      /at least 10 characters/,
    );
  } finally {
    await db.close();
  }
});

/** Runs `deno task admin`'s script with `args` in a fresh DATA_DIR and no DATABASE_URL. */
async function admin(args: string[], dataDir: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./admin.ts", import.meta.url).pathname, ...args],
    env: { DATA_DIR: dataDir, DATABASE_URL: "", SECRET_KEY: "x".repeat(40) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("admin CLI prints its own help for --help, help and no command", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sextant-admin-" });
  try {
    for (const args of [["--help"], ["help"], [], ["create-user", "-h"]]) {
      const r = await admin(args, dataDir);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: deno task admin <command>/, args.join(" "));
      assert.match(r.stdout, /create-user {5}--email E --password P/);
      assert.equal(r.stderr, "");
    }
    const unknown = await admin(["frobnicate"], dataDir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Unknown command "frobnicate"\./);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("admin CLI says in one sentence what to do while a running Sextant holds the embedded database", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sextant-admin-" });
  try {
    // This test process stands in for the running server: it is alive and holds the lock file.
    await Deno.mkdir(`${dataDir}/pglite`);
    await Deno.writeTextFile(`${dataDir}/pglite.pid`, String(Deno.pid));
    const r = await admin(["list-sites"], dataDir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`open in the Sextant running as process ${Deno.pid}.*stop that Sextant`),
    );
    assert.match(r.stderr, /DATABASE_URL/);
    assert.doesNotMatch(r.stderr, /^\s+at |error:/im, "no stack trace");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
