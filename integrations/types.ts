/**
 * The interface every payment or course platform implements. Routes, the webhook endpoint, the
 * backfill job and the worker only speak to platforms through it.
 */
import type { PurchaseInput } from "../attribution/record.ts";
import type { SubscriptionState } from "../attribution/subscriptions.ts";
import type { EnrollmentInput } from "../customers/enrollments.ts";
import type { PaymentFailure } from "../attribution/payment_failures.ts";

/** A purchase as a platform reports it: the site and origin are filled in by the caller. */
export type PlatformPurchase = Omit<PurchaseInput, "siteId" | "origin">;
/** A subscription's state as a platform reports it. */
export type PlatformSubscription = Omit<SubscriptionState, "siteId" | "provider">;
/** One failed payment as a platform reports it. */
export type PlatformPaymentFailure = Omit<PaymentFailure, "siteId" | "provider">;

/**
 * A sale's refunds as a running total, for platforms that report only how much of a sale has
 * been refunded so far: each new total becomes a refund of the difference.
 */
export interface RefundTotal {
  /** The sale's purchase key. */
  saleKey: string;
  /** Everything refunded so far, positive minor units. */
  totalMinor: number;
  currency: string;
  ts: Date;
  email?: string;
  orderId?: string;
}

/** A learner's enrollment in a course, as a course platform reports it. */
export type PlatformEnrollment = Omit<EnrollmentInput, "siteId" | "provider">;

/** What one platform event or backfilled object means for Sextant. */
export type PlatformChange =
  | { type: "purchase"; purchase: PlatformPurchase }
  | { type: "refund_total"; refund: RefundTotal }
  | { type: "subscription"; subscription: PlatformSubscription }
  | { type: "enrollment"; enrollment: PlatformEnrollment }
  | { type: "payment_failed"; failure: PlatformPaymentFailure };

/** The named credential fields of one connection (`apiKey`, `storeId`, `accessToken`…). */
export type CredentialFields = Record<string, string>;

/** Decrypted credentials of one connection. */
export interface Credentials {
  fields: CredentialFields;
  webhookSecret: string | null;
  /**
   * Renews a token pair one caller at a time and stores it: `trade` gets the newest stored
   * fields and answers the renewed ones (null when the platform refuses). A caller whose `held`
   * fields another caller already renewed gets the stored pair instead, because a refresh token
   * works once.
   */
  renew?(
    held: CredentialFields,
    trade: (current: CredentialFields) => Promise<CredentialFields | null>,
  ): Promise<CredentialFields | null>;
  /** Marks the connection as needing the owner: the platform no longer accepts its access. */
  lost?(sentence: string): Promise<void>;
}

/** A verified webhook event. */
export interface VerifiedEvent {
  id: string;
  type: string;
  /** The parsed event, for `normalize`. */
  payload: unknown;
  /**
   * For platforms that sign no timestamp: the delivery or event id a replay would repeat. A
   * second delivery with the same key is acknowledged and not stored again.
   */
  dedupeKey?: string;
}

/** What a successful connect learned, shown beside the platform on the integrations page. */
export interface ConnectInfo {
  keyHint: string;
  livemode: boolean;
  accountName: string;
  /** The fields to keep (a chosen store, a token from an OAuth exchange); default: those given. */
  fields?: CredentialFields;
}

export type WebhookSetup =
  | { mode: "auto"; endpointId: string; secret: string }
  | { mode: "manual"; note: string };

/** How a platform connects: a pasted key, a client id and secret, or an OAuth consent screen. */
export type AuthKind = "api_key" | "client_credentials" | "oauth";

/** One field the connect form asks for. */
export interface CredentialField {
  /** Form and storage name (`apiKey`). */
  name: string;
  label: string;
  /** Shown under the field: where to find it, what it must allow. */
  help: string;
  /** Masked in the form and never shown again once stored. */
  secret: boolean;
  placeholder?: string;
  /** May be left empty (a store id when the account has only one). */
  optional?: boolean;
}

/** Where the owner pastes a signing secret copied from the platform (manual webhook setup). */
export interface SecretPrompt {
  label: string;
  placeholder: string;
  /** Null when `secret` looks right, else the sentence saying what to paste instead. */
  check(secret: string): string | null;
}

/**
 * How a platform's webhooks reach Sextant. `setup: "auto"` registers the endpoint through the
 * platform's API on connect (the manual steps are the fallback when that is refused);
 * "manual" always needs the owner. `proof` says how a delivery proves where it came from: a
 * signature, or — for platforms that sign nothing — an unguessable token in the URL.
 */
export interface WebhookDescription {
  setup: "auto" | "manual";
  proof: "signature" | "url_token";
  /** The events to subscribe to. */
  events: readonly string[];
  /**
   * Steps for doing it by hand. `{url}` and `{events}` stand for the endpoint URL and the event
   * list; `**text**` is set in bold (the platform's menu names).
   */
  steps: readonly string[];
  /** Null when the platform has no secret to paste (URL token, or automatic only). */
  secret: SecretPrompt | null;
}

