/**
 * Money in integer minor units: how many decimals each currency has, exact conversion through a
 * rate, and display. Amounts never pass through floating point on their way into the database.
 */

const ZERO_DECIMAL = new Set([
  "BIF",
  "CLP",
  "DJF",
  "GNF",
  "ISK",
  "JPY",
  "KMF",
  "KRW",
  "PYG",
  "RWF",
  "UGX",
  "UYI",
  "VND",
  "VUV",
  "XAF",
  "XOF",
  "XPF",
]);
const THREE_DECIMAL = new Set(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]);

/** Decimals in the currency's minor unit (JPY 0, USD 2, KWD 3). */
export function minorDigits(currency: string): number {
  const c = currency.toUpperCase();
  if (ZERO_DECIMAL.has(c)) return 0;
  if (THREE_DECIMAL.has(c)) return 3;
  return 2;
}

const ISO_4217 = new Set(Intl.supportedValuesOf("currency"));

/** Whether `code` (any case) is an ISO 4217 currency code in use. */
export function isCurrencyCode(code: string): boolean {
  return /^[A-Za-z]{3}$/.test(code) && ISO_4217.has(code.toUpperCase());
}

/**
 * The largest amount, in minor units of any currency, a purchase may carry ($1 trillion,
 * ¥100 trillion): far above any real payment, far below where sums of them could overflow or
 * lose precision as JavaScript numbers.
 */
export const MAX_AMOUNT_MINOR = 10 ** 14;

const RATE_SCALE = 10n ** 10n;

/** Parses a positive decimal rate ("1.085", "0.0091") to an integer scaled by 10^10. */
export function parseRate(rate: string | number): bigint {
  const text = typeof rate === "number" ? rate.toFixed(10) : rate.trim();
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`Not a rate: ${rate}`);
  const frac = (m[2] ?? "").slice(0, 10).padEnd(10, "0");
  const scaled = BigInt(m[1]) * RATE_SCALE + BigInt(frac || "0");
  if (scaled <= 0n) throw new Error(`Not a positive rate: ${rate}`);
  return scaled;
}

/** Divides rounding half away from zero, so a refund converts to the sale's exact negative. */
export function divRound(n: bigint, d: bigint): bigint {
  const neg = (n < 0n) !== (d < 0n);
  const a = n < 0n ? -n : n;
  const b = d < 0n ? -d : d;
  const q = (a * 2n + b) / (b * 2n);
  return neg ? -q : q;
}

/**
 * Converts minor units of `from` into minor units of `to` at `rate` (units of `to` per one unit
 * of `from`), rounding half away from zero.
 */
export function convertMinor(amountMinor: number, from: string, to: string, rate: string): number {
  const up = minorDigits(to);
  const down = minorDigits(from);
  const num = BigInt(amountMinor) * parseRate(rate) * 10n ** BigInt(up);
  const den = RATE_SCALE * 10n ** BigInt(down);
  return Number(divRound(num, den));
}

/** Scales `amount` by `part / whole` exactly, rounding half away from zero. */
export function scaleMinor(amount: number, part: number, whole: number): number {
  if (whole === 0) return 0;
  return Number(divRound(BigInt(amount) * BigInt(part), BigInt(whole)));
}

/** Formats minor units for people: "$1,234.50", "¥1,200", "−$12.00". */
export function formatMoney(minor: number, currency: string, opts: { compact?: boolean } = {}) {
  const digits = minorDigits(currency);
  // `|| 0` turns −0 (a negated zero) into 0, so nothing reads "−$0.00".
  const value = (minor || 0) / 10 ** digits;
  try {
    return new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
      minimumFractionDigits: opts.compact && Number.isInteger(value) ? 0 : digits,
      maximumFractionDigits: digits,
    }).format(value).replace("-", "−");
  } catch {
    return `${value.toFixed(digits)} ${currency.toUpperCase()}`;
  }
}

/**
 * `major` whole units of `siteCurrency` as minor units of `currency`: the limit a site's
 * "at most" setting puts on a purchase in another currency, through the reference rates (or unit
 * for unit when there is none — a sanity bound, not an exchange).
 */
export function limitInCurrency(major: number, siteCurrency: string, currency: string): number {
  const inSite = major * 10 ** minorDigits(siteCurrency);
  if (siteCurrency === currency) return inSite;
  const rate = referenceRate(siteCurrency, currency);
  return rate === null
    ? major * 10 ** minorDigits(currency)
    : convertMinor(inSite, siteCurrency, currency, rate);
}

/** Plain decimal text of minor units ("1234.50"), for CSV and inputs. */
export function minorToDecimal(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const neg = minor < 0;
  const abs = Math.abs(minor);
  if (digits === 0) return `${neg ? "-" : ""}${abs}`;
  const s = String(abs).padStart(digits + 1, "0");
  return `${neg ? "-" : ""}${s.slice(0, -digits)}.${s.slice(-digits)}`;
}

/** Reads a decimal amount ("49", "49.9", "1,200.00") into minor units; null when not a number. */
export function decimalToMinor(text: string | number, currency: string): number | null {
  const digits = minorDigits(currency);
  let raw = typeof text === "number" ? String(text) : text.trim();
  // "12,50" is a decimal comma; "1,200" and "1,200.50" group thousands.
  raw = /^-?\d+,\d{1,2}$/.test(raw) ? raw.replace(",", ".") : raw.replaceAll(",", "");
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(raw);
  if (!m) return null;
  const frac = m[3] ?? "";
  const whole = BigInt(m[2]) * 10n ** BigInt(digits);
  const fracDigits = frac.slice(0, digits).padEnd(digits, "0");
  let minor = whole + BigInt(fracDigits || "0");
  // Round on the first dropped digit (49.995 USD → 5000).
  if (frac.length > digits && Number(frac[digits]) >= 5) minor += 1n;
  const n = Number(minor);
  if (!Number.isSafeInteger(n)) return null;
  return m[1] ? -n : n;
}

/**
 * Approximate mid-market rates (units per one US dollar, mid-2025), used only until the owner
 * sets a rate of their own; the rates table marks them as reference rates.
 */
const REFERENCE_PER_USD: Record<string, string> = {
  USD: "1",
  EUR: "0.86",
  GBP: "0.74",
  CAD: "1.37",
  AUD: "1.53",
  NZD: "1.66",
  CHF: "0.80",
  JPY: "147",
  CNY: "7.18",
  HKD: "7.85",
  SGD: "1.28",
  INR: "85.7",
  BRL: "5.50",
  MXN: "18.8",
  SEK: "9.55",
  NOK: "10.1",
  DKK: "6.40",
  PLN: "3.66",
  CZK: "21.2",
  HUF: "342",
  ZAR: "17.8",
  KRW: "1370",
  TRY: "40.2",
  ILS: "3.37",
  AED: "3.6725",
  SAR: "3.75",
  THB: "32.6",
  IDR: "16300",
  PHP: "56.9",
  MYR: "4.22",
  NGN: "1530",
  KWD: "0.306",
};

/** The reference rate from `from` to `to`, or null when either is not in the reference list. */
export function referenceRate(from: string, to: string): string | null {
  const a = REFERENCE_PER_USD[from.toUpperCase()];
  const b = REFERENCE_PER_USD[to.toUpperCase()];
  if (!a || !b) return null;
  // to-per-from = (to per USD) / (from per USD), kept to 10 decimals.
  const num = parseRate(b) * RATE_SCALE;
  const q = divRound(num, parseRate(a));
  const s = q.toString().padStart(11, "0");
  return `${s.slice(0, -10)}.${s.slice(-10)}`.replace(/\.?0+$/, "");
}
