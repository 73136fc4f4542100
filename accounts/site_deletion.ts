/**
 * Deleting sites. The site row goes at once (so it disappears everywhere); its analytics rows —
 * in tables without foreign keys, like the events hypertable — are purged by a job afterwards.
 */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import type { Site } from "./sites.ts";

/** Deletes a site after checking the typed confirmation matches its domain. */
export async function deleteSite(sql: Sql, site: Site, confirmation: string): Promise<void> {
  if (confirmation.trim().toLowerCase() !== site.domain) {
    throw new Invalid(
      "confirm",
      `Type ${site.domain} exactly to confirm you want to delete this site.`,
    );
  }
  await markSitesDeleted(sql, [site.id]);
}

/** Removes sites now and queues their data for purging (used by org and account deletion too). */
export async function markSitesDeleted(sql: Sql, siteIds: number[]): Promise<void> {
  if (siteIds.length === 0) return;
  await sql.begin(async (tx) => {
    await tx`
      insert into deleted_sites (site_id, org_id)
      select id, org_id from sites where id = any(${siteIds}::bigint[])
      on conflict (site_id) do nothing`;
    await tx`delete from sites where id = any(${siteIds}::bigint[])`;
  });
}

/**
 * Deletes every row of deleted sites from every table with a `site_id` column — found from the
 * catalog, so tables added by later features are covered without changes here — and, given
 * DATA_DIR, their files (heatmap screenshots). The audit log stays: it holds no personal data
 * and records what was done. Idempotent.
 */
export async function purgeDeletedSites(sql: Sql, dataDir?: string): Promise<number> {
  const pending = await sql<{ site_id: number }[]>`
    select site_id from deleted_sites where purged_at is null order by deleted_at limit 20`;
  if (pending.length === 0) return 0;
  const tables = await sql<{ table_name: string }[]>`
    select c.table_name from information_schema.columns c
    join information_schema.tables t
      on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = current_schema() and c.column_name = 'site_id'
      and t.table_type = 'BASE TABLE'
      and c.table_name not in ('deleted_sites', 'sites', 'audit_log')
    order by c.table_name`;
  const ids = pending.map((p) => p.site_id);
  for (const { table_name } of tables) {
    await sql`delete from ${sql(table_name)} where site_id = any(${ids}::bigint[])`;
  }
  if (dataDir) {
    for (const id of ids) {
      // Before the site counts as purged: a failure here leaves it to be tried again.
      await Deno.remove(`${dataDir}/screenshots/${id}`, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
    }
  }
  await sql`update deleted_sites set purged_at = now() where site_id = any(${ids}::bigint[])`;
  return ids.length;
}
