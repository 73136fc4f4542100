/**
 * Bulk loading with COPY … FROM STDIN in PostgreSQL's text format. PostgreSQL parses COPY text
 * several times faster than the same rows as one JSON parameter (json_populate_recordset spent
 * ~27 µs per event row, COPY ~7), which makes COPY into a staging table, then one
 * INSERT … SELECT, the cheapest way to store a batch idempotently.
 */
import type { Sql } from "./connect.ts";

const copyCapable = new WeakSet<object>();

/** Records that `sql` talks to a PostgreSQL server (PGlite's wire protocol cannot COPY FROM STDIN). */
export function allowCopy(sql: Sql): void {
  copyCapable.add(sql);
}

/** True when `sql` (a pool, not a transaction) can take COPY … FROM STDIN. */
export function canCopy(sql: Sql): boolean {
  return copyCapable.has(sql);
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A string as a COPY text field: backslash, tab, newline and carriage return escaped. */
function escaped(s: string): string {
  // A character loop beats a regular expression on the short strings most fields hold.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 9 || c === 10 || c === 13) {
      return s.replace(/[\\\t\n\r]/g, (ch) => ESCAPES[ch]);
    }
  }
  return s;
}

/**
 * One value as a COPY text field: NULL is `\N`; objects are JSON (for json and jsonb columns);
 * numbers that JSON could not carry either (NaN, ±Infinity) are NULL, as they would be in JSON.
 */
function copyField(value: unknown): string {
  if (typeof value === "string") return escaped(value);
  if (value === null || value === undefined) return "\\N";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "\\N";
  return escaped(typeof value === "object" ? JSON.stringify(value) : String(value));
}

type LineWriter = (row: unknown) => string;
const lineWriters = new Map<string, LineWriter>();

/**
 * A function that writes one row's line for these columns. It is generated once per column list
 * (our own constant names, checked below), so each field is a plain property read: reading
 * `row[column]` in a loop made every read a slow, megamorphic one, and the writer does ~35 per
 * event.
 */
function lineWriter(columns: readonly string[]): LineWriter {
  const key = columns.join(",");
  let write = lineWriters.get(key);
  if (!write) {
    if (!columns.every((c) => /^[a-z_][a-z0-9_]*$/.test(c))) {
      throw new Error(`not a column name: ${key}`);
    }
    const fields = columns.map((c) => `field(row.${c})`).join(' + "\\t" + ');
    write = new Function("field", `return (row) => ${fields} + "\\n";`)(copyField) as LineWriter;
    lineWriters.set(key, write);
  }
  return write;
}

/** Rows as COPY text: one line per row, the columns' fields separated by tabs. */
export function copyText<T>(rows: readonly T[], columns: readonly (keyof T & string)[]): string {
  const line = lineWriter(columns);
  let out = "";
  for (const row of rows) out += line(row);
  return out;
}

const utf8 = new TextEncoder();

/** Copies `rows` into `table` (its `columns`, in this order) on `sql`'s connection. */
export async function copyRows<T>(
  sql: Sql,
  table: string,
  columns: readonly (keyof T & string)[],
  rows: readonly T[],
): Promise<void> {
  if (rows.length === 0) return;
  const data = utf8.encode(copyText(rows, columns));
  const query = sql.unsafe(`copy ${table} (${columns.join(", ")}) from stdin`);
  // postgres.js resolves the query with the stream as soon as COPY starts, so an error
  // PostgreSQL raises after the data has gone (bad input, a constraint) reaches only the
  // query's reject, which it then ignores, and the stream never finishes. Hear it there.
  let failed!: (error: unknown) => void;
  const failure = new Promise<never>((_, reject) => failed = reject);
  const q = query as unknown as { reject: (error: unknown) => void };
  const reject = q.reject;
  q.reject = (error) => {
    failed(error);
    reject(error);
  };
  const writable = await query.writable();
  await Promise.race([
    failure,
    new Promise<void>((resolve, reject) => {
      writable.on("error", reject);
      writable.on("finish", () => resolve());
      writable.end(data);
    }),
  ]);
}
