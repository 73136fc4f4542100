/**
 * How to link purchases to visitors: pass `sextant.visitorId()` to Stripe Checkout or Payment
 * Links, or report purchases from the page. Shown on the integrations page; docs/revenue.md says
 * the same at length.
 */
import { Snippet } from "./RevenueNav.tsx";

export const CHECKOUT_SNIPPET =
  `// In the browser: send the visitor id along with your checkout request.
const visitorId = window.sextant ? sextant.visitorId() : undefined;
await fetch("/create-checkout-session", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ priceId, visitorId }),
});

// On your server (Node, Stripe SDK): put it on the Checkout Session.
const session = await stripe.checkout.sessions.create({
  mode: "payment", // or "subscription"
  line_items: [{ price: priceId, quantity: 1 }],
  client_reference_id: visitorId,
  // Already using client_reference_id for something else? Use metadata instead:
  metadata: { sextant_visitor_id: visitorId },
  success_url: "https://example.com/thanks",
});`;

export const PAYMENT_LINK_SNIPPET = `<script>
  // After the Sextant script: adds the visitor id to every Stripe Payment Link on the page.
  window.addEventListener("load", function () {
    if (!window.sextant) return;
    var id = sextant.visitorId();
    document.querySelectorAll('a[href^="https://buy.stripe.com/"]').forEach(function (a) {
      var url = new URL(a.href);
      url.searchParams.set("client_reference_id", id);
      a.href = url.toString();
    });
  });
</script>`;

export const TRACKER_SNIPPET =
  `// On your thank-you page, if your checkout isn't Stripe (or as a backup):
sextant("revenue", {
  amount: 49.00,          // in the currency's normal units
  currency: "USD",
  product: "Pro plan",
  transaction_id: "order_1234", // the same order reported twice counts once
});`;

/** The "link purchases to visitors" section. */
export function LinkingGuide(props: { siteId: number }) {
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
      <h3>Stripe Checkout</h3>
      <Snippet label="JavaScript" code={CHECKOUT_SNIPPET} />
      <h3>Stripe Payment Links</h3>
      <p class="small">
        Payment Links accept a <code>client_reference_id</code> in their URL; this adds it for you.
      </p>
      <Snippet label="HTML" code={PAYMENT_LINK_SNIPPET} />
      <h3>Any other checkout</h3>
      <Snippet label="JavaScript" code={TRACKER_SNIPPET} />
      <p class="small muted">
        More in the <a href={`/sites/${props.siteId}/revenue#how`}>revenue report notes</a>{" "}
        and in Sextant's docs (docs/revenue.md).
      </p>
    </section>
  );
}
