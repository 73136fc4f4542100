/** Signed-in tenants with traffic, for dashboard tests, screenshots and benchmarks. */
import { insertVisits, synthesizeVisits } from "./analytics_data.ts";
import { refreshRollups } from "../db/rollups.ts";
import { createUser } from "../accounts/users.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createSite, type Site } from "../accounts/sites.ts";
import { createLoginSession } from "../accounts/sessions.ts";
import type { Sql } from "../db/connect.ts";

export interface Tenant {
  site: Site;
  cookie: string;
  orgId: number;
  userId: number;
}

/** A user with an organization, a site and a signed-in session cookie. */
export async function signedInTenant(
  sql: Sql,
  domain: string,
  opts: { name?: string; timezone?: string } = {},
): Promise<Tenant> {
  const user = await createUser(sql, {
    email: `${crypto.randomUUID().slice(0, 8)}@owner.example`,
    password: "correct horse battery",
    name: "Owner",
    verified: true,
  });
  const org = await createOrg(sql, "Owner's org", user.id);
  const site = await createSite(sql, {
    orgId: org.id,
    domain,
    name: opts.name,
    timezone: opts.timezone ?? "Europe/Berlin",
  });
  const { token } = await createLoginSession(sql, user.id);
  return { site, cookie: `sextant_session=${token}`, orgId: org.id, userId: user.id };
}

/** Two weeks of traffic ending now, rolled up. */
export async function seedTraffic(sql: Sql, siteId: number, visits = 400, days = 14) {
  const to = new Date();
  await insertVisits(
    sql,
    synthesizeVisits({
      siteId,
      from: new Date(to.getTime() - days * 86_400_000),
      to,
      visits,
      visitors: Math.round(visits * 0.7),
      seed: siteId,
      buyRate: 0.05,
      unmatchedRate: 0.01,
    }),
  );
  await refreshRollups(sql);
}
