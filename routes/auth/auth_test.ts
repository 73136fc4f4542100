import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "../../testing/app.ts";
import { LOGIN_LIMITS } from "../../accounts/rate_limits.ts";
import { latestMailLink, TestClient } from "../../testing/http_client.ts";

const PASSWORD = "Sup3r-secret-Passw0rd!";

Deno.test("sign up, confirm the email from the outbox, sign out and back in", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    const res = await client.signUp("Ada@Example.com", PASSWORD, "Ada");
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/sites/new?welcome=1");
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("sextant_session="))!;
    assert.match(cookie, /HttpOnly/i);
    assert.match(cookie, /SameSite=Lax/i);

    // Unverified: the shell asks to confirm.
    const before = await client.page("/sites/new");
    assert.match(before.html, /Please confirm your email/);

    const link = await latestMailLink(app, "ada@example.com", /http:\/\/[^\s]+\/verify\?token=\S+/);
    const verified = await client.page(new URL(link).pathname + new URL(link).search);
    assert.equal(verified.res.status, 200);
    assert.match(verified.html, /Email confirmed/);
    const again = await client.page(new URL(link).pathname + new URL(link).search);
    assert.equal(again.res.status, 400);
    assert.match(again.html, /already been used/);
    const after = await client.page("/sites/new");
    assert.doesNotMatch(after.html, /Please confirm your email/);

    const out = await client.post("/logout");
    assert.equal(out.status, 303);
    assert.equal((await client.page("/sites")).res.status, 303);

    const wrong = await client.signIn("ada@example.com", "not the password");
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /email and password don(&#39;|')t match/);
    const ok = await client.signIn("ADA@example.com ", PASSWORD);
    assert.equal(ok.status, 303);
    assert.equal((await client.page("/account")).res.status, 200);
  } finally {
    await app.stop();
  }
});

Deno.test("sign-up mistakes come back as sentences beside the form", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    const short = await client.signUp("bob@example.com", "short");
    assert.equal(short.status, 400);
    assert.match(await short.text(), /needs at least 10 characters \(it has 5\)/);
    const bad = await client.signUp("not-an-email", PASSWORD);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /valid email address/);
    assert.equal((await client.signUp("bob@example.com", PASSWORD)).status, 303);
    const other = new TestClient(app);
    const dup = await other.signUp("BOB@example.com", PASSWORD);
    assert.equal(dup.status, 409);
    assert.match(await dup.text(), /already exists/);
  } finally {
    await app.stop();
  }
});

Deno.test("forms without a CSRF token are refused", async () => {
  const app = await startTestApp();
  try {
    const res = await app.fetch("/signup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "x@example.com", password: PASSWORD }),
    });
    assert.equal(res.status, 403);
    const [row] = await app.db.sql`select count(*)::int as n from users`;
    assert.equal(row.n, 0);
  } finally {
    await app.stop();
  }
});

/** A client at `address` (the test app trusts X-Forwarded-For). */
function clientAt(app: TestApp, address: string): TestClient {
  const client = new TestClient(app);
  client.forwardedFor = address;
  return client;
}

Deno.test("an address hammering an account is refused with a sentence; the owner elsewhere still signs in", async () => {
  const app = await startTestApp({ env: { TRUST_PROXY: "on" } });
  try {
    const owner = clientAt(app, "198.51.100.7");
    await owner.signUp("carol@example.com", PASSWORD);
    await owner.post("/logout");
    const attacker = clientAt(app, "203.0.113.66");
    for (let i = 0; i < LOGIN_LIMITS.perPair; i++) {
      assert.equal((await attacker.signIn("carol@example.com", `wrong-${i}`)).status, 401);
    }
    const refused = await attacker.signIn("carol@example.com", PASSWORD);
    assert.equal(refused.status, 429, "even the right password, from there, waits");
    assert.ok(Number(refused.headers.get("retry-after")) > 0);
    assert.match(await refused.text(), /Too many attempts from here; try again in \d+ minutes?\./);
    // Hammering on: refused, and the refusals do not lock the account.
    for (let i = 0; i < 20; i++) {
      const r = await attacker.signIn("carol@example.com", `wrong-again-${i}`);
      assert.equal(r.status, 429);
      await r.body?.cancel();
    }
    const ok = await owner.signIn("carol@example.com", PASSWORD);
    assert.equal(ok.status, 303, "the owner, from their own address, is not locked out");
  } finally {
    await app.stop();
  }
});

