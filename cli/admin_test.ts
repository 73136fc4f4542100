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
