/**
 * Site lookups for the hot path: every request names its site, so answers are cached for a
 * short while (unknown ids too, so a wrong snippet cannot hammer the database). Settings
 * changes reach ingest within the TTL.
 */
import type { Sql } from "../db/connect.ts";
import { type CollectSite, findSiteByPublicId, type Site } from "../accounts/sites.ts";
import { Lru } from "./lru.ts";
import { markFirstEvent } from "./store.ts";
import type { SiteLookup } from "./validate.ts";

interface Entry {
  site: CollectSite | null;
  expires: number;
}

export class SiteCache implements SiteLookup {
  #entries = new Lru<string, Entry>(10_000);
  #loading = new Map<string, Promise<CollectSite | null>>();
  #marking = new Set<number>();

  constructor(
    private readonly sql: Sql,
    private readonly ttlMs = 30_000,
    private readonly missTtlMs = 10_000,
  ) {}

  /** The site with this public id, from cache when fresh. */
  byPublicId(publicId: string): Promise<CollectSite | null> {
    const hit = this.#entries.get(publicId);
    if (hit && hit.expires > Date.now()) return Promise.resolve(hit.site);
    let p = this.#loading.get(publicId);
    if (!p) {
      p = findSiteByPublicId(this.sql, publicId).then((site) => {
        this.#entries.set(publicId, {
          site,
          expires: Date.now() + (site ? this.ttlMs : this.missTtlMs),
        });
        return site;
      }).finally(() => this.#loading.delete(publicId));
      this.#loading.set(publicId, p);
    }
    return p;
  }

  /** Forgets a site so the next request reads fresh settings. */
  invalidate(publicId: string): void {
    this.#entries.delete(publicId);
  }

  /**
   * Sets `first_event_at` once per site and instance, off the request path: the cached site
   * remembers it, so later events cost nothing.
   */
  noteAccepted(site: Site, at: Date, onError: (e: unknown) => void): void {
    if (site.first_event_at || this.#marking.has(site.id)) return;
    this.#marking.add(site.id);
    site.first_event_at = at;
    markFirstEvent(this.sql, site.id, at).catch((e) => {
      site.first_event_at = null;
      onError(e);
    }).finally(() => this.#marking.delete(site.id));
  }
}
