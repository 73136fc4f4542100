/**
 * The five-step start: account → site → install → connect revenue → dashboard. Progress is read
 * from what exists (a site, its first event, a connected integration or purchases) plus flags
 * the user set (skipped revenue, opened the dashboard), so it survives devices and restarts.
 */
import type { Sql } from "../db/connect.ts";
import type { Site } from "./sites.ts";

export type StepKey = "account" | "site" | "install" | "revenue" | "dashboard";

export interface OnboardingStep {
  key: StepKey;
  label: string;
  done: boolean;
  href: string;
}

export interface Onboarding {
  steps: OnboardingStep[];
  /** The first step not done; null when all are. */
  current: OnboardingStep | null;
  /** The site the guide is about (the org's first), when there is one. */
  site: Site | null;
  dismissed: boolean;
}

export interface OnboardingFlags {
  revenue_skipped?: number[];
  dashboard_seen?: number[];
  dismissed?: boolean;
}

/** Reads the user's stored flags. */
export async function onboardingFlags(sql: Sql, userId: number): Promise<OnboardingFlags> {
  const [row] = await sql<{ onboarding: OnboardingFlags }[]>`
    select onboarding from users where id = ${userId}`;
  return row?.onboarding ?? {};
}

/** Records a flag for a site (idempotent). */
export async function setOnboardingFlag(
  sql: Sql,
  userId: number,
  flag: "revenue_skipped" | "dashboard_seen",
  siteId: number,
): Promise<void> {
  const flags = await onboardingFlags(sql, userId);
  const list = new Set(flags[flag] ?? []);
  list.add(siteId);
  const next = { ...flags, [flag]: [...list].slice(-50) };
  await sql`update users set onboarding = ${sql.json(next as never)} where id = ${userId}`;
}

/**
 * Completes the guide's last step when the person opens a site's dashboard by any route (the
 * nav, a site card, a bookmark), not only through the guide's own button. Writes only once.
 */
export async function markDashboardSeen(sql: Sql, userId: number, siteId: number) {
  const flags = await onboardingFlags(sql, userId);
  if ((flags.dashboard_seen ?? []).includes(siteId)) return;
  await setOnboardingFlag(sql, userId, "dashboard_seen", siteId);
}

/** Hides (or shows again) the guide. */
export async function dismissOnboarding(sql: Sql, userId: number, dismissed: boolean) {
  const next = { ...await onboardingFlags(sql, userId), dismissed };
  await sql`update users set onboarding = ${sql.json(next as never)} where id = ${userId}`;
}

/** Whether revenue is flowing or a payment integration exists for the site. */
export async function hasRevenueSource(sql: Sql, siteId: number): Promise<boolean> {
  const [p] = await sql`select 1 from purchases where site_id = ${siteId} limit 1`;
  if (p) return true;
  // The integrations table belongs to the revenue feature and may not exist yet.
  const [t] = await sql<{ ok: boolean }[]>`
    select to_regclass('integrations') is not null as ok`;
  if (!t.ok) return false;
  try {
    const [i] = await sql`select 1 from integrations where site_id = ${siteId} limit 1`;
    return Boolean(i);
  } catch {
    return false;
  }
}

/** The guide for a user in an org whose sites are `sites`. */
export async function onboardingFor(
  sql: Sql,
  userId: number,
  sites: Site[],
): Promise<Onboarding> {
  const flags = await onboardingFlags(sql, userId);
  const site = [...sites].sort((a, b) => a.created_at.getTime() - b.created_at.getTime())[0] ??
    null;
  const installed = Boolean(site?.first_event_at);
  const revenue = site
    ? (flags.revenue_skipped ?? []).includes(site.id) || await hasRevenueSource(sql, site.id)
    : false;
  const seen = site ? (flags.dashboard_seen ?? []).includes(site.id) : false;
  const steps: OnboardingStep[] = [
    { key: "account", label: "Create your account", done: true, href: "/account" },
    { key: "site", label: "Add your site", done: Boolean(site), href: "/sites/new" },
    {
      key: "install",
      label: "Install the script",
      done: installed,
      href: site ? `/sites/${site.id}/install` : "/sites/new",
    },
    {
      key: "revenue",
      label: "Connect revenue",
      done: revenue,
      href: site ? `/sites/${site.id}/integrations` : "/sites/new",
    },
    {
      key: "dashboard",
      label: "Open your dashboard",
      done: seen,
      href: site ? `/sites/${site.id}` : "/sites/new",
    },
  ];
  return {
    steps,
    current: steps.find((s) => !s.done) ?? null,
    site,
    dismissed: flags.dismissed === true,
  };
}
