/** The live page: globe, active visitors with their journeys, and the purchase feed. */
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import {
  activeCount,
  filterVisitors,
  type LiveSnapshot,
  mapDots,
  sourcesOf,
  type VisitorFilter,
} from "../realtime/live_state.ts";
import { formatCount, formatMoney } from "../realtime/live_format.ts";
import { type LiveData, useLive } from "./live/use_live.ts";
import type { LiveUpdate } from "./live/connection.ts";
import { FlatMap, Globe, globeSuits, type MapAssets, type MapPulse } from "./live/LiveMap.tsx";
import { VisitorList } from "./live/VisitorList.tsx";
import { PurchaseList } from "./live/PurchaseList.tsx";
import { Journey } from "./live/Journey.tsx";
import { LiveStatusLine, useFresh } from "./live/status.tsx";

export interface LiveViewProps {
  siteId: number;
  siteName: string;
  shareToken?: string;
  snapshot: LiveSnapshot;
  assets: MapAssets;
  /** Members get links to set-up pages in empty states; share viewers don't. */
  member: boolean;
}

const PULSE_MS = 6000;
const LIST_PAGE = 50;

function LiveView(props: LiveViewProps) {
  const [mode, setMode] = useState<"flat" | "globe">("flat");
  const [note, setNote] = useState("");
  const [reducedMotion, setReducedMotion] = useState(false);
  const [rotating, setRotating] = useState(true);
  const [zoomRequest, setZoomRequest] = useState(0);
  const [pulses, setPulses] = useState<MapPulse[]>([]);
  const [filter, setFilter] = useState<VisitorFilter>({
    source: "",
    goal: false,
    purchased: false,
  });
  const [selected, setSelected] = useState<string | null>(null);
  const [shown, setShown] = useState(LIST_PAGE);
  const freshVisitors = useFresh(3000);
  const freshPurchases = useFresh(PULSE_MS);

  const latest = useRef<LiveData | null>(null);
  const onUpdate = useCallback((u: LiveUpdate) => {
    const state = latest.current?.state;
    const added: MapPulse[] = [];
    for (const id of u.arrived.slice(0, 5)) {
      const v = state?.visitors.get(id);
      if (v && v.lat !== null && v.lon !== null) {
        added.push({ id: `a:${id}:${v.lastSeenAt}`, lat: v.lat, lon: v.lon, kind: "arrival" });
      }
    }
    for (const p of u.purchases) {
      const buyer = p.visitorId ? state?.visitors.get(p.visitorId) : undefined;
      const lat = p.lat ?? buyer?.lat ?? null;
      const lon = p.lon ?? buyer?.lon ?? null;
      if (lat !== null && lon !== null) {
        added.push({
          id: `p:${p.id}`,
          lat,
          lon,
          kind: "purchase",
          label: formatMoney(p.amountMinor, p.currency),
        });
      }
    }
    freshVisitors.add(u.arrived);
    freshPurchases.add(u.purchases.map((p) => p.id));
    if (added.length === 0) return;
    setPulses((list) => [...list, ...added]);
    setTimeout(() => {
      const gone = new Set(added.map((a) => a.id));
      setPulses((list) => list.filter((p) => !gone.has(p.id)));
    }, PULSE_MS);
  }, []);
  const live = useLive(props.siteId, props.shareToken, props.snapshot, onUpdate);
  latest.current = live;

  useEffect(() => {
    const reduce = matchMedia("(prefers-reduced-motion: reduce)");
    setReducedMotion(reduce.matches);
    const saved = localStorage.getItem("sextant_live_map");
    if (saved === "globe" || (saved !== "flat" && globeSuits())) setMode("globe");
  }, []);

  const state = live.state;
  // Dots fade slowly: redrawing the map every five seconds is enough between real changes.
  const fadeStep = Math.floor(live.now / 5000);
  const visitors = useMemo(
    () => state ? [...state.visitors.values()] : [],
    [state, live.version, fadeStep],
  );
  const matching = useMemo(() => filterVisitors(visitors, filter), [visitors, filter]);
  const filtering = !!(filter.source || filter.goal || filter.purchased);
  const dots = useMemo(
    () =>
      mapDots(
        visitors,
        live.now,
        filtering ? new Set(matching.map((v) => v.visitorId)) : undefined,
      ),
    [visitors, matching, fadeStep],
  );
  const sources = useMemo(() => sourcesOf(visitors), [visitors]);
  const count = state ? activeCount(state) : 0;

  const chooseMode = (m: "flat" | "globe") => {
    localStorage.setItem("sextant_live_map", m);
    setNote("");
    setMode(m);
  };
  const base = `/sites/${props.siteId}`;

  return (
    <div class="live">
      <div class="live-head">
        <p class="live-count" aria-live="polite">
          <span class={`live-beacon ${live.status}`} aria-hidden="true" />
          <strong class="num">{formatCount(count)}</strong>
          <span>
            {count === 1 ? "visitor" : "visitors"}
            <span class="live-site">{` on ${props.siteName}`}</span> right now
          </span>
        </p>
        <LiveStatusLine status={live.status} message={live.message} />
      </div>

      <div class="live-grid">
        <section class="card live-map" aria-label="Map">
          {mode === "globe"
            ? (
              <Globe
                assets={props.assets}
                dots={dots}
                pulses={pulses}
                reducedMotion={reducedMotion}
                rotating={rotating}
                zoomRequest={zoomRequest}
                onFail={(reason) => {
                  setNote(reason);
                  setMode("flat");
                }}
                placeholder={<FlatMap svgUrl={props.assets.worldSvg} dots={dots} pulses={[]} />}
              />
            )
            : <FlatMap svgUrl={props.assets.worldSvg} dots={dots} pulses={pulses} />}
          <div class="map-tools">
            <span class="segmented" role="group" aria-label="Map style">
              <button
                type="button"
                class="secondary"
                aria-pressed={mode === "globe"}
                onClick={() => chooseMode("globe")}
              >
                Globe
              </button>
              <button
                type="button"
                class="secondary"
                aria-pressed={mode === "flat"}
                onClick={() => chooseMode("flat")}
              >
                Flat
              </button>
            </span>
            {mode === "globe" && (
              <>
                <button
                  type="button"
                  class="secondary"
                  aria-label="Zoom in"
                  onClick={() => setZoomRequest((z) => z + 1)}
                >
                  +
                </button>
                <button
                  type="button"
                  class="secondary"
                  aria-label="Zoom out"
                  onClick={() => setZoomRequest((z) => z - 1)}
                >
                  −
                </button>
                {!reducedMotion && (
                  <button
                    type="button"
                    class="secondary"
                    onClick={() => setRotating(!rotating)}
                  >
                    {rotating ? "Stop turning" : "Turn"}
                  </button>
                )}
              </>
            )}
          </div>
          {note && <p class="muted small map-note">{note}</p>}
        </section>

        <section class="card live-feed" aria-labelledby="feed-title">
          <h2 id="feed-title">Purchases</h2>
          <PurchaseList
            purchases={state?.purchases ?? []}
            now={live.now}
            fresh={freshPurchases.ids}
            empty={
              <p>
                No purchases yet. Each sale appears here and pulses on the map the moment it
                happens.{" "}
                {props.member && <a href={`${base}/integrations`}>Connect a payment platform</a>}
              </p>
            }
          />
        </section>
      </div>

      <section class="card live-visitors" aria-labelledby="visitors-title">
        <div class="live-visitors-head">
          <h2 id="visitors-title">Active visitors</h2>
          <form class="live-filters" onSubmit={(e) => e.preventDefault()}>
            <label>
              <span class="visually-hidden">Source</span>
              <select
                value={filter.source ?? ""}
                onChange={(e) =>
                  setFilter({ ...filter, source: (e.target as HTMLSelectElement).value })}
              >
                <option value="">All sources</option>
                {sources.map(([s, n]) => <option key={s} value={s}>{s} ({n})</option>)}
                {filter.source && !sources.some(([s]) => s === filter.source) && (
                  <option value={filter.source}>{filter.source} (0)</option>
                )}
              </select>
            </label>
            <label class="checkbox">
              <input
                type="checkbox"
                checked={filter.goal}
                onChange={(e) =>
                  setFilter({ ...filter, goal: (e.target as HTMLInputElement).checked })}
              />
              Completed a goal
            </label>
            <label class="checkbox">
              <input
                type="checkbox"
                checked={filter.purchased}
                onChange={(e) =>
                  setFilter({ ...filter, purchased: (e.target as HTMLInputElement).checked })}
              />
              Has purchased
            </label>
            {filtering && (
              <button
                type="button"
                class="link-button"
                onClick={() => setFilter({ source: "", goal: false, purchased: false })}
              >
                Clear filters
              </button>
            )}
          </form>
        </div>
        {filtering && (
          <p class="muted small">
            {matching.length} of {visitors.length} visitors match.
          </p>
        )}
        {visitors.length === 0
          ? (
            <div class="empty">
              <h3>Nobody on {props.siteName} right now</h3>
              <p>
                Visitors show up here within a second of opening a page that has the Sextant
                snippet, and stay for five minutes after their last action.
              </p>
              {props.member && (
                <a class="button secondary" href={`${base}/install`}>Check your installation</a>
              )}
            </div>
          )
          : matching.length === 0
          ? <p class="empty">No active visitor matches these filters.</p>
          : (
            <>
              <VisitorList
                visitors={matching.slice(0, shown)}
                now={live.now}
                fresh={freshVisitors.ids}
                selected={selected}
                onSelect={setSelected}
              />
              {matching.length > shown && (
                <button
                  type="button"
                  class="secondary"
                  onClick={() => setShown(shown + LIST_PAGE)}
                >
                  Show {Math.min(LIST_PAGE, matching.length - shown)} more
                </button>
              )}
            </>
          )}
      </section>

      {selected && (
        <Journey
          siteId={props.siteId}
          shareToken={props.shareToken}
          visitorId={selected}
          visitor={state?.visitors.get(selected)}
          live={state?.recent.get(selected) ?? []}
          now={live.now}
          onClose={() => {
            setSelected(null);
            // Keyboard users continue from the row they opened, not from the top of the page.
            requestAnimationFrame(() =>
              document.querySelector<HTMLElement>(
                `.visitor-row[data-visitor="${CSS.escape(selected)}"]`,
              )?.focus()
            );
          }}
        />
      )}
    </div>
  );
}

export default island("LiveView", LiveView);
