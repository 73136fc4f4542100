/** How Lemon Squeezy connects, takes webhooks and carries the visitor id. */
import type { PlatformDescription } from "../types.ts";

/** The events Sextant subscribes to. */
export const LEMONSQUEEZY_EVENTS = [
  "order_created",
  "order_refunded",
  "subscription_created",
  "subscription_updated",
  "subscription_cancelled",
  "subscription_resumed",
  "subscription_expired",
  "subscription_paused",
  "subscription_unpaused",
  "subscription_payment_success",
  "subscription_payment_refunded",
] as const;

const OVERLAY_SNIPPET = `<script>
  // After the Sextant script: adds the visitor id to every Lemon Squeezy checkout link
  // (hosted checkout or overlay) as checkout custom data.
  window.addEventListener("load", function () {
    if (!window.sextant) return;
    var id = sextant.visitorId();
    document.querySelectorAll('a[href*=".lemonsqueezy.com/checkout"]').forEach(function (a) {
      var url = new URL(a.href);
      url.searchParams.set("checkout[custom][sextant_visitor_id]", id);
      a.href = url.toString();
    });
  });
</script>`;

const API_SNIPPET = `// On your server: pass the visitor id your page sent as custom data.
await fetch("https://api.lemonsqueezy.com/v1/checkouts", {
  method: "POST",
  headers: {
    accept: "application/vnd.api+json",
    "content-type": "application/vnd.api+json",
    authorization: \`Bearer \${process.env.LEMONSQUEEZY_API_KEY}\`,
  },
  body: JSON.stringify({
    data: {
      type: "checkouts",
      attributes: { checkout_data: { custom: { sextant_visitor_id: visitorId } } },
      relationships: {
        store: { data: { type: "stores", id: storeId } },
        variant: { data: { type: "variants", id: variantId } },
      },
    },
  }),
});`;

/** Lemon Squeezy as the integrations page describes it. */
export const LEMONSQUEEZY_DESCRIPTION: PlatformDescription = {
  id: "lemonsqueezy",
  name: "Lemon Squeezy",
  tagline: "Orders, subscriptions, renewals and refunds arrive as they happen.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In Lemon Squeezy, open **Settings → API** and click **+** to create an API key.",
    "Paste it below. Sextant checks it, registers its webhook with a fresh signing secret, then " +
    "syncs your last 30 days.",
  ],
  fields: [
    {
      name: "apiKey",
      label: "API key",
      help: "Stored encrypted. A test-mode key connects your test store.",
      secret: true,
      placeholder: "eyJ0eXAiOiJKV1Qi…",
    },
    {
      name: "storeId",
      label: "Store",
      help: "Only needed when the key reaches several stores; Sextant asks if so.",
      secret: false,
      optional: true,
    },
  ],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: LEMONSQUEEZY_EVENTS,
    steps: [
      "In Lemon Squeezy, open **Settings → Webhooks** and click **+**.",
      "Callback URL: {url}",
      "Signing secret: make up 6 to 40 characters, and paste the same below.",
      "Events: {events}.",
    ],
    secret: {
      label: "Signing secret",
      placeholder: "6 to 40 characters",
      check: (s) =>
        s.length >= 6 && s.length <= 40
          ? null
          : "Lemon Squeezy signing secrets are 6 to 40 characters; paste the one you typed in " +
            "the webhook's Signing secret box.",
    },
  },
  checkout: [
    {
      title: "Lemon Squeezy checkout links and overlay",
      intro: "Checkout links accept custom data in their URL; this adds the visitor id for you.",
      language: "HTML",
      code: OVERLAY_SNIPPET,
    },
    {
      title: "Checkouts created through the API",
      intro: "",
      language: "JavaScript",
      code: API_SNIPPET,
    },
  ],
};
