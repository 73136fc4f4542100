/** Live status of a platform connection: the backfill's progress and its summary. */
import { useEffect, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import { type StatusView, syncSentence } from "../integrations/status_view.ts";

const LABELS: Record<StatusView["status"], string> = {
  connected: "Connected",
  syncing: "Syncing",
  error: "Error",
  disconnected: "Not connected",
};

function SyncProgress(props: { url: string; reportUrl: string; initial: StatusView }) {
  const [view, setView] = useState(props.initial);
  const [offline, setOffline] = useState(false);
  const active = view.status === "syncing" || view.sync?.status === "queued" ||
    view.sync?.status === "running";

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    const tick = async () => {
      try {
        const res = await fetch(props.url, { headers: { accept: "application/json" } });
        if (!res.ok) throw new Error(String(res.status));
        if (!stopped) {
          setView(await res.json());
          setOffline(false);
        }
      } catch {
        if (!stopped) setOffline(true);
      }
    };
    const timer = setInterval(tick, 1000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [active, props.url]);

  const s = view.sync;
  const running = s && (s.status === "running" || s.status === "queued");
  const pct = s && s.status === "running" && s.phase === "syncing" && s.total > 0
    ? Math.round((s.processed / s.total) * 100)
    : null;
  const badge = view.status === "error" ? "bad" : view.status === "disconnected" ? "" : "ok";
  return (
    <div class="sync-status" aria-live="polite">
      <p class="row">
        <span class={`badge ${badge}`} data-status={view.status}>{LABELS[view.status]}</span>
        {s && <span class="sync-text">{syncSentence(s)}</span>}
      </p>
      {running && (
        <div
          class={`progress${pct === null ? " indeterminate" : ""}`}
          role="progressbar"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct ?? undefined}
          aria-label="Sync progress"
        >
          <span style={{ width: `${pct ?? 30}%` }} />
        </div>
      )}
      {s?.status === "done" && s.synced > 0 && (
        <p class="small">
          <a href={props.reportUrl}>See which sources made the money →</a>
        </p>
      )}
      {view.status === "error" && view.lastError && (
        <p class="alert error" role="alert">{view.lastError}</p>
      )}
      {offline && <p class="muted small">Can't reach Sextant right now; retrying…</p>}
    </div>
  );
}

export default island("SyncProgress", SyncProgress);
