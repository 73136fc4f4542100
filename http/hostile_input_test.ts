/**
 * Nothing from outside may produce a 5xx. Every registered route (read from the app, like
 * routes/isolation_test.ts) meets the hostile corpus of testing/hostile.ts as a signed-in owner
 * (with a valid CSRF token, so handlers meet the input) or with an API key; the server must stay
 * healthy afterwards and log no errors. Stored strings render escaped.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import type { AppEnv } from "./context.ts";
import { startTestApp, type TestApp } from "../testing/app.ts";
import { TestClient } from "../testing/http_client.ts";
import {
  HOSTILE_JSON,
  HOSTILE_STRINGS,
  type HostileRoute,
  probeRoute,
  rawRequest,
  ROUTE_PARAM,
} from "../testing/hostile.ts";
import {
  ID_FIXTURES,
  type IsolationWorld,
  NON_ID_PARAMS,
  WORLD_SETUP,
} from "../testing/isolation_fixtures.ts";
import { createUser } from "../accounts/users.ts";
import { createOrg, setMembership } from "../accounts/orgs.ts";
import { createSite } from "../accounts/sites.ts";
import { createLoginSession } from "../accounts/sessions.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createShare } from "../accounts/shares.ts";
import { CHROME_UA, waitFor } from "../ingest/test_support.ts";
import { refreshRollups } from "../db/rollups.ts";

/** A logged error in one line: where, what, and the top of its stack. */
function summary(line: string): string {
  const e = JSON.parse(line);
  const stack = String(e.error?.stack ?? "").split("\n").slice(1, 3).map((l) => l.trim());
  return `${e.path ?? ""} ${e.msg}: ${e.error?.message ?? ""} ${stack.join(" ")}`.slice(0, 500);
}

/** Routes left out of this suite, and why. */
const EXCLUDED: Array<{ pattern: RegExp; why: string }> = [
  {
    pattern: /^\/api\/webhooks\//,
    why: "signed platform calls; integrations/webhook_hostile_test.ts covers them",
  },
  { pattern: /^\/\*$|^\*$/, why: "middleware, not a route" },
];

/** Routes not registered in the app by default that should meet the corpus too. */
export const EXTRA_ROUTES: HostileRoute[] = [];

// Probed alone and last: they may sign the caller out or delete what other routes use.
const DESTRUCTIVE = /logout|delete|leave|transfer|revoke|remove/;

interface World extends IsolationWorld {
  app: TestApp;
  apiKey: string;
  shareToken: string;
  errors: string[];
}

async function startWorld(): Promise<{ world: World; hono: Hono<AppEnv> }> {
  let hono: Hono<AppEnv> | undefined;
  const errors: string[] = [];
  const app = await startTestApp({
    env: {
      COLLECT_RATE_LIMIT: "0",
      MAIL_PREVIEW: "on",
      // Nothing listens there: an outbound call fails at once rather than leaving the machine.
      STRIPE_API_URL: "http://127.0.0.1:9",
    },
    extraRoutes: (a) => hono = a,
    logSink: (line) => {
      if (JSON.parse(line).level === "error") errors.push(summary(line));
    },
  });
  const sql = app.db.sql;
  const owner = await createUser(sql, {
    email: "owner@hostile.example",
    password: "correct horse battery",
    verified: true,
  });
  const org = await createOrg(sql, "Hostile org", owner.id);
  const site = await createSite(sql, { orgId: org.id, domain: "example.com" });
  const member = await createUser(sql, {
    email: "member@hostile.example",
    password: "long enough pw",
  });
  await setMembership(sql, org.id, member.id, "viewer");
  const { session } = await createLoginSession(sql, owner.id);
  const world: World = {
    app,
    sql,
    secrets: app.ctx.secrets,
    orgId: org.id,
    siteId: site.id,
    ownerId: owner.id,
    ownerEmail: owner.email,
    memberId: member.id,
    ownerSessionId: session.id,
    apiKey: (await createApiKey(sql, { orgId: org.id, name: "hostile" })).secret,
    shareToken: (await createShare(sql, app.ctx.secrets, { siteId: site.id })).token,
    errors,
  };
  for (const setup of WORLD_SETUP) await setup(world);
  return { world, hono: hono! };
}

/** A browser signed in as the owner with a fresh session (a probe may have ended the last one). */
async function ownerClient(world: World): Promise<TestClient> {
  const client = new TestClient(world.app);
  const { token } = await createLoginSession(world.sql, world.ownerId);
  client.cookies.set("sextant_session", token);
  return client;
}

async function routesOf(world: World, hono: Hono<AppEnv>): Promise<HostileRoute[]> {
  const seen = new Set<string>();
  const routes: HostileRoute[] = [];
  for (const r of hono.routes) {
    const methods = r.method === "ALL" ? ["GET", "POST"] : [r.method];
    for (const method of methods) {
      const key = `${method} ${r.path}`;
      if (seen.has(key) || EXCLUDED.some((e) => e.pattern.test(r.path))) continue;
      seen.add(key);
      const params: Record<string, string> = {};
      for (const m of r.path.matchAll(ROUTE_PARAM)) {
        const name = m[1];
        const fixture = ID_FIXTURES[name];
        params[name] = name === "token" && r.path.startsWith("/share/")
          ? world.shareToken
          : fixture
          ? encodeURIComponent(String(await fixture(world)))
          : NON_ID_PARAMS.get(name) ?? "x";
      }
      routes.push({ method, pattern: r.path, params });
    }
  }
  return [...routes, ...EXTRA_ROUTES];
}

