import assert from "node:assert/strict";
import { startTestApp } from "../../testing/app.ts";
import { latestMailLink, TestClient } from "../../testing/http_client.ts";

async function verify(
  app: Awaited<ReturnType<typeof startTestApp>>,
  client: TestClient,
  email: string,
) {
  const link = new URL(await latestMailLink(app, email, /http:\/\/\S+\/verify\?token=\S+/));
  await client.page(link.pathname + link.search);
}

Deno.test("invite by email, accept, roles limit what members can do, transfer and leave", async () => {
  const app = await startTestApp();
  try {
    const sql = app.db.sql;
    const owner = new TestClient(app);
    await owner.signUp("olivia@example.com", "olivia's long password", "Olivia");
    const [{ current_org_id: orgId }] = await sql`select current_org_id from users`;

    // Unverified owners can't invite (our mailer must not become a spam cannon).
    await owner.page(`/orgs/${orgId}`);
    const early = await owner.post(`/orgs/${orgId}/invites`, {
      email: "vic@example.com",
      role: "viewer",
    });
    assert.equal(early.status, 403);
    assert.match(await early.text(), /Confirm your own email/);
    await verify(app, owner, "olivia@example.com");

    await owner.page(`/orgs/${orgId}`);
    const invited = await owner.post(`/orgs/${orgId}/invites`, {
      email: "Vic@Example.com",
      role: "viewer",
    });
    assert.equal(invited.status, 303);
    const link = new URL(
      await latestMailLink(app, "vic@example.com", /http:\/\/\S+\/invites\/\S+/),
    );

    // The invitee signs up from the link and accepts.
    const vic = new TestClient(app);
    const landing = await vic.page(link.pathname);
    assert.match(landing.html, /Join Olivia(&#39;|')s sites/);
    assert.equal((await vic.signUp("vic@example.com", "vic's long password")).status, 303);
    await vic.page(link.pathname);
    assert.equal((await vic.post(link.pathname)).status, 303);
    const [m] = await sql`select role from memberships where org_id = ${orgId} and user_id =
      (select id from users where email_normalized = 'vic@example.com')`;
    assert.equal(m.role, "viewer");
    // A used invitation says so.
    assert.match((await vic.page(link.pathname)).html, /already been accepted/);

    // Viewers read, they don't change.
    const site = await owner.post("/sites/new", {
      domain: "olivia.example",
      timezone: "UTC",
      currency: "EUR",
    });
    assert.equal(site.status, 303);
    const siteId = Number(/\/sites\/(\d+)\//.exec(site.headers.get("location")!)![1]);
    await vic.post(`/orgs/${orgId}/switch`);
    assert.equal((await vic.page(`/sites/${siteId}/settings`)).res.status, 200);
    const change = await vic.post(`/sites/${siteId}/settings`, {
      name: "Hacked",
      domain: "olivia.example",
      timezone: "UTC",
      currency: "EUR",
      attribution_window_days: "30",
    });
    assert.equal(change.status, 403);
    assert.equal(
      (await vic.post(`/orgs/${orgId}/invites`, { email: "x@example.com", role: "viewer" })).status,
      403,
    );
    assert.equal((await vic.page(`/orgs/${orgId}/api-keys`)).res.status, 403);

    // The owner promotes Vic, transfers ownership, and stays on as admin.
    const vicId =
      (await sql`select id from users where email_normalized = 'vic@example.com'`)[0].id;
    assert.equal(
      (await owner.post(`/orgs/${orgId}/members/${vicId}/role`, { role: "member" })).status,
      303,
    );
    assert.equal(
      (await owner.post(`/orgs/${orgId}/leave`)).status,
      403,
      "the owner can't just leave",
    );
    assert.equal(
      (await owner.post(`/orgs/${orgId}/transfer`, { user_id: String(vicId) })).status,
      303,
    );
    const roles =
      await sql`select u.email, m.role from memberships m join users u on u.id = m.user_id
                            where m.org_id = ${orgId} order by u.email`;
    assert.deepEqual(roles.map((r) => `${r.email}:${r.role}`), [
      "olivia@example.com:admin",
      "vic@example.com:owner",
    ]);
    // Now Olivia can leave.
    assert.equal((await owner.post(`/orgs/${orgId}/leave`)).status, 303);
    assert.equal((await owner.page(`/sites/${siteId}`)).res.status, 404);
  } finally {
    await app.stop();
  }
});

Deno.test("an invitation for someone else's address is refused with a sentence", async () => {
  const app = await startTestApp();
  try {
    const owner = new TestClient(app);
    await owner.signUp("amy@example.com", "amy's long password");
    await verify(app, owner, "amy@example.com");
    const [{ current_org_id: orgId }] = await app.db.sql`select current_org_id from users`;
    await owner.page(`/orgs/${orgId}`);
    await owner.post(`/orgs/${orgId}/invites`, { email: "ben@example.com", role: "member" });
    const link = new URL(
      await latestMailLink(app, "ben@example.com", /http:\/\/\S+\/invites\/\S+/),
    );
    const mallory = new TestClient(app);
    await mallory.signUp("mallory@example.com", "mallory's long password");
    assert.match(
      (await mallory.page(link.pathname)).html,
      /this invitation is for ben@example.com/,
    );
    const res = await mallory.post(link.pathname);
    assert.equal(res.status, 403);
    const [n] = await app.db
      .sql`select count(*)::int as n from memberships where org_id = ${orgId}`;
    assert.equal(n.n, 1);
  } finally {
    await app.stop();
  }
});
