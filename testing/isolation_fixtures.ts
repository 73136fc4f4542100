/**
 * What the isolation test (routes/isolation_test.ts) needs to know about route parameters.
 * The test walks every registered route; each `:param` that names something owned by an org
 * must have a fixture here that creates (or finds) such a thing in org A. Adding a route with a
 * new kind of id? Add one line to ID_FIXTURES — the test itself needs no change.
 */
import type { Sql } from "../db/connect.ts";
import { markRollups } from "../db/rollups.ts";
import { createApiKey } from "../accounts/api_keys.ts";
import { createShare } from "../accounts/shares.ts";
import { createInvite } from "../accounts/invites.ts";
import { sendMail } from "../mail/mailer.ts";
import { renderEmail } from "../mail/template.tsx";
import type { SecretBox } from "../lib/crypto.ts";
import { createAnnotation } from "../analytics/annotations.ts";
import { createGoal, parseGoalInput } from "../analytics/goals.ts";
import { createFunnel, parseFunnelInput } from "../analytics/funnels.ts";
import { ensureTag, tagCustomers } from "../customers/tags.ts";
import { addNote } from "../customers/notes.ts";
import { createSegment } from "../customers/segments.ts";
import { createAutomation } from "../customers/automations.ts";
import { ensureDefaults, listRules } from "../alerts/rules.ts";
import { addChannel } from "../alerts/channels.ts";

/** Org A's world: the ids a fixture may use or build on. */
export interface IsolationWorld {
  sql: Sql;
  secrets: SecretBox;
  orgId: number;
  siteId: number;
  ownerId: number;
  ownerEmail: string;
  /** A second member of org A (not the owner). */
  memberId: number;
  /** One of the owner's login sessions. */
  ownerSessionId: number;
}

/**
 * Things org A's site has before routes are walked, so routes keyed by a fixed word (such as
 * `:provider`) find something for the owner.
 */
export const WORLD_SETUP: Array<(w: IsolationWorld) => Promise<void>> = [
  async (w) => {
    await w.sql`insert into integrations (site_id, provider, status)
      values (${w.siteId}, 'stripe', 'connected')`;
  },
];

