/** How numbers read on the dashboard and in exports' human columns. Runs on server and browser. */
import { minorDigits } from "../components/format.ts";

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en-US");

/** 1234 → "1.2K" (exact below 10 000). */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return Math.abs(n) < 10_000 ? whole.format(n) : compact.format(n);
}

const moneyFormats = new Map<string, Intl.NumberFormat>();
function moneyFormat(currency: string, compactForm: boolean): Intl.NumberFormat {
  const key = `${currency}|${compactForm}`;
  let f = moneyFormats.get(key);
  if (!f) {
    try {
      f = new Intl.NumberFormat("en-US", {
        style: "currency",
        currency,
        notation: compactForm ? "compact" : "standard",
        maximumFractionDigits: compactForm ? 1 : undefined,
      });
    } catch {
      f = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
    }
    moneyFormats.set(key, f);
  }
  return f;
}

/** Minor units → "$8,120" / "$8.1K" (compact above 10 000 major units). */
export function formatMoney(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "—";
  const major = minor / 10 ** minorDigits(currency);
  const f = moneyFormat(currency, Math.abs(major) >= 10_000);
  const text = f.format(major);
  // Whole amounts read cleaner without ".00".
  return Number.isInteger(major) ? text.replace(/\.00(?=\D*$)/, "") : text;
}

/** 42.5 → "42.5%". */
export function formatPercent(p: number | null | undefined): string {
  if (p === null || p === undefined) return "—";
  return `${p >= 100 ? Math.round(p) : p.toFixed(1)}%`;
}

/** 185 → "3m 5s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** Formats a metric value by its unit. */
export function formatMetric(
  unit: "count" | "percent" | "seconds" | "money",
  v: number | null | undefined,
  currency: string,
): string {
  if (unit === "money") return formatMoney(v, currency);
  if (unit === "percent") return formatPercent(v);
  if (unit === "seconds") return formatDuration(v);
  return formatCount(v);
}

/**
 * One formatter for a whole table column, so its numbers read alike ("$2,044.54" over "$761.00",
 * never over "$761"; all "$11.1K" or none): compact when any value reaches 10 000, and money
 * with cents when any amount has them.
 */
export function columnFormatter(
  unit: "count" | "percent" | "seconds" | "money",
  values: Array<number | null | undefined>,
  currency: string,
): (v: number | null | undefined) => string {
  const present = values.filter((v): v is number => v !== null && v !== undefined);
  if (unit === "count") {
    const big = present.some((v) => Math.abs(v) >= 10_000);
    return (v) => v === null || v === undefined ? "—" : (big ? compact : whole).format(v);
  }
  if (unit !== "money") return (v) => formatMetric(unit, v, currency);
  const digits = minorDigits(currency);
  const majors = present.map((v) => v / 10 ** digits);
  if (majors.some((m) => Math.abs(m) >= 10_000)) {
    const f = moneyFormat(currency, true);
    // Compact keeps one decimal for thousands ("$12.4K"); below that, whole amounts read alike.
    return (v) => {
      if (v === null || v === undefined) return "—";
      const major = v / 10 ** digits;
      return f.format(Math.abs(major) < 1000 ? Math.round(major) : major);
    };
  }
  const cents = majors.some((m) => !Number.isInteger(m));
  const f = moneyFormat(currency, false);
  return (v) => {
    if (v === null || v === undefined) return "—";
    const text = f.format(v / 10 ** digits);
    return cents ? text : text.replace(/\.0+(?=\D*$)/, "");
  };
}

/** Minor units as a plain decimal string for CSV ("81.20"). */
export function moneyPlain(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "";
  const d = minorDigits(currency);
  return (minor / 10 ** d).toFixed(d);
}
