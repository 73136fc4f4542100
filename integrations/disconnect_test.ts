/**
 * Disconnecting always succeeds here: when the platform refuses to remove Sextant's webhook, the
 * credentials are still forgotten, the refusal is logged, and the page tells the owner to remove
 * the webhook on the platform's side.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { FakeKajabi } from "../testing/fake_kajabi.ts";
import { FakeLemonSqueezy } from "../testing/fake_lemonsqueezy.ts";
import { createSiteWithOwner } from "../testing/journeys.ts";
import { postDisconnect } from "../testing/platform_sync.ts";
import { connectPlatform } from "./connection.ts";
import { stopBackground } from "./background.ts";

Deno.test("a platform refusing to remove the webhook doesn't block disconnecting; the page says to remove it there", async () => {
  const kajabi = await FakeKajabi.start();
  const ls = await FakeLemonSqueezy.start();
  const logs: string[] = [];
  const app = await startTestApp({
    env: { KAJABI_API_URL: kajabi.url, LEMONSQUEEZY_API_URL: ls.url },
    logSink: (line) => logs.push(line),
  });
  try {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const connected = [
      await connectPlatform(app.ctx, owner.site.id, "kajabi", kajabi.addClient()),
      await connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
        apiKey: ls.addKey("ls_test_key_disconnect"),
      }),
    ];
    await stopBackground(app.ctx);
    assert.deepEqual(connected.map((i) => i.webhook_mode), ["auto", "auto"]);
    kajabi.refuseUnregister = true;
    ls.refuseUnregister = true;

    for (
      const [integration, name] of [[connected[0], "Kajabi"], [
        connected[1],
        "Lemon Squeezy",
      ]] as const
    ) {
      const location = await postDisconnect(app, owner, integration.provider);
      assert.equal(
        location,
        `/sites/${owner.site.id}/integrations?notice=disconnected-webhook&p=${integration.provider}`,
      );
      const [row] = await app.ctx.db.sql`select status, api_key_enc from integrations
        where id = ${integration.id}`;
      assert.equal(row.status, "disconnected");
      assert.equal(row.api_key_enc, null, "the credentials are forgotten");
      assert.ok(
        logs.some((l) =>
          l.includes("webhook not removed") && l.includes(`"integration":${integration.id}`)
        ),
        "the refusal is logged",
      );
      const page = await (await app.fetch(location, { headers: { cookie: owner.cookie } }))
        .text();
      assert.match(
        page,
        new RegExp(`${name} is disconnected, but Sextant couldn(&#x27;|')t remove its webhook`),
      );
    }
    assert.equal(kajabi.hooks.length > 0 && ls.webhooks.length > 0, true, "still there, as said");
  } finally {
    await stopBackground(app.ctx);
    await app.stop();
    await ls.close();
    await kajabi.close();
  }
});
