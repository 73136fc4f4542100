/** Waiting for a platform's backfill in tests. */
import type { TestApp } from "./app.ts";
import { latestSync, type Sync } from "../integrations/store.ts";
import { waitFor } from "./wait.ts";

/** The integration's newest backfill after `after`, once it has finished. */
export async function syncDone(app: TestApp, integrationId: number, after = 0): Promise<Sync> {
  let found: Sync | null = null;
  await waitFor(
    async () => {
      const s = await latestSync(app.ctx.db.sql, integrationId);
      found = s && s.id > after && (s.status === "done" || s.status === "failed") ? s : null;
      return found !== null;
    },
    60_000,
    "the sync finishing",
  );
  return found!;
}
