/** Reading platform objects: what every platform module needs the same way. */
import { z } from "zod";
import { minorDigits } from "../attribution/currency.ts";
import type { BackfillProgress, PlatformChange, PlatformPurchase } from "./types.ts";

/** Keys of checkout custom data or metadata that carry the Sextant visitor id. */
export const VISITOR_KEYS = ["sextant_visitor_id", "sextant_vid", "visitor_id"];

/** The visitor id in a checkout's custom data or metadata, if any. */
export function visitorFrom(data: unknown): string | undefined {
  if (!data || typeof data !== "object") return undefined;
  const d = data as Record<string, unknown>;
  for (const k of VISITOR_KEYS) {
    const v = d[k];
    if (typeof v === "string" && v.trim()) return v.trim().slice(0, 200);
  }
  return undefined;
}

/** Months in one billing interval unit. */
const MONTHS_PER: Record<string, number> = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 };

/** The monthly amount (minor units) of a price billed every `count` `interval`s. */
export function monthlyMinor(amountMinor: number, interval: string, count = 1): number {
  const months = (MONTHS_PER[interval.toLowerCase()] ?? 1) * Math.max(1, count);
  return Math.round(amountMinor / months);
}

/** Parses an API object; an unexpected shape is a clear error rather than a wrong number. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  platform: string,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(
    `${platform} sent ${what} Sextant could not read (${issue.path.join(".")}: ${issue.message})`,
  );
}

/** "Course", or "Course — Yearly" when the variant adds something. */
export function productLabel(product?: string | null, variant?: string | null): string {
  const p = (product ?? "").trim();
  const v = (variant ?? "").trim();
  if (!v || v.toLowerCase() === "default" || p.includes(v)) return p;
  return p ? `${p} — ${v}` : v;
}

/** An ISO 8601 time in an API object, read as a Date. */
export const isoDate = z.string().transform((s, ctx) => {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) {
    ctx.addIssue({ code: "custom", message: "not a date" });
    return z.NEVER;
  }
  return d;
});

/** Reports a running count of objects found, page by page, as a backfill lists them. */
export function pageCounter(progress: BackfillProgress): (n: number) => Promise<void> {
  let found = 0;
  return async (n) => {
    found += n;
    await progress.listed(found);
  };
}

/**
 * A backfill's result: purchases oldest first, each sale before refunds of the same second (so
 * refunds find their sale), then subscription states. Reports the final count.
 */
export async function backfillResult(
  progress: BackfillProgress,
  purchases: (PlatformPurchase | null)[],
  states: PlatformChange[],
): Promise<PlatformChange[]> {
  const money = purchases.filter((p): p is PlatformPurchase => p !== null).sort((a, b) =>
    a.ts.getTime() - b.ts.getTime() || Number(a.kind === "refund") - Number(b.kind === "refund")
  );
  await progress.listed(money.length);
  return [...money.map((p) => ({ type: "purchase" as const, purchase: p })), ...states];
}

/**
 * A decimal amount as a platform writes it ("49.90", "1200") in minor units of `currency`
 * (zero-decimal currencies such as JPY have none), rounded half up; null when it isn't one.
 */
export function decimalToMinor(text: string, currency: string): number | null {
  const m = /^(-?)(\d{1,15})(?:\.(\d{1,12}))?$/.exec(text.trim());
  if (!m) return null;
  const digits = minorDigits(currency);
  const frac = (m[3] ?? "").padEnd(digits + 1, "0");
  let minor = Number(m[2]) * 10 ** digits + Number(frac.slice(0, digits) || "0");
  if (Number(frac[digits]) >= 5) minor += 1;
  return m[1] ? -minor : minor;
}
