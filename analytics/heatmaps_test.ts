import assert from "node:assert/strict";
import { ALL_DB_MODES, createTestDatabase, inDbMode } from "../testing/db.ts";
import { createTestSite, IPHONE_UA } from "../ingest/test_support.ts";
import { writeBatches } from "../ingest/writer.ts";
import { type HeatmapVisit, recordHeatmapVisits } from "../testing/heatmap_data.ts";
import type { Site } from "../accounts/sites.ts";
import { LAYOUT_WIDTHS } from "../lib/layout.ts";
import { Invalid } from "../lib/errors.ts";
import { checkQuery } from "./query.ts";
import {
  GRID_COLUMNS,
  HEATMAP_MODES,
  heatmapPages,
  heatmapReport,
  parseHeatmapParams,
  rebuildHeatmapZones,
  SCROLL_STEPS,
} from "./heatmaps.ts";

const VISITS: Array<Omit<HeatmapVisit, "url"> & { query?: string }> = [
  {
    v: "visitor-google",
    width: 1440,
    query: "?utm_source=google&utm_medium=cpc",
    clicks: [
      { x: 700, y: 300, sel: "button#buy" },
      { x: 705, y: 302, sel: "button#buy" },
      { x: 100, y: 900, sel: "div.hero>p", f: 2 },
    ],
    moves: [10, 10, 20, 20, 700, 300],
    scrolls: [{ sd: 40, at: [3, 2, 1, 0, 0, 0, 0, 0, 0, 0] }, {
      sd: 80,
      at: [0, 0, 2, 2, 1, 0, 0, 0, 0, 0],
    }],
  },
  {
    v: "visitor-direct",
    // A wider window: x scales to the 1440 px layout, so 933 lands near 700 as well.
    width: 1920,
    clicks: [
      { x: 933, y: 301, sel: "button#buy", f: 1 },
      { x: 934, y: 301, sel: "button#buy", f: 1 },
      { x: 934, y: 302, sel: "button#buy", f: 1 },
    ],
    scrolls: [{ sd: 100, at: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] }],
  },
  {
    v: "visitor-phone",
    width: 390,
    ua: IPHONE_UA,
    clicks: [{ x: 50, y: 1200, sel: "nav>a:nth-of-type(2)" }],
    scrolls: [{ sd: 25, at: [4, 0, 0, 0, 0, 0, 0, 0, 0, 0] }],
  },
];

// Three days ago: whole days, which unfiltered reports read from the daily rollups.
const WHEN = Date.now() - 3 * 86_400_000;

