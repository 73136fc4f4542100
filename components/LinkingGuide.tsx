/**
 * How to link purchases to visitors: pass `sextant.visitorId()` to each platform's checkout (the
 * snippets come from the platforms' own descriptions), or report purchases from the page. Shown
 * on the integrations page; docs/revenue.md says the same at length.
 */
import { Snippet } from "./RevenueNav.tsx";
import type { PlatformDescription } from "../integrations/types.ts";

export const TRACKER_SNIPPET =
  `// On your thank-you page, if your checkout isn't Stripe (or as a backup):
sextant("revenue", {
  amount: 49.00,          // in the currency's normal units
  currency: "USD",
  product: "Pro plan",
  transaction_id: "order_1234", // the same order reported twice counts once
});`;

/**
 * The "link purchases to visitors" section: every platform's snippets, those of connected
 * platforms unfolded.
 */
export function LinkingGuide(
  props: {
    siteId: number;
    platforms: readonly Pick<PlatformDescription, "id" | "name" | "checkout">[];
    connected: readonly string[];
  },
) {
  return (
    <section class="card linking" id="linking" aria-labelledby="linking-title">
      <h2 id="linking-title">Link purchases to visitors</h2>
      <p class="small">
        Sextant matches a purchase to the visitor who made it, strongest evidence first: the visitor
        id your checkout carries, then an email the visitor gave{" "}
        <code>sextant('identify', email)</code>{" "}
        or used before, then (with low confidence) a lone visitor on your site at checkout time.
        Purchases with no evidence appear as <strong>Unmatched revenue</strong>{" "}
        — pass the visitor id and that row shrinks to nothing.
      </p>
      {props.platforms.filter((p) => p.checkout.length > 0).map((p) => (
        <details class="linking-platform" open={props.connected.includes(p.id)}>
          <summary>{p.name}</summary>
          {p.checkout.map((snippet) => (
            <>
              <h3>{snippet.title}</h3>
              {snippet.intro && <p class="small">{snippet.intro}</p>}
              <Snippet label={snippet.language} code={snippet.code} />
            </>
          ))}
        </details>
      ))}
      <h3>Any other checkout</h3>
      <Snippet label="JavaScript" code={TRACKER_SNIPPET} />
      <p class="small muted">
        More in the <a href={`/sites/${props.siteId}/revenue#how`}>revenue report notes</a>{" "}
        and in Sextant's docs (docs/revenue.md).
      </p>
    </section>
  );
}
