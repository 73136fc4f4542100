/**
 * The live fan-out of one instance. Viewers connect over Socket.IO and are authorized in the
 * handshake (session cookie or share link, see access.ts). Each instance subscribes to the bus
 * channel of every site someone watches on it and emits to that site's room locally: the bus
 * already reaches every instance, so emitting through the Redis adapter would deliver twice.
 *
 * A (re)connecting viewer gets a snapshot, then the stream, with nothing lost or counted twice:
 * the site's channel is subscribed first, messages arriving meanwhile are held for the viewer,
 * and those the snapshot already contains are dropped (checked in the snapshot's transaction).
 * Bursts are coalesced: the first message after a quiet spell goes out at once, the rest of a
 * burst at most every FLUSH_MS.
 */
import type { Server as SocketServer, Socket } from "socket.io";
import { parse as parseCookies } from "hono/utils/cookie";
import type { AppContext } from "../http/context.ts";
import { liveChannel, type LiveMessage } from "./messages.ts";
import { authorizeLiveViewer, type LiveCredentials, type LiveViewer } from "./access.ts";
import { loadSnapshot } from "./snapshot.ts";
import { storedEventIds } from "./live_queries.ts";
import { LIVE_NAMESPACE, type LiveSnapshot } from "./live_state.ts";

/** Socket.IO event names of the live protocol. */
export const LIVE_EVENTS = {
  /** server → client: LiveSnapshot, first thing after connecting. */
  snapshot: "snapshot",
  /** server → client: LiveMessage[] in arrival order. */
  live: "live",
  /** server → client: { message } when the live view cannot continue. */
  problem: "problem",
} as const;

// One display frame: viewers cannot see faster updates, and a burst costs one message per frame.
const FLUSH_MS = 16;
const UNSUBSCRIBE_AFTER_MS = 30_000;
const REAUTHORIZE_EVERY_MS = 60_000;

/** The Socket.IO room of a site's viewers. */
export function liveRoom(siteId: number): string {
  return `site:${siteId}`;
}

interface ViewerData {
  cred: LiveCredentials;
  viewer: LiveViewer;
}

interface SiteFeed {
  siteId: number;
  viewers: Set<string>;
  /** Messages held for viewers whose snapshot is still loading (socket id → messages). */
  pending: Map<string, LiveMessage[]>;
  queue: LiveMessage[];
  lastFlush: number;
  flushTimer?: ReturnType<typeof setTimeout>;
  idleTimer?: ReturnType<typeof setTimeout>;
  ready: Promise<() => Promise<void>>;
}

export interface LiveHub {
  /** Sites this instance currently follows on the bus. */
  followedSites(): number[];
  close(): Promise<void>;
}

/** Whether a bus payload looks like a live message for `siteId`. */
function isLiveMessage(m: unknown, siteId: number): m is LiveMessage {
  if (!m || typeof m !== "object") return false;
  const o = m as Record<string, unknown>;
  if (o.siteId !== siteId || typeof o.ts !== "string") return false;
  if (o.kind === "event") {
    return typeof o.eventId === "string" && typeof o.visitorId === "string" &&
      typeof o.sessionId === "string";
  }
  return o.kind === "purchase" && typeof o.purchaseId === "string";
}

