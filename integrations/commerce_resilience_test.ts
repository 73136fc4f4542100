/** Retries, replays and resumed backfills, the same for every commerce platform. */
import assert from "node:assert/strict";
import { checkRetryReplayResume } from "../testing/commerce_resilience.ts";
import { startFakeAt } from "../testing/platform_sync.ts";
import { FakeLemonSqueezy, type LsResource } from "../testing/fake_lemonsqueezy.ts";
import { FakePolar } from "../testing/fake_polar.ts";
import { FakePaddle } from "../testing/fake_paddle.ts";
import { FakeShopify } from "../testing/fake_shopify.ts";
import { connectPlatform, finishOAuth, startOAuth } from "./connection.ts";

const title = (name: string) =>
  `${name}: a failed delivery is retried and stored once, replays store nothing new, a stopped backfill resumes, a reconnect doubles nothing`;

Deno.test(title("Lemon Squeezy"), () =>
  checkRetryReplayResume({
    provider: "lemonsqueezy",
    start: () => startFakeAt(() => FakeLemonSqueezy.start(), "LEMONSQUEEZY_API_URL"),
    connect: (app, owner, fake) =>
      connectPlatform(app.ctx, owner.site.id, "lemonsqueezy", {
        apiKey: fake.addKey("ls_test_resilience"),
      }),
    purchase: (fake, created) => fake.order({ total: 2500, created }),
    deliver: (fake, order) => fake.emit("order_created", order as LsResource),
  }));

Deno.test(title("Polar"), () =>
  checkRetryReplayResume({
    provider: "polar",
    start: () => startFakeAt(() => FakePolar.start(), "POLAR_API_URL"),
    connect: (app, owner, fake) =>
      connectPlatform(app.ctx, owner.site.id, "polar", {
        apiKey: fake.addKey("polar_oat_resilience"),
      }),
    purchase: (fake, created) => fake.order({ amount: 1900, created }),
    deliver: (fake, order) => fake.emit("order.paid", order),
  }));

Deno.test(title("Paddle"), () =>
  checkRetryReplayResume({
    provider: "paddle",
    start: () => startFakeAt(() => FakePaddle.start(), "PADDLE_API_URL"),
    connect: (app, owner, fake) =>
      connectPlatform(app.ctx, owner.site.id, "paddle", {
        apiKey: fake.addKey("pdl_live_apikey_resilience"),
      }),
    purchase: (fake, created) => fake.transaction({ amount: 4900, created }),
    deliver: (fake, txn) => fake.emit("transaction.completed", txn),
  }));

Deno.test(title("Shopify"), () =>
  checkRetryReplayResume({
    provider: "shopify",
    start: async () => {
      const fake = await FakeShopify.start();
      return {
        fake,
        env: {
          SHOPIFY_CLIENT_ID: fake.clientId,
          SHOPIFY_CLIENT_SECRET: fake.clientSecret,
          SHOPIFY_SHOP_URL: fake.url,
        },
      };
    },
    async connect(app, owner) {
      // The approval screen approves at once and sends the owner back with a code.
      const url = await startOAuth(app.ctx, owner.site.id, owner.userId, "shopify", {
        shop: "indie-store",
      });
      const approved = await fetch(url, { redirect: "manual" });
      const callback = new URL(approved.headers.get("location")!);
      const done = await finishOAuth(app.ctx, owner.userId, "shopify", callback.searchParams);
      assert.ok(done.integration, done.error ?? "no integration");
      return done.integration;
    },
    purchase: (fake, created) => fake.order({ total: "39.00", created }),
    deliver: (fake, order) => fake.emit("orders/create", order),
  }));
