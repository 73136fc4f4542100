/**
 * The browser's live connection: one Socket.IO connection per site (and share link) shared by
 * every island on the page, holding the one LiveState they all render. Socket.IO reconnects on
 * its own; each reconnect brings a fresh snapshot that replaces the state.
 */
import { io, type Socket } from "socket.io-client";
import type { LiveMessage } from "../../realtime/messages.ts";
import {
  applyMessages,
  type FeedPurchase,
  LIVE_NAMESPACE,
  type LiveSnapshot,
  type LiveState,
  pruneIdle,
  serverNow,
  stateFromSnapshot,
} from "../../realtime/live_state.ts";

export type LiveStatus = "connecting" | "live" | "reconnecting" | "denied";

export interface LiveUpdate {
  /** Visitors who just arrived (for a ripple on the map). */
  arrived: string[];
  /** Purchases that just came in (for the pulse). */
  purchases: FeedPurchase[];
}

type Listener = (update: LiveUpdate | null) => void;

export interface LiveConnection {
  state: LiveState | null;
  status: LiveStatus;
  /** A sentence for the viewer when something is wrong; "" otherwise. */
  message: string;
  subscribe(listener: Listener): () => void;
}

const connections = new Map<string, LiveConnection>();
const grants = new Map<string, string>();

/**
 * Fetches a live grant for a share link: proof, taken where the link's unlock cookie is sent,
 * that its password was given ("" when the link is locked or unreachable; the server decides).
 */
async function refreshGrant(siteId: number, shareToken: string): Promise<string> {
  try {
    const res = await fetch(`/share/${encodeURIComponent(shareToken)}/live/access`, {
      headers: { accept: "application/json" },
    });
    const body = res.ok ? await res.json() : null;
    grants.set(`${siteId}|${shareToken}`, body?.grant ?? "");
  } catch {
    // Offline: the handshake fails and Socket.IO retries, asking again.
  }
  return grants.get(`${siteId}|${shareToken}`) ?? "";
}

/** Headers that authorize the live JSON endpoints for a share link's viewer. */
export function shareHeaders(siteId: number, shareToken?: string): Record<string, string> {
  if (!shareToken) return {};
  const grant = grants.get(`${siteId}|${shareToken}`);
  return { "x-share-token": shareToken, ...(grant ? { "x-share-grant": grant } : {}) };
}
const RETRY_MS = 5000;

/** The shared connection for a site; `initial` seeds the state until the socket's snapshot. */
export function liveConnection(
  siteId: number,
  shareToken?: string,
  initial?: LiveSnapshot,
): LiveConnection {
  const key = `${siteId}|${shareToken ?? ""}`;
  const existing = connections.get(key);
  if (existing) {
    if (!existing.state && initial) existing.state = stateFromSnapshot(initial);
    return existing;
  }
  const listeners = new Set<Listener>();
  const notify = (u: LiveUpdate | null) => {
    for (const l of listeners) l(u);
  };
  const conn: LiveConnection = {
    state: initial ? stateFromSnapshot(initial) : null,
    status: "connecting",
    message: "",
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  connections.set(key, conn);

  const socket: Socket = io(LIVE_NAMESPACE, {
    path: "/socket.io/",
    transports: ["websocket", "polling"],
    // Asked on every (re)connection, so a share link's grant is always fresh.
    auth: (cb) => {
      if (!shareToken) return cb({ siteId });
      refreshGrant(siteId, shareToken).then((grant) => cb({ siteId, shareToken, grant }));
    },
  });
  const setStatus = (status: LiveStatus, message = "") => {
    conn.status = status;
    conn.message = message;
    notify(null);
  };
  const retryLater = () => setTimeout(() => socket.connect(), RETRY_MS);

  socket.on("snapshot", (snap: LiveSnapshot) => {
    conn.state = stateFromSnapshot(snap);
    setStatus("live");
  });
  socket.on("live", (batch: LiveMessage[]) => {
    if (!conn.state) return;
    notify(applyMessages(conn.state, batch));
  });
  socket.on("problem", (p: { message: string }) => {
    setStatus(/access .* ended/i.test(p.message) ? "denied" : "reconnecting", p.message);
  });
  socket.on("disconnect", (reason) => {
    if (conn.status === "denied") return;
    setStatus("reconnecting", conn.message);
    // The server hung up on purpose (a failed snapshot): Socket.IO leaves that to us.
    if (reason === "io server disconnect") retryLater();
  });
  socket.on("connect_error", (e: Error) => {
    if (/can't watch|may not open/.test(e.message)) {
      setStatus("denied", e.message);
    } else {
      setStatus("reconnecting", "Connection lost. Reconnecting…");
      if (!socket.active) retryLater();
    }
  });

  // Idle visitors leave the count even when nothing else happens.
  setInterval(() => {
    if (conn.state && pruneIdle(conn.state, serverNow(conn.state)) > 0) notify(null);
  }, 5000);
  return conn;
}
