/** The purchase feed: newest first, new ones slide in. */
import type { FeedPurchase } from "../../realtime/live_state.ts";
import { countryLabel, formatMoney, timeAgo } from "../../realtime/live_format.ts";

const KIND_LABEL: Record<string, string> = {
  one_time: "Purchase",
  subscription_start: "New subscription",
  renewal: "Renewal",
  refund: "Refund",
};

/** Where a purchase's credit goes, in words. */
export function purchaseSource(p: FeedPurchase): string {
  if (p.source) return p.source;
  return p.visitorId ? "Direct" : "Unmatched";
}

export function PurchaseList(props: {
  purchases: FeedPurchase[];
  now: number;
  fresh: Set<string>;
  limit?: number;
  empty: preact.ComponentChildren;
}) {
  const list = props.purchases.slice(0, props.limit ?? props.purchases.length);
  if (list.length === 0) return <div class="feed-empty">{props.empty}</div>;
  const currencies = [...new Set(list.map((p) => p.currency.toUpperCase()))].sort();
  return (
    <>
      {currencies.length > 1 && (
        <p class="feed-note small muted">
          Mixed currencies ({currencies.join(", ")}): each amount is shown in its own currency, not
          converted.
        </p>
      )}
      <ol class="feed" aria-live="polite" aria-relevant="additions">
        {list.map((p) => (
          <li
            key={p.id}
            class={`feed-item${props.fresh.has(p.id) ? " is-new" : ""}${
              p.kind === "refund" ? " is-refund" : ""
            }`}
          >
            <span class="feed-amount num">{formatMoney(p.amountMinor, p.currency)}</span>
            <span class="feed-product" title={p.product}>
              {p.product || KIND_LABEL[p.kind] || "Purchase"}
              {p.kind !== "one_time" && p.product && (
                <span class="badge">{KIND_LABEL[p.kind] ?? p.kind}</span>
              )}
            </span>
            <span class="feed-meta">
              <span class="feed-source">{purchaseSource(p)}</span>{" "}
              {p.country && <span class="feed-country">{countryLabel(p.country)}</span>}{" "}
              <time dateTime={p.ts}>{timeAgo(props.now - Date.parse(p.ts))}</time>
            </span>
          </li>
        ))}
      </ol>
    </>
  );
}
