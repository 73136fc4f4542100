/** How Paddle Billing connects, takes webhooks and carries the visitor id. */
import type { PlatformDescription } from "../types.ts";

/** The events Sextant subscribes to. */
export const PADDLE_EVENTS = [
  "transaction.completed",
  "transaction.paid",
  "adjustment.created",
  "adjustment.updated",
  "subscription.created",
  "subscription.updated",
  "subscription.canceled",
] as const;

const CHECKOUT_SNIPPET = `// In the browser, with Paddle.js: pass the visitor id as custom data.
Paddle.Checkout.open({
  items: [{ priceId: "pri_…", quantity: 1 }],
  customData: { sextant_visitor_id: window.sextant ? sextant.visitorId() : undefined },
});`;

const API_SNIPPET = `// Transactions created on your server: add it to custom_data.
await paddle.transactions.create({
  items: [{ priceId: "pri_…", quantity: 1 }],
  customData: { sextant_visitor_id: visitorId },
});`;

/** Paddle as the integrations page describes it. */
export const PADDLE_DESCRIPTION: PlatformDescription = {
  id: "paddle",
  name: "Paddle",
  tagline: "Paddle Billing transactions, renewals, refunds and subscriptions, as they happen.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In Paddle, open **Developer Tools → Authentication** and create an API key.",
    "Give it read access to **Transactions**, **Customers**, **Adjustments** and " +
    "**Subscriptions**, and write access to **Notification settings** (so Sextant can register " +
    "its webhook for you).",
    "Paste it below. Sextant checks it, then syncs your last 30 days.",
  ],
  fields: [{
    name: "apiKey",
    label: "API key",
    help: "Stored encrypted. Sandbox keys work against a Sextant set up with Paddle's sandbox.",
    secret: true,
    placeholder: "pdl_live_apikey_…",
  }],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: PADDLE_EVENTS,
    steps: [
      "In Paddle, open **Developer Tools → Notifications** and choose **New destination**.",
      "Type **Webhook**, URL: {url}",
      "Events: {events}.",
      "Save, then copy the destination's **secret key** and paste it here.",
    ],
    secret: {
      label: "Secret key",
      placeholder: "pdl_ntfset_…",
      check: (s) =>
        /^pdl_ntfset_\S{8,}$/.test(s) || /^[A-Za-z0-9_]{20,}$/.test(s)
          ? null
          : "That isn't a Paddle notification secret key. Open the destination in Paddle's " +
            "notification settings and copy its secret key (it starts with pdl_ntfset_).",
    },
  },
  checkout: [
    { title: "Paddle.js checkout", intro: "", language: "JavaScript", code: CHECKOUT_SNIPPET },
    {
      title: "Transactions created through the API",
      intro: "",
      language: "JavaScript",
      code: API_SNIPPET,
    },
  ],
};
