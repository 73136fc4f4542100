import assert from "node:assert/strict";
import { ALL_DB_MODES, inDbMode } from "../testing/db.ts";
import { startTestApp } from "../testing/app.ts";
import { waitFor } from "../testing/wait.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createSite } from "../accounts/sites.ts";
import { refreshRollups } from "../db/rollups.ts";
import { CHROME_UA } from "./test_support.ts";

const DAY = 86_400_000;

/** 90 days of history: visitors with one or two pageviews, each event with a fixed id. */
function history(now: number) {
  const today = Math.floor(now / DAY) * DAY;
  const days: { day: string; visitors: number; pageviews: number }[] = [];
  const events: Record<string, unknown>[] = [];
  for (let d = 90; d >= 1; d--) {
    const start = today - d * DAY;
    const visitors = 3 + (d * 7) % 11;
    let pageviews = 0;
    for (let v = 0; v < visitors; v++) {
      const views = 1 + ((d + v) % 2);
      for (let p = 0; p < views; p++) {
        events.push({
          type: "pageview",
          visitor_id: `imported-${d}-${v}`,
          timestamp: new Date(start + 3_600_000 * (1 + v) + p * 60_000).toISOString(),
          event_id: crypto.randomUUID(),
          url: `https://imported.example/page-${p}`,
          user_agent: CHROME_UA,
        });
        pageviews++;
      }
    }
    days.push({ day: new Date(start).toISOString().slice(0, 10), visitors, pageviews });
  }
  return { days, events };
}

for (const mode of ALL_DB_MODES) {
  Deno.test({
    name: `[${mode}] 90 days of history through the events API show on the dashboard, once`,
    ...inDbMode(mode),
    async fn() {
      const app = await startTestApp({ dbMode: mode });
      const sql = app.db.sql;
      try {
        const [org] = await sql<{ id: number }[]>`
          insert into orgs (name) values ('Importers') returning id`;
        const site = await createSite(sql, {
          orgId: org.id,
          domain: "imported.example",
          timezone: "UTC",
        });
        const plain = (await createApiKey(sql, { orgId: org.id, name: "server" })).secret;
        const importer = (await createApiKey(sql, {
          orgId: org.id,
          name: "import",
          scopes: ["import"],
        })).secret;
        const send = (key: string, events: unknown[]) =>
          app.fetch("/api/v1/events", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
            body: JSON.stringify({ site: site.public_id, events }),
          });
        const { days, events } = history(Date.now());

        // Without the import scope, a timestamp older than 7 days is refused, naming the field.
        let res = await send(plain, [events[0]]);
        assert.equal(res.status, 400);
        const refusal = (await res.json()).error;
        assert.match(refusal, /events\[0\]\.timestamp/);
        assert.match(refusal, /7 days/);
        // With it, 400 days is the limit, and the future stays refused.
        const tooOld = { ...events[0], timestamp: new Date(Date.now() - 401 * DAY).toISOString() };
        res = await send(importer, [tooOld]);
        assert.equal(res.status, 400);
        assert.match((await res.json()).error, /last 400 days/);

        const sendAll = async () => {
          for (let i = 0; i < events.length; i += 500) {
            const r = await send(importer, events.slice(i, i + 500));
            assert.equal(r.status, 202);
            await r.body?.cancel();
          }
        };
        const stored = async () =>
          (await sql`select count(*)::int as n from events where site_id = ${site.id}`)[0].n;
        await sendAll();
        await waitFor(async () => await stored() === events.length, 60_000, "the import stored");

        // Sent again: nothing is stored twice (a marker sent after it shows the queue drained).
        await sendAll();
        const marker = { ...events[0], event_id: crypto.randomUUID(), timestamp: undefined };
        res = await send(importer, [marker]);
        await res.body?.cancel();
        await waitFor(async () => await stored() === events.length + 1, 60_000, "the marker");
        await refreshRollups(sql);

        const from = days[0].day, to = days[days.length - 1].day;
        res = await app.fetch(
          `/api/v1/sites/${site.id}/stats?period=custom&from=${from}&to=${to}` +
            "&dimension=time:day&metrics=visitors,pageviews",
          { headers: { authorization: `Bearer ${plain}` } },
        );
        assert.equal(res.status, 200);
        const body = await res.json();
        const got = (body.results as { time: string; visitors: number; pageviews: number }[])
          .map((r) => ({ day: r.time.slice(0, 10), visitors: r.visitors, pageviews: r.pageviews }));
        assert.deepEqual(got, days);

        // Imported visits are visits of their own day, not joined to anything later.
        const [{ n }] = await sql`select count(*)::int as n from sessions
          where site_id = ${site.id} and started_at < now() - interval '1 day'`;
        assert.equal(n, days.reduce((s, d) => s + d.visitors, 0));
      } finally {
        await app.stop();
      }
    },
  });
}
