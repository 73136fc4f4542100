/**
 * Every main page, as a signed-in owner of a site with two months of demo data, in Chromium at
 * phone, tablet and desktop widths, light and dark: nothing scrolls the page sideways, no number
 * or table cell is cut off or wrapped apart, nothing overlaps, and the browser reports no console
 * errors or failed requests. Every width is checked in light and in dark.
 */
import { createFunnel, parseFunnelInput } from "../analytics/funnels.ts";
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startTestApp } from "../testing/app.ts";
import { hasChromium, launchBrowser } from "../testing/browser.ts";
import { seedDemo } from "../demo/seed.ts";
import { createLoginSession } from "../accounts/sessions.ts";

/** Width and the themes checked at it. */
export const LAYOUTS: Array<{ width: number; themes: Array<"light" | "dark"> }> = [
  { width: 320, themes: ["light", "dark"] },
  { width: 375, themes: ["light", "dark"] },
  { width: 768, themes: ["light", "dark"] },
  { width: 1440, themes: ["light", "dark"] },
];

/** Problems a person would see on the page as it is laid out now (runs in the browser). */
export function layoutProblems(): string[] {
  const problems: string[] = [];
  const name = (el: Element) => {
    const cls = typeof el.className === "string" && el.className
      ? "." + el.className.trim().split(/\s+/).join(".")
      : "";
    const text = (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 40);
    return `<${el.tagName.toLowerCase()}${cls}> "${text}"`;
  };
  const scrollsSideways = (el: Element) => {
    for (let a = el.parentElement; a; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if ((o === "auto" || o === "scroll") && a !== document.documentElement) return true;
    }
    return false;
  };
  const visible = (el: Element) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const lines = (el: Element) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set<number>();
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top / 4));
    return tops.size;
  };

  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth) {
    // Name the innermost elements that reach past the edge, so a failure says what to fix.
    const past = [...document.body.querySelectorAll("*")].filter((el) =>
      el.getBoundingClientRect().right > innerWidth + 0.5 && !scrollsSideways(el) &&
      ![...el.children].some((c) => c.getBoundingClientRect().right > innerWidth + 0.5)
    ).slice(0, 3).map(name);
    problems.push(
      `the page scrolls sideways: ${doc.scrollWidth}px wide in ${innerWidth}px (${
        past.join(", ")
      })`,
    );
  }

  // Numbers: never cut off, never broken over two lines ("−" above "$12").
  const numbers = document.querySelectorAll(
    ".metric .value, .card .value, .stat .value, .metric-value, [data-number]",
  );
  for (const el of numbers) {
    if (!visible(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      problems.push(`number spills out of its card: ${name(el)}`);
    } else if (
      el.getBoundingClientRect().right > (el.closest(".card, .metric") ?? doc)
            .getBoundingClientRect().right + 1
    ) {
      problems.push(`number runs past its card: ${name(el)}`);
    }
    if (lines(el) > 1) problems.push(`number wraps onto two lines: ${name(el)}`);
  }

  // Table cells: cut off only counts outside a container that scrolls sideways on purpose; a
  // long label may end in an ellipsis when the cell still shows a few words.
  const shortened = (el: Element) =>
    getComputedStyle(el).textOverflow === "ellipsis" && el.clientWidth >= 64;
  for (const el of document.querySelectorAll("td, th")) {
    if (!visible(el) || scrollsSideways(el)) continue;
    if (el.scrollWidth > el.clientWidth + 1 && !shortened(el)) {
      problems.push(`table cell cut off: ${name(el)}`);
    }
    const table = el.closest("table")!;
    const box = table.parentElement!.getBoundingClientRect();
    if (el.getBoundingClientRect().right > box.right + 1) {
      problems.push(`table column cut off at the edge: ${name(el)}`);
    }
    if (
      /^[−\-+]?\s?[$€£¥]?[\d.,]+\s?[%KMB]?$/.test((el.textContent ?? "").trim()) && lines(el) > 1
    ) {
      problems.push(`number in a table wraps onto two lines: ${name(el)}`);
    }
  }

  // Anything that hides its overflow (badges, names with an ellipsis) keeps readable text.
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el) || el.closest("svg, canvas, .maplibregl-map, .visually-hidden")) continue;
    const s = getComputedStyle(el);
    if (s.overflowX !== "hidden" && s.overflowX !== "clip") continue;
    if (el.scrollWidth <= el.clientWidth + 1 || !(el.textContent ?? "").trim()) continue;
    if (shortened(el)) continue;
    if (el.clientWidth === 0 || scrollsSideways(el)) continue;
    problems.push(`text clipped (${el.clientWidth}px shows ${el.scrollWidth}px): ${name(el)}`);
  }

  // Badges are never cut by a box that hides its overflow.
  for (const el of document.querySelectorAll(".badge")) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === "visible") continue;
      const box = a.getBoundingClientRect();
      if (o !== "auto" && o !== "scroll" && (r.right > box.right + 1 || r.left < box.left - 1)) {
        problems.push(`badge cut off: ${name(el)} in ${name(a)}`);
      }
      break;
    }
  }

  // On desktops, tables fit: no container needs scrolling sideways to show them. Revenue by
  // source and the latest purchases fit phones too, showing fewer columns or one card per row
  // there (tablets may still scroll them).
  for (const table of document.querySelectorAll("table")) {
    if (
      innerWidth >= 1024 || (innerWidth < 640 && table.matches(".revenue-table, .purchases-table"))
    ) {
      const box = table.parentElement!;
      if (visible(table) && box.scrollWidth > box.clientWidth + 1) {
        problems.push(
          `table needs sideways scrolling (${box.scrollWidth}px in ${box.clientWidth}px): ${
            name(table.rows[0] ?? table)
          }`,
        );
      }
    }
  }

  // Cards side by side in a grid start at the same height.
  for (const grid of document.querySelectorAll("body *")) {
    if (!getComputedStyle(grid).display.includes("grid")) continue;
    const cards = [...grid.children].filter((k) => k.matches(".card") && visible(k));
    for (let i = 0; i < cards.length; i++) {
      for (let j = i + 1; j < cards.length; j++) {
        const a = cards[i].getBoundingClientRect();
        const b = cards[j].getBoundingClientRect();
        const sideBySide = Math.min(a.right, b.right) <= Math.max(a.left, b.left) &&
          Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0;
        if (sideBySide && Math.abs(a.top - b.top) > 1) {
          problems.push(
            `cards side by side start ${Math.round(Math.abs(a.top - b.top))}px apart: ${
              name(cards[i])
            } and ${name(cards[j])}`,
          );
        }
      }
    }
  }

  // A card below another keeps a gap: cards never touch.
  const cards = [...document.querySelectorAll(".card")].filter(visible);
  for (const a of cards) {
    for (const b of cards) {
      if (a === b || a.contains(b) || b.contains(a)) continue;
      const ra = a.getBoundingClientRect();
      const rb = b.getBoundingClientRect();
      const gap = rb.top - ra.bottom;
      if (Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left) > 0 && gap > -1 && gap < 4) {
        problems.push(`cards touch (${Math.round(gap)}px apart): ${name(a)} above ${name(b)}`);
      }
    }
  }

  // A line of "Google · Germany · 2 h ago" that wraps never starts its next line with a dot.
  for (const meta of document.querySelectorAll(".feed-meta")) {
    const left = meta.getBoundingClientRect().left;
    for (const item of [...meta.children].slice(1)) {
      const opensLine = Math.abs(item.getBoundingClientRect().left - left) < 2;
      const dot = getComputedStyle(item, "::before").content.includes("·");
      if (visible(item) && opensLine && dot) {
        problems.push(`a separator starts a line: ${name(meta)}`);
      }
    }
  }

  // Each row of a list laid out as columns lines up with the rows above it.
  for (const list of document.querySelectorAll(".visitors")) {
    const lefts = new Map<number, number>();
    for (const row of list.querySelectorAll(".visitor-row")) {
      [...row.children].forEach((cell, col) => {
        if (!visible(cell)) return;
        // Right-aligned cells (numbers, a source at the end of a phone row) line up on the right.
        const r = cell.getBoundingClientRect();
        const right = ["right", "end"].includes(getComputedStyle(cell).textAlign);
        const left = Math.round(right ? r.right : r.left);
        const first = lefts.get(col);
        if (first === undefined) lefts.set(col, left);
        else if (Math.abs(first - left) > 1) {
          problems.push(
            `column ${col + 1} of ${name(list)} is out of line (${left} vs ${first}px)`,
          );
        }
      });
    }
  }

  // Items laid out side by side never sit on top of each other, text runs included.
  for (const el of document.querySelectorAll("body *")) {
    const s = getComputedStyle(el);
    if (!s.display.includes("flex") && !s.display.includes("grid")) continue;
    const items: Array<{ label: string; rect: DOMRect }> = [];
    for (const k of el.childNodes) {
      if (k instanceof Element) {
        if (visible(k) && !["absolute", "fixed"].includes(getComputedStyle(k).position)) {
          items.push({ label: name(k), rect: k.getBoundingClientRect() });
        }
      } else if (k.nodeType === Node.TEXT_NODE && (k.textContent ?? "").trim()) {
        const range = document.createRange();
        range.selectNodeContents(k);
        items.push({
          label: `text "${k.textContent!.trim().slice(0, 30)}"`,
          rect: range.getBoundingClientRect(),
        });
      }
    }
    if (items.length > 60) continue;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i].rect;
        const b = items[j].rect;
        const overlapX = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const overlapY = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (overlapX > 2 && overlapY > 2) {
          problems.push(`${items[i].label} overlaps ${items[j].label} in ${name(el)}`);
        }
      }
    }
  }
  return [...new Set(problems)];
}

