/** Dashboard panel: how many people are on the site right now and what a few of them are doing. */
import { island } from "../lib/island.ts";
import { activeCount, filterVisitors } from "../realtime/live_state.ts";
import { formatCount } from "../realtime/live_format.ts";
import { useLive } from "./live/use_live.ts";
import { VisitorList } from "./live/VisitorList.tsx";
import { LiveStatusLine, useFresh } from "./live/status.tsx";

export interface LiveSummaryProps {
  siteId: number;
  /** Set on shared dashboards: the link's token authorizes the feed. */
  shareToken?: string;
}

const SHOWN = 5;

function LiveSummary(props: LiveSummaryProps) {
  const fresh = useFresh(3000);
  const live = useLive(props.siteId, props.shareToken, undefined, (u) => fresh.add(u.arrived));
  const state = live.state;
  const count = state ? activeCount(state) : null;
  const recent = state ? filterVisitors(state.visitors.values(), {}).slice(0, SHOWN) : [];
  const href = props.shareToken
    ? `/share/${encodeURIComponent(props.shareToken)}/live`
    : `/sites/${props.siteId}/live`;
  return (
    <section class="card live-panel" aria-labelledby={`live-summary-${props.siteId}`}>
      <div class="live-panel-head">
        <h2 id={`live-summary-${props.siteId}`}>
          <span class={`live-beacon ${live.status}`} aria-hidden="true" />
          Right now
        </h2>
        <a href={href}>Open live view →</a>
      </div>
      {count === null
        ? (
          <>
            <div class="skeleton live-panel-count-skeleton" aria-label="Loading live visitors" />
            <LiveStatusLine status={live.status} message={live.message} />
          </>
        )
        : (
          <>
            <p class="live-panel-count" aria-live="polite">
              <strong class="num">{formatCount(count)}</strong>{" "}
              {count === 1 ? "visitor" : "visitors"} in the last 5 minutes
            </p>
            {live.status !== "live" && (
              <LiveStatusLine status={live.status} message={live.message} />
            )}
            {recent.length > 0
              ? <VisitorList visitors={recent} now={live.now} fresh={fresh.ids} compact />
              : (
                <p class="muted small">
                  Nobody on the site right now. New visitors appear within a second.
                </p>
              )}
          </>
        )}
    </section>
  );
}

export default island("LiveSummary", LiveSummary);
