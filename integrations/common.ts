/** Reading platform objects: what every platform module needs the same way. */
import { z } from "zod";

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
