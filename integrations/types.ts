/**
 * The interface every payment or course platform implements. Routes, the webhook endpoint, the
 * backfill job and the worker only speak to platforms through it.
 */
import type { PurchaseInput } from "../attribution/record.ts";
import type { SubscriptionState } from "../attribution/subscriptions.ts";

/** A purchase as a platform reports it: the site and origin are filled in by the caller. */
export type PlatformPurchase = Omit<PurchaseInput, "siteId" | "origin">;
/** A subscription's state as a platform reports it. */
export type PlatformSubscription = Omit<SubscriptionState, "siteId" | "provider">;

/** What one platform event or backfilled object means for Sextant. */
export type PlatformChange =
  | { type: "purchase"; purchase: PlatformPurchase }
  | { type: "subscription"; subscription: PlatformSubscription };

/** Decrypted credentials of one connection. */
export interface Credentials {
  apiKey: string;
  webhookSecret: string | null;
}

/** A verified webhook event. */
export interface VerifiedEvent {
  id: string;
  type: string;
  /** The parsed event, for `normalize`. */
  payload: unknown;
}

export interface ConnectInfo {
  keyHint: string;
  livemode: boolean;
  accountName: string;
}

export type WebhookSetup =
  | { mode: "auto"; endpointId: string; secret: string }
  | { mode: "manual"; note: string };

/** How a backfill reports progress: objects found while listing, then each one processed. */
export interface BackfillProgress {
  listed(total: number): Promise<void>;
}

/** A platform's failure, already in words a person understands. */
export class PlatformError extends Error {
  override name = "PlatformError";
  constructor(message: string, readonly retriable = false) {
    super(message);
  }
}

/** A webhook whose signature is missing, wrong or too old. */
export class SignatureError extends Error {
  override name = "SignatureError";
}

/** A correctly signed webhook whose body is not an event Sextant can read. */
export class MalformedWebhook extends Error {
  override name = "MalformedWebhook";
}

export interface Platform {
  /** stripe, lemonsqueezy, … (also the webhook URL segment). */
  id: string;
  name: string;
  /** Validates the key with a test call; throws PlatformError with what to fix. */
  connect(apiKey: string): Promise<ConnectInfo>;
  /** Registers Sextant's webhook URL when the key allows it, or says how to do it by hand. */
  registerWebhook(creds: Credentials, url: string): Promise<WebhookSetup>;
  /** Removes what registerWebhook created (best effort). */
  unregisterWebhook(creds: Credentials, endpointId: string): Promise<void>;
  /** Verifies a delivery's signature (SignatureError), then reads it (MalformedWebhook). */
  verifyWebhook(
    rawBody: string,
    headers: Headers,
    secret: string,
  ): Promise<VerifiedEvent>;
  /** What an event means; may call the platform for details (line items, refunds). */
  normalize(creds: Credentials, event: VerifiedEvent): Promise<PlatformChange[]>;
  /** Everything of the last `days` days, oldest first. */
  backfill(creds: Credentials, days: number, progress: BackfillProgress): Promise<PlatformChange[]>;
}
