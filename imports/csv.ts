/**
 * Reads another tool's CSV export into page-view rows: Plausible's pages export (date, page,
 * visitors, pageviews), a day × page × source table, or Umami's event export (one row per event).
 */
import { Invalid } from "../lib/errors.ts";

/** One day × page × source with its counts. */
export interface ImportRow {
  /** YYYY-MM-DD in the site's time zone, or an exact time (Umami). */
  day: string;
  at?: number;
  page: string;
  source: string;
  visitors: number;
  pageviews: number;
  /** Umami: the visitor's session id, so their pageviews stay one visitor. */
  visitor?: string;
}

/** Splits CSV text into records (quotes, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (row.push(field), field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      if (row.some((f) => f !== "")) rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  row.push(field);
  if (row.some((f) => f !== "")) rows.push(row);
  return rows;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Which export a header row belongs to. */
export function detectFormat(header: string[]): "plausible" | "umami" | "generic" {
  const h = new Set(header.map((c) => c.trim().toLowerCase()));
  if (h.has("url_path") && h.has("created_at")) return "umami";
  if (h.has("date") && h.has("page") && h.has("hostname")) return "plausible";
  if (h.has("date") && (h.has("page") || h.has("pathname"))) return "generic";
  throw new Invalid(
    "file",
    "That file isn't a Plausible pages export or an Umami events export: its first line should " +
      "name columns such as date, page, visitors and pageviews (or created_at and url_path).",
  );
}

function count(v: string | undefined, line: number, name: string): number {
  if (v === undefined || v.trim() === "") return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
    throw new Invalid(
      "file",
      `Line ${line}: ${name} should be a whole number, not "${v.slice(0, 20)}".`,
    );
  }
  return n;
}

/** Rows of a parsed export; throws Invalid naming the line of the first bad row. */
export function importRows(records: string[][]): ImportRow[] {
  if (records.length < 2) throw new Invalid("file", "That file has no rows to import.");
  const header = records[0].map((c) => c.trim().toLowerCase());
  const format = detectFormat(header);
  const col = (name: string) => header.indexOf(name);
  const at = (r: string[], ...names: string[]) => {
    for (const n of names) if (col(n) >= 0) return r[col(n)]?.trim();
    return undefined;
  };
  return records.slice(1).map((r, i) => {
    const line = i + 2;
    const page = (at(r, "page", "pathname", "url_path") || "/").slice(0, 2000);
    if (!page.startsWith("/")) {
      throw new Invalid("file", `Line ${line}: the page should be a path starting with /.`);
    }
    if (format === "umami") {
      const t = Date.parse(at(r, "created_at") ?? "");
      if (!Number.isFinite(t)) throw new Invalid("file", `Line ${line}: created_at isn't a time.`);
      const type = at(r, "event_type");
      return {
        day: new Date(t).toISOString().slice(0, 10),
        at: t,
        page,
        source: (at(r, "referrer_domain") ?? "").slice(0, 200),
        visitors: 1,
        pageviews: type && type !== "1" ? 0 : 1,
        visitor: (at(r, "session_id") || `row-${line}`).slice(0, 100),
      };
    }
    const day = at(r, "date") ?? "";
    const t = DAY.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
    if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== day) {
      throw new Invalid("file", `Line ${line}: the date should look like 2026-03-01.`);
    }
    const pageviews = count(at(r, "pageviews"), line, "pageviews");
    const visitors = Math.min(count(at(r, "visitors"), line, "visitors") || pageviews, pageviews);
    const source = at(r, "source", "referrer_source") ?? "";
    return {
      day,
      page,
      source: /^direct/i.test(source) ? "" : source.slice(0, 200),
      visitors,
      pageviews,
    };
  });
}
