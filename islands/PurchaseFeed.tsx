/** Dashboard panel: the latest purchases, with new ones sliding in as they happen. */
import { island } from "../lib/island.ts";
import { useLive } from "./live/use_live.ts";
import { PurchaseList } from "./live/PurchaseList.tsx";
import { LiveStatusLine, useFresh } from "./live/status.tsx";

export interface PurchaseFeedProps {
  siteId: number;
  /** Set on shared dashboards: the link's token authorizes the feed. */
  shareToken?: string;
  /** How many purchases to list (default 8, at most 20). */
  limit?: number;
}

function PurchaseFeed(props: PurchaseFeedProps) {
  const fresh = useFresh(6000);
  const live = useLive(
    props.siteId,
    props.shareToken,
    undefined,
    (u) => fresh.add(u.purchases.map((p) => p.id)),
  );
  const state = live.state;
  return (
    <section class="card live-panel" aria-labelledby={`purchase-feed-${props.siteId}`}>
      <div class="live-panel-head">
        <h2 id={`purchase-feed-${props.siteId}`}>Latest purchases</h2>
        {!props.shareToken && <a href={`/sites/${props.siteId}/revenue`}>Revenue →</a>}
      </div>
      {state
        ? (
          <>
            {live.status !== "live" && (
              <LiveStatusLine status={live.status} message={live.message} />
            )}
            <PurchaseList
              purchases={state.purchases}
              now={live.now}
              fresh={fresh.ids}
              limit={Math.min(props.limit ?? 8, 20)}
              empty={
                <p class="muted small">
                  No purchases yet. They appear here the moment they happen.
                </p>
              }
            />
          </>
        )
        : (
          <>
            <div class="skeleton live-panel-feed-skeleton" aria-label="Loading purchases" />
            <LiveStatusLine status={live.status} message={live.message} />
          </>
        )}
    </section>
  );
}

export default island("PurchaseFeed", PurchaseFeed);
