/**
 * The account holder's data export (GDPR art. 15/20): a zip of CSV and JSON files with
 * everything Sextant keeps about them. Secrets (password hash, tokens, key hashes) are never
 * included; email bodies are left out because they hold one-time links.
 */
import { strToU8, zipSync } from "fflate";
import type { Sql } from "../db/connect.ts";
import { describeUserAgent } from "./sessions.ts";

type Row = Record<string, unknown>;

/** One CSV cell: quoted when needed; leading =+-@ neutralised so spreadsheets don't run it. */
function cell(v: unknown): string {
  let s = v instanceof Date ? v.toISOString() : Array.isArray(v) ? v.join(" ") : String(v ?? "");
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Rows as CSV with a header line (header only when there are no rows). */
export function toCsv(rows: Row[], columns: string[]): string {
  const out = [columns.join(",")];
  for (const r of rows) out.push(columns.map((c) => cell(r[c])).join(","));
  return out.join("\r\n") + "\r\n";
}

/** Builds the export zip for one user. */
export async function exportAccountData(sql: Sql, userId: number): Promise<Uint8Array> {
  const [user] = await sql<Row[]>`
    select id, email, name, email_verified_at, created_at, updated_at, onboarding
    from users where id = ${userId}`;
  const memberships = await sql<Row[]>`
    select m.org_id, o.name as org_name, m.role, m.created_at as joined_at
    from memberships m join orgs o on o.id = m.org_id
    where m.user_id = ${userId} order by m.org_id`;
  const sessions = (await sql<Row[]>`
    select id, user_agent, created_at, last_seen_at, expires_at
    from user_sessions where user_id = ${userId} order by id`)
    .map((s) => ({ ...s, device: describeUserAgent(String(s.user_agent)) }));
  const sites = await sql<Row[]>`
    select s.id, s.org_id, s.public_id, s.domain, s.name, s.allowed_hosts, s.timezone, s.currency,
           s.attribution_window_days, s.cookieless, s.respect_dnt, s.heatmaps_enabled,
           s.excluded_ips, s.excluded_paths, s.retention_days, s.first_event_at, s.created_at
    from sites s join memberships m on m.org_id = s.org_id and m.user_id = ${userId}
    order by s.id`;
  const keys = await sql<Row[]>`
    select id, org_id, site_id, name, prefix, created_at, last_used_at, revoked_at
    from api_keys where created_by = ${userId} order by id`;
  const invites = await sql<Row[]>`
    select id, org_id, email, role, created_at, expires_at, accepted_at, revoked_at
    from invites where invited_by = ${userId} order by id`;
  const emails = await sql<Row[]>`
    select id, subject, kind, created_at, sent_at from email_outbox
    where lower(to_address) = lower(${String(user?.email ?? "")}) order by id`;

  const readme = [
    "Your Sextant data export",
    `Created ${new Date().toISOString()} for ${user?.email}.`,
    "",
    "account.json       your profile and onboarding progress",
    "memberships.csv    organizations you belong to and your role",
    "sessions.csv       devices signed in to your account",
    "sites.csv          settings of the sites in your organizations",
    "api_keys.csv       API keys you created (the keys themselves are never stored)",
    "invites_sent.csv   invitations you sent",
    "emails.csv         emails Sextant sent you (bodies left out: they held one-time links)",
    "",
    "Your sites' visitor analytics can be exported from each dashboard.",
    "",
  ].join("\n");

  const files: Record<string, Uint8Array> = {
    "README.txt": strToU8(readme),
    "account.json": strToU8(JSON.stringify({ user, memberships }, null, 2)),
    "memberships.csv": strToU8(toCsv(memberships, ["org_id", "org_name", "role", "joined_at"])),
    "sessions.csv": strToU8(
      toCsv(sessions, ["id", "device", "user_agent", "created_at", "last_seen_at", "expires_at"]),
    ),
    "sites.csv": strToU8(toCsv(sites, [
      "id",
      "org_id",
      "public_id",
      "domain",
      "name",
      "allowed_hosts",
      "timezone",
      "currency",
      "attribution_window_days",
      "cookieless",
      "respect_dnt",
      "heatmaps_enabled",
      "excluded_ips",
      "excluded_paths",
      "retention_days",
      "first_event_at",
      "created_at",
    ])),
    "api_keys.csv": strToU8(
      toCsv(keys, [
        "id",
        "org_id",
        "site_id",
        "name",
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
      ]),
    ),
    "invites_sent.csv": strToU8(
      toCsv(invites, [
        "id",
        "org_id",
        "email",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
      ]),
    ),
    "emails.csv": strToU8(toCsv(emails, ["id", "subject", "kind", "created_at", "sent_at"])),
  };
  return zipSync(files, { level: 6 });
}
