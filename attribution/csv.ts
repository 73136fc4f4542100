/** CSV exports of the revenue report and its purchases. */
import { minorDigits, minorToDecimal } from "./currency.ts";
import { plainValueLabel } from "../analytics/view.ts";
import type { PurchaseListItem, ReportRow, RevenueReport } from "./report.ts";

/** One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return String(v);
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Lines joined with CRLF, as RFC 4180 asks. */
export function csv(rows: (string | number | null | undefined)[][]): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

const pct = (x: number | null) => (x === null ? "" : x.toFixed(2));
const money = (minor: number | null, currency: string) =>
  minor === null ? "" : minorToDecimal(Math.round(minor), currency);

/** The report as CSV: one row per source (or campaign/content), then Unmatched and Total. */
export function reportCsv(
  report: RevenueReport,
  currency: string,
  label: (r: ReportRow) => string,
): string {
  const head = [
    report.level === "source" ? "Source" : report.level === "campaign" ? "Campaign" : "Content",
    "Visitors",
    `Revenue (${currency})`,
    "Customers",
    "Conversion %",
    `Avg order value (${currency})`,
    `Revenue per visitor (${currency})`,
  ];
  const line = (name: string, r: ReportRow) => [
    name,
    r.visitors,
    money(r.revenue, currency),
    r.customers,
    pct(r.conversion),
    money(r.aov, currency),
    r.rpv === null ? "" : (r.rpv / 10 ** minorDigits(currency)).toFixed(4),
  ];
  const rows: (string | number | null)[][] = [head, ...report.rows.map((r) => line(label(r), r))];
  if (report.level === "source") rows.push(line("Unmatched revenue", report.unmatched));
  rows.push([
    "Total",
    report.totals.visitors,
    money(report.totals.revenue, currency),
    report.totals.customers,
    "",
    "",
    "",
  ]);
  return csv(rows);
}

/** Purchases as CSV, with the sources the chosen model credits. */
export function purchasesCsv(items: PurchaseListItem[], siteCurrency: string): string {
  return csv([
    [
      "Time (UTC)",
      "Kind",
      "Product",
      "Amount",
      "Currency",
      `Amount (${siteCurrency})`,
      "Converted",
      "Customer email",
      "Gift recipient",
      "Credited to",
      "Matched by",
      "Confidence",
      "Platform",
    ],
    ...items.map((p) => [
      p.ts.toISOString(),
      p.kind,
      p.product,
      minorToDecimal(p.amount_minor, p.currency),
      p.currency,
      minorToDecimal(p.amount_site_minor, siteCurrency),
      p.converted ? "yes" : "no",
      p.customer_email,
      p.gift_recipient_email,
      p.sources.map((v) => plainValueLabel("source", v)).join(" + "),
      p.match_method,
      p.match_confidence,
      p.provider,
    ]),
  ]);
}