Deno.test("no hostile input gets a 5xx from any route, and the server stays healthy", async () => {
  const { world, hono } = await startWorld();
  try {
    const routes = await routesOf(world, hono);
    assert.ok(routes.length >= 60, `only ${routes.length} routes found`);
    assert.ok(routes.some((r) => r.pattern === "/api/collect"));
    assert.ok(routes.some((r) => r.pattern === "/api/v1/events"));
    const failures: string[] = [];
    const probe = async (route: HostileRoute) => {
      const client = await ownerClient(world);
      failures.push(...await probeRoute({ client, apiKey: world.apiKey }, route));
    };
    // Harmless routes a few at a time (each with its own session); destructive ones alone, last.
    const harmless = routes.filter((r) => !DESTRUCTIVE.test(r.pattern));
    const queue = [...harmless];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let r = queue.shift(); r; r = queue.shift()) await probe(r);
      }),
    );
    for (const route of routes.filter((r) => DESTRUCTIVE.test(r.pattern))) await probe(route);
    if (failures.length) console.log([...new Set(world.errors)].join("\n"));
    assert.deepEqual(failures, [], "These hostile requests got a 5xx");
    assert.deepEqual(world.errors, [], "Hostile input was logged as an error");
    const health = await world.app.fetch("/healthz");
    assert.equal(health.status, 200);
    await health.body?.cancel();
  } finally {
    await world.app.stop();
  }
});

Deno.test("bytes that are not UTF-8 in a request's path, query or headers get a 4xx at most", async () => {
  const { world } = await startWorld();
  try {
    const bad = (prefix: string, suffix: string) =>
      new Uint8Array([
        ...new TextEncoder().encode(prefix),
        0xff,
        0xc0,
        0xaf,
        ...new TextEncoder().encode(suffix),
      ]);
    const requests = [
      bad("GET /sites/", " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      bad("GET /login?next=/", " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
      bad("GET / HTTP/1.1\r\nHost: x\r\nCookie: sextant_session=", "\r\nConnection: close\r\n\r\n"),
      bad(
        "POST /api/collect HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nReferer: ",
        "\r\nConnection: close\r\n\r\n{}x",
      ),
      "GET /%%%% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "GET /static/%2e%2e/deno.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ];
    for (const r of requests) {
      const status = await rawRequest(world.app, r);
      assert.ok(status > 0 && status < 500, `${String(r).slice(0, 40)} → ${status}`);
    }
    assert.deepEqual(world.errors, []);
  } finally {
    await world.app.stop();
  }
});

Deno.test("deeply nested collect and API bodies get a 400 naming the nesting, not an error", async () => {
  const { world } = await startWorld();
  try {
    const deep = [HOSTILE_JSON.deepArrays, HOSTILE_JSON.deepObjects];
    for (const body of deep) {
      const collect = await world.app.fetch("/api/collect", {
        method: "POST",
        headers: { "content-type": "text/plain", origin: "https://example.com" },
        body,
      });
      assert.equal(collect.status, 400);
      assert.match((await collect.json()).error, /nests deeper than \d+ levels/);
      const api = await world.app.fetch("/api/v1/events", {
        method: "POST",
        headers: { authorization: `Bearer ${world.apiKey}`, "content-type": "application/json" },
        body,
      });
      assert.equal(api.status, 400);
      assert.match((await api.json()).error, /nests deeper than \d+ levels/);
    }
    assert.deepEqual(world.errors, []);
  } finally {
    await world.app.stop();
  }
});

Deno.test("strings stored through collect render escaped on the dashboard", async () => {
  const { world } = await startWorld();
  try {
    const script = HOSTILE_STRINGS.script;
    const q = new URLSearchParams({ utm_source: script, utm_campaign: HOSTILE_STRINGS.attribute });
    const res = await world.app.fetch("/api/collect", {
      method: "POST",
      headers: {
        "content-type": "text/plain",
        origin: "https://example.com",
        "user-agent": CHROME_UA,
      },
      body: JSON.stringify({
        s: (await world.sql`select public_id from sites where id = ${world.siteId}`)[0].public_id,
        v: "hostile-visitor",
        e: [{
          t: "pageview",
          u: `https://example.com/<b>page</b>?${q}`,
          ti: script,
          r: `https://evil.example/${script}`,
        }],
      }),
    });
    assert.equal(res.status, 202);
    await waitFor(async () =>
      (await world.sql`select count(*)::int as n from sessions where site_id = ${world.siteId}`)[0]
        .n === 1
    );
    await refreshRollups(world.sql);
    const client = await ownerClient(world);
    const pages = [
      `/sites/${world.siteId}?acq=source`,
      `/sites/${world.siteId}/breakdown/source`,
      `/sites/${world.siteId}/breakdown/campaign`,
    ];
    for (const path of pages) {
      const { res: page, html } = await client.page(path);
      assert.equal(page.status, 200, path);
      if (!path.endsWith("campaign")) {
        // Escaping `<` is what keeps a tag from opening; `>` may stay as it is.
        assert.match(html, /&lt;script(&gt;|>)alert\(1\)&lt;\/script/, `${path} shows it`);
      }
      assert.ok(!html.includes(script), `${path} holds the raw script tag`);
      assert.ok(!html.includes("<img src=x"), `${path} holds the raw attribute breakout`);
    }
  } finally {
    await world.app.stop();
  }
});
