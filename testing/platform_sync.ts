/** Helpers for platform integration tests: waiting for a backfill, posting the page's forms. */
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "./app.ts";
import { createSiteWithOwner, type SiteOwner } from "./journeys.ts";
import { type Integration, latestSync, type Sync } from "../integrations/store.ts";
import { webhookUrl } from "../integrations/connection.ts";
import { waitFor } from "./wait.ts";

/** The integration's newest backfill after `after`, once it has finished. */
export async function syncDone(app: TestApp, integrationId: number, after = 0): Promise<Sync> {
  let found: Sync | null = null;
  await waitFor(
    async () => {
      const s = await latestSync(app.ctx.db.sql, integrationId);
      found = s && s.id > after && (s.status === "done" || s.status === "failed") ? s : null;
      return found !== null;
    },
    60_000,
    "the sync finishing",
  );
  return found!;
}

/** The integrations page's CSRF token for a signed-in user. */
export async function csrfFor(app: TestApp, cookie: string, siteId: number): Promise<string> {
  const html = await (await app.fetch(`/sites/${siteId}/integrations`, { headers: { cookie } }))
    .text();
  return /name="_csrf" value="([^"]+)"/.exec(html)![1];
}

/** Posts the page's disconnect form for `provider` as `owner`; answers where it redirected. */
export async function postDisconnect(
  app: TestApp,
  owner: SiteOwner,
  provider: string,
): Promise<string> {
  const res = await app.fetch(`/sites/${owner.site.id}/integrations/${provider}/disconnect`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: owner.cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: await csrfFor(app, owner.cookie, owner.site.id) }),
  });
  await res.body?.cancel();
  assert.equal(res.status, 303);
  return res.headers.get("location")!;
}

/** Sends one webhook delivery twice, byte for byte, as a platform retrying it; each must be 200. */
export async function deliverTwice(
  url: string,
  body: string,
  headers: HeadersInit = { "content-type": "application/json" },
): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await fetch(url, { method: "POST", headers, body });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  }
}

/** The integration's webhook URL on the test app (the configured public URL swapped for it). */
export async function localWebhookUrl(app: TestApp, integration: Integration): Promise<string> {
  return (await webhookUrl(app.ctx, integration)).replace(app.ctx.config.PUBLIC_URL!, app.url);
}

/** Starts a platform fake and the setting that points Sextant at it (`envName` = its URL). */
export async function startFakeAt<F extends { url: string }>(
  start: () => Promise<F>,
  envName: string,
): Promise<{ fake: F; env: Record<string, string> }> {
  const fake = await start();
  return { fake, env: { [envName]: fake.url } };
}

/**
 * Runs `fn` on a test app whose `envName` points at a started platform fake, with a site and its
 * owner; stops both afterwards.
 */
export async function withFakePlatform<F extends { url: string; close(): Promise<void> }>(
  fake: F,
  envName: string,
  fn: (app: TestApp, owner: SiteOwner, fake: F) => Promise<void>,
): Promise<void> {
  const app = await startTestApp({ env: { [envName]: fake.url } });
  try {
    await fn(app, await createSiteWithOwner(app.ctx.db.sql), fake);
  } finally {
    await app.stop();
    await fake.close();
  }
}