Deno.test("repeated failures email the owner a link that resets the password and signs out other sessions", async () => {
  const app = await startTestApp({ env: { TRUST_PROXY: "on" } });
  try {
    const owner = clientAt(app, "198.51.100.8");
    await owner.signUp("dora@example.com", PASSWORD);
    assert.equal((await owner.page("/account")).res.status, 200);
    const attackers = ["203.0.113.1", "203.0.113.2", "203.0.113.3"].map((a) => clientAt(app, a));
    for (const attacker of attackers) {
      for (let i = 0; i < 3; i++) await (await attacker.signIn("dora@example.com", "guess")).text();
    }
    const mails = await app.db.sql`select subject, text from email_outbox
      where to_address = 'dora@example.com' and kind = 'login_alert'`;
    assert.equal(mails.length, 1, "one warning, not one per attempt");
    assert.match(mails[0].text, /wasn't you/);
    const link = await latestMailLink(
      app,
      "dora@example.com",
      /http:\/\/\S+\/password\/reset\?token=\S+/,
    );
    const url = new URL(link);
    const stranger = clientAt(app, "198.51.100.9");
    const form = await stranger.page(url.pathname + url.search);
    assert.equal(form.res.status, 200);
    const done = await stranger.post("/password/reset", {
      token: url.searchParams.get("token")!,
      password: "An0ther-long-Passw0rd",
    });
    assert.equal(done.status, 303);
    assert.equal((await owner.page("/account")).res.status, 303, "other sessions are signed out");
  } finally {
    await app.stop();
  }
});

Deno.test("password reset: works once, a reused or expired link and a short password each say so", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    await client.signUp("dan@example.com", PASSWORD);
    await client.post("/logout");

    await client.page("/password/forgot");
    const asked = await client.post("/password/forgot", { email: "dan@example.com" });
    assert.match(await asked.text(), /reset link is on its way/);
    // Unknown addresses get the same answer.
    const unknown = await client.post("/password/forgot", { email: "nobody@example.com" });
    assert.match(await unknown.text(), /reset link is on its way/);

    const link = new URL(
      await latestMailLink(app, "dan@example.com", /http:\/\/\S+\/password\/reset\?token=\S+/),
    );
    const token = link.searchParams.get("token")!;
    const form = await client.page(link.pathname + link.search);
    assert.match(form.html, /Choose a new password/);

    const short = await client.post("/password/reset", { token, password: "tiny" });
    assert.equal(short.status, 400);
    assert.match(await short.text(), /needs at least 10 characters/);

    const NEW = "a-brand-new-passphrase";
    const done = await client.post("/password/reset", { token, password: NEW });
    assert.equal(done.status, 303);
    assert.ok(client.cookies.get("sextant_session"), "signed in after the reset");

    const reused = await client.post("/password/reset", { token, password: "another-passphrase" });
    assert.equal(reused.status, 400);
    assert.match(await reused.text(), /already been used/);
    assert.match((await client.page(link.pathname + link.search)).html, /already been used/);

    // An expired link.
    await client.page("/password/forgot");
    await client.post("/password/forgot", { email: "dan@example.com" });
    const link2 = new URL(
      await latestMailLink(app, "dan@example.com", /http:\/\/\S+\/password\/reset\?token=\S+/),
    );
    await app.db.sql`update auth_tokens set expires_at = now() - interval '1 minute'
                     where kind = 'reset_password' and used_at is null`;
    const expired = await client.page(link2.pathname + link2.search);
    assert.equal(expired.res.status, 400);
    assert.match(expired.html, /This link has expired/);

    const mail = await latestMailLink(app, "dan@example.com", /http:\/\/\S+\/password\/forgot/);
    assert.ok(mail, "a 'password changed' notice was sent");
    await client.post("/logout");
    assert.equal((await client.signIn("dan@example.com", PASSWORD)).status, 401);
    assert.equal((await client.signIn("dan@example.com", NEW)).status, 303);
  } finally {
    await app.stop();
  }
});

