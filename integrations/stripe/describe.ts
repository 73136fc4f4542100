/** How Stripe connects, takes webhooks and carries the visitor id, for the integrations page. */
import type { PlatformDescription } from "../types.ts";

/** The events Sextant asks Stripe to send. */
export const STRIPE_EVENTS = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "invoice.paid",
  "invoice.payment_failed",
  "payment_intent.succeeded",
  "charge.refunded",
  "refund.created",
  "refund.updated",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
] as const;

const CHECKOUT_SNIPPET = `// In the browser: send the visitor id along with your checkout request.
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

const PAYMENT_LINK_SNIPPET = `<script>
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

/** Stripe as the integrations page describes it. */
export const STRIPE_DESCRIPTION: PlatformDescription = {
  id: "stripe",
  name: "Stripe",
  tagline: "Checkout, Payment Links, subscriptions and refunds flow in within a second.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In Stripe, open **Developers → API keys** and choose **Create restricted key**.",
    "Give it **Read** access to Checkout Sessions, Invoices, Subscriptions and Refunds, and " +
    "**Write** access to Webhook Endpoints (so Sextant can register its webhook for you).",
    "Paste the key below. Sextant checks it, then syncs your last 30 days.",
  ],
  fields: [{
    name: "apiKey",
    label: "Restricted API key",
    help: "Stored encrypted. A secret key (sk_…) works too, but a restricted key is safer.",
    secret: true,
    placeholder: "rk_live_…",
  }],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: STRIPE_EVENTS,
    steps: [
      "In Stripe, open **Developers → Webhooks** and choose **Add endpoint**.",
      "Endpoint URL: {url}",
      "Events: {events}.",
      "Reveal the endpoint's signing secret and paste it here.",
    ],
    secret: {
      label: "Signing secret",
      placeholder: "whsec_…",
      check: (s) =>
        /^whsec_[A-Za-z0-9+/=_-]{8,}$/.test(s) ? null : "That isn't a webhook signing secret. " +
          "In Stripe, open the endpoint and click “Reveal” under Signing secret; it starts with " +
          "whsec_.",
    },
  },
  checkout: [
    {
      title: "Stripe Checkout",
      intro: "",
      language: "JavaScript",
      code: CHECKOUT_SNIPPET,
    },
    {
      title: "Stripe Payment Links",
      intro: "Payment Links accept a client_reference_id in their URL; this adds it for you.",
      language: "HTML",
      code: PAYMENT_LINK_SNIPPET,
    },
  ],
  failedPayments: "each",
};
