/** CSV that spreadsheets open safely: RFC 4180 quoting, and cells that would run as formulas defused. */

function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  let s = String(v);
  // A leading = + - @ makes spreadsheet apps evaluate the cell; user data must never do that.
  if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows → CSV text with CRLF line ends and a UTF-8 byte-order mark for Excel. */
export function toCsv(rows: Array<Array<string | number | null | undefined>>): string {
  return "\uFEFF" + rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
