/**
 * Isolation, proven for every route: a signed-in user of another organization gets 404 from
 * every page and API route that takes an id — for every method — and a Bearer key of another
 * organization gets 404 from every /api/v1 route. Routes are read from the app itself, so new
 * routes are covered the day they are registered; new kinds of ids need a fixture in
 * testing/isolation_fixtures.ts.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import { startTestApp } from "../testing/app.ts";
import { checkIsolation } from "../testing/isolation.ts";

Deno.test("a user of another organization gets 404 on every route that takes an id", async () => {
  let hono: Hono<AppEnv> | undefined;
  const app = await startTestApp({ extraRoutes: (a) => hono = a });
  try {
    const report = await checkIsolation(app, hono!);
    console.log(`isolation: ${report.checked} route × method pairs checked`);
    assert.deepEqual(
      report.missing,
      [],
      "These routes take an id the isolation test can't fill: add fixtures in testing/isolation_fixtures.ts",
    );
    assert.deepEqual(report.leaks, [], "Another organization's user did not get 404 from these");
    assert.deepEqual(
      report.ownerBlind,
      [],
      "The owner got 404 from these GET routes, so the fixture ids prove nothing",
    );
    assert.ok(report.checked >= 20, `only ${report.checked} route × method pairs were checked`);
    // Routes that erase or export a person's data must be among those proven.
    for (
      const route of [
        "POST /sites/:siteId/privacy",
        "POST /api/v1/sites/:siteId/erasure",
        "GET /api/v1/sites/:siteId/export",
        "GET /api/v1/sites/:siteId{[0-9]+}/segments/:segmentId{[0-9]+}",
        "GET /api/v1/sites/:siteId{[0-9]+}/segments/:segmentId{[0-9]+}/count",
        "GET /api/v1/sites/:siteId{[0-9]+}/segments/:segmentId{[0-9]+}/members",
        "GET /api/v1/sites/:siteId{[0-9]+}/automations/:automationId{[0-9]+}",
        "POST /api/v1/sites/:siteId{[0-9]+}/automations/:automationId{[0-9]+}/enable",
        "POST /api/v1/sites/:siteId{[0-9]+}/automations/:automationId{[0-9]+}/disable",
        "GET /api/v1/sites/:siteId{[0-9]+}/automations/:automationId{[0-9]+}/runs",
        "POST /sites/:siteId/alerts/custom/:ruleId",
        "POST /sites/:siteId/alerts/custom/:ruleId/delete",
        "POST /sites/:siteId/integrations/:provider/authorize",
      ]
    ) {
      assert.ok(report.covered.includes(route), `${route} was not checked`);
    }
  } finally {
    await app.stop();
  }
});

Deno.test("the isolation check catches a route that forgets to authorize, and unknown ids", async () => {
  let hono: Hono<AppEnv> | undefined;
  const app = await startTestApp({
    extraRoutes: (a) => {
      hono = a;
      a.get("/sites/:siteId/forgot-to-authorize", (c) => c.text(`site ${c.req.param("siteId")}`));
      a.post("/api/app/sites/:siteId/forgot-too", (c) => c.json({ ok: true }));
      a.get("/widgets/:widgetId", (c) => c.text("widget"));
    },
  });
  try {
    const report = await checkIsolation(app, hono!);
    assert.ok(
      report.leaks.includes("GET /sites/:siteId/forgot-to-authorize → 200"),
      String(report.leaks),
    );
    assert.ok(
      report.leaks.includes("POST /api/app/sites/:siteId/forgot-too → 200"),
      String(report.leaks),
    );
    assert.deepEqual(report.missing, ["GET /widgets/:widgetId (:widgetId)"]);
  } finally {
    await app.stop();
  }
});
