/**
 * `deno run -A scripts/bench_pages.ts`: what the pages breakdown costs with and without the
 * scroll depth and engaged time columns (read from the tracker's engagement events).
 *
 * Loads BENCH_EVENTS events (default 1 000 000) like bench:query, adds one engagement event per
 * page view a few seconds after it, then prints p50/p95 (BENCH_RUNS runs, default 5, after one
 * warm-up) for the last 30 days and 12 months, each line with the load average beside it: the
 * overview's pages panel (10 rows, every metric, as loadPanel asks), the same rows without the
 * two columns, the panel under a filter (raw events), and the details page (50 rows);
 * and how long the rollup refresh takes, whole and after a few new events today.
 * Figures only; nothing asserts on time.
 */
import {
  benchDatabase,
  calibrate,
  loadAverage,
  loadBenchSite,
  pct,
  since,
  time,
} from "./bench_data.ts";
import { breakdown } from "../analytics/stats.ts";
import { loadPanel } from "../analytics/dashboard.ts";
import { checkQuery } from "../analytics/query.ts";
import { metricsFor } from "../analytics/dimensions.ts";
import { markRollups, markSiteRollups, refreshRollups } from "../db/rollups.ts";

const EVENTS = Number(Deno.env.get("BENCH_EVENTS") ?? 1_000_000);
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);

const { sql, drop } = await benchDatabase();
try {
  const { tenant, siteId } = await loadBenchSite(sql, EVENTS);
  const site = tenant.site;
  const started = performance.now();
  // Every column but the ones an engagement event sets itself.
  const cols = `site_id, visitor_id, session_id, name, hostname, pathname, title, referrer,
    referrer_host, source, medium, campaign, content, term, channel, click_id_type, country,
    region, city, lat, lon, browser, browser_version, os, os_version, device, screen, language,
    timezone, props`;
  const [{ n }] = await sql.unsafe(
    `with ins as (insert into events (ts, event_id, type, scroll_depth, engaged_ms, ${cols})
       select ts + interval '5 seconds', gen_random_uuid(), 'engagement',
              (random() * 100)::smallint, (500 + random() * 60000)::int, ${cols}
       from events where site_id = $1 and type = 'pageview' returning 1)
     select count(*)::int8 as n from ins`,
    [siteId],
  );
  console.log(`${Number(n).toLocaleString()} engagement events added in ${since(started)}`);
  let r0 = performance.now();
  await markSiteRollups(sql, siteId);
  await refreshRollups(sql);
  console.log(`every rollup rebuilt in ${since(r0)}, ${loadAverage()}`);
  await sql`vacuum analyze events`;
  // What the job does every ~10 s: a few new events today, marked as the writer marks them.
  const recent = await sql.unsafe(
    `insert into events (ts, event_id, type, scroll_depth, engaged_ms, ${cols})
     select now() - interval '1 minute', gen_random_uuid(), 'engagement', 50, 4000, ${cols}
     from events where site_id = $1 and type = 'pageview' limit 100 returning ts`,
    [siteId],
  );
  await markRollups(sql, "events", recent.map((r) => ({ siteId, at: r.ts as Date })));
  r0 = performance.now();
  await refreshRollups(sql);
  console.log(`refresh after 100 new events today: ${since(r0)}, ${loadAverage()}`);

  const fmt = (ms: number) => ms.toFixed(1).padStart(8);
  await calibrate(sql);
  console.log(`\n${RUNS} runs each after one warm-up, ms        p50     p95`);
  for (const period of ["30d", "12mo"]) {
    const base = checkQuery({ period });
    const lines: Array<[string, () => Promise<unknown>]> = [
      ["pages panel (overview)", () => loadPanel(sql, site, base, "page")],
      [
        "pages panel without scroll, engaged",
        () => breakdown(sql, site, checkQuery({ period, dimension: "page", limit: 10 })),
      ],
      [
        "pages panel, filtered (raw)",
        () =>
          loadPanel(
            sql,
            site,
            checkQuery({ period, filters: [{ dimension: "device", op: "is", value: "Desktop" }] }),
            "page",
          ),
      ],
      [
        "pages details (50 rows, all)",
        () =>
          breakdown(
            sql,
            site,
            checkQuery({ period, dimension: "page", limit: 50, metrics: metricsFor("page") }),
          ),
      ],
    ];
    for (const [name, run] of lines) {
      const ms = await time(RUNS, run);
      console.log(
        `  ${period.padEnd(5)} ${name.padEnd(32)}${fmt(pct(ms, 50))}${
          fmt(pct(ms, 95))
        }   ${loadAverage()}`,
      );
    }
  }
} finally {
  await drop();
}
