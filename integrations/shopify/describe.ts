/** How Shopify connects (OAuth), takes webhooks and carries the visitor id. */
import type { PlatformDescription } from "../types.ts";

/** Webhook topics Sextant subscribes to, as the GraphQL enum names them. */
export const SHOPIFY_TOPICS = ["ORDERS_CREATE", "ORDERS_PAID", "REFUNDS_CREATE"] as const;

const CART_SNIPPET = `<script>
  // In your theme (theme.liquid, after the Sextant script): puts the visitor id on the cart,
  // which Shopify copies to the order's note attributes at checkout.
  window.addEventListener("load", function () {
    if (!window.sextant) return;
    fetch("/cart/update.js", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ attributes: { sextant_visitor_id: sextant.visitorId() } }),
    });
  });
</script>`;

/** Shopify as the integrations page describes it. */
export const SHOPIFY_DESCRIPTION: PlatformDescription = {
  id: "shopify",
  name: "Shopify",
  tagline: "Orders and refunds from your store, with Shopify's approval screen instead of a key.",
  subscriptions: false,
  auth: "oauth",
  connectSteps: [
    "Enter your store's myshopify.com address below and choose **Connect Shopify**.",
    "Shopify asks you to approve Sextant's read access to orders; approve it.",
    "You come back here, and Sextant syncs the last 30 days (Shopify keeps 60 days of orders " +
    "open to apps).",
  ],
  fields: [{
    name: "shop",
    label: "Store address",
    help: "Like your-store.myshopify.com (Settings → Domains shows it).",
    secret: false,
    placeholder: "your-store.myshopify.com",
  }],
  webhook: {
    setup: "auto",
    proof: "signature",
    events: ["orders/create", "orders/paid", "refunds/create"],
    steps: [
      "Sextant subscribes to {events} through Shopify's API when you approve it.",
      "If that failed, connect again: the approval screen grants what Sextant needs.",
    ],
    secret: null,
  },
  checkout: [{
    title: "Shopify online store",
    intro: "Cart attributes travel to the order; this adds the visitor id to every cart.",
    language: "HTML",
    code: CART_SNIPPET,
  }],
};
