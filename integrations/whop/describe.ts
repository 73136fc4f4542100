/** How Whop connects, takes webhooks and carries the visitor id, for the integrations page. */
import type { PlatformDescription } from "../types.ts";

/** The events Sextant asks Whop to send. */
export const WHOP_EVENTS = [
  "payment.succeeded",
  "refund.created",
  "refund.updated",
  "membership.activated",
  "membership.deactivated",
] as const;

const CHECKOUT_SNIPPET =
  `// In the browser: send the visitor id along when the buyer starts a checkout.
const visitorId = window.sextant ? sextant.visitorId() : undefined;
const res = await fetch("/whop-checkout", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ planId, visitorId }),
});

// On your server: a checkout configuration whose metadata Whop copies to the payment.
const config = await fetch("https://api.whop.com/api/v1/checkout_configurations", {
  method: "POST",
  headers: {
    authorization: \`Bearer \${process.env.WHOP_API_KEY}\`,
    "content-type": "application/json",
  },
  body: JSON.stringify({ plan_id: planId, metadata: { sextant_visitor_id: visitorId } }),
}).then((r) => r.json());
// Send the buyer to config.purchase_url.`;

/** Whop as the integrations page describes it. */
export const WHOP_DESCRIPTION: PlatformDescription = {
  id: "whop",
  name: "Whop",
  tagline: "Community and membership sales, renewals, refunds and churn.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In Whop, open your dashboard → **Developer** and create a **company API key**.",
    "Allow it to read payments, memberships and plans, and to manage webhooks (so Sextant can " +
    "create its webhook for you).",
    "Paste the key and your company id (it starts with biz_ and is in your dashboard's " +
    "address). Sextant checks them, then syncs your last 30 days.",
  ],
  fields: [
    {
      name: "apiKey",
      label: "API key",
      help: "Stored encrypted.",
      secret: true,
      placeholder: "apik_…",
    },
    {
      name: "companyId",
      label: "Company id",
      help: "From your dashboard's address: whop.com/dashboard/biz_…",
      secret: false,
      placeholder: "biz_…",
    },
  ],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: WHOP_EVENTS,
    steps: [
      "In Whop, open **Developer → Webhooks** and create a webhook.",
      "URL: {url} — API version **v1**.",
      "Events: {events}.",
      "Copy the webhook's secret and paste it here.",
    ],
    secret: {
      label: "Webhook secret",
      placeholder: "ws_…",
      check: (s) =>
        /^\S{8,}$/.test(s)
          ? null
          : "That isn't a Whop webhook secret. Open the webhook in Developer → Webhooks and copy " +
            "its secret.",
    },
  },
  checkout: [{
    title: "Whop checkout",
    intro: "Whop copies a checkout configuration's metadata to the payment, so Sextant can " +
      "match it to the visit exactly; without it, the buyer's email is used.",
    language: "JavaScript",
    code: CHECKOUT_SNIPPET,
  }],
};
