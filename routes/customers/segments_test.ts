import assert from "node:assert/strict";
import { startTestApp } from "../../testing/app.ts";
import { TestClient } from "../../testing/http_client.ts";
import { createSiteWithOwner, daysBefore } from "../../testing/journeys.ts";
import { recordPurchase } from "../../attribution/record.ts";
import { SESSION_COOKIE } from "../../accounts/sessions.ts";

Deno.test("a segment is previewed, saved, edited, copied, acted on in bulk and exported", async () => {
  const app = await startTestApp();
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const now = new Date();
    const amounts = [500, 2000, 9000, 15000];
    for (const [i, amount] of amounts.entries()) {
      await recordPurchase(app.ctx, {
        siteId,
        provider: i % 2 ? "stripe" : "teachable",
        key: `k${i}`,
        ts: daysBefore(now, i + 1),
        kind: "one_time",
        amountMinor: amount,
        currency: "USD",
        email: `buyer${i}@example.com`,
        origin: "webhook",
      });
    }
    const client = new TestClient(app);
    client.cookies.set(SESSION_COOKIE, owner.token);
    const base = `/sites/${siteId}/customers/segments`;
    const rule = (min: number) => ({
      match: "any",
      conditions: [
        { field: "revenue", op: "gt", value: min },
        { match: "all", conditions: [{ field: "revenue", op: "lt", value: 1000 }] },
      ],
    });
    const preview = async (r: unknown) => {
      const res = await client.fetch(
        `/api/app/sites/${siteId}/customers/segments/preview?rule=${
          encodeURIComponent(JSON.stringify(r))
        }`,
      );
      return { status: res.status, body: await res.json() };
    };
    assert.deepEqual(await preview(rule(5000)), { status: 200, body: { count: 3 } });
    assert.deepEqual(await preview(rule(10000)), { status: 200, body: { count: 2 } });
    const bad = await preview({ match: "all", conditions: [{ field: "revenue", op: "gt" }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /segment rule can't be used/);

    const page = await client.page(`${base}/new?template=high-value-at-risk`);
    assert.equal(page.res.status, 200);
    assert.match(page.html, /data-island="SegmentBuilder"/);
    let res = await client.post(base, { name: "Big spenders", rule: JSON.stringify(rule(5000)) });
    assert.equal(res.status, 303);
    const at = res.headers.get("location")!;
    const id = Number(/segments\/(\d+)$/.exec(at)![1]);
    let view = await client.page(at);
    assert.match(view.html, /3 customers/);
    for (const email of ["buyer0@example.com", "buyer2@example.com", "buyer3@example.com"]) {
      assert.ok(view.html.includes(email), email);
    }
    assert.ok(!view.html.includes("buyer1@example.com"));

    res = await client.post(`${base}/${id}`, {
      name: "Biggest",
      rule: JSON.stringify(rule(10000)),
    });
    assert.equal(res.status, 303);
    view = await client.page(`${base}/${id}`);
    assert.match(view.html, /<h1>Biggest<\/h1>/);
    assert.match(view.html, /2 customers/);

    res = await client.post(`${base}/${id}/bulk`, { action: "tag", text: "Whale" });
    assert.equal(res.status, 303);
    assert.match(decodeURIComponent(res.headers.get("location")!), /Tagged 2 customers “Whale”/);
    res = await client.post(`${base}/${id}/bulk`, { action: "note", text: "Call them" });
    assert.equal(res.status, 303);
    const [{ tagged, notes }] = await sql<{ tagged: number; notes: number }[]>`
      select (select count(*)::int from customer_taggings where site_id = ${siteId}) as tagged,
        (select count(*)::int from customer_notes where site_id = ${siteId}) as notes`;
    assert.equal(tagged, 2);
    assert.equal(notes, 2);
    res = await client.post(`${base}/${id}/bulk`, {
      action: "email",
      subject: "Hello {{email}}",
      text: "Thanks <b>for</b> everything.",
    });
    assert.equal(res.status, 303);
    const mail = await sql<{ to_address: string; subject: string; html: string }[]>`
      select to_address, subject, html from email_outbox
      where kind = 'customer_automation' order by to_address`;
    assert.deepEqual(mail.map((m) => [m.to_address, m.subject]), [
      ["buyer0@example.com", "Hello buyer0@example.com"],
      ["buyer3@example.com", "Hello buyer3@example.com"],
    ]);
    assert.ok(mail[0].html.includes("Thanks &lt;b>for&lt;/b> everything."));
    res = await client.post(`${base}/${id}/bulk`, { action: "email", text: "No subject" });
    assert.equal(res.status, 400);
    await res.body?.cancel();
    res = await client.post(`${base}/${id}/bulk`, { action: "untag", text: "Nope" });
    assert.equal(res.status, 400);
    await res.body?.cancel();

    const csv = await client.fetch(`/sites/${siteId}/customers.csv?segment=${id}&sort=revenue`);
    const lines = (await csv.text()).trim().split("\r\n");
    assert.equal(lines.length, 3);
    assert.match(lines[1], /^buyer3@example.com,.*,Whale$/);

    // Bulk on a hand-picked selection.
    const [one] = await sql<{ id: number }[]>`
      select id from customers where site_id = ${siteId} and email = 'buyer1@example.com'`;
    await client.page(`/sites/${siteId}/customers`);
    const form = new URLSearchParams({
      _csrf: await client.csrfToken(),
      action: "tag",
      text: "Picked",
    });
    form.append("id", String(one.id));
    res = await client.fetch(`/sites/${siteId}/customers/bulk`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    assert.equal(res.status, 303);
    assert.match(decodeURIComponent(res.headers.get("location")!), /Tagged 1 customer “Picked”/);
    res = await client.post(`/sites/${siteId}/customers/bulk`, { action: "tag", text: "None" });
    assert.equal(res.status, 400);
    await res.body?.cancel();

    res = await client.post(`${base}/${id}/duplicate`);
    assert.equal(res.status, 303);
    const list = await client.page(base);
    assert.match(list.html, /Biggest \(copy\)/);
    res = await client.post(`${base}/${id}/delete`);
    assert.equal(res.status, 303);
    const after = await client.page(base);
    assert.ok(!after.html.includes(">Biggest<"));
    assert.equal((await client.page(`${base}/${id}`)).res.status, 404);
  } finally {
    await app.stop();
  }
});
