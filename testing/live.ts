/** Test helpers for the live view: a member with a site, contract messages, a Socket.IO viewer. */
import { io, type Socket } from "socket.io-client";
import type { Sql } from "../db/connect.ts";
import { createUser } from "../accounts/users.ts";
import { createOrg } from "../accounts/orgs.ts";
import { createSite, type Site } from "../accounts/sites.ts";
import { createLoginSession, SESSION_COOKIE } from "../accounts/sessions.ts";
import type { LiveEvent, LiveMessage, LivePurchase } from "../realtime/messages.ts";
import { LIVE_NAMESPACE, type LiveSnapshot } from "../realtime/live_state.ts";
import { startTestApp, type TestApp, type TestAppOptions } from "./app.ts";

export interface MemberFixture {
  userId: number;
  orgId: number;
  site: Site;
  /** Session token of the signed-in member. */
  token: string;
  /** Cookie header carrying the session. */
  cookie: string;
}

/** A user who owns an organization with one site, signed in. */
export async function createMember(
  sql: Sql,
  opts: { domain?: string; currency?: string } = {},
): Promise<MemberFixture> {
  const tag = crypto.randomUUID().slice(0, 8);
  const user = await createUser(sql, {
    email: `owner-${tag}@example.com`,
    password: "correct horse battery",
    name: `Owner ${tag}`,
    verified: true,
  });
  const org = await createOrg(sql, `Org ${tag}`, user.id);
  const site = await createSite(sql, {
    orgId: org.id,
    domain: opts.domain ?? `shop-${tag}.example.com`,
    currency: opts.currency,
  });
  const { token } = await createLoginSession(sql, user.id, "test");
  return {
    userId: user.id,
    orgId: org.id,
    site,
    token,
    cookie: `${SESSION_COOKIE}=${token}`,
  };
}

/** A desktop Chrome user agent (collect drops requests without a browser's). */
export const DESKTOP_UA =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/** Public addresses of consumer networks the offline geo database places in these countries. */
export const IP_IN = {
  GB: "2.125.160.216",
  ES: "80.58.61.250",
  SE: "195.67.199.18",
  DE: "194.25.2.129",
  FR: "212.27.40.240",
} as const;

/**
 * Sends events the way the tracker on the site's page would: POST /api/collect with the page's
 * Origin, a browser user agent and, for instances started with TRUST_PROXY, the visitor's
 * address in X-Forwarded-For.
 */
export async function collect(
  url: string,
  site: Site,
  events: Array<Record<string, unknown>>,
  opts: { visitorId?: string; ip?: string } = {},
): Promise<{ accepted: number; dropped: number }> {
  const origin = `https://${site.domain}`;
  const res = await fetch(new URL("/api/collect", url), {
    method: "POST",
    headers: {
      "content-type": "text/plain",
      origin,
      "user-agent": DESKTOP_UA,
      ...(opts.ip ? { "x-forwarded-for": opts.ip } : {}),
    },
    body: JSON.stringify({
      s: site.public_id,
      v: opts.visitorId ?? `visitor-${crypto.randomUUID().slice(0, 12)}`,
      sc: "1440x900",
      l: "en-GB",
      z: "Europe/London",
      e: events.map((e) => ({ u: `${origin}${e.path ?? "/"}`, ...e, path: undefined })),
    }),
  });
  const body = await res.json();
  if (res.status !== 202) throw new Error(`collect answered ${res.status}: ${body.error}`);
  return body;
}

/** A pageview (or other event) on the live channel contract, with sensible defaults. */
export function liveEvent(siteId: number, over: Partial<LiveEvent> = {}): LiveEvent {
  return {
    kind: "event",
    siteId,
    ts: new Date().toISOString(),
    eventId: crypto.randomUUID(),
    type: "pageview",
    name: "",
    visitorId: `v-${crypto.randomUUID().slice(0, 8)}`,
    sessionId: crypto.randomUUID(),
    hostname: "example.com",
    pathname: "/",
    title: "Home",
    source: "",
    channel: "Direct",
    country: "US",
    region: "",
    city: "",
    lat: 38,
    lon: -97,
    device: "desktop",
    browser: "Chrome",
    os: "Linux",
    ...over,
  };
}

/** A purchase on the live channel contract. */
export function livePurchase(siteId: number, over: Partial<LivePurchase> = {}): LivePurchase {
  return {
    kind: "purchase",
    siteId,
    ts: new Date().toISOString(),
    purchaseId: crypto.randomUUID(),
    type: "one_time",
    amountMinor: 4900,
    currency: "USD",
    amountSiteMinor: 4900,
    product: "Course",
    visitorId: null,
    source: "",
    channel: "Direct",
    country: "",
    city: "",
    lat: null,
    lon: null,
    ...over,
  };
}

/** A Socket.IO viewer that records what it receives. */
export interface LiveViewerClient {
  socket: Socket;
  snapshots: LiveSnapshot[];
  messages: LiveMessage[];
  problems: string[];
  /** Resolves with the first snapshot, rejects with the handshake's refusal. */
  connected: Promise<LiveSnapshot>;
  /** Waits until `predicate` holds over the received messages (rejects after `timeoutMs`). */
  waitFor(predicate: (messages: LiveMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Connects a viewer to an instance at `url`. */
export function connectViewer(
  url: string,
  opts: {
    siteId: number;
    cookie?: string;
    shareToken?: string;
    /** A live grant for the share link (what a shared page's islands send). */
    grant?: string;
    /** The Origin header a browser would send. */
    origin?: string;
    reconnection?: boolean;
  },
): LiveViewerClient {
  const socket = io(`${url}${LIVE_NAMESPACE}`, {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: { siteId: opts.siteId, shareToken: opts.shareToken, grant: opts.grant },
    extraHeaders: {
      ...(opts.cookie ? { cookie: opts.cookie } : {}),
      ...(opts.origin ? { origin: opts.origin } : {}),
    },
    reconnection: opts.reconnection ?? false,
    forceNew: true,
  });
  const snapshots: LiveSnapshot[] = [];
  const messages: LiveMessage[] = [];
  const problems: string[] = [];
  const waiters = new Set<() => void>();
  const connected = new Promise<LiveSnapshot>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no snapshot within 15 s")), 15_000);
    socket.once("snapshot", (s: LiveSnapshot) => {
      clearTimeout(timer);
      resolve(s);
    });
    socket.once("connect_error", (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  connected.catch(() => {});
  socket.on("snapshot", (s: LiveSnapshot) => {
    snapshots.push(s);
    for (const w of waiters) w();
  });
  socket.on("live", (batch: LiveMessage[]) => {
    messages.push(...batch);
    for (const w of waiters) w();
  });
  socket.on("problem", (p: { message: string }) => problems.push(p.message));
  return {
    socket,
    snapshots,
    messages,
    problems,
    connected,
    waitFor(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; received ${JSON.stringify(messages).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      for (const w of waiters) waiters.delete(w);
      socket.disconnect();
    },
  };
}

/** Registers a test that runs against a fresh instance (stopped afterwards, even on failure). */
export function testWithApp(
  name: string,
  fn: (app: TestApp) => Promise<void>,
  appOpts: TestAppOptions = {},
  testOpts: { ignore?: boolean } = {},
): void {
  Deno.test({
    name,
    ...testOpts,
    // Socket.IO clients keep timers briefly after disconnecting.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const app = await startTestApp(appOpts);
      try {
        await fn(app);
      } finally {
        await app.stop();
      }
    },
  });
}