function record(sql: Parameters<typeof writeBatches>[0], site: Site) {
  return recordHeatmapVisits(
    sql,
    site,
    VISITS.map(({ query, ...v }) => ({
      ...v,
      url: `https://${site.domain}/pricing${query ?? ""}`,
    })),
    WHEN,
  );
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] heatmaps: clicks, moves, scroll reach, attention and elements per layout`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const site = await createTestSite(db.sql, { heatmaps_enabled: true });
        const batches = await record(db.sql, site);
        // A replayed batch (the queue retrying) stores nothing twice, samples included.
        await writeBatches(db.sql, batches);
        const [{ n }] = await db.sql`select count(*)::int as n from heatmap_clicks`;
        const expectedRows = VISITS.reduce(
          (sum, v) => sum + v.clicks.length + (v.moves?.length ?? 0) / 2 + (v.scrolls?.length ?? 0),
          0,
        );
        assert.equal(n, expectedRows);

        const stats = { ...site, first_event_at: null };
        const q = checkQuery({ period: "7d" });
        const desktop = await heatmapReport(
          db.sql,
          stats,
          q,
          parseHeatmapParams(new URLSearchParams("page=/pricing")),
        );
        const cell = LAYOUT_WIDTHS.desktop / GRID_COLUMNS;
        const desktopClicks = VISITS.filter((v) => v.width >= 1024).flatMap((v) =>
          v.clicks.map((c) => ({ ...c, sx: (c.x * LAYOUT_WIDTHS.desktop) / v.width }))
        );
        // The grid, computed here from the scripted clicks.
        const expected = new Map<string, number>();
        for (const c of desktopClicks) {
          const key = `${Math.floor(c.sx / cell)}:${Math.floor(c.y / cell)}`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        assert.deepEqual(
          Object.fromEntries(desktop.grid.map((g) => [`${g.col}:${g.row}`, g.value])),
          Object.fromEntries(expected),
        );
        assert.equal(desktop.max, Math.max(...expected.values()));
        assert.deepEqual(desktop.totals, {
          clicks: desktopClicks.length,
          rage: desktopClicks.filter((c) => (c.f ?? 0) & 1).length,
          dead: desktopClicks.filter((c) => (c.f ?? 0) & 2).length,
          errors: 0,
          moves: 3,
        });
        assert.equal(desktop.height, 3000);
        // Two desktop page views: deepest 80 % and 100 %.
        assert.equal(desktop.pageViews, 2);
        for (const s of desktop.scroll) {
          const reached = [80, 100].filter((d) => d >= s.depth).length;
          assert.equal(s.pageViews, reached, `depth ${s.depth}`);
        }
        assert.deepEqual(desktop.scroll.map((s) => s.depth), SCROLL_STEPS);
        assert.deepEqual(desktop.attention, [4, 3, 4, 3, 2, 1, 1, 1, 1, 1]);
        assert.deepEqual(
          desktop.elements.map((e) => [e.selector, e.clicks, e.rage, e.dead]),
          [["button#buy", 5, 3, 0], ["div.hero>p", 1, 0, 1]],
        );
        assert.equal(desktop.elements[0].share, 5 / 6);
        // The element's box starts at the click minus its offset inside the element.
        assert.equal(desktop.elements[1].box.x, 95);
        assert.equal(desktop.elements[1].box.y, 896);

        // The rollups and the raw rows agree, in every mode and layout.
        for (const mode of HEATMAP_MODES) {
          for (const layout of ["desktop", "mobile"]) {
            const params = parseHeatmapParams(
              new URLSearchParams({ page: "/pricing", mode, layout }),
            );
            assert.deepEqual(
              await heatmapReport(db.sql, stats, q, params),
              await heatmapReport(db.sql, stats, q, params, { raw: true }),
              `${mode} ${layout}`,
            );
          }
        }
        assert.deepEqual(
          await heatmapPages(db.sql, stats, q),
          await heatmapPages(db.sql, stats, q, { raw: true }),
        );
        const [{ cells }] = await db.sql`select count(*)::int as cells from heatmap_grid`;
        assert.ok(cells > 0);

        const rage = await heatmapReport(
          db.sql,
          stats,
          q,
          parseHeatmapParams(new URLSearchParams("page=/pricing&mode=rage")),
        );
        assert.equal(rage.grid.reduce((s, g) => s + g.value, 0), 3);
        assert.deepEqual(rage.elements.map((e) => [e.selector, e.clicks]), [["button#buy", 3]]);

        const moves = await heatmapReport(
          db.sql,
          stats,
          q,
          parseHeatmapParams(new URLSearchParams("page=/pricing&mode=moves")),
        );
        assert.equal(moves.grid.reduce((s, g) => s + g.value, 0), 3);

        const mobile = await heatmapReport(
          db.sql,
          stats,
          q,
          parseHeatmapParams(new URLSearchParams("page=/pricing&layout=mobile")),
        );
        assert.equal(mobile.totals.clicks, 1);
        assert.equal(mobile.pageViews, 1);
        assert.equal(mobile.scroll.find((s) => s.depth === 25)!.pageViews, 1);
        assert.equal(mobile.scroll.find((s) => s.depth === 30)!.pageViews, 0);

        // Dashboard filters choose visits: only the visit from Google.
        const google = await heatmapReport(
          db.sql,
          stats,
          checkQuery({
            period: "7d",
            filters: [{ dimension: "source", op: "is", value: "Google" }],
          }),
          parseHeatmapParams(new URLSearchParams("page=/pricing")),
        );
        assert.equal(google.totals.clicks, 3);
        assert.equal(google.pageViews, 1);

        assert.deepEqual(await heatmapPages(db.sql, stats, q), [{
          page: "/pricing",
          clicks: 7,
          records: expectedRows,
        }]);
        // Another site sees nothing of this one.
        const other = await createTestSite(db.sql, { heatmaps_enabled: true }, "other.example");
        const empty = await heatmapReport(
          db.sql,
          { ...other, first_event_at: null },
          q,
          parseHeatmapParams(new URLSearchParams("page=/pricing")),
        );
        assert.equal(empty.totals.clicks + empty.pageViews + empty.grid.length, 0);
      } finally {
        await db.close();
      }
    },
  );
}

Deno.test("heatmap parameters are checked with sentences", () => {
  assert.throws(
    () => parseHeatmapParams(new URLSearchParams("")),
    (e) => e instanceof Invalid && /Choose a page/.test(e.message),
  );
  assert.throws(
    () => parseHeatmapParams(new URLSearchParams("page=/&layout=watch")),
    (e) => e instanceof Invalid && /desktop, tablet or mobile/.test(e.message),
  );
  assert.throws(
    () => parseHeatmapParams(new URLSearchParams("page=/&mode=heat")),
    (e) => e instanceof Invalid && /mode must be one of/.test(e.message),
  );
  assert.deepEqual(parseHeatmapParams(new URLSearchParams("page=/a&kind=dead")), {
    page: "/a",
    layout: "desktop",
    mode: "dead",
  });
});

/** Generated visits, one every `stepHours` back from now: clicks, samples and scroll records. */
function generated(site: Site, count: number, stepHours: number) {
  const widths = [1440, 1920, 820, 390, 1280];
  return Array.from({ length: count }, (_, i) => ({
    at: Date.now() - 60_000 - i * stepHours * 3_600_000,
    visit: {
      v: `generated-visitor-${i}`,
      url: `https://${site.domain}/${i % 3 ? "pricing" : "about"}`,
      width: widths[i % widths.length],
      clicks: Array.from({ length: 1 + (i % 4) }, (_, k) => ({
        x: (i * 97 + k * 13) % widths[i % widths.length],
        y: (i * 53 + k * 29) % 2500,
        sel: `a.item-${(i + k) % 5}`,
        f: k === 2 ? 1 : i % 7 === 0 ? 2 : i % 11 === 0 ? 4 : 0,
        ex: k,
        ey: 2 * k,
      })),
      moves: Array.from({ length: 6 }, (_, k) => (i * 31 + k * 211) % 1400),
      scrolls: [{ sd: (i * 17) % 101, at: [i % 3, 1, 0, 2, 0, 0, 1, 0, 0, i % 5] }, {
        sd: Math.min(100, ((i * 17) % 101) + 10),
        at: [1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
      }],
    } satisfies HeatmapVisit,
  }));
}