/** Param name → an id (as it appears in the URL) of something org A owns. */
export const ID_FIXTURES: Record<string, (w: IsolationWorld) => Promise<string | number>> = {
  siteId: (w) => Promise.resolve(w.siteId),
  orgId: (w) => Promise.resolve(w.orgId),
  userId: (w) => Promise.resolve(w.memberId),
  sessionId: (w) => Promise.resolve(w.ownerSessionId),
  keyId: async (w) => (await createApiKey(w.sql, { orgId: w.orgId, name: "isolation" })).key.id,
  shareId: async (w) => (await createShare(w.sql, w.secrets, { siteId: w.siteId })).share.id,
  annotationId: async (w) =>
    (await createAnnotation(w.sql, {
      siteId: w.siteId,
      day: "2026-01-15",
      category: "note",
      body: "isolation",
    })).id,
  goalId: async (w) =>
    (await createGoal(
      w.sql,
      w.siteId,
      parseGoalInput({ name: `Isolation ${crypto.randomUUID().slice(0, 8)}`, kind: "purchase" }),
    )).id,
  funnelId: async (w) =>
    (await createFunnel(
      w.sql,
      w.siteId,
      await parseFunnelInput(w.sql, w.siteId, {
        name: `Isolation ${crypto.randomUUID().slice(0, 8)}`,
        steps: [{ kind: "page", path_pattern: "/" }, { kind: "page", path_pattern: "/buy" }],
      }),
    )).id,
  ruleId: async (w) => {
    await ensureDefaults(w.sql, w.siteId);
    return (await listRules(w.sql, w.siteId))[0].id;
  },
  channelId: async (w) =>
    (await addChannel({ sql: w.sql, secrets: w.secrets, allowPrivate: true }, w.siteId, {
      kind: "webhook",
      name: "isolation",
      url: "http://127.0.0.1:9/hook",
    })).channel.id,
  inviteId: async (w) =>
    (await createInvite(w.sql, {
      orgId: w.orgId,
      email: `invitee-${crypto.randomUUID().slice(0, 8)}@example.com`,
      role: "viewer",
      invitedBy: w.ownerId,
      actorRole: "owner",
    })).invite.id,
  deliveryId: async (w) => {
    const [integration] = await w.sql`
      select id from integrations where site_id = ${w.siteId} and provider = 'stripe'`;
    const [delivery] = await w.sql`
      insert into webhook_deliveries (integration_id, site_id, provider, event_id, event_type, body,
                                      status)
      values (${integration.id}, ${w.siteId}, 'stripe', 'evt_isolation', 'checkout.session.completed',
              '{}', 'failed')
      returning id`;
    return delivery.id as number;
  },
  visitorId: async (w) => {
    const [event] = await w.sql`
      insert into events (ts, event_id, site_id, visitor_id, session_id, type)
      values (now(), gen_random_uuid(), ${w.siteId}, 'isolation-visitor', gen_random_uuid(),
              'pageview')
      returning ts`;
    // Written around the ingest writer, so marked for the rollups as it would.
    await markRollups(w.sql, "events", [{ siteId: w.siteId, at: event.ts }]);
    return "isolation-visitor";
  },
  customerId: (w) => isolationCustomer(w),
  tagId: async (w) => {
    const tag = await ensureTag(w.sql, w.siteId, "Isolation");
    await tagCustomers(w.sql, w.siteId, tag.id, [await isolationCustomer(w)]);
    return tag.id;
  },
  noteId: async (w) =>
    (await addNote(w.sql, w.siteId, await isolationCustomer(w), "isolation", w.ownerId)).id,
  segmentId: async (w) =>
    (await createSegment(w.sql, w.siteId, {
      name: "Isolation",
      rule: { match: "all", conditions: [] },
    })).id,
  automationId: async (w) =>
    (await createAutomation({ db: { sql: w.sql } as never, secrets: w.secrets }, { id: w.siteId }, {
      name: "Isolation",
      trigger: "purchase",
      note: "isolation",
    })).id,
  mailId: (w) =>
    sendMail(w.sql, {
      to: w.ownerEmail,
      kind: "test",
      message: renderEmail({ subject: "Isolation", heading: "Hi", paragraphs: [] }),
    }),
};

/**
 * Org A's one customer: routes nest tags and notes under a customer, so every fixture uses the
 * same person (made by an identify call, as ingest would).
 */
async function isolationCustomer(w: IsolationWorld): Promise<number> {
  await w.sql`
    insert into identities (site_id, visitor_id, identifier, email)
    values (${w.siteId}, 'isolation-visitor', 'isolation@example.com', 'isolation@example.com')
    on conflict do nothing`;
  const [row] = await w.sql<{ id: number }[]>`
    select id from customers where site_id = ${w.siteId} and email = 'isolation@example.com'`;
  return row.id;
}

/** Parameters that are not org-owned ids (capability tokens, fixed words), with a sample value. */
export const NON_ID_PARAMS = new Map([
  ["token", "x"],
  ["choice", "light"],
  ["provider", "stripe"],
  ["dimension", "source"],
  ["file", "source.csv"],
]);

/** Routes outside user isolation altogether, and why. */
export const EXEMPT_ROUTES: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /^\/api\/webhooks\//, why: "called by payment platforms, authenticated by signature" },
  { pattern: /^\/static\//, why: "public files" },
];

/**
 * Routes the owner may also get a 404 from in the test's configuration (so the "owner can see
 * it" sanity check is skipped), and why.
 */
export const OWNER_404_ALLOWED: Array<{ pattern: RegExp; why: string }> = [
  { pattern: /^\/dev\/mail/, why: "exists only with MAIL_PREVIEW or in demo mode" },
];
