/** Notes: what the team writes about a customer, in markdown (rendered escaped). */
import type { Sql } from "../db/connect.ts";
import { Invalid, NotFound } from "../lib/errors.ts";
import { storableText } from "../lib/text.ts";
import { assertCustomer } from "./store.ts";

export interface Note {
  id: number;
  customer_id: number;
  body: string;
  author_id: number | null;
  /** The author's name or email; empty once they are gone. */
  author: string;
  created_at: Date;
  updated_at: Date;
}

/** Longest note, in characters. */
export const NOTE_MAX = 10_000;

/** A note body as stored, or Invalid with a sentence. */
export function cleanNote(raw: string): string {
  const body = storableText(raw).trim();
  if (!body) throw new Invalid("body", "Write something in the note.");
  if (body.length > NOTE_MAX) {
    throw new Invalid("body", `Keep notes under ${NOTE_MAX.toLocaleString("en-US")} characters.`);
  }
  return body;
}

/** A customer's notes, newest first. */
export async function listNotes(sql: Sql, siteId: number, customerId: number): Promise<Note[]> {
  return await sql<Note[]>`
    select n.id, n.customer_id, n.body, n.author_id,
      coalesce(nullif(u.name, ''), u.email, '') as author, n.created_at, n.updated_at
    from customer_notes n left join users u on u.id = n.author_id
    where n.site_id = ${siteId} and n.customer_id = ${customerId}
    order by n.created_at desc, n.id desc`;
}

/** Adds a note to customers of the site (one, or a bulk selection); returns how many. */
export async function addNotes(
  sql: Sql,
  siteId: number,
  customerIds: number[],
  raw: string,
  authorId: number | null,
): Promise<number> {
  const body = cleanNote(raw);
  if (customerIds.length === 0) return 0;
  const rows = await sql`
    insert into customer_notes (site_id, customer_id, author_id, body)
    select ${siteId}, c.id, ${authorId}, ${body} from customers c
    where c.site_id = ${siteId} and c.id = any(${customerIds}::bigint[])
    returning id`;
  return rows.length;
}

/** Adds a note to one customer. */
export async function addNote(
  sql: Sql,
  siteId: number,
  customerId: number,
  raw: string,
  authorId: number | null,
): Promise<Note> {
  await assertCustomer(sql, siteId, customerId);
  const body = cleanNote(raw);
  const [row] = await sql<{ id: number }[]>`
    insert into customer_notes (site_id, customer_id, author_id, body)
    values (${siteId}, ${customerId}, ${authorId}, ${body}) returning id`;
  return await findNote(sql, siteId, customerId, row.id);
}

/** One note of a customer of the site; NotFound otherwise. */
export async function findNote(
  sql: Sql,
  siteId: number,
  customerId: number,
  noteId: number,
): Promise<Note> {
  const [row] = await sql<Note[]>`
    select n.id, n.customer_id, n.body, n.author_id,
      coalesce(nullif(u.name, ''), u.email, '') as author, n.created_at, n.updated_at
    from customer_notes n left join users u on u.id = n.author_id
    where n.site_id = ${siteId} and n.customer_id = ${customerId} and n.id = ${noteId}`;
  if (!row) throw new NotFound("We couldn't find that note.");
  return row;
}

/** Rewrites a note's body. */
export async function editNote(
  sql: Sql,
  siteId: number,
  customerId: number,
  noteId: number,
  raw: string,
): Promise<Note> {
  const body = cleanNote(raw);
  await findNote(sql, siteId, customerId, noteId);
  await sql`
    update customer_notes set body = ${body}, updated_at = now()
    where site_id = ${siteId} and customer_id = ${customerId} and id = ${noteId}`;
  return await findNote(sql, siteId, customerId, noteId);
}

/** Deletes a note. */
export async function deleteNote(
  sql: Sql,
  siteId: number,
  customerId: number,
  noteId: number,
): Promise<void> {
  await findNote(sql, siteId, customerId, noteId);
  await sql`
    delete from customer_notes
    where site_id = ${siteId} and customer_id = ${customerId} and id = ${noteId}`;
}
