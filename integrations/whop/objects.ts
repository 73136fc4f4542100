/**
 * The parts of Whop's API objects (REST API v1) Sextant reads. Amounts are decimal numbers in the
 * currency's major unit (19.99 USD, 1500 JPY), never cents.
 */
import { z } from "zod";
import { parseWith } from "../common.ts";

const id = z.string().min(1);
/** A decimal amount, as a JSON number or a string. */
export const decimal = z.union([z.number(), z.string()]);
const time = z.string().min(1);
const named = z.object({ id, title: z.string().nullish() }).nullish();
const metadata = z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? {});

export const user = z.object({
  id,
  email: z.string().nullish(),
  name: z.string().nullish(),
  username: z.string().nullish(),
}).nullish();

export const payment = z.object({
  id,
  status: z.string().nullish(),
  created_at: time,
  paid_at: time.nullish(),
  total: decimal.nullish(),
  subtotal: decimal.nullish(),
  currency: z.string().nullish(),
  refunded_amount: decimal.nullish(),
  refunded_at: time.nullish(),
  billing_reason: z.string().nullish(),
  user,
  product: named,
  plan: z.object({ id }).nullish(),
  membership: z.object({ id, status: z.string().nullish() }).nullish(),
  billing_address: z.object({ country: z.string().nullish() }).nullish(),
  metadata,
});
export type WhopPayment = z.infer<typeof payment>;

export const refund = z.object({
  id,
  amount: decimal,
  currency: z.string(),
  status: z.string(),
  created_at: time,
  payment: z.object({ id }).nullish(),
});
export type WhopRefund = z.infer<typeof refund>;

export const membership = z.object({
  id,
  status: z.string(),
  created_at: time,
  updated_at: time.nullish(),
  canceled_at: time.nullish(),
  cancel_at_period_end: z.boolean().nullish(),
  renewal_period_end: time.nullish(),
  plan: z.object({ id }).nullish(),
  product: named,
  user,
  metadata,
});
export type WhopMembership = z.infer<typeof membership>;

export const plan = z.object({
  id,
  plan_type: z.string().nullish(),
  renewal_price: decimal.nullish(),
  initial_price: decimal.nullish(),
  /** Days between renewals. */
  billing_period: z.number().nullish(),
  currency: z.string().nullish(),
});
export type WhopPlan = z.infer<typeof plan>;

export const pageInfo = z.object({
  end_cursor: z.string().nullish(),
  has_next_page: z.boolean(),
});

/** A list answer: `data` plus cursor paging. */
export const page = z.object({
  data: z.array(z.record(z.string(), z.unknown())),
  page_info: pageInfo,
});

/** A webhook body (v1: `type`; earlier API versions named it `action`). */
export const event = z.object({
  id: z.string().nullish(),
  type: z.string().nullish(),
  action: z.string().nullish(),
  timestamp: z.string().nullish(),
  data: z.record(z.string(), z.unknown()),
}).refine((e) => Boolean(e.type ?? e.action), { message: "the event has no type" });
export type WhopEvent = z.infer<typeof event>;

/** Parses a Whop object; the error names the object and the first bad field. */
export const parseWhop = <T>(schema: z.ZodType<T>, value: unknown, what: string): T =>
  parseWith(schema, value, "Whop", `a ${what}`);
