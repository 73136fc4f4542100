/** Small pieces the customer pages share: status badges, tag chips, dates in the site's zone. */
import type { CustomerStatus } from "../customers/store.ts";
import { STATUS_LABELS } from "../customers/store.ts";
import type { Tag } from "../customers/tags.ts";

const STATUS_CLASS: Record<CustomerStatus, string> = {
  active: "ok",
  trialing: "info",
  past_due: "warn",
  cancelled: "bad",
  expired: "bad",
  one_time: "",
  lead: "",
};

/** A customer's status as a badge. */
export function StatusBadge(props: { status: CustomerStatus }) {
  return (
    <span class={`badge status ${STATUS_CLASS[props.status]}`} data-status={props.status}>
      {STATUS_LABELS[props.status]}
    </span>
  );
}

/** A coloured tag; a link to everyone carrying it when `href` is given. */
export function TagChip(props: { tag: Tag; href?: string }) {
  const cls = `tag tag-${props.tag.color}`;
  return props.href
    ? <a class={cls} href={props.href}>{props.tag.name}</a>
    : <span class={cls}>{props.tag.name}</span>;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string, withTime: boolean): Intl.DateTimeFormat {
  const key = `${tz}|${withTime}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "short",
      day: "numeric",
      ...(withTime ? { hour: "numeric", minute: "2-digit" } : {}),
    });
    formats.set(key, f);
  }
  return f;
}

/** "Dec 7, 2026" in the site's time zone; a dash for none. */
export function formatDay(d: Date | null | undefined, tz: string): string {
  return d ? fmt(tz, false).format(d) : "—";
}

/** "Dec 7, 2026, 5:20 PM" in the site's time zone. */
export function formatWhen(d: Date, tz: string): string {
  return fmt(tz, true).format(d);
}

/** "3 days ago", "just now": how long before `now`. */
export function ago(d: Date | null | undefined, now = new Date()): string {
  if (!d) return "never";
  const s = Math.max(0, (now.getTime() - d.getTime()) / 1000);
  if (s < 60) return "just now";
  const units: Array<[number, string]> = [
    [86400 * 365, "year"],
    [86400 * 30, "month"],
    [
      86400,
      "day",
    ],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [n, name] of units) {
    if (s >= n) {
      const k = Math.floor(s / n);
      return `${k} ${name}${k === 1 ? "" : "s"} ago`;
    }
  }
  return "just now";
}
