/** How Polar connects, takes webhooks and carries the visitor id. */
import type { PlatformDescription } from "../types.ts";

/** The events Sextant subscribes to. */
export const POLAR_EVENTS = [
  "order.paid",
  "order.updated",
  "refund.created",
  "refund.updated",
  "subscription.created",
  "subscription.active",
  "subscription.updated",
  "subscription.canceled",
  "subscription.uncanceled",
  "subscription.revoked",
] as const;

const CHECKOUT_SNIPPET =
  `// On your server (Polar SDK): put the visitor id your page sent on the checkout.
// Polar copies checkout metadata to the order and subscription.
const checkout = await polar.checkouts.create({
  products: [productId],
  metadata: { sextant_visitor_id: visitorId },
  successUrl: "https://example.com/thanks",
});`;

/** Polar as the integrations page describes it. */
export const POLAR_DESCRIPTION: PlatformDescription = {
  id: "polar",
  name: "Polar",
  tagline: "Orders, subscriptions, renewals and refunds arrive as they happen.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In Polar, open your organization's **Settings → General → Developers** and create an " +
    "**Organization Access Token**.",
    "Give it the scopes **orders:read**, **subscriptions:read**, **refunds:read** and " +
    "**webhooks:write** (so Sextant can register its webhook for you).",
    "Paste it below. Sextant checks it, then syncs your last 30 days.",
  ],
  fields: [
    {
      name: "apiKey",
      label: "Organization access token",
      help: "Stored encrypted. Starts with polar_oat_.",
      secret: true,
      placeholder: "polar_oat_…",
    },
    {
      name: "organizationId",
      label: "Organization",
      help: "Only needed when the token reaches several organizations; Sextant asks if so.",
      secret: false,
      optional: true,
    },
  ],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: POLAR_EVENTS,
    steps: [
      "In Polar, open **Settings → Webhooks** and choose **Add Endpoint**.",
      "URL: {url}",
      "Format: **Raw**.",
      "Events: {events}.",
      "Copy the endpoint's secret and paste it here.",
    ],
    secret: {
      label: "Webhook secret",
      placeholder: "polar_whs_…",
      check: (s) =>
        s.length >= 8 && !/\s/.test(s)
          ? null
          : "That isn't a Polar webhook secret. Open the endpoint in Polar's webhook settings " +
            "and copy its secret.",
    },
  },
  checkout: [
    {
      title: "Polar checkouts created on your server",
      intro: "",
      language: "JavaScript",
      code: CHECKOUT_SNIPPET,
    },
  ],
};
