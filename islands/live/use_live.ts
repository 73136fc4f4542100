/** Hook giving an island the shared live state, re-rendering on every change and every second. */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { type LiveSnapshot, type LiveState, stateFromSnapshot } from "../../realtime/live_state.ts";
import { liveConnection, type LiveStatus, type LiveUpdate } from "./connection.ts";

export interface LiveData {
  state: LiveState | null;
  status: LiveStatus;
  message: string;
  /** The server's clock now (ms), ticking every second. */
  now: number;
  /** Bumped on every change of the state (for memoizing on it). */
  version: number;
}

/** Subscribes to the site's live connection; `onUpdate` sees arrivals and new purchases. */
export function useLive(
  siteId: number,
  shareToken?: string,
  initial?: LiveSnapshot,
  onUpdate?: (u: LiveUpdate) => void,
): LiveData {
  const inBrowser = typeof document !== "undefined";
  const conn = useMemo(
    () => inBrowser ? liveConnection(siteId, shareToken, initial) : null,
    [siteId, shareToken],
  );
  const serverState = useMemo(() => initial ? stateFromSnapshot(initial) : null, [initial]);
  const [version, setVersion] = useState(0);
  // Until hydrated, time stands at the snapshot's, so the first render matches the server's.
  const [clientNow, setClientNow] = useState<number | null>(null);
  const updateRef = useRef(onUpdate);
  updateRef.current = onUpdate;

  useEffect(() => {
    if (!conn) return;
    setClientNow(Date.now());
    const off = conn.subscribe((u) => {
      setVersion((v) => v + 1);
      if (u) updateRef.current?.(u);
    });
    const tick = setInterval(() => setClientNow(Date.now()), 1000);
    return () => {
      off();
      clearInterval(tick);
    };
  }, [conn]);

  const state = conn ? conn.state : serverState;
  const snapshotTime = initial ? Date.parse(initial.at) : 0;
  return {
    state,
    status: conn?.status ?? "connecting",
    message: conn?.message ?? "",
    now: clientNow === null ? snapshotTime : clientNow + (state?.clockOffsetMs ?? 0),
    version,
  };
}
