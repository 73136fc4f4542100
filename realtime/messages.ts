/**
 * What flows on a site's live channel (bus pub/sub → Socket.IO room). Ingest publishes events as
 * they are accepted; attribution publishes purchases once matched. Coordinates are coarse
 * (city level) and there is never an IP address.
 */

/** The bus channel carrying a site's live messages. */
export function liveChannel(siteId: number): string {
  return `live:${siteId}`;
}

export interface LiveEvent {
  kind: "event";
  siteId: number;
  /** ISO time of the event. */
  ts: string;
  eventId: string;
  /** pageview | event | outbound | download | engagement | identify | revenue */
  type: string;
  name: string;
  visitorId: string;
  sessionId: string;
  hostname: string;
  pathname: string;
  title: string;
  source: string;
  channel: string;
  country: string;
  region: string;
  city: string;
  lat: number | null;
  lon: number | null;
  device: string;
  browser: string;
  os: string;
}

export interface LivePurchase {
  kind: "purchase";
  siteId: number;
  ts: string;
  purchaseId: string;
  /** one_time | subscription_start | renewal | refund */
  type: string;
  amountMinor: number;
  currency: string;
  amountSiteMinor: number;
  product: string;
  visitorId: string | null;
  source: string;
  channel: string;
  country: string;
  city: string;
  lat: number | null;
  lon: number | null;
}

export type LiveMessage = LiveEvent | LivePurchase;
