/**
 * One check every commerce platform passes: a delivery whose processing fails is retried and
 * then stored once, replaying it from the delivery log stores nothing again, and a backfill an
 * instance stopped half-way is taken over and finishes with every purchase once; disconnecting
 * and connecting again backfills the same 30 days without losing or doubling a purchase.
 */
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "./app.ts";
import { createSiteWithOwner, daysBefore, type SiteOwner } from "./journeys.ts";
import { syncDone } from "./platform_sync.ts";
import { claimSync, type Integration, queueSync } from "../integrations/store.ts";
import { replayDelivery, retryDueDeliveries } from "../integrations/webhooks.ts";
import { runSync } from "../integrations/sync.ts";
import { disconnectPlatform } from "../integrations/connection.ts";

/** How the check drives one platform through its fake. */
export interface CommerceCase<F extends { close(): Promise<void> }> {
  provider: string;
  start(): Promise<{ fake: F; env: Record<string, string> }>;
  /** Connects the owner's site (an empty account: the first backfill finds nothing). */
  connect(app: TestApp, owner: SiteOwner, fake: F): Promise<Integration>;
  /** Adds one paid purchase to the account, made at `created`; answers it for `deliver`. */
  purchase(fake: F, created: Date): unknown;
  /** Sends the platform's signed webhook for `purchase`; answers the HTTP statuses. */
  deliver(fake: F, purchase: unknown): Promise<number[]>;
}

/** Storing any purchase of `siteId` fails until the returned function is called. */
async function failPurchases(app: TestApp, siteId: number): Promise<() => Promise<void>> {
  const sql = app.ctx.db.sql;
  const name = `fail_purchases_${siteId}`;
  await sql.unsafe(`
    create or replace function ${name}() returns trigger language plpgsql as $$
    begin raise exception 'the database refused the write (test)'; end $$;
    create trigger ${name} before insert on purchases for each row
      when (new.site_id = ${Number(siteId)}) execute function ${name}();`);
  return async () => {
    await sql.unsafe(`drop trigger ${name} on purchases; drop function ${name}();`);
  };
}

async function purchaseCounts(app: TestApp, siteId: number) {
  const [row] = await app.ctx.db.sql<{ n: number; keys: number }[]>`
    select count(*)::int as n, count(distinct provider_event_id)::int as keys
    from purchases where site_id = ${siteId} and kind <> 'refund'`;
  return row;
}

/** Runs the whole check for one platform. */
export async function checkRetryReplayResume<F extends { close(): Promise<void> }>(
  c: CommerceCase<F>,
): Promise<void> {
  const { fake, env } = await c.start();
  const app = await startTestApp({ env });
  try {
    const sql = app.ctx.db.sql;
    const owner = await createSiteWithOwner(sql);
    const siteId = owner.site.id;
    const integration = await c.connect(app, owner, fake);
    await syncDone(app, integration.id);

    // The first attempt fails after the delivery was stored: the platform still hears 200.
    const restore = await failPurchases(app, siteId);
    const bought = c.purchase(fake, daysBefore(new Date(), 1));
    try {
      assert.deepEqual(await c.deliver(fake, bought), [200]);
    } finally {
      await restore();
    }
    const [delivery] = await sql<{ id: number; status: string; attempts: number }[]>`
      select id, status, attempts from webhook_deliveries where integration_id = ${integration.id}`;
    assert.equal(delivery.status, "retrying", `${c.provider}: the failed delivery waits to retry`);
    assert.equal((await purchaseCounts(app, siteId)).n, 0);

    // Its retry comes due and stores it once.
    await sql`update webhook_deliveries set next_attempt_at = now() where id = ${delivery.id}`;
    assert.equal(await retryDueDeliveries(app.ctx), 1);
    const [retried] = await sql<{ status: string; attempts: number }[]>`
      select status, attempts from webhook_deliveries where id = ${delivery.id}`;
    assert.deepEqual(retried, { status: "processed", attempts: 2 });
    assert.deepEqual(await purchaseCounts(app, siteId), { n: 1, keys: 1 });

    // Replayed from the log, and delivered again by the platform: still one purchase.
    assert.equal(await replayDelivery(app.ctx, integration, delivery.id), "processed");
    await c.deliver(fake, bought);
    assert.equal(await retryDueDeliveries(app.ctx), 0);
    assert.deepEqual(await purchaseCounts(app, siteId), { n: 1, keys: 1 }, `${c.provider} replay`);

    // A backfill whose instance stops after three purchases…
    const more = 12;
    for (let i = 0; i < more; i++) c.purchase(fake, daysBefore(new Date(), 2 + i));
    const queued = await queueSync(sql, integration, 30);
    const claimed = (await claimSync(sql, queued.id))!;
    let checks = 0;
    const stopsAfterThree = {
      get aborted() {
        return ++checks > 3;
      },
    } as AbortSignal;
    await runSync(app.ctx, claimed, stopsAfterThree);
    const partial = await purchaseCounts(app, siteId);
    assert.ok(
      partial.n > 1 && partial.n < more + 1,
      `${c.provider}: the first run stopped part-way (${partial.n})`,
    );
    const [left] = await sql<{ status: string }[]>`
      select status from integration_syncs where id = ${queued.id}`;
    assert.equal(left.status, "running", "a stopped run leaves its backfill to be taken over");

    // …is taken over once its heartbeat is stale, and finishes with every purchase once.
    await sql`update integration_syncs set heartbeat_at = now() - interval '5 minutes'
      where id = ${queued.id}`;
    const resumed = await claimSync(sql);
    assert.equal(resumed?.id, queued.id, `${c.provider}: the same backfill is resumed`);
    await runSync(app.ctx, resumed!, new AbortController().signal);
    const [done] = await sql<{ status: string; synced: number }[]>`
      select status, synced from integration_syncs where id = ${queued.id}`;
    assert.equal(done.status, "done");
    assert.deepEqual(await purchaseCounts(app, siteId), { n: more + 1, keys: more + 1 });

    // Disconnected, then connected again: its backfill meets every purchase again, storing none
    // twice, and a sale made while disconnected arrives with it.
    await disconnectPlatform(app.ctx, integration);
    c.purchase(fake, daysBefore(new Date(), 0.5));
    const again = await c.connect(app, owner, fake);
    const [last] = await sql<{ id: number }[]>`
      select max(id)::int as id from integration_syncs where integration_id = ${again.id}`;
    await syncDone(app, again.id, last.id - 1);
    assert.deepEqual(
      await purchaseCounts(app, siteId),
      { n: more + 2, keys: more + 2 },
      `${c.provider}: a reconnect neither loses nor doubles a purchase`,
    );
  } finally {
    await app.stop();
    await fake.close();
  }
}
