/**
 * The isolation check behind routes/isolation_test.ts: reads every registered route from the
 * Hono app, fills each id parameter with something org A owns (testing/isolation_fixtures.ts)
 * and asks, as a signed-in user and with an API key of org B, for every method. Anything but
 * 404 is a leak. GET routes are also asked by org A's owner, who must not get 404 — otherwise
 * the fixture proves nothing.
 */
import type { Hono } from "hono";
import type { AppEnv } from "../http/context.ts";
import type { TestApp } from "./app.ts";
import { TestClient } from "./http_client.ts";
import {
  EXEMPT_ROUTES,
  ID_FIXTURES,
  type IsolationWorld,
  NON_ID_PARAMS,
  OWNER_404_ALLOWED,
  WORLD_SETUP,
} from "./isolation_fixtures.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createSite } from "../accounts/sites.ts";
import { createUser } from "../accounts/users.ts";
import { currentMembership, setMembership } from "../accounts/orgs.ts";

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)(\{[^}]*\})?\??/g;

export interface IsolationReport {
  /** Routes with an id parameter that has no fixture. */
  missing: string[];
  /** Routes that answered org B with something other than 404. */
  leaks: string[];
  /** GET routes that answered org A's owner with 404. */
  ownerBlind: string[];
  /** Route × method pairs checked. */
  checked: number;
  /** Those pairs, as "METHOD /path". */
  covered: string[];
}

/** Runs the check against a started app and its Hono instance (from `extraRoutes`). */
export async function checkIsolation(app: TestApp, hono: Hono<AppEnv>): Promise<IsolationReport> {
  const sql = app.db.sql;
  // Org A: an owner (signed in through the form) with a site and a second member.
  const owner = new TestClient(app);
  await owner.signUp("owner-a@example.com");
  const ownerUser = (await sql`select id from users where email = 'owner-a@example.com'`)[0];
  const orgA = (await currentMembership(sql, ownerUser.id))!.org_id;
  const siteA = await createSite(sql, { orgId: orgA, domain: "a.example" });
  const member = await createUser(sql, {
    email: "member-a@example.com",
    password: "long enough pw",
  });
  await setMembership(sql, orgA, member.id, "viewer");
  const [session] = await sql`select id from user_sessions where user_id = ${ownerUser.id}`;
  const world: IsolationWorld = {
    sql,
    secrets: app.ctx.secrets,
    orgId: orgA,
    siteId: siteA.id,
    ownerId: ownerUser.id,
    ownerEmail: "owner-a@example.com",
    memberId: member.id,
    ownerSessionId: session.id,
  };
  for (const setup of WORLD_SETUP) await setup(world);
  const ownerKey = (await createApiKey(sql, { orgId: orgA, name: "a" })).secret;

  // Org B: the intruder, fully signed in, with a site and an API key of their own.
  const intruder = new TestClient(app);
  await intruder.signUp("owner-b@example.com");
  const userB = (await sql`select id from users where email = 'owner-b@example.com'`)[0];
  const orgB = (await currentMembership(sql, userB.id))!.org_id;
  await createSite(sql, { orgId: orgB, domain: "b.example" });
  const intruderKey = (await createApiKey(sql, { orgId: orgB, name: "b" })).secret;
  const apiClient = new TestClient(app);
  const request = (who: TestClient | string, method: string, path: string) =>
    send(apiClient, who, method, path);

  const seen = new Set<string>();
  const routes = hono.routes.filter((r) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key) || r.path === "*" || r.path === "/*") return false;
    seen.add(key);
    return true;
  });
  const missing: string[] = [];
  const leaks: string[] = [];
  const ownerBlind: string[] = [];
  let checked = 0;
  const covered: string[] = [];
  for (const route of routes) {
    if (EXEMPT_ROUTES.some((e) => e.pattern.test(route.path))) continue;
    const params = [...route.path.matchAll(PARAM)].map((m) => m[1]);
    const idParams = params.filter((p) => !NON_ID_PARAMS.has(p));
    if (idParams.length === 0) continue;
    let path = route.path;
    let unfilled = false;
    for (const m of route.path.matchAll(PARAM)) {
      const name = m[1];
      const fixture = ID_FIXTURES[name];
      if (NON_ID_PARAMS.has(name)) {
        path = path.replace(m[0], NON_ID_PARAMS.get(name)!);
        continue;
      }
      if (!fixture) {
        missing.push(`${route.method} ${route.path} (:${name})`);
        unfilled = true;
        break;
      }
      path = path.replace(m[0], encodeURIComponent(String(await fixture(world))));
    }
    if (unfilled) continue;
    const methods = route.method === "ALL" ? ["GET", "POST"] : [route.method];
    for (const method of methods) {
      checked++;
      covered.push(`${method} ${route.path}`);
      const api = path.startsWith("/api/v1/");
      const res = await request(api ? intruderKey : intruder, method, path);
      if (res.status !== 404) leaks.push(`${method} ${route.path} → ${res.status}`);
      if (method === "GET" && !OWNER_404_ALLOWED.some((o) => o.pattern.test(route.path))) {
        const mine = await request(api ? ownerKey : owner, method, path);
        if (mine.status === 404) ownerBlind.push(`${method} ${route.path}`);
      }
    }
  }
  return { missing, leaks, ownerBlind, checked, covered };
}

/** A request as a signed-in browser (TestClient) or with a Bearer key (string). */
async function send(
  apiClient: TestClient,
  who: TestClient | string,
  method: string,
  path: string,
): Promise<Response> {
  const unsafe = method !== "GET" && method !== "HEAD";
  let res: Response;
  if (typeof who === "string") {
    res = await apiClient.fetch(path, {
      method,
      headers: { authorization: `Bearer ${who}`, "content-type": "application/json" },
      body: unsafe ? "{}" : undefined,
    });
  } else if (!unsafe) {
    res = await who.fetch(path, { method, headers: { accept: "text/html" } });
  } else {
    const token = await who.csrfToken();
    res = await who.fetch(path, {
      method,
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-csrf-token": token,
        accept: "application/json",
      },
      body: new URLSearchParams({ _csrf: token }),
    });
  }
  await res.body?.cancel();
  return res;
}
