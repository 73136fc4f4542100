/**
 * POST /api/webhooks/:provider/:integrationId[/:token] — payment and course platforms deliver
 * events here; the token segment is how platforms that sign nothing prove who they are.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { MAX_BODY_BYTES, receiveWebhook } from "../integrations/webhooks.ts";
import { PLATFORM_IDS } from "../integrations/platforms.ts";

export function registerWebhooks(app: Hono<AppEnv>): void {
  app.post("/api/webhooks/:provider/:integrationId/:token?", async (c) => {
    const provider = c.req.param("provider");
    if (!(PLATFORM_IDS as readonly string[]).includes(provider)) {
      return c.json({ error: "Sextant doesn't take webhooks from that platform." }, 404);
    }
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > MAX_BODY_BYTES) return c.json({ error: "That webhook body is too large." }, 413);
    const answer = await receiveWebhook(
      c.get("app"),
      provider,
      Number(c.req.param("integrationId")),
      // Signatures cover the bytes as sent: keep a leading byte-order mark, which text() drops.
      new TextDecoder("utf-8", { ignoreBOM: true }).decode(await c.req.arrayBuffer()),
      c.req.raw.headers,
      c.req.param("token") ?? "",
    );
    return c.json(answer.body, answer.status);
  });
}
