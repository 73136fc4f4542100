/** How the live view words numbers, money, durations and places (server and browser alike). */

const fractionDigits = new Map<string, number>();

function digitsOf(currency: string): number {
  let d = fractionDigits.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions()
        .maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    fractionDigits.set(currency, d);
  }
  return d;
}

/** An amount in minor units as money: 4900 USD → "$49", 4950 USD → "$49.50", 500 JPY → "¥500". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const code = (currency || "USD").toUpperCase();
  const digits = digitsOf(code);
  const amount = minor / 10 ** digits;
  const whole = Number.isInteger(amount);
  try {
    return new Intl.NumberFormat(locale ?? "en", {
      style: "currency",
      currency: code,
      minimumFractionDigits: whole ? 0 : digits,
      maximumFractionDigits: digits,
    }).format(amount);
  } catch {
    return `${amount.toFixed(digits)} ${code}`;
  }
}

/** "just now", "12s ago", "4 min ago", "3 h ago", "2 d ago". */
export function timeAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** A time on site: "45s", "3m 12s", "1h 05m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

const regionNames = new Map<string, Intl.DisplayNames | null>();

/** The page's language in a browser (its `lang`), English on the server. */
export function pageLanguage(): string {
  return globalThis.document?.documentElement?.lang || "en";
}

/** "DE" → "Germany" in the page's language; unknown codes come back as given, empty as "Unknown". */
export function countryName(code: string, locale = pageLanguage()): string {
  if (!code) return "Unknown";
  let names = regionNames.get(locale);
  if (names === undefined) {
    try {
      names = new Intl.DisplayNames([locale, "en"], { type: "region", fallback: "none" });
    } catch {
      names = null;
    }
    regionNames.set(locale, names);
  }
  try {
    return names?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** The two-letter code shown beside places ("DE"); "" for anything else. */
export function countryCode(code: string): string {
  return /^[A-Za-z]{2}$/.test(code) ? code.toUpperCase() : "";
}

/**
 * "DE" → 🇩🇪, built from the code's regional indicator letters; "" for anything else. Systems
 * without flag glyphs (Windows) draw the two letters instead, which still reads as the code.
 */
export function countryFlag(code: string): string {
  const cc = countryCode(code);
  if (!cc || cc === "XX" || cc === "ZZ") return "";
  return String.fromCodePoint(...[...cc].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

/** "🇩🇪 Germany": a country as people read it on screen (exports keep the bare code). */
export function countryLabel(code: string, locale = pageLanguage()): string {
  const flag = countryFlag(code);
  const name = countryName(code, locale);
  return flag ? `${flag} ${name}` : name;
}

/** "Berlin, Germany" or just the country. */
export function placeLabel(country: string, city: string): string {
  const name = countryName(country);
  return city ? `${city}, ${name}` : name;
}

/** Device type with a capital, "Unknown" when missing. */
export function deviceLabel(device: string): string {
  return device ? device[0].toUpperCase() + device.slice(1) : "Unknown";
}

/** Number with thousands separators. */
export function formatCount(n: number): string {
  return new Intl.NumberFormat("en").format(n);
}
