/** Annotations: dated notes on a site's charts ("Launched on Product Hunt"). */
import type { Sql } from "../db/connect.ts";
import { Invalid } from "../lib/errors.ts";
import type { Annotation } from "./view.ts";

export const ANNOTATION_CATEGORIES = ["note", "launch", "campaign", "content", "incident"] as const;

/** Annotations of a site between two calendar days (inclusive), oldest first. */
export function listAnnotations(
  sql: Sql,
  siteId: number,
  firstDay: string,
  lastDay: string,
): Promise<Annotation[]> {
  return sql<Annotation[]>`
    select id, to_char(day, 'YYYY-MM-DD') as day, category, body from annotations
    where site_id = ${siteId} and day between ${firstDay}::date and ${lastDay}::date
    order by day, id`;
}

/** Adds an annotation; throws Invalid with a sentence for a bad date, category or text. */
export async function createAnnotation(
  sql: Sql,
  input: { siteId: number; day: string; category: string; body: string; createdBy?: number },
): Promise<Annotation> {
  const body = input.body.trim();
  if (!/^\d{4}-\d{2}-\d{2}$/.test(input.day) || Number.isNaN(Date.parse(input.day))) {
    throw new Invalid("day", "Pick the date the note belongs to.");
  }
  if (!(ANNOTATION_CATEGORIES as readonly string[]).includes(input.category)) {
    throw new Invalid("category", `Pick a category: ${ANNOTATION_CATEGORIES.join(", ")}.`);
  }
  if (!body) throw new Invalid("body", "Write what happened on that day.");
  if (body.length > 280) throw new Invalid("body", "Keep the note under 280 characters.");
  const [row] = await sql<Annotation[]>`
    insert into annotations (site_id, day, category, body, created_by)
    values (${input.siteId}, ${input.day}::date, ${input.category}, ${body},
            ${input.createdBy ?? null})
    returning id, to_char(day, 'YYYY-MM-DD') as day, category, body`;
  return row;
}

/** Deletes an annotation of this site; false when there is none. */
export async function deleteAnnotation(sql: Sql, siteId: number, id: number): Promise<boolean> {
  const rows = await sql`delete from annotations where id = ${id} and site_id = ${siteId}
    returning id`;
  return rows.length > 0;
}
