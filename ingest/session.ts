/**
 * Step: assign sessions. A visit ends after 30 minutes without activity, and a pageview that
 * arrives with a different campaign (UTM tags or a click id) starts a new one. The session's
 * acquisition (source … channel) is decided by its first event and copied onto every later
 * event. Session state lives in the bus's key-value store, so several instances share it.
 */
import type { KeyValue } from "../bus/mod.ts";
import type { Acquisition } from "./source.ts";
import type { Channel } from "./channel.ts";
import type { Batch, WorkingEvent } from "./types.ts";

/** Inactivity that ends a session. */
export const SESSION_TIMEOUT_MS = 30 * 60_000;
/** How long session state is kept: late engagement and server events may still join. */
const STATE_TTL_MS = 2 * 60 * 60_000;

const TAG_PARAMS = [
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "ref",
  "via",
  "source",
  "gclid",
  "gbraid",
  "wbraid",
  "msclkid",
  "ttclid",
  "twclid",
  "li_fat_id",
  "fbclid",
];

interface SessionState {
  /** session id */
  i: string;
  /** started, ms */
  s: number;
  /** last activity, ms */
  l: number;
  /** campaign key of the landing ("" when untagged) */
  k: string;
  /** acquisition: source, medium, campaign, content, term, channel, referrer host, click id */
  a: [string, string, string, string, string, string, string, string];
}

const stateKey = (siteId: number, visitorId: string) => `ses:${siteId}:${visitorId}`;

function isTagged(params: URLSearchParams): boolean {
  for (const p of TAG_PARAMS) if (params.has(p)) return true;
  return false;
}

function campaignKey(a: Acquisition): string {
  return `${a.source}\u0000${a.medium}\u0000${a.campaign}`;
}

function pack(a: Acquisition): SessionState["a"] {
  return [
    a.source,
    a.medium,
    a.campaign,
    a.content,
    a.term,
    a.channel,
    a.referrerHost,
    a.clickIdType,
  ];
}

function unpack(a: SessionState["a"]): Acquisition {
  return {
    source: a[0],
    medium: a[1],
    campaign: a[2],
    content: a[3],
    term: a[4],
    channel: a[5] as Channel,
    referrerHost: a[6],
    clickIdType: a[7],
  };
}

function parse(raw: string | null): SessionState | null {
  if (!raw) return null;
  try {
    return JSON.parse(raw) as SessionState;
  } catch {
    return null;
  }
}

/** Decides one event's session given the visitor's current state; returns the new state. */
export function nextSession(state: SessionState | null, e: WorkingEvent): SessionState {
  const acq = e.acquisition!;
  // An event from well before the visitor's current visit (an import) never joins it.
  const near = state !== null && e.ts >= state.s - SESSION_TIMEOUT_MS;
  const active = near && e.ts - state!.l <= SESSION_TIMEOUT_MS;
  const tagged = e.type === "pageview" && isTagged(e.params);
  const newCampaign = tagged && state !== null && campaignKey(acq) !== state.k;
  // Only a page view opens a visit; anything else joins the visitor's latest one if any.
  const joins = near && (e.type === "pageview" ? active && !newCampaign : true);
  if (joins) {
    const s = state!;
    if (e.type === "pageview" || active) s.l = Math.max(s.l, e.ts);
    return s;
  }
  return {
    i: crypto.randomUUID(),
    s: e.ts,
    l: e.ts,
    k: tagged ? campaignKey(acq) : "",
    a: pack(acq),
  };
}

/**
 * Sets sessionId, sessionStart and the session's acquisition on each event. The new states are
 * written without waiting (`batch.saved`): a later read of the same store is answered after
 * them, and the caller waits for them together with its queue append, one round trip for both.
 */
export async function assignSession(batch: Batch, kv: KeyValue): Promise<void> {
  if (batch.events.length === 0) return;
  const siteId = batch.site.id;
  const keys = new Set<string>();
  for (const e of batch.events) {
    for (const v of e.visitorCandidates ?? [e.visitorId!]) keys.add(stateKey(siteId, v));
  }
  const list = [...keys];
  const raw = await kv.getMany(list);
  const states = new Map<string, SessionState | null>();
  list.forEach((k, i) => states.set(k, parse(raw[i])));
  const changed = new Set<string>();
  // Visits of imported events from before a visitor's current one, chained within the batch
  // without replacing the live state.
  const past = new Map<string, SessionState>();

  for (const e of batch.events) {
    if (e.visitorCandidates && e.visitorCandidates.length > 1) {
      // Cookieless across midnight: continue yesterday's visitor if their visit is still on.
      const live = e.visitorCandidates.find((v) => {
        const s = states.get(stateKey(siteId, v));
        return s && e.ts - s.l <= SESSION_TIMEOUT_MS;
      });
      e.visitorId = live ?? e.visitorCandidates[0];
    }
    const key = stateKey(siteId, e.visitorId!);
    const current = states.get(key) ?? null;
    const historical = current !== null && e.ts < current.s - SESSION_TIMEOUT_MS;
    const next = nextSession(historical ? past.get(key) ?? null : current, e);
    if (historical) past.set(key, next);
    else {
      states.set(key, next);
      changed.add(key);
    }
    if (e.ts < next.s) e.ts = next.s;
    e.sessionId = next.i;
    e.sessionStart = next.s;
    e.acquisition = unpack(next.a);
  }
  batch.saved = kv.setMany(
    [...changed].map((k) => [k, JSON.stringify(states.get(k))]),
    STATE_TTL_MS,
  );
  // Handled here so a caller that never waits (a test) leaves no unhandled rejection; whoever
  // awaits batch.saved still sees the failure.
  batch.saved.catch(() => {});
}
