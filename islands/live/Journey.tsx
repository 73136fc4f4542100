/** A visitor's session, step by step, in a side panel (a sheet on phones). */
import { useEffect, useRef, useState } from "preact/hooks";
import type { LiveEvent } from "../../realtime/messages.ts";
import { type LiveVisitor, sourceLabel } from "../../realtime/live_state.ts";
import type { JourneyStep, VisitorJourney } from "../../realtime/journey.ts";
import { shareHeaders } from "./connection.ts";
import {
  deviceLabel,
  formatDuration,
  formatMoney,
  placeLabel,
  timeAgo,
} from "../../realtime/live_format.ts";

/** What a step says, in words. */
export function stepLabel(s: JourneyStep): string {
  switch (s.type) {
    case "pageview":
      return `Viewed ${s.pathname}`;
    case "event":
      return `Completed ${s.name || "an event"}`;
    case "outbound":
      return `Left for ${s.name || "another site"}`;
    case "download":
      return `Downloaded ${s.name || "a file"}`;
    case "identify":
      return "Identified themselves";
    case "revenue":
      return `Paid${s.name ? ` for ${s.name}` : ""}`;
    default:
      return s.name || s.type;
  }
}

/** Steps from the server and from the live stream, once each, in time order. */
export function mergeSteps(stored: JourneyStep[], live: LiveEvent[], sessionId: string | null) {
  const byId = new Map(stored.map((s) => [s.eventId, s]));
  for (const e of live) {
    if (sessionId && e.sessionId !== sessionId) continue;
    if (!byId.has(e.eventId)) {
      byId.set(e.eventId, {
        eventId: e.eventId,
        ts: e.ts,
        type: e.type,
        name: e.name,
        hostname: e.hostname,
        pathname: e.pathname,
        title: e.title,
      });
    }
  }
  // Engagement pings only say the tab was hidden; they are noise in a journey.
  return [...byId.values()].filter((s) => s.type !== "engagement")
    .sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts));
}

export function Journey(props: {
  siteId: number;
  shareToken?: string;
  visitorId: string;
  visitor: LiveVisitor | undefined;
  live: LiveEvent[];
  now: number;
  onClose: () => void;
}) {
  const [data, setData] = useState<VisitorJourney | null>(null);
  const [error, setError] = useState("");
  const closeRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    setData(null);
    setError("");
    const ctrl = new AbortController();
    const headers = { accept: "application/json", ...shareHeaders(props.siteId, props.shareToken) };
    fetch(`/api/app/sites/${props.siteId}/live/visitors/${encodeURIComponent(props.visitorId)}`, {
      headers,
      signal: ctrl.signal,
    })
      .then(async (r) => {
        const body = await r.json();
        if (!r.ok) throw new Error(body.error ?? "We couldn't load this journey.");
        setData(body as VisitorJourney);
      })
      .catch((e) => {
        if (!ctrl.signal.aborted) setError((e as Error).message);
      });
    return () => ctrl.abort();
  }, [props.visitorId]);

  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [props.visitorId]);

  const v = props.visitor;
  const sessionId = v?.sessionId ?? data?.sessionId ?? null;
  const steps = data
    ? mergeSteps(data.sessionId === sessionId ? data.steps : [], props.live, sessionId)
    : [];

  return (
    <aside class="journey" aria-label="Visitor journey">
      <div class="journey-head">
        <h2>{v ? placeLabel(v.country, v.city) : "Visitor"}</h2>
        <button type="button" class="secondary" ref={closeRef} onClick={props.onClose}>
          Close
        </button>
      </div>
      {v
        ? (
          <dl class="journey-facts">
            <dt>Source</dt>
            <dd>
              {sourceLabel(v.source)}
              {v.channel && <span class="muted">{` · ${v.channel}`}</span>}
            </dd>
            <dt>Device</dt>
            <dd>{[deviceLabel(v.device), v.browser, v.os].filter(Boolean).join(" · ")}</dd>
            <dt>On site</dt>
            <dd>
              {formatDuration(props.now - Date.parse(v.startedAt))} · {v.pages}{" "}
              {v.pages === 1 ? "page" : "pages"}
            </dd>
            {data && data.sessions > 1 && (
              <>
                <dt>Returning</dt>
                <dd>
                  {data.sessions} visits, first{" "}
                  {timeAgo(props.now - Date.parse(data.firstSeenAt ?? v.startedAt))}
                </dd>
              </>
            )}
          </dl>
        )
        : <p class="muted">This visitor has gone quiet; here is what they did.</p>}
      {error && <p class="alert error">{error}</p>}
      {!data && !error && <div class="skeleton journey-skeleton" aria-label="Loading journey" />}
      {data && (
        <ol class="journey-steps">
          {steps.map((s) => (
            <li key={s.eventId} class={`step step-${s.type}`}>
              <time dateTime={s.ts}>
                {new Date(s.ts).toLocaleTimeString([], { hour: "numeric", minute: "2-digit" })}
              </time>
              <span>
                {stepLabel(s)}
                {s.type === "pageview" && s.title && <span class="muted small">{s.title}</span>}
              </span>
            </li>
          ))}
          {steps.length === 0 && <li class="muted">No steps stored yet for this visit.</li>}
        </ol>
      )}
      {data && data.purchases.length > 0 && (
        <>
          <h3>Purchases</h3>
          <ul class="journey-purchases">
            {data.purchases.map((p) => (
              <li key={p.id}>
                <strong class="num">{formatMoney(p.amountMinor, p.currency)}</strong> {p.product}
                {" "}
                <span class="muted">{timeAgo(props.now - Date.parse(p.ts))}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}
