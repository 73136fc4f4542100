/**
 * The install page's live indicator: "Waiting for your first event…" until the site's first event
 * arrives, then "Receiving data ✓". Also sends a test visit on request.
 */
import { useEffect, useState } from "preact/hooks";
import { island } from "../lib/island.ts";

interface Props {
  siteId: number;
  csrf: string;
  receiving: boolean;
  /** Events dropped recently, by reason, while nothing has been received. */
  drops: Array<{ reason: string; count: number; why: string }>;
  /** Whether this user may send a test visit (members and up). */
  canTest: boolean;
}

type TestState =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "sent" }
  | { kind: "error"; message: string };

/** Events that reached Sextant but were not counted, and why — so waiting is never silent. */
function DroppedEvents(props: { drops: Props["drops"] }) {
  const total = props.drops.reduce((n, d) => n + d.count, 0);
  if (total === 0) return null;
  return (
    <div class="dropped-events small">
      {total === 1
        ? "1 event arrived but was dropped:"
        : `${total} events arrived but were dropped:`}
      <ul>
        {props.drops.map((d) => (
          <li key={d.reason} data-reason={d.reason}>
            {d.count} {d.why}
          </li>
        ))}
      </ul>
    </div>
  );
}

function InstallStatus(props: Props) {
  const [receiving, setReceiving] = useState(props.receiving);
  const [drops, setDrops] = useState(props.drops);
  const [test, setTest] = useState<TestState>({ kind: "idle" });
  const [offline, setOffline] = useState(false);

  useEffect(() => {
    if (receiving) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const res = await fetch(`/api/app/sites/${props.siteId}/install-status`, {
          headers: { accept: "application/json" },
        });
        if (res.ok) {
          const body = await res.json() as { receiving: boolean; drops: Props["drops"] };
          setOffline(false);
          setDrops(body.drops ?? []);
          if (body.receiving) {
            setReceiving(true);
            return;
          }
        } else setOffline(true);
      } catch {
        setOffline(true);
      }
      if (!stopped) timer = setTimeout(poll, document.hidden ? 5000 : 1500);
    };
    timer = setTimeout(poll, 1000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [receiving]);

  const sendTest = async () => {
    setTest({ kind: "sending" });
    try {
      const res = await fetch(`/api/app/sites/${props.siteId}/test-visit`, {
        method: "POST",
        headers: { "x-csrf-token": props.csrf, accept: "application/json" },
      });
      const body = await res.json().catch(() => ({})) as { error?: string };
      if (!res.ok) {
        setTest({ kind: "error", message: body.error ?? "The test visit didn't go through." });
      } else setTest({ kind: "sent" });
    } catch {
      setTest({ kind: "error", message: "We couldn't reach Sextant. Check your connection." });
    }
  };

  return (
    <div class="install-status-wrap">
      <div
        class={`install-status ${receiving ? "ok" : "waiting"}`}
        role="status"
        aria-live="polite"
        data-state={receiving ? "receiving" : "waiting"}
      >
        <span class="pulse" aria-hidden="true" />
        {receiving
          ? (
            <span>
              <strong>Receiving data ✓</strong>{" "}
              <a href={`/sites/${props.siteId}`}>Open your dashboard →</a>
            </span>
          )
          : (
            <span>
              <strong>Waiting for your first event…</strong>{" "}
              <span class="muted">
                Load any page of your site and it appears here within seconds.
              </span>
              {offline && <span class="muted">(Reconnecting…)</span>}
              <DroppedEvents drops={drops} />
            </span>
          )}
      </div>
      {props.canTest && (
        <div class="row test-visit">
          <button
            type="button"
            class="secondary"
            onClick={sendTest}
            disabled={test.kind === "sending"}
          >
            {test.kind === "sending" ? "Sending a test visit…" : "Send a test visit"}
          </button>
          <span class="muted small" aria-live="polite">
            {test.kind === "sent" && "Test visit sent through the real collect endpoint."}
            {test.kind === "error" && <span class="negative">{test.message}</span>}
            {test.kind === "idle" &&
              "No traffic yet? See it work with a sample visit (marked as a test)."}
          </span>
        </div>
      )}
    </div>
  );
}

export default island("InstallStatus", InstallStatus);