function originAllowed(origin: string, host: string | undefined, publicUrl: string): boolean {
  try {
    const o = new URL(origin);
    return o.host === host || o.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

function header(socket: Socket, name: string): string | undefined {
  const v = socket.handshake.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Wires the live protocol into `io`; one per instance. */
export function startLiveHub(ctx: AppContext, io: SocketServer): LiveHub {
  const feeds = new Map<number, SiteFeed>();
  const log = ctx.log.child({ part: "live" });
  const nsp = io.of(LIVE_NAMESPACE);

  nsp.use((socket, next) => {
    const origin = header(socket, "origin");
    if (
      origin && !originAllowed(origin, header(socket, "x-forwarded-host"), ctx.config.PUBLIC_URL)
    ) {
      return next(new Error("This page may not open Sextant's live feed."));
    }
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    const cred: LiveCredentials = {
      siteId: Number(auth.siteId),
      cookies: parseCookies(header(socket, "cookie") ?? ""),
      shareToken: typeof auth.shareToken === "string" ? auth.shareToken : undefined,
      shareGrant: typeof auth.grant === "string" ? auth.grant : undefined,
    };
    authorizeLiveViewer(ctx, cred).then((viewer) => {
      if (!viewer) {
        return next(
          new Error("You can't watch this site live. Sign in, or open a valid share link."),
        );
      }
      socket.data = { cred, viewer } satisfies ViewerData;
      next();
    }, (error) => {
      log.error("live handshake failed", { error });
      next(new Error("The live view is unavailable right now. Retrying…"));
    });
  });

  const flush = (feed: SiteFeed) => {
    clearTimeout(feed.flushTimer);
    feed.flushTimer = undefined;
    if (feed.queue.length === 0) return;
    const batch = feed.queue.splice(0);
    feed.lastFlush = performance.now();
    nsp.local.to(liveRoom(feed.siteId)).emit(LIVE_EVENTS.live, batch);
    for (const held of feed.pending.values()) held.push(...batch);
  };

  const onMessage = (feed: SiteFeed, m: unknown) => {
    if (!isLiveMessage(m, feed.siteId)) return;
    feed.queue.push(m);
    if (feed.flushTimer) return;
    const wait = FLUSH_MS - (performance.now() - feed.lastFlush);
    if (wait <= 0) flush(feed);
    else feed.flushTimer = setTimeout(() => flush(feed), wait);
  };

  const follow = (siteId: number): SiteFeed => {
    let feed = feeds.get(siteId);
    if (feed) {
      clearTimeout(feed.idleTimer);
      feed.idleTimer = undefined;
      return feed;
    }
    const created: SiteFeed = {
      siteId,
      viewers: new Set(),
      pending: new Map(),
      queue: [],
      lastFlush: 0,
      ready: ctx.bus.subscribe(liveChannel(siteId), (m) => onMessage(created, m)),
    };
    created.ready.catch(() => feeds.delete(siteId));
    feeds.set(siteId, feed = created);
    return feed;
  };

  const unfollowLater = (feed: SiteFeed) => {
    if (feed.viewers.size > 0 || feed.idleTimer) return;
    feed.idleTimer = setTimeout(async () => {
      if (feed.viewers.size > 0 || feeds.get(feed.siteId) !== feed) return;
      feeds.delete(feed.siteId);
      clearTimeout(feed.flushTimer);
      const unsubscribe = await feed.ready.catch(() => null);
      await unsubscribe?.().catch(() => {});
    }, UNSUBSCRIBE_AFTER_MS);
  };

  /** Loads the snapshot and, in the same database snapshot, which held events it contains. */
  const snapshotFor = async (viewer: LiveViewer, held: LiveMessage[]) => {
    const site = viewer.site;
    return await ctx.db.sql.begin("isolation level repeatable read", async (tx) => {
      const snapshot = await loadSnapshot(tx, site);
      const contained = new Set<string>();
      let checked = 0;
      while (checked < held.length) {
        const slice = held.slice(checked);
        checked = held.length;
        const events = slice.filter((m) => m.kind === "event");
        if (events.length === 0) continue;
        const oldest = Math.min(...events.map((e) => Date.parse(e.ts)));
        const ids = events.map((e) => e.eventId);
        for (const id of await storedEventIds(tx, site.id, ids, new Date(oldest - 60_000))) {
          contained.add(id);
        }
      }
      return { snapshot, contained };
    }) as { snapshot: LiveSnapshot; contained: Set<string> };
  };

  const attach = async (socket: Socket) => {
    const { viewer } = socket.data as ViewerData;
    const feed = follow(viewer.site.id);
    feed.viewers.add(socket.id);
    const held: LiveMessage[] = [];
    feed.pending.set(socket.id, held);
    socket.on("disconnect", () => {
      feed.viewers.delete(socket.id);
      feed.pending.delete(socket.id);
      unfollowLater(feed);
    });
    try {
      await feed.ready;
      const { snapshot, contained } = await snapshotFor(viewer, held);
      if (!socket.connected) return;
      const inFeed = new Set(snapshot.purchases.map((p) => p.id));
      const rest = held.filter((m) =>
        m.kind === "event" ? !contained.has(m.eventId) : !inFeed.has(m.purchaseId)
      );
      feed.pending.delete(socket.id);
      socket.emit(LIVE_EVENTS.snapshot, snapshot);
      if (rest.length > 0) socket.emit(LIVE_EVENTS.live, rest);
      socket.join(liveRoom(viewer.site.id));
    } catch (error) {
      log.error("live snapshot failed", { error, siteId: viewer.site.id });
      feed.pending.delete(socket.id);
      socket.emit(LIVE_EVENTS.problem, {
        message: "We couldn't load who's on your site right now. Retrying in a few seconds…",
      });
      socket.disconnect(true);
    }
  };

  nsp.on("connection", (socket) => {
    attach(socket);
  });

  // Sessions end and share links get revoked: viewers whose credentials stopped working leave.
  const reauthorize = setInterval(async () => {
    for (const socket of nsp.sockets.values()) {
      const data = socket.data as ViewerData | undefined;
      if (!data?.cred) continue;
      try {
        const viewer = await authorizeLiveViewer(ctx, data.cred);
        if (!viewer) {
          socket.emit(LIVE_EVENTS.problem, {
            message: "Your access to this live view ended. Sign in again to keep watching.",
          });
          socket.disconnect(true);
        }
      } catch {
        // The database hiccuped; try again next round rather than dropping viewers.
      }
    }
  }, REAUTHORIZE_EVERY_MS);
  Deno.unrefTimer(reauthorize);

  return {
    followedSites: () => [...feeds.keys()],
    async close() {
      clearInterval(reauthorize);
      for (const feed of feeds.values()) {
        clearTimeout(feed.flushTimer);
        clearTimeout(feed.idleTimer);
        const unsubscribe = await feed.ready.catch(() => null);
        await unsubscribe?.().catch(() => {});
      }
      feeds.clear();
    },
  };
}
