/** How Teachable connects and takes webhooks, for the integrations page. */
import type { PlatformDescription } from "../types.ts";
import { identifySnippet } from "../../accounts/install_snippets.ts";

/** The webhook events to tick in Teachable. */
export const TEACHABLE_EVENTS = [
  "Transaction.created",
  "Transaction.refunded",
  "Sale.subscription_canceled",
  "Enrollment.created",
  "Enrollment.disabled",
] as const;

/** Teachable as the integrations page describes it. */
export const TEACHABLE_DESCRIPTION: PlatformDescription = {
  id: "teachable",
  name: "Teachable",
  tagline: "Course sales, subscriptions, payment plans and refunds, matched by email.",
  subscriptions: true,
  auth: "api_key",
  connectSteps: [
    "In your Teachable admin, open **Settings → API** and create an API key.",
    "Paste it below. Sextant checks it, then syncs your last 30 days of transactions.",
  ],
  fields: [
    {
      name: "apiKey",
      label: "API key",
      help: "Stored encrypted. Teachable's API comes with the Pro plan and above.",
      secret: true,
    },
    {
      name: "signingSecret",
      label: "Webhook signing secret",
      help: "Only if Teachable shows one for your webhook: Sextant then also checks each " +
        "delivery's teachable-signature. Without it, the secret token in the address is the guard.",
      secret: true,
      optional: true,
    },
  ],
  webhook: {
    setup: "manual",
    proof: "url_token",
    events: TEACHABLE_EVENTS,
    steps: [
      "In your Teachable admin, open **Settings → Webhooks** and choose **New webhook**.",
      "URL: {url}",
      "Events: {events}. Save.",
    ],
    secret: null,
  },
  checkout: [{
    title: "Match Teachable sales by email",
    intro: "Teachable's checkout can't carry the visitor id. In Site → Code Snippets → Order " +
      "thank-you page, paste this so the buyer's email links the sale to their visit.",
    language: "HTML",
    code: identifySnippet("{{ current_user.email }}"),
  }],
};
