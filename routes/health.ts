/** GET /healthz: database and bus status for load balancers and people; 503 when either is down. */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";

export function registerHealth(app: Hono<AppEnv>): void {
  app.get("/healthz", async (c) => {
    const { db, bus } = c.get("app");
    const [dbOk, busOk] = await Promise.all([db.ping(), bus.ping()]);
    const ok = dbOk && busOk;
    return c.json(
      {
        status: ok ? "ok" : "degraded",
        database: { ok: dbOk, mode: db.mode },
        bus: { ok: busOk, kind: bus.kind },
      },
      ok ? 200 : 503,
      { "Cache-Control": "no-store" },
    );
  });
}
