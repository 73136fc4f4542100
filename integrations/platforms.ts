/** The platforms Sextant can connect, by id, in the order the integrations page lists them. */
import type { Config } from "../config.ts";
import type { Platform, PlatformDescription } from "./types.ts";
import { STRIPE_DESCRIPTION } from "./stripe/describe.ts";
import { LEMONSQUEEZY_DESCRIPTION } from "./lemonsqueezy/describe.ts";
import { POLAR_DESCRIPTION } from "./polar/describe.ts";
import { PADDLE_DESCRIPTION } from "./paddle/describe.ts";
import { SHOPIFY_DESCRIPTION } from "./shopify/describe.ts";
import { KAJABI_DESCRIPTION } from "./kajabi/describe.ts";
import { TEACHABLE_DESCRIPTION } from "./teachable/describe.ts";
import { WHOP_DESCRIPTION } from "./whop/describe.ts";
import { createStripePlatform } from "./stripe/mod.ts";
import { createKajabiPlatform } from "./kajabi/mod.ts";
import { createLemonSqueezyPlatform } from "./lemonsqueezy/mod.ts";
import { createPaddlePlatform } from "./paddle/mod.ts";
import { createPolarPlatform } from "./polar/mod.ts";
import { createShopifyPlatform } from "./shopify/mod.ts";
import { createTeachablePlatform } from "./teachable/mod.ts";
import { createWhopPlatform } from "./whop/mod.ts";
import { NotFound } from "../lib/errors.ts";

/** Platform ids with an implementation. */
export const PLATFORM_IDS = [
  "stripe",
  "lemonsqueezy",
  "polar",
  "paddle",
  "shopify",
  "kajabi",
  "teachable",
  "whop",
] as const;

/** Each platform's static description (name, fields, webhook setup), by id. */
const DESCRIPTIONS: PlatformDescription[] = [
  STRIPE_DESCRIPTION,
  LEMONSQUEEZY_DESCRIPTION,
  POLAR_DESCRIPTION,
  PADDLE_DESCRIPTION,
  SHOPIFY_DESCRIPTION,
  KAJABI_DESCRIPTION,
  TEACHABLE_DESCRIPTION,
  WHOP_DESCRIPTION,
];

/** How a platform is named to people (its id when Sextant doesn't know it); needs no config. */
export function platformName(id: string): string {
  return DESCRIPTIONS.find((d) => d.id === id)?.name ?? id;
}

/** A platform's static description, or undefined for an id Sextant doesn't know. */
export function platformDescription(id: string): PlatformDescription | undefined {
  return DESCRIPTIONS.find((d) => d.id === id);
}

/** The names of these platforms that report subscriptions, in the integrations page's order. */
export function subscriptionPlatformNames(ids: readonly string[]): string[] {
  return DESCRIPTIONS.filter((d) => d.subscriptions && ids.includes(d.id)).map((d) =>
    platformName(d.id)
  );
}

const cache = new WeakMap<Config, Map<string, Platform>>();

function build(config: Config): Map<string, Platform> {
  let byId = cache.get(config);
  if (!byId) {
    const all: Platform[] = [
      createStripePlatform(config.STRIPE_API_URL),
      createLemonSqueezyPlatform(config.LEMONSQUEEZY_API_URL),
      createPolarPlatform(config.POLAR_API_URL, {
        clientId: config.POLAR_CLIENT_ID,
        clientSecret: config.POLAR_CLIENT_SECRET,
      }),
      createPaddlePlatform(config.PADDLE_API_URL),
      createShopifyPlatform({
        clientId: config.SHOPIFY_CLIENT_ID,
        clientSecret: config.SHOPIFY_CLIENT_SECRET,
        shopUrl: config.SHOPIFY_SHOP_URL,
      }),
      createKajabiPlatform(config.KAJABI_API_URL),
      createTeachablePlatform(config.TEACHABLE_API_URL),
      createWhopPlatform(config.WHOP_API_URL),
    ];
    byId = new Map(all.map((p) => [p.id, p]));
    cache.set(config, byId);
  }
  return byId;
}

/** Every platform, configured for this instance. */
export function allPlatforms(config: Config): Platform[] {
  return [...build(config).values()];
}

/** The platform called `id`, configured for this instance; NotFound for unknown ids. */
export function platformFor(config: Config, id: string): Platform {
  const p = build(config).get(id);
  if (!p) throw new NotFound("Sextant doesn't know that platform.");
  return p;
}
