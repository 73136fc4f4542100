/**
 * Per-visitor erasure and export (GDPR art. 15, 17, 20) for one site, asked for by a visitor id
 * or an email. Both follow the links Sextant knows (identify calls, purchases) so that one
 * person's devices go together, and both leave an audit entry that records who, when and how
 * much — never whom.
 */
import type { Sql } from "../db/connect.ts";
import type { Site } from "../accounts/sites.ts";
import { refreshRollups } from "../db/rollups.ts";
import { Invalid } from "../lib/errors.ts";
import {
  eraseSubject,
  type ErasureCounts,
  insertAudit,
  linkedKeys,
  siteAudit,
  subjectRows,
} from "./store.ts";

/** Whom a request is about: exactly one of a visitor id or an email. */
export type Subject = { kind: "visitor_id"; value: string } | { kind: "email"; value: string };

/** Who is asking: a signed-in user or an API key. */
export type Actor = { userId: number } | { apiKeyId: number };

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Parses `visitor_id` or `email` from a form, JSON body or query string. */
export function parseSubject(input: Record<string, unknown>): Subject {
  const visitorId = typeof input.visitor_id === "string" ? input.visitor_id.trim() : "";
  const email = typeof input.email === "string" ? input.email.trim().toLowerCase() : "";
  if (visitorId && email) {
    throw new Invalid("visitor_id", "Give either a visitor id or an email, not both.");
  }
  if (email) {
    if (email.length > 320 || !EMAIL.test(email)) {
      throw new Invalid("email", "That doesn't look like an email address.");
    }
    return { kind: "email", value: email };
  }
  if (visitorId) {
    if (visitorId.length > 128) throw new Invalid("visitor_id", "That visitor id is too long.");
    return { kind: "visitor_id", value: visitorId };
  }
  throw new Invalid("visitor_id", "Give the visitor id or the email of the person.");
}

async function keysOf(sql: Sql, site: Site, subject: Subject) {
  return await linkedKeys(sql, site.id, {
    visitorIds: subject.kind === "visitor_id" ? [subject.value] : [],
    emails: subject.kind === "email" ? [subject.value] : [],
  });
}

function actorColumns(actor: Actor) {
  return "userId" in actor ? { actorUserId: actor.userId } : { actorApiKeyId: actor.apiKeyId };
}

/** The result of an erasure: rows changed per table. */
export interface Erasure {
  counts: ErasureCounts;
  /** Visitor ids and emails found linked to the one given (how many, not which). */
  linked: { visitor_ids: number; emails: number };
}

/**
 * Erases the person from the site, then refreshes the rollups so the per-visitor hourly rows
 * built from their events go too. Running it again finds nothing and changes nothing.
 */
export async function eraseVisitor(
  sql: Sql,
  site: Site,
  subject: Subject,
  actor: Actor,
): Promise<Erasure> {
  const keys = await keysOf(sql, site, subject);
  const counts = await eraseSubject(sql, site.id, keys);
  if (counts.events + counts.sessions > 0) await refreshRollups(sql);
  const linked = { visitor_ids: keys.visitorIds.length, emails: keys.emails.length };
  await insertAudit(sql, {
    orgId: site.org_id,
    siteId: site.id,
    action: "privacy.erasure",
    ...actorColumns(actor),
    details: { by: subject.kind, linked, counts },
  });
  return { counts, linked };
}

/** Everything stored about the person on the site, as one JSON document. */
export async function exportVisitor(sql: Sql, site: Site, subject: Subject, actor: Actor) {
  const keys = await keysOf(sql, site, subject);
  const data = await subjectRows(sql, site.id, keys);
  const counts = Object.fromEntries(Object.entries(data).map(([t, rows]) => [t, rows.length]));
  await insertAudit(sql, {
    orgId: site.org_id,
    siteId: site.id,
    action: "privacy.export",
    ...actorColumns(actor),
    details: { by: subject.kind, counts },
  });
  return {
    site: { id: site.id, domain: site.domain },
    requested: subject,
    exported_at: new Date().toISOString(),
    visitor_ids: keys.visitorIds,
    emails: keys.emails,
    ...data,
  };
}

/** The file name for an export download. */
export function exportFileName(site: Site): string {
  return `sextant-${site.domain}-visitor-export-${new Date().toISOString().slice(0, 10)}.json`;
}

/** The site's latest erasures and exports, for the settings page. */
export function privacyLog(sql: Sql, site: Site) {
  return siteAudit(sql, site.id, 10);
}
