/**
 * Decides whether this instance shows the demo: `SEXTANT_DEMO=on` always does, `auto` does for
 * an embedded database that had no accounts when it started, `off` never. A demo seeded once
 * keeps its simulated traffic on later starts (unless turned off).
 */
import type { AppContext } from "../http/context.ts";
import { findSiteByPublicId, type Site } from "../accounts/sites.ts";
import { DEMO_EMAIL, seedDemo } from "./seed.ts";
import { workingDemoLogin } from "./credentials.ts";
import { startDemoTraffic } from "./traffic.ts";

async function demoSite(ctx: AppContext): Promise<Site | null> {
  const sql = ctx.db.sql;
  const [meta] = await sql`select value from sextant_meta where key = 'demo_site_id'`;
  if (!meta) return null;
  const [row] = await sql<{ public_id: string }[]>`
    select public_id from sites where id = ${Number(meta.value)}`;
  return row ? await findSiteByPublicId(sql, row.public_id) : null;
}

/** Seeds (first time) and starts demo traffic when the configuration asks for it. */
export async function startDemo(ctx: AppContext): Promise<void> {
  const mode = ctx.config.SEXTANT_DEMO;
  if (mode === "off") return;
  const sql = ctx.db.sql;
  let site = await demoSite(ctx);
  if (!site) {
    const [{ users }] = await sql<{ users: number }[]>`select count(*)::int as users from users`;
    const fresh = users === 0 && ctx.db.mode === "embedded";
    if (mode !== "on" && !fresh) return;
    const [taken] = await sql`select 1 from users where email_normalized = ${DEMO_EMAIL}`;
    if (taken) return;
    const started = performance.now();
    ctx.log.info("creating demo data (60 days of history)…");
    const demo = await seedDemo(ctx);
    site = demo.site;
    ctx.log.info("demo ready", {
      seconds: Math.round((performance.now() - started) / 100) / 10,
      events: demo.events,
      purchases: demo.purchases,
    });
  }
  // Every start, last thing printed, while the first password still works: easy to find again.
  const login = await workingDemoLogin(ctx);
  if (login) console.log(demoLoginText(login, ctx.config.PUBLIC_URL));
  const traffic = startDemoTraffic(ctx, site);
  ctx.onShutdown.unshift(() => Promise.resolve(traffic.stop()));
}

/** The block printed at start-up with the demo's sign-in. */
export function demoLoginText(login: { email: string; password: string }, publicUrl: string) {
  return `\n  Sextant demo account\n    email:    ${login.email}\n    password: ${login.password}\n` +
    `    open:     ${publicUrl}/login\n` +
    `    (shown on every start until this password is changed)\n`;
}
