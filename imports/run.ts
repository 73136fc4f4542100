/**
 * Site imports: a CSV export is checked in full when uploaded, stored, then turned into page
 * views sent through the ingest pipeline (as an import-scope key would send them) in chunks,
 * counting progress. Every event's id is derived from what it stands for, so importing the same
 * file twice stores nothing twice.
 */
import type { AppContext } from "../http/context.ts";
import type { Sql } from "../db/connect.ts";
import { Invalid, Unavailable } from "../lib/errors.ts";
import { addDays, dayOf, startOfDay } from "../analytics/period.ts";
import { ingestorFor } from "../ingest/ingestor.ts";
import { IMPORT_MAX_AGE_DAYS } from "../ingest/validate.ts";
import { detectFormat, type ImportRow, importRows, parseCsv } from "./csv.ts";

/** A stored import (without its file). */
export interface SiteImport {
  id: number;
  site_id: number;
  filename: string;
  format: string;
  status: "queued" | "running" | "done" | "failed";
  total_rows: number;
  done_rows: number;
  events: number;
  error: string;
  created_at: Date;
  finished_at: Date | null;
}

const COLUMNS = [
  "id",
  "site_id",
  "filename",
  "format",
  "status",
  "total_rows",
  "done_rows",
  "events",
  "error",
  "created_at",
  "finished_at",
];
/** Rows sent per step (progress is saved after each). */
const CHUNK_ROWS = 100;

/** Checks a file and queues it; throws Invalid naming the first problem. */
export async function createImport(
  sql: Sql,
  site: { id: number; timezone: string },
  input: { filename: string; text: string; userId: number },
  now = new Date(),
): Promise<SiteImport> {
  const records = parseCsv(input.text);
  const rows = importRows(records);
  const oldest = addDays(dayOf(now, site.timezone), -IMPORT_MAX_AGE_DAYS + 1);
  const today = dayOf(now, site.timezone);
  const bad = rows.findIndex((r) => r.day < oldest || r.day > today);
  if (bad >= 0) {
    throw new Invalid(
      "file",
      `Line ${bad + 2}: ${rows[bad].day} is outside the last ${IMPORT_MAX_AGE_DAYS} days, ` +
        "which is as far back as an import goes.",
    );
  }
  const [row] = await sql<SiteImport[]>`
    insert into site_imports (site_id, filename, format, total_rows, body, created_by)
    values (${site.id}, ${input.filename.slice(0, 200)}, ${detectFormat(records[0])},
      ${rows.length}, ${input.text}, ${input.userId})
    returning ${sql(COLUMNS)}`;
  return row;
}

/** A site's imports, newest first. */
export function listImports(sql: Sql, siteId: number): Promise<SiteImport[]> {
  return sql<SiteImport[]>`
    select ${sql(COLUMNS)} from site_imports where site_id = ${siteId}
    order by created_at desc, id desc limit 20`;
}

