/**
 * Request bodies, as zod schemas: the tracker's compact body for `POST /api/collect` and the
 * readable one for `POST /api/v1/events`. docs/tracking.md documents both, field by field.
 */
import { z } from "zod";
import { EVENT_TYPES } from "./types.ts";

const MAX_EVENTS = 50;
/** Pointer samples per heatmap record. */
export const MAX_POINTS = 100;
const PAGE_VIEW = /^[a-z0-9]{1,24}$/;

/** Custom properties: a flat object of short strings, numbers and booleans. */
export const propsSchema = z.record(
  z.string().min(1).max(100),
  z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
).refine((p) => Object.keys(p).length <= 30, "can hold at most 30 properties");

const text = (max: number) => z.string().max(max);

/** One event in the tracker's body. */
export const trackerEventSchema = z.object({
  /** type */
  t: z.enum(EVENT_TYPES),
  /** page URL */
  u: text(4096),
  /** referrer */
  r: text(4096).optional(),
  /** page title */
  ti: text(2000).optional(),
  /** event or goal name */
  n: text(200).optional(),
  /** custom properties, traits or revenue details */
  p: propsSchema.optional(),
  /** ms between the event and sending the batch */
  a: z.number().int().min(0).max(3_600_000).optional(),
  /** max scroll depth, percent */
  sd: z.number().int().min(0).max(100).optional(),
  /** engaged time on the page, ms */
  em: z.number().int().min(0).max(86_400_000).optional(),
  /** identify: email or user id */
  id: text(320).optional(),
  /** heatmap click: document coordinates, page size, element selector */
  x: z.number().int().min(0).max(1_000_000).optional(),
  y: z.number().int().min(0).max(10_000_000).optional(),
  w: z.number().int().min(0).max(100_000).optional(),
  h: z.number().int().min(0).max(10_000_000).optional(),
  sel: text(1000).optional(),
  /** heatmap record kind: absent for a click, m for pointer samples, s for scroll/attention */
  k: z.enum(["m", "s"]).optional(),
  /** click offset inside the element */
  ex: z.number().int().min(0).max(100_000).optional(),
  ey: z.number().int().min(0).max(100_000).optional(),
  /** click flags: 1 rage, 2 dead, 4 error */
  f: z.number().int().min(0).max(7).optional(),
  /** page view id chosen by the browser */
  pv: z.string().regex(PAGE_VIEW, "must be 1–24 letters or digits").optional(),
  /** pointer samples: x, y pairs in document coordinates */
  m: z.array(z.number().int().min(0).max(10_000_000)).max(MAX_POINTS * 2).optional(),
  /** attention: seconds each tenth of the page was in view */
  at: z.array(z.number().int().min(0).max(86_400)).max(10).optional(),
});
export type TrackerEvent = z.infer<typeof trackerEventSchema>;

/** The tracker's body. */
export const trackerBodySchema = z.object({
  /** the site's public id */
  s: z.string().min(1).max(64),
  /** visitor id (absent in cookieless mode) */
  v: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8–64 letters, digits, - or _").optional(),
  /** screen size, "1920x1080" */
  sc: z.string().regex(/^\d{1,5}x\d{1,5}$/, 'must look like "1920x1080"').optional(),
  /** language, "en-US" */
  l: text(35).optional(),
  /** IANA time zone */
  z: text(64).optional(),
  /** 1 when Do-Not-Track or Global Privacy Control is on */
  d: z.union([z.literal(0), z.literal(1)]).optional(),
  /** 1 when navigator.webdriver is true */
  b: z.union([z.literal(0), z.literal(1)]).optional(),
  /** 1 when the site uses hash-based routing (the hash is part of the path) */
  hm: z.union([z.literal(0), z.literal(1)]).optional(),
  e: z.array(trackerEventSchema).min(1, "must hold at least one event").max(
    MAX_EVENTS,
    `can hold at most ${MAX_EVENTS} events`,
  ),
});
export type TrackerBody = z.infer<typeof trackerBodySchema>;