async function settle(page: Page) {
  await page.waitForFunction(() =>
    document.readyState === "complete" &&
    document.querySelectorAll("[data-island]:not([data-hydrated])").length === 0
  );
  await page.evaluate(() => document.fonts.ready.then(() => true));
}

/**
 * Layout problems that last: a busy machine can measure a page while a chart or an island is
 * still sizing itself, so the page gets a few frames to settle before what remains is reported.
 */
async function lastingProblems(page: Page): Promise<string[]> {
  let problems = await page.evaluate(layoutProblems);
  for (let frame = 0; problems.length > 0 && frame < 20; frame++) {
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));
    problems = await page.evaluate(layoutProblems);
  }
  return problems;
}

Deno.test({
  name: "every main page fits phones, tablets and desktops, light and dark, without errors",
  ignore: !hasChromium(),
  async fn() {
    const app = await startTestApp();
    const browser = await launchBrowser();
    try {
      const demo = await seedDemo(app.ctx);
      const sql = app.db.sql;
      const [owner] = await sql<{ user_id: number; org_id: number }[]>`
        select m.user_id, m.org_id from memberships m join users u on u.id = m.user_id
        where u.email_normalized = ${demo.email}`;
      const { token } = await createLoginSession(sql, owner.user_id);
      const site = `/sites/${demo.site.id}`;
      const funnel = await createFunnel(
        sql,
        demo.site.id,
        await parseFunnelInput(sql, demo.site.id, {
          name: "Layout funnel",
          steps: [
            { kind: "page", path_pattern: "/**" },
            { kind: "page", path_pattern: "/**" },
            { kind: "page", path_pattern: "/**" },
          ],
          window_kind: "session",
        }),
      );
      const [visit] = await sql`select visitor_id, session_id from sessions
        where site_id = ${demo.site.id} order by pageviews desc, started_at desc limit 1`;
      const pages = [
        "/sites",
        site,
        `${site}/breakdown/source`,
        `${site}/live`,
        `${site}/revenue`,
        `${site}/integrations`,
        `${site}/settings`,
        `${site}/install`,
        `${site}/heatmaps`,
        `${site}/goals`,
        `${site}/funnels`,
        `${site}/paths`,
        `${site}/cohorts`,
        `${site}/cohorts?unit=month&split=source`,
        `${site}/funnels/${funnel.id}?compare=1&by=source`,
        `${site}/funnels/${funnel.id}/dropoff?step=1`,
        `${site}?funnel=${funnel.id}&dropped_at=1&f=goal:is:Signup`,
        `${site}/breakdown/page`,
        `${site}/visitors/${encodeURIComponent(visit.visitor_id)}?session=${visit.session_id}`,
        `${site}/properties`,
        `${site}/customers`,
        `${site}/customers/metrics`,
        `${site}/customers/segments`,
        `${site}/customers/automations`,
        `${site}/alerts`,
        `${site}/import`,
        `/orgs/${owner.org_id}`,
        "/account",
      ];

      const page = await browser.newPage();
      const trouble: string[] = [];
      let where = "";
      page.on("console", (m) => {
        if (m.type() === "error") trouble.push(`${where}: console error: ${m.text()}`);
      });
      page.on("pageerror", (e) => trouble.push(`${where}: script error: ${e}`));
      page.on("requestfailed", (r) => {
        // Leaving a page cancels its open requests (the live socket); that is not a failure.
        if (r.failure()?.errorText !== "net::ERR_ABORTED") {
          trouble.push(`${where}: request failed: ${r.url()} ${r.failure()?.errorText}`);
        }
      });
      page.on("response", (r) => {
        if (r.status() >= 400) trouble.push(`${where}: ${r.status()} for ${r.url()}`);
      });

      for (const { width, themes } of LAYOUTS) {
        for (const theme of themes) {
          await page.setViewport({ width, height: 900 });
          await page.setCookie(
            { name: "sextant_session", value: token, url: app.url },
            { name: "sextant_theme", value: theme, url: app.url },
          );
          for (const path of pages) {
            where = `${path} at ${width}px ${theme}`;
            const res = await page.goto(`${app.url}${path}`, { waitUntil: "load" });
            assert.equal(res?.status(), 200, where);
            await settle(page);
            for (const p of await lastingProblems(page)) trouble.push(`${where}: ${p}`);
            if (path.endsWith("/revenue") && width < 640) {
              const fit = await page.evaluate(() => {
                const table = document.querySelector<HTMLTableElement>(".revenue-table")!;
                const box = table.parentElement!;
                return {
                  columns: [...table.tHead!.rows[0].cells]
                    .filter((c) => c.getBoundingClientRect().width > 0)
                    .map((c) => c.textContent),
                  sideways: box.scrollWidth > box.clientWidth + 1,
                };
              });
              assert.deepEqual(fit, {
                columns: ["Source", "Visitors", "Revenue"],
                sideways: false,
              });
            }
          }
        }
      }
      assert.deepEqual(trouble, [], `\n${trouble.join("\n")}`);
    } finally {
      await browser.close();
      await app.stop();
    }
  },
});