for (const mode of ALL_DB_MODES) {
  Deno.test(
    `[${mode}] heatmap rollups answer exactly as the raw rows, edge days and a half-hour zone too`,
    inDbMode(mode),
    async () => {
      const db = await createTestDatabase(mode);
      try {
        const site = await createTestSite(db.sql, { heatmaps_enabled: true });
        // Written through the writer, which folds them into the rollups (in UTC, the zone then).
        for (const g of generated(site, 40, 5)) {
          await recordHeatmapVisits(db.sql, site, [g.visit], g.at);
        }
        // The site moves to a zone half an hour off UTC: until the rollups are rebuilt in it,
        // reports read raw rows; afterwards the rollups, by local day.
        await db.sql`update sites set timezone = 'Asia/Kolkata' where id = ${site.id}`;
        const stats = { ...site, timezone: "Asia/Kolkata", first_event_at: null };
        const compare = async (label: string) => {
          for (const period of ["today", "yesterday", "7d", "30d"]) {
            const q = checkQuery({ period });
            for (const mode of HEATMAP_MODES) {
              for (const layout of ["desktop", "tablet", "mobile"]) {
                const params = parseHeatmapParams(
                  new URLSearchParams({ page: "/pricing", mode, layout }),
                );
                assert.deepEqual(
                  await heatmapReport(db.sql, stats, q, params),
                  await heatmapReport(db.sql, stats, q, params, { raw: true }),
                  `${label}: ${period} ${mode} ${layout}`,
                );
              }
            }
            assert.deepEqual(
              await heatmapPages(db.sql, stats, q),
              await heatmapPages(db.sql, stats, q, { raw: true }),
              `${label}: pages ${period}`,
            );
          }
        };
        await compare("before the rebuild");
        assert.equal(await rebuildHeatmapZones(db.sql), 1);
        assert.equal(await rebuildHeatmapZones(db.sql), 0);
        // More visits after the rebuild: the writer folds them by Kolkata day.
        for (const g of generated(site, 30, 7)) {
          await recordHeatmapVisits(db.sql, site, [{ ...g.visit, v: g.visit.v + "-b" }], g.at);
        }
        await compare("after the rebuild");
        const q = checkQuery({ period: "7d" });
        const params = parseHeatmapParams(new URLSearchParams({ page: "/pricing" }));
        const before = await heatmapReport(db.sql, stats, q, params);
        assert.ok(before.totals.clicks > 20 && before.pageViews > 5);
        // The unfiltered report reads no raw rows at all: without them it answers the same.
        await db.sql`delete from heatmap_clicks where site_id = ${site.id}`;
        assert.deepEqual(await heatmapReport(db.sql, stats, q, params), before);
        assert.equal(
          (await heatmapReport(db.sql, stats, q, params, { raw: true })).totals.clicks,
          0,
        );
      } finally {
        await db.close();
      }
    },
  );
}
