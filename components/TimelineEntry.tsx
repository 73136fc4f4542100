/**
 * One item of a customer's timeline, rendered the same on the server and by the island that
 * loads older items as the timeline scrolls.
 */
import type { ComponentChildren } from "preact";
import { formatCount, formatMoney } from "../analytics/format.ts";
import type { TimelineItem } from "../customers/timeline.ts";
import { formatWhen } from "./CustomerParts.tsx";
import { Markdown } from "./Markdown.tsx";

const PROVIDER_NAMES: Record<string, string> = {
  stripe: "Stripe",
  tracker: "Tracker",
  lemonsqueezy: "Lemon Squeezy",
  polar: "Polar",
  paddle: "Paddle",
  shopify: "Shopify",
  whop: "Whop",
  kajabi: "Kajabi",
  teachable: "Teachable",
};
/** A platform's name as people write it. */
export const providerName = (p: string) => PROVIDER_NAMES[p] ?? p;

const KIND_WORDS: Record<string, string> = {
  one_time: "Purchase",
  subscription_start: "Subscribed",
  renewal: "Renewal",
  refund: "Refund",
  expansion: "Upgraded",
  contraction: "Downgraded",
  reactivation: "Came back",
  churn: "Cancelled",
};

/** One timeline item. */
export function TimelineEntry(props: { item: TimelineItem; currency: string; tz: string }) {
  const { item } = props;
  const d = item.detail as Record<string, string | number | string[]>;
  const money = (m: unknown) => formatMoney(Number(m), props.currency);
  let title: string;
  let extra: ComponentChildren = null;
  switch (item.type) {
    case "visit": {
      const source = String(d.source || "Direct");
      title = `Visit from ${source}`;
      const pages = (d.pages as string[]) ?? [];
      extra = (
        <>
          <div class="muted small">
            {[d.channel, d.campaign ? `campaign ${d.campaign}` : "", d.country, d.device]
              .filter(Boolean).join(" · ")}
            {" · "}
            {formatCount(Number(d.pageviews))} {Number(d.pageviews) === 1 ? "page" : "pages"}
          </div>
          {pages.length > 0 && (
            <div class="timeline-pages small">
              {pages.map((p, i) => <code key={i}>{p}</code>)}
            </div>
          )}
        </>
      );
      break;
    }
    case "event":
      title = `Event: ${d.name}`;
      extra = d.page
        ? (
          <div class="muted small">
            on <code>{String(d.page)}</code>
          </div>
        )
        : null;
      break;
    case "identify":
      title = d.origin === "purchase" ? "Linked by a checkout" : "Identified";
      extra = (
        <div class="muted small">
          visitor <code>{String(d.visitor_id)}</code>
        </div>
      );
      break;
    case "purchase":
    case "renewal":
    case "refund":
      title = `${KIND_WORDS[String(d.kind)] ?? "Purchase"}: ${money(d.amount_site_minor)}`;
      extra = (
        <div class="muted small">
          {[
            d.product,
            providerName(String(d.provider)),
            d.gift_from ? `gift from ${d.gift_from}` : "",
          ]
            .filter(Boolean).join(" · ")}
        </div>
      );
      break;
    case "payment_failed":
      // What was due, in the currency it was charged in.
      title = Number(d.amount_minor) > 0
        ? `Payment failed: ${formatMoney(Number(d.amount_minor), String(d.currency))}`
        : "Payment failed";
      extra = (
        <div class="muted small">
          {[providerName(String(d.provider)), d.reason].filter(Boolean).join(" · ")}
        </div>
      );
      break;
    case "plan_change":
    case "cancellation":
      title = `${KIND_WORDS[String(d.kind)] ?? "Plan change"}: ${money(d.delta_site_minor)} MRR`;
      extra = <div class="muted small">{providerName(String(d.provider))}</div>;
      break;
    case "enrollment":
      title = `${d.ended ? "Enrollment ended" : "Enrolled"}: ${d.course || "a course"}`;
      extra = <div class="muted small">{providerName(String(d.provider))}</div>;
      break;
    case "note":
      title = `Note by ${d.author}`;
      extra = <Markdown text={String(d.body)} />;
      break;
  }
  return (
    <li class={`timeline-item t-${item.type}`} data-type={item.type}>
      <time datetime={item.ts.toISOString()} class="muted small">
        {formatWhen(item.ts, props.tz)}
      </time>
      <div class="timeline-title">{title}</div>
      {extra}
    </li>
  );
}
