/**
 * Test data for revenue features: a site with its owner signed in, and visitor journeys written
 * straight into sessions/events/identities the way the ingest writer stores them.
 */
import type { Sql } from "../db/connect.ts";
import { markRollups } from "../db/rollups.ts";
import { createUser } from "../accounts/users.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createSite, type Site } from "../accounts/sites.ts";
import { createLoginSession, SESSION_COOKIE } from "../accounts/sessions.ts";
import { linkIdentity } from "../attribution/evidence.ts";

export interface SiteOwner {
  site: Site;
  userId: number;
  email: string;
  /** The session cookie header value (`sextant_session=…`). */
  cookie: string;
  token: string;
}

/** Creates a user, their org and a site, and signs them in. */
export async function createSiteWithOwner(
  sql: Sql,
  opts: { currency?: string; domain?: string } = {},
): Promise<SiteOwner> {
  const id = crypto.randomUUID().slice(0, 8);
  const email = `owner-${id}@example.com`;
  const user = await createUser(sql, { email, password: "correct horse battery", name: "Owner" });
  const org = await createOrg(sql, "Test org", user.id);
  const site = await createSite(sql, {
    orgId: org.id,
    domain: opts.domain ?? `shop-${id}.example.com`,
    name: "Test shop",
    currency: opts.currency ?? "USD",
  });
  const { token } = await createLoginSession(sql, user.id, "test");
  return { site, userId: user.id, email, cookie: `${SESSION_COOKIE}=${token}`, token };
}

export interface SessionSpec {
  visitorId: string;
  startedAt: Date;
  source?: string;
  medium?: string;
  campaign?: string;
  content?: string;
  channel?: string;
  country?: string;
  city?: string;
  /** Pages viewed, one event each, a minute apart. */
  pages?: string[];
}

/** Writes one session with its pageview events; returns the session id. */
export async function insertSession(sql: Sql, siteId: number, s: SessionSpec): Promise<string> {
  const sessionId = crypto.randomUUID();
  const pages = s.pages ?? ["/"];
  const ended = new Date(s.startedAt.getTime() + (pages.length - 1) * 60_000);
  const channel = s.channel ?? (s.source ? "Referral" : "Direct");
  await sql`
    insert into sessions (started_at, session_id, site_id, visitor_id, ended_at, entry_page,
      exit_page, pageviews, events, source, medium, campaign, content, channel, country, city,
      device, browser, os)
    values (${s.startedAt}, ${sessionId}, ${siteId}, ${s.visitorId}, ${ended}, ${pages[0]},
      ${pages[pages.length - 1]}, ${pages.length}, ${pages.length}, ${s.source ?? ""},
      ${s.medium ?? ""}, ${s.campaign ?? ""}, ${s.content ?? ""}, ${channel},
      ${s.country ?? "US"}, ${s.city ?? ""}, 'Desktop', 'Chrome', 'macOS')`;
  for (const [i, path] of pages.entries()) {
    await sql`
      insert into events (ts, event_id, site_id, visitor_id, session_id, type, pathname, source,
        medium, campaign, content, channel, country, city, lat, lon)
      values (${new Date(s.startedAt.getTime() + i * 60_000)}, ${crypto.randomUUID()}, ${siteId},
        ${s.visitorId}, ${sessionId}, 'pageview', ${path}, ${s.source ?? ""}, ${s.medium ?? ""},
        ${s.campaign ?? ""}, ${s.content ?? ""}, ${channel}, ${s.country ?? "US"},
        ${s.city ?? ""}, 40.7, -74.0)`;
  }
  // Written around the ingest writer, so marked for the rollups as it would.
  await markRollups(sql, "sessions", [{ siteId, at: s.startedAt }]);
  await markRollups(
    sql,
    "events",
    pages.map((_, i) => ({ siteId, at: new Date(s.startedAt.getTime() + i * 60_000) })),
  );
  return sessionId;
}

/** Records an identify(email) call for a visitor, as ingest does. */
export async function insertIdentify(
  sql: Sql,
  siteId: number,
  visitorId: string,
  email: string,
  at: Date,
): Promise<void> {
  await linkIdentity(sql, siteId, visitorId, email, at, "identify");
}

/** A date `days` (fractional allowed) before `from`. */
export function daysBefore(from: Date, days: number): Date {
  return new Date(from.getTime() - days * 86_400_000);
}
