/** How Kajabi connects and takes hooks, for the integrations page. */
import type { PlatformDescription } from "../types.ts";
import { identifySnippet } from "../../accounts/install_snippets.ts";

/** The hook events Sextant registers. */
export const KAJABI_EVENTS = ["payment_succeeded"] as const;

/** Kajabi as the integrations page describes it. */
export const KAJABI_DESCRIPTION: PlatformDescription = {
  id: "kajabi",
  name: "Kajabi",
  tagline: "Offer purchases, subscription payments and refunds, matched by email.",
  subscriptions: true,
  auth: "client_credentials",
  connectSteps: [
    "In Kajabi, open **Settings → Public API** and create API credentials.",
    "Paste the client id and client secret below. Sextant checks them, registers its hook " +
    "and syncs your last 30 days.",
  ],
  fields: [
    { name: "clientId", label: "Client id", help: "", secret: false },
    { name: "clientSecret", label: "Client secret", help: "Stored encrypted.", secret: true },
  ],
  webhook: {
    setup: "auto",
    proof: "url_token",
    events: KAJABI_EVENTS,
    steps: [
      "Sextant registers its hook through Kajabi's API when you connect. If that was refused, " +
      "give the API credentials access to hooks in **Settings → Public API** and connect again.",
      "If you add it yourself, the hook's address is {url} and its event {events}.",
    ],
    secret: null,
  },
  checkout: [{
    title: "Match Kajabi sales by email",
    intro: "Kajabi's checkout can't carry the visitor id. In Settings → Site Details → Page " +
      "Scripts → Footer, paste this so signed-in members are linked to their visits.",
    language: "HTML",
    code: identifySnippet("{{ member.email }}"),
  }],
};