Deno.test("passwords are never logged or stored in clear", async () => {
  const lines: string[] = [];
  const app = await startTestApp({ logSink: (l) => lines.push(l) });
  try {
    const SECRET = "Unmistakable-Passw0rd-4417";
    const client = new TestClient(app);
    await client.signUp("eve@example.com", SECRET);
    await client.post("/logout");
    await client.signIn("eve@example.com", SECRET + "x");
    await client.signIn("eve@example.com", SECRET);
    await client.page("/account");
    await client.post("/account/password", { current_password: SECRET, password: SECRET + "2" });
    assert.ok(lines.length > 0, "the app logged requests");
    assert.ok(!lines.some((l) => l.includes(SECRET)), "a log line holds the password");
    const [user] = await app.db.sql`select * from users where email_normalized = 'eve@example.com'`;
    assert.match(user.password_hash, /^\$argon2id\$/);
    const dump = JSON.stringify(
      await app.db.sql`
      select (select json_agg(u) from users u) as u, (select json_agg(o) from email_outbox o) as o,
             (select json_agg(s) from user_sessions s) as s`,
    );
    assert.ok(!dump.includes(SECRET), "the database holds the password in clear");
  } finally {
    await app.stop();
  }
});

Deno.test("after signing in, a next that leaves the site or holds control characters lands on the default page", async () => {
  const app = await startTestApp();
  try {
    const client = new TestClient(app);
    await client.signUp("dora@example.com", PASSWORD);
    await client.post("/logout");
    const signInTo = async (next: string) => {
      client.resetCsrf();
      await client.page("/login");
      return await client.post(`/login?next=${next}`, {
        email: "dora@example.com",
        password: PASSWORD,
      });
    };
    for (
      const next of [
        "/%09/evil.example",
        "%2F%0A%2Fevil.example",
        "/%5Cevil.example",
        "%2F%2Fevil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%00",
        "https%3A%2F%2Fevil.example",
        "/%E0%A4%A",
      ]
    ) {
      const res = await signInTo(next);
      assert.equal(res.status, 303, next);
      assert.equal(res.headers.get("location"), "/", next);
      await client.post("/logout");
    }
    const ok = await signInTo(encodeURIComponent("/account?tab=1"));
    assert.equal(ok.headers.get("location"), "/account?tab=1");
    // Signed in already: GET /login?next=… redirects straight away, by the same rule.
    const again = await client.fetch("/login?next=/%09/evil.example");
    assert.equal(again.status, 303);
    assert.equal(again.headers.get("location"), "/");
  } finally {
    await app.stop();
  }
});

Deno.test("without SMTP the confirm-your-email banner says where the mail can be read", async () => {
  const lines: string[] = [];
  const hidden = await startTestApp({ logSink: (line) => lines.push(line) });
  const preview = await startTestApp({ env: { MAIL_PREVIEW: "on" } });
  const smtp = await startTestApp({ env: { SMTP_URL: "smtp://127.0.0.1:1" } });
  try {
    const startup = lines.filter((l) => l.includes("outbox"));
    assert.equal(startup.length, 1, "one start-up line tells where mail goes");
    assert.match(startup[0], /kept in the outbox.*MAIL_PREVIEW=on.*\/dev\/mail/);

    const off = new TestClient(hidden);
    await off.signUp("ada@example.com", PASSWORD);
    const offHtml = (await off.page("/sites/new")).html;
    assert.match(offHtml, /doesn(&#39;|')t send mail \(no SMTP_URL\)/);
    assert.match(offHtml, /MAIL_PREVIEW=on/);

    const on = new TestClient(preview);
    await on.signUp("ada@example.com", PASSWORD);
    const onHtml = (await on.page("/sites/new")).html;
    assert.match(onHtml, /doesn(&#39;|')t send mail \(no SMTP_URL\)/);
    assert.match(onHtml, /href="\/dev\/mail"/);
    assert.equal((await on.page("/dev/mail")).res.status, 200);

    const sent = new TestClient(smtp);
    await sent.signUp("ada@example.com", PASSWORD);
    const sentHtml = (await sent.page("/sites/new")).html;
    assert.match(sentHtml, /Please confirm your email/);
    assert.doesNotMatch(sentHtml, /SMTP_URL|\/dev\/mail/);
  } finally {
    await Promise.all([hidden.stop(), preview.stop(), smtp.stop()]);
  }
});
