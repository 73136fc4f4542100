import assert from "node:assert/strict";
import { strFromU8, unzipSync } from "fflate";
import { startTestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";

const PW = "my own long password";

Deno.test("sessions on other devices are listed and can be signed out", async () => {
  const app = await startTestApp();
  try {
    const laptop = new TestClient(app);
    await laptop.signUp("sam@example.com", PW);
    const phone = new TestClient(
      app,
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    );
    await phone.signIn("sam@example.com", PW);
    const page = await laptop.page("/account");
    assert.match(page.html, /Safari on iOS/);
    assert.match(page.html, /this device/);
    const [phoneSession] = await app.db
      .sql`select id from user_sessions where user_agent like '%iPhone%'`;
    assert.equal((await laptop.post(`/account/sessions/${phoneSession.id}/revoke`)).status, 303);
    assert.equal((await phone.page("/account")).res.status, 303, "the phone is signed out");
    assert.equal((await laptop.page("/account")).res.status, 200);
  } finally {
    await app.stop();
  }
});

Deno.test("the GDPR export is a zip of CSV and JSON without secrets", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    await client.signUp("gdpr@example.com", PW, "Gia");
    await client.page("/sites/new");
    await client.post("/sites/new", { domain: "gia.example", timezone: "UTC", currency: "USD" });
    await client.page("/account");
    const res = await client.post("/account/export");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/zip");
    assert.match(res.headers.get("content-disposition")!, /attachment; filename="sextant-data-/);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    assert.deepEqual(Object.keys(files).sort(), [
      "README.txt",
      "account.json",
      "api_keys.csv",
      "emails.csv",
      "invites_sent.csv",
      "memberships.csv",
      "sessions.csv",
      "sites.csv",
    ]);
    const account = JSON.parse(strFromU8(files["account.json"]));
    assert.equal(account.user.email, "gdpr@example.com");
    assert.equal(account.user.name, "Gia");
    assert.match(strFromU8(files["sites.csv"]), /gia\.example/);
    assert.match(strFromU8(files["emails.csv"]), /Confirm your email for Sextant/);
    const all = Object.values(files).map((f) => strFromU8(f)).join("\n");
    assert.ok(!all.includes("argon2"), "no password hash");
    assert.ok(!all.includes(PW), "no password");
    assert.ok(!/token=/.test(all), "no one-time links");
  } finally {
    await app.stop();
  }
});

Deno.test("deleting an account needs the password and typed email, and takes solo orgs along", async () => {
  const app = await startTestApp();
  try {
    const sql = app.db.sql;
    const client = new TestClient(app);
    await client.signUp("leaving@example.com", PW);
    await client.page("/sites/new");
    await client.post("/sites/new", {
      domain: "leaving.example",
      timezone: "UTC",
      currency: "USD",
    });
    await client.page("/account");
    const wrongPw = await client.post("/account/delete", {
      password: "nope",
      confirm: "leaving@example.com",
    });
    assert.equal(wrongPw.status, 400);
    assert.match(await wrongPw.text(), /password isn(&#39;|')t right/);
    const wrongEmail = await client.post("/account/delete", { password: PW, confirm: "someone" });
    assert.equal(wrongEmail.status, 400);
    assert.match(await wrongEmail.text(), /Type your email/);
    const ok = await client.post("/account/delete", {
      password: PW,
      confirm: "Leaving@example.com",
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/login?notice=account-deleted");
    const [counts] = await sql`select (select count(*) from users)::int as users,
      (select count(*) from orgs)::int as orgs, (select count(*) from sites)::int as sites,
      (select count(*) from deleted_sites)::int as queued,
      (select count(*) from email_outbox)::int as mail`;
    assert.deepEqual({ ...counts }, { users: 0, orgs: 0, sites: 0, queued: 1, mail: 0 });
  } finally {
    await app.stop();
  }
});

Deno.test("an owner of a shared organization must transfer it before deleting their account", async () => {
  const app = await startTestApp();
  try {
    const sql = app.db.sql;
    const owner = new TestClient(app);
    await owner.signUp("shared@example.com", PW);
    const [{ current_org_id: orgId }] = await sql`select current_org_id from users`;
    const [u] = await sql`insert into users (email, email_normalized, password_hash)
                          values ('x@example.com', 'x@example.com', 'x') returning id`;
    await sql`insert into memberships (org_id, user_id, role) values (${orgId}, ${u.id}, 'member')`;
    const page = await owner.page("/account");
    assert.match(page.html, /which other people use/);
    const res = await owner.post("/account/delete", {
      password: PW,
      confirm: "shared@example.com",
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Transfer ownership/);
  } finally {
    await app.stop();
  }
});
