/** The platforms Sextant can connect, by id, in the order the integrations page lists them. */
import type { Config } from "../config.ts";
import type { Platform } from "./types.ts";
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

/** How each platform is named to people (each platform's own `name` says the same). */
export const PLATFORM_NAMES: Record<(typeof PLATFORM_IDS)[number], string> = {
  stripe: "Stripe",
  lemonsqueezy: "Lemon Squeezy",
  polar: "Polar",
  paddle: "Paddle",
  shopify: "Shopify",
  kajabi: "Kajabi",
  teachable: "Teachable",
  whop: "Whop",
};

const cache = new WeakMap<Config, Map<string, Platform>>();

function build(config: Config): Map<string, Platform> {
  let byId = cache.get(config);
  if (!byId) {
    const all: Platform[] = [
      createStripePlatform(config.STRIPE_API_URL),
      createLemonSqueezyPlatform(config.LEMONSQUEEZY_API_URL),
      createPolarPlatform(config.POLAR_API_URL),
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