/** One event sent from a server with an API key. */
export const apiEventSchema = z.object({
  type: z.enum(EVENT_TYPES).default("event"),
  name: text(200).optional(),
  /** The id from `sextant.visitorId()` in the browser, or your own stable id. */
  visitor_id: z.string().regex(/^[A-Za-z0-9_:.@-]{1,128}$/, "must be 1–128 letters or digits"),
  /** ISO 8601; defaults to now. At most 7 days old (400 with the import scope), never future. */
  timestamp: z.iso.datetime({ offset: true }).optional(),
  /** Idempotency: the same id and timestamp are stored once. */
  event_id: z.uuid().optional(),
  url: text(4096).optional(),
  referrer: text(4096).optional(),
  title: text(2000).optional(),
  props: propsSchema.optional(),
  /** identify: email or user id; traits go in props. */
  identifier: text(320).optional(),
  /** The visitor's address and browser, for location and device (used, then discarded). */
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  user_agent: text(1000).optional(),
  language: text(35).optional(),
});
export type ApiEvent = z.infer<typeof apiEventSchema>;

/** The server-side API's body. */
export const apiBodySchema = z.object({
  /** The site's public id (the one in the tracking snippet). */
  site: z.string().min(1).max(64),
  events: z.array(apiEventSchema).min(1, "must hold at least one event").max(
    500,
    "can hold at most 500 events",
  ),
});
export type ApiBody = z.infer<typeof apiBodySchema>;

const TYPES: ReadonlySet<unknown> = new Set(EVENT_TYPES);
const VISITOR_ID = /^[A-Za-z0-9_-]{8,64}$/;
const SCREEN = /^\d{1,5}x\d{1,5}$/;

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
const optText = (v: unknown, max: number) =>
  v === undefined || (typeof v === "string" && v.length <= max);
const optInt = (v: unknown, max: number) =>
  v === undefined || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max);
const optFlag = (v: unknown) => v === undefined || v === 0 || v === 1;
const optInts = (v: unknown, len: number, max: number) =>
  v === undefined || (Array.isArray(v) && v.length <= len && v.every((n) => optInt(n, max)));

function plainProps(p: unknown): boolean {
  if (p === undefined) return true;
  if (!isObject(p)) return false;
  let n = 0;
  for (const k in p) {
    // zod rebuilds records key by key; leave such a key to it.
    if (++n > 30 || k.length === 0 || k.length > 100 || k === "__proto__") return false;
    const v = p[k];
    if (
      typeof v === "string" ? v.length > 2000 : !(v === null || typeof v === "boolean" ||
        (typeof v === "number" && Number.isFinite(v)))
    ) return false;
  }
  return true;
}

/**
 * The rules of trackerBodySchema, hand-written: true only for bodies zod accepts unchanged
 * except for unknown keys, which nothing reads. Parsing every collect body with zod cost more
 * than the rest of validation; bodies this refuses still go through zod, whose messages we keep.
 */
export function isPlainTrackerBody(b: Record<string, unknown>): boolean {
  if (
    typeof b.s !== "string" || b.s.length === 0 || b.s.length > 64 ||
    !(b.v === undefined || (typeof b.v === "string" && VISITOR_ID.test(b.v))) ||
    !(b.sc === undefined || (typeof b.sc === "string" && SCREEN.test(b.sc))) ||
    !optText(b.l, 35) || !optText(b.z, 64) || !optFlag(b.d) || !optFlag(b.b) || !optFlag(b.hm)
  ) return false;
  const events = b.e;
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS) return false;
  for (const e of events) {
    if (
      !isObject(e) || !TYPES.has(e.t) || typeof e.u !== "string" || e.u.length > 4096 ||
      !optText(e.r, 4096) || !optText(e.ti, 2000) || !optText(e.n, 200) || !plainProps(e.p) ||
      !optInt(e.a, 3_600_000) || !optInt(e.sd, 100) || !optInt(e.em, 86_400_000) ||
      !optText(e.id, 320) || !optInt(e.x, 1_000_000) || !optInt(e.y, 10_000_000) ||
      !optInt(e.w, 100_000) || !optInt(e.h, 10_000_000) || !optText(e.sel, 1000) ||
      !(e.k === undefined || e.k === "m" || e.k === "s") || !optInt(e.ex, 100_000) ||
      !optInt(e.ey, 100_000) || !optInt(e.f, 7) ||
      !(e.pv === undefined || (typeof e.pv === "string" && PAGE_VIEW.test(e.pv))) ||
      !optInts(e.m, MAX_POINTS * 2, 10_000_000) || !optInts(e.at, 10, 86_400)
    ) return false;
  }
  return true;
}
