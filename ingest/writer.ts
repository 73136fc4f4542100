/**
 * The batch writer: takes queued batches, inserts their events idempotently and folds the
 * events it actually inserted into sessions and identities — all in one transaction, so a
 * writer killed anywhere either stored a batch completely or not at all, and a replay adds
 * nothing twice.
 */
import type { Sql } from "../db/connect.ts";
import { canCopy } from "../db/copy.ts";
import {
  addHeatmapRollups,
  type ClickRow,
  type IdentityRow,
  insertClicks,
  insertEvents,
  insertReject,
  prepareStaging,
  type SessionDelta,
  upsertIdentities,
  upsertSessions,
} from "./store.ts";
import type { QueuedBatch, QueuedEvent } from "./types.ts";
import { layoutOf } from "../lib/layout.ts";

export interface WriteResult {
  /** Events newly stored (replays not counted). */
  inserted: number;
  /** Events seen in the batches (including clicks and replays). */
  received: number;
}

/** Folds inserted events into per-session deltas, in a stable order (no lock-order deadlocks). */
export function sessionDeltas(events: QueuedEvent[]): SessionDelta[] {
  const byKey = new Map<string, SessionDelta & { firstPv: string; lastPv: string }>();
  for (const e of events) {
    const key = `${e.session_id}|${e.session_started_at}`;
    let d = byKey.get(key);
    if (!d) {
      d = {
        started_at: e.session_started_at,
        session_id: e.session_id,
        site_id: e.site_id,
        visitor_id: e.visitor_id,
        ended_at: e.ts,
        entry_page: "",
        entry_at: null,
        exit_page: "",
        exit_at: null,
        pageviews: 0,
        events: 0,
        engaged_ms: 0,
        referrer_host: e.referrer_host,
        source: e.source,
        medium: e.medium,
        campaign: e.campaign,
        content: e.content,
        term: e.term,
        channel: e.channel,
        click_id_type: e.click_id_type,
        country: e.country,
        region: e.region,
        city: e.city,
        device: e.device,
        browser: e.browser,
        os: e.os,
        firstPv: "",
        lastPv: "",
      };
      byKey.set(key, d);
    }
    if (e.ts > d.ended_at) d.ended_at = e.ts;
    d.events++;
    d.engaged_ms += e.engaged_ms ?? 0;
    if (e.type === "pageview") {
      d.pageviews++;
      if (!d.firstPv || e.ts < d.firstPv) {
        d.firstPv = e.ts;
        d.entry_page = e.pathname;
      }
      if (!d.lastPv || e.ts >= d.lastPv) {
        d.lastPv = e.ts;
        d.exit_page = e.pathname;
      }
    }
  }
  return [...byKey.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1).map(([, d]) => {
    const { firstPv, lastPv, ...row } = d;
    return { ...row, entry_at: firstPv || null, exit_at: lastPv || null };
  });
}

function identityRows(events: QueuedEvent[]): IdentityRow[] {
  const byKey = new Map<string, IdentityRow>();
  for (const e of events) {
    if (e.type !== "identify" || !e.identify) continue;
    const key = `${e.site_id}|${e.visitor_id}|${e.identify.identifier}`;
    const prev = byKey.get(key);
    byKey.set(key, {
      site_id: e.site_id,
      visitor_id: e.visitor_id,
      identifier: e.identify.identifier,
      email: e.identify.email ?? prev?.email ?? null,
      traits: prev?.traits || e.identify.traits ? { ...prev?.traits, ...e.identify.traits } : null,
      seen_at: e.ts,
    });
  }
  return [...byKey.entries()].sort((a, b) => a[0] < b[0] ? -1 : 1).map(([, r]) => r);
}

/**
 * The heatmap rows of click events: one per click or scroll record, one per pointer sample.
 * A sample's id is its record's id with the sample's index in the last digits, so a replayed
 * batch maps onto the same ids and stores nothing twice.
 */
export function clickRows(events: QueuedEvent[]): ClickRow[] {
  const rows: ClickRow[] = [];
  for (const e of events) {
    const c = e.click;
    if (!c) continue;
    const row: ClickRow = {
      ts: e.ts,
      event_id: e.event_id,
      site_id: e.site_id,
      hostname: e.hostname,
      pathname: e.pathname,
      x: c.x,
      y: c.y,
      page_width: c.pageWidth,
      page_height: c.pageHeight,
      selector: c.selector,
      device: e.device,
      kind: c.kind,
      layout: layoutOf(c.pageWidth),
      session_id: e.session_id,
      page_view: c.pageView,
      elem_x: c.elemX,
      elem_y: c.elemY,
      flags: c.flags,
      depth: c.depth,
      attention: c.attention,
      origin: c.origin,
    };
    if (!c.points) {
      rows.push(row);
      continue;
    }
    for (let i = 0; i + 1 < c.points.length; i += 2) {
      const id = e.event_id.slice(0, -4) + (i / 2).toString(16).padStart(4, "0");
      rows.push({ ...row, event_id: id, x: c.points[i], y: c.points[i + 1] });
    }
  }
  return rows;
}

/** Stores queued batches in one transaction; safe to call again with the same batches. */
export async function writeBatches(sql: Sql, batches: QueuedBatch[]): Promise<WriteResult> {
  const events: QueuedEvent[] = [];
  const clicks: QueuedEvent[] = [];
  for (const b of batches) {
    for (const e of b.events) (e.type === "click" ? clicks : events).push(e);
  }
  let inserted = 0;
  const copy = canCopy(sql);
  await sql.begin(async (tx) => {
    const t = tx as unknown as Sql;
    if (copy) await prepareStaging(t);
    const { count, ids } = await insertEvents(t, events, copy);
    inserted = count;
    const fresh = ids ? events.filter((e) => ids.has(e.event_id)) : events;
    await upsertSessions(t, sessionDeltas(fresh), copy);
    await upsertIdentities(t, identityRows(fresh));
    await addHeatmapRollups(t, await insertClicks(t, clickRows(clicks)));
  });
  return { inserted, received: events.length + clicks.length };
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity): retrying will not help. */
function refusedData(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === "string" && /^2[23]/.test(code);
}

/**
 * Like writeBatches, but a batch the database refuses is set aside in `ingest_rejects` instead
 * of blocking everything behind it: the others are written one by one. Other failures (the
 * database is away) are thrown, so the queue retries them.
 */
export async function writeBatchesSafely(
  sql: Sql,
  batches: QueuedBatch[],
  onRejected: (error: unknown, events: number) => void = () => {},
): Promise<WriteResult & { rejected: number }> {
  try {
    return { ...await writeBatches(sql, batches), rejected: 0 };
  } catch (e) {
    if (!refusedData(e)) throw e;
  }
  const total: WriteResult & { rejected: number } = { inserted: 0, received: 0, rejected: 0 };
  for (const b of batches) {
    try {
      const r = await writeBatches(sql, [b]);
      total.inserted += r.inserted;
      total.received += r.received;
    } catch (e) {
      if (!refusedData(e)) throw e;
      onRejected(e, b.events.length);
      await insertReject(sql, (e as Error).message, b);
      total.rejected += b.events.length;
    }
  }
  return total;
}