/** A snippet that passes the visitor id to one kind of checkout. */
export interface CheckoutSnippet {
  title: string;
  /** One sentence before the code (may be empty). */
  intro: string;
  language: "JavaScript" | "HTML";
  code: string;
}

/** What the integrations page and the connect flow need to know about a platform. */
export interface PlatformDescription {
  /** stripe, lemonsqueezy, … (also the webhook and form URL segment). */
  id: string;
  name: string;
  /** One line under the name while not connected. */
  tagline: string;
  /** Whether it reports subscriptions (MRR, churn) as well as one-time sales. */
  subscriptions: boolean;
  auth: AuthKind;
  /** Steps before the form (where to create the key, what it must allow); `**bold**` allowed. */
  connectSteps: readonly string[];
  fields: readonly CredentialField[];
  webhook: WebhookDescription;
  /** How each checkout carries `sextant.visitorId()`. */
  checkout: readonly CheckoutSnippet[];
  /**
   * "each" when the platform reports every failed payment as its own event; otherwise a
   * subscription falling past due is the failure Sextant records.
   */
  failedPayments?: "each";
}

/**
 * The OAuth authorization-code flow of a platform whose `auth` is "oauth", or offered beside a
 * key (Polar, when this Sextant has an OAuth app): then the form's fields are not asked.
 */
export interface OAuthFlow {
  /**
   * The CSP source of the approval screen the connect form's answer redirects to: browsers apply
   * the page's `form-action` to that redirect, so the integrations page must allow it.
   */
  approvalSource(): string;
  /** Where to send the owner to approve Sextant; `fields` are what the form asked (a shop). */
  authorizeUrl(fields: CredentialFields, state: string, redirectUri: string): Promise<string>;
  /** Checks the callback and trades its code for credentials; throws PlatformError. */
  exchange(
    fields: CredentialFields,
    callback: URLSearchParams,
    redirectUri: string,
  ): Promise<ConnectInfo & { fields: CredentialFields }>;
}

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

/** The platform refused to renew Sextant's access: the owner must connect again. */
export class AccessLost extends PlatformError {
  override name = "AccessLost";
}

/**
 * The credentials work but reach several stores or organizations: the owner picks one, and the
 * form asks again with `field` set to the choice.
 */
export class ChoiceNeeded extends PlatformError {
  override name = "ChoiceNeeded";
  constructor(
    message: string,
    readonly field: string,
    readonly options: readonly { value: string; label: string }[],
  ) {
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

/** A platform Sextant can connect: its description and what it does. */
export interface Platform extends PlatformDescription {
  /** Validates the fields with a test call; throws PlatformError with what to fix. */
  connect(fields: CredentialFields): Promise<ConnectInfo>;
  /** Present when `auth` is "oauth", or when the instance has an app for an optional one. */
  oauth?: OAuthFlow;
  /** Registers Sextant's webhook URL when the credentials allow it, or says how to do it by hand. */
  registerWebhook(creds: Credentials, url: string): Promise<WebhookSetup>;
  /**
   * Removes what registerWebhook created (an endpoint already gone is no error); throws
   * PlatformError when the platform refuses, so the owner can be told to remove it there.
   */
  unregisterWebhook(creds: Credentials, endpointId: string): Promise<void>;
  /**
   * Withdraws the credentials on the platform's side at disconnect (an OAuth token Sextant was
   * granted); throws PlatformError when the platform doesn't confirm it. Absent when there is
   * nothing to withdraw (a key the owner made and deletes themselves).
   */
  revokeAccess?(creds: Credentials): Promise<void>;
  /**
   * Verifies a delivery's signature (SignatureError), then reads it (MalformedWebhook). For
   * `proof: "url_token"` platforms the token was already checked and `secret` is that token.
   */
  verifyWebhook(
    rawBody: string,
    headers: Headers,
    secret: string,
    /** The connection's credential fields, for `url_token` platforms (an optional signing secret). */
    fields?: CredentialFields,
  ): Promise<VerifiedEvent>;
  /** What an event means; may call the platform for details (line items, refunds). */
  normalize(creds: Credentials, event: VerifiedEvent): Promise<PlatformChange[]>;
  /** Everything of the last `days` days, oldest first. */
  backfill(creds: Credentials, days: number, progress: BackfillProgress): Promise<PlatformChange[]>;
  /**
   * For platforms that send no event when a subscription ends: the current state of these active
   * subscriptions (by subscription id), read from the platform. Changes only; the rest are left.
   */
  refresh?(creds: Credentials, subscriptionIds: string[]): Promise<PlatformChange[]>;
}
