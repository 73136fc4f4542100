/**
 * The hostile-input corpus against the webhook routes: unsigned, wrongly signed and correctly
 * signed bodies of every odd shape, and odd providers and ids in the path. Nothing may answer
 * 5xx or log an error, every signed delivery is kept, and the server stays healthy.
 */
import assert from "node:assert/strict";
import { startTestApp } from "../testing/app.ts";
import { FakeStripe } from "../testing/fake_stripe.ts";
import { createSiteWithOwner } from "../testing/journeys.ts";
import { HOSTILE_JSON, HOSTILE_PATH_SEGMENTS } from "../testing/hostile.ts";
import { connectPlatform } from "./connection.ts";
import { stopBackground } from "./background.ts";

Deno.test("webhook routes answer hostile input with a 4xx or a stored delivery, never a 5xx", async () => {
  const fake = await FakeStripe.start();
  const errors: string[] = [];
  const app = await startTestApp({
    env: { STRIPE_API_URL: fake.url },
    logSink: (line) => {
      if (JSON.parse(line).level === "error") errors.push(line.slice(0, 400));
    },
  });
  try {
    const owner = await createSiteWithOwner(app.ctx.db.sql);
    const integration = await connectPlatform(
      app.ctx,
      owner.site.id,
      "stripe",
      fake.addKey("rk_test_hostile"),
    );
    await stopBackground(app.ctx);
    const url = `${app.url}/api/webhooks/stripe/${integration.id}`;
    const secret = fake.endpoints[0].secret;
    const failures: string[] = [];
    const send = async (label: string, target: string, body: string, signature?: string) => {
      const res = await fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(signature === undefined ? {} : { "stripe-signature": signature }),
        },
        body,
      });
      await res.body?.cancel();
      if (res.status >= 500) failures.push(`${label}: ${res.status}`);
      return res.status;
    };

    let signedBad = 0;
    for (const [name, body] of Object.entries(HOSTILE_JSON)) {
      await send(`${name} unsigned`, url, body);
      await send(`${name} forged`, url, body, "t=1,v1=00");
      const status = await send(`${name} signed`, url, body, await fake.sign(body, secret));
      // An empty body is no delivery at all; every other signed one is kept, however odd.
      if (status >= 400 && body !== "") signedBad++;
    }
    for (const signature of ["", "t=", "v1=", "t=abc,v1=zz", "x".repeat(10_000), "t=1\u00e9"]) {
      await send(`signature ${JSON.stringify(signature.slice(0, 20))}`, url, "{}", signature);
    }
    for (const segment of HOSTILE_PATH_SEGMENTS) {
      await send(`provider ${segment.slice(0, 20)}`, `${app.url}/api/webhooks/${segment}/1`, "{}");
      await send(
        `integration ${segment.slice(0, 20)}`,
        `${app.url}/api/webhooks/stripe/${segment}`,
        "{}",
        await fake.sign("{}", secret),
      );
    }
    assert.deepEqual(failures, []);
    assert.ok(signedBad > 10, "signed bodies of the wrong shape are refused, not processed");
    // Correctly signed deliveries are kept whatever their shape, for the delivery log.
    const [{ n }] = await app.ctx.db.sql`select count(*)::int as n from webhook_deliveries
      where site_id = ${owner.site.id}`;
    assert.equal(n, signedBad, "every signed delivery is stored, a byte-order mark included");
    assert.equal((await app.fetch("/healthz")).status, 200);
    assert.deepEqual(errors, []);
  } finally {
    await app.stop();
    await fake.close();
  }
});