async function uuidOf(key: string): Promise<string> {
  const b = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  b[6] = (b[6] & 0x0f) | 0x50; // version 5 (name-based)
  b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
  const h = [...b.slice(0, 16)].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The page views one row stands for, as events API events. */
async function eventsOf(
  row: ImportRow,
  site: { id: number; domain: string; timezone: string },
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const base = `${site.id}|${row.day}|${row.page}|${row.source}`;
  const query = row.source ? `?utm_source=${encodeURIComponent(row.source)}` : "";
  const url = `https://${site.domain}${row.page}${query}`;
  // Spread over the local day from 08:00, a visitor a minute, their page views a minute apart.
  const start = row.at ?? startOfDay(row.day, site.timezone).getTime() + 8 * 3_600_000;
  for (let v = 0; v < row.visitors; v++) {
    const views = Math.floor(row.pageviews / row.visitors) +
      (v < row.pageviews % row.visitors ? 1 : 0);
    const visitor = row.visitor
      ? `umami-${row.visitor.replace(/[^A-Za-z0-9_:.@-]/g, "")}`
      : `import-${(await uuidOf(`${base}|${v}`)).slice(0, 18)}`;
    for (let p = 0; p < views; p++) {
      out.push({
        type: "pageview",
        visitor_id: visitor,
        event_id: await uuidOf(row.at ? `${base}|${row.at}|${visitor}` : `${base}|${v}|${p}`),
        timestamp: new Date(start + ((v % 600) + p) * 60_000).toISOString(),
        url,
      });
    }
  }
  return out;
}

/**
 * A running import without a heartbeat this long is taken to have lost its instance (a crash
 * or restart) and is claimed again; a live one beats after every chunk, far more often.
 */
export const IMPORT_STALE_MS = 2 * 60_000;

/**
 * Claims a queued import (or the one given), or a running one whose instance stopped beating,
 * for this instance; null when none is waiting. Resuming is safe: progress is saved per chunk
 * and every event's id is derived from the row it stands for, so a repeated chunk adds nothing.
 */
async function claim(sql: Sql, id?: number): Promise<{ id: number } | null> {
  const [row] = await sql<{ id: number }[]>`
    update site_imports set status = 'running', heartbeat_at = now()
    where id = (
      select id from site_imports
      where (status = 'queued' or (status = 'running' and coalesce(heartbeat_at, created_at) <
          now() - make_interval(secs => ${IMPORT_STALE_MS / 1000})))
        ${id ? sql`and id = ${id}` : sql``}
      order by id limit 1 for update skip locked)
    returning id`;
  return row ?? null;
}

/** Runs a queued import (the given one, or the oldest) to its end; stops between chunks on `signal`. */
export async function runImport(ctx: AppContext, id?: number, signal?: AbortSignal): Promise<void> {
  const sql = ctx.db.sql;
  const claimed = await claim(sql, id);
  if (!claimed) return;
  const [imp] = await sql<{ body: string; done_rows: number; site_id: number }[]>`
    select body, done_rows, site_id from site_imports where id = ${claimed.id}`;
  const [site] = await sql<
    { id: number; org_id: number; public_id: string; domain: string; timezone: string }[]
  >`select id, org_id, public_id, domain, timezone from sites where id = ${imp.site_id}`;
  try {
    const rows = importRows(parseCsv(imp.body));
    const ingestor = ingestorFor(ctx);
    for (let i = imp.done_rows; i < rows.length; i += CHUNK_ROWS) {
      if (signal?.aborted) {
        // Picked up again (by the imports job) where it stopped.
        await sql`update site_imports set status = 'queued' where id = ${claimed.id}`;
        return;
      }
      const events = (await Promise.all(
        rows.slice(i, i + CHUNK_ROWS).map((r) => eventsOf(r, site)),
      )).flat();
      for (let j = 0; j < events.length; j += 500) {
        const req = {
          via: "api" as const,
          body: { site: site.public_id, events: events.slice(j, j + 500) },
          ip: "",
          userAgent: "",
          origin: null,
          apiKey: { keyId: 0, orgId: site.org_id, siteId: site.id, scopes: ["import"] },
        };
        for (;;) {
          try {
            await ingestor.accept({ ...req, now: Date.now() });
            break;
          } catch (e) {
            // A backlog: wait for the writer rather than fail the import.
            if (!(e instanceof Unavailable)) throw e;
            await sql`update site_imports set heartbeat_at = now() where id = ${claimed.id}`;
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      }
      await sql`
        update site_imports set done_rows = ${Math.min(i + CHUNK_ROWS, rows.length)},
          events = events + ${events.length}, heartbeat_at = now()
        where id = ${claimed.id}`;
    }
    await sql`
      update site_imports set status = 'done', finished_at = now(), body = ''
      where id = ${claimed.id}`;
  } catch (e) {
    const error = e instanceof Invalid ? e.message : "The import stopped on an unexpected error.";
    ctx.log.error("import failed", { import: claimed.id, error: e });
    await sql`
      update site_imports set status = 'failed', error = ${error}, finished_at = now()
      where id = ${claimed.id}`;
  }
}
