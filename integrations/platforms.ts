/** The platforms Sextant can connect, by id. */
import type { Config } from "../config.ts";
import type { Platform } from "./types.ts";
import { createStripePlatform } from "./stripe/mod.ts";
import { NotFound } from "../lib/errors.ts";

/** Platform ids with an implementation. */
export const PLATFORM_IDS = ["stripe"] as const;

const cache = new WeakMap<Config, Map<string, Platform>>();

/** The platform called `id`, configured for this instance; NotFound for unknown ids. */
export function platformFor(config: Config, id: string): Platform {
  let byId = cache.get(config);
  if (!byId) {
    byId = new Map([["stripe", createStripePlatform(config.STRIPE_API_URL)]]);
    cache.set(config, byId);
  }
  const p = byId.get(id);
  if (!p) throw new NotFound("Sextant doesn't know that platform.");
  return p;
}
