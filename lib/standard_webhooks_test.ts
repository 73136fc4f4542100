import assert from "node:assert/strict";
import {
  newWebhookSecret,
  signDelivery,
  StandardWebhookError,
  verifyDelivery,
  webhookKey,
} from "./standard_webhooks.ts";
import { hmacSha256 } from "./crypto.ts";
import { encodeBase64 } from "./encoding.ts";

const body = '{"type":"order.paid","data":{"id":"o_1"}}';

Deno.test("a delivery signed with a whsec_ secret verifies and yields its id", async () => {
  const secret = newWebhookSecret();
  const headers = new Headers(await signDelivery(secret, "msg_1", body));
  const got = await verifyDelivery(webhookKey(secret), body, headers);
  assert.equal(got.id, "msg_1");
});

Deno.test("the signature follows the published scheme: base64 HMAC of id.timestamp.body", async () => {
  // Independent of signDelivery: computed here from the scheme's definition.
  const raw = crypto.getRandomValues(new Uint8Array(24));
  const secret = "whsec_" + encodeBase64(raw);
  const ts = Math.floor(Date.now() / 1000);
  const sig = encodeBase64(await hmacSha256(raw, `msg_2.${ts}.${body}`));
  const headers = new Headers({
    "webhook-id": "msg_2",
    "webhook-timestamp": String(ts),
    "webhook-signature": `v1,bm90IGl0 v1,${sig}`,
  });
  assert.equal((await verifyDelivery(webhookKey(secret), body, headers)).id, "msg_2");
});

Deno.test("a plain secret (as Polar and Whop issue them) is used as its own bytes", async () => {
  const plain = "polar_whs_abc123";
  const ts = Math.floor(Date.now() / 1000);
  const sig = encodeBase64(await hmacSha256(plain, `m.${ts}.${body}`));
  const headers = new Headers({
    "webhook-id": "m",
    "webhook-timestamp": String(ts),
    "webhook-signature": `v1,${sig}`,
  });
  await verifyDelivery(webhookKey(plain, true), body, headers);
});

Deno.test("tampered, stale, future and unsigned deliveries are refused with a reason", async () => {
  const secret = newWebhookSecret();
  const key = webhookKey(secret);
  const good = await signDelivery(secret, "msg_3", body);
  const cases: [string, Headers, string][] = [
    ["tampered", new Headers(good), body.replace("o_1", "o_2")],
    ["stale", new Headers(await signDelivery(secret, "m", body, new Date(Date.now() - 6e5))), body],
    [
      "future",
      new Headers(await signDelivery(secret, "m", body, new Date(Date.now() + 6e5))),
      body,
    ],
    ["unsigned", new Headers({ "webhook-id": "m", "webhook-timestamp": "1" }), body],
    ["other key", new Headers(await signDelivery(newWebhookSecret(), "m", body)), body],
  ];
  for (const [name, headers, b] of cases) {
    await assert.rejects(() => verifyDelivery(key, b, headers), StandardWebhookError, name);
  }
});
