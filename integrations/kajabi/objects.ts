/**
 * The parts of Kajabi's public API (v1, JSON:API) and hook deliveries Sextant reads. Amounts are
 * integers in cents (`amount_in_cents`).
 */
import { z } from "zod";
import { parseWith } from "../common.ts";

const id = z.union([z.number().int(), z.string().min(1)]).transform(String);
const rel = z.object({ data: z.object({ id, type: z.string().nullish() }).nullish() }).nullish();

/** A JSON:API resource: id, attributes and relationships. */
export const resource = z.object({
  id,
  type: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  relationships: z.record(z.string(), rel).nullish(),
});
export type KajabiResource = z.infer<typeof resource>;

export const listPage = z.object({
  data: z.array(resource),
  links: z.object({ next: z.string().nullish() }).nullish(),
});

export const transactionAttributes = z.object({
  /** charge | refund | … */
  action: z.string().nullish(),
  amount_in_cents: z.number().int(),
  currency: z.string(),
  created_at: z.string(),
  /** single | subscription | multipay */
  payment_type: z.string().nullish(),
  state: z.string().nullish(),
});

export const customerAttributes = z.object({
  email: z.string().nullish(),
  name: z.string().nullish(),
});

export const offerAttributes = z.object({ title: z.string().nullish() });

export const purchaseAttributes = z.object({
  created_at: z.string().nullish(),
  /** Set when the purchase stops granting access: a cancelled or failed subscription. */
  deactivated_at: z.string().nullish(),
  payment_type: z.string().nullish(),
  /** Assumed: the recurring price in cents and its billing interval (month | year). */
  amount_in_cents: z.number().int().nullish(),
  currency: z.string().nullish(),
  subscription_interval: z.string().nullish(),
});
export type KajabiPurchase = z.infer<typeof purchaseAttributes>;

/** One item of a hook delivery's `payload` array. */
export const hookItem = z.object({
  id,
  transaction_id: id.nullish(),
  purchase_id: id.nullish(),
  amount_in_cents: z.number().int().nullish(),
  currency: z.string().nullish(),
  created_at: z.string().nullish(),
  payment_type: z.string().nullish(),
  customer: z.object({ id: id.nullish(), email: z.string().nullish() }).nullish(),
  offer: z.object({ id: id.nullish(), title: z.string().nullish() }).nullish(),
});
export type KajabiHookItem = z.infer<typeof hookItem>;

/** A hook delivery: `{id, event, payload: [...]}`. */
export const delivery = z.object({
  id,
  event: z.string().min(1),
  payload: z.array(z.record(z.string(), z.unknown())),
});

/** Parses a Kajabi object; the error names the object and the first bad field. */
export const parseKajabi = <T>(schema: z.ZodType<T>, value: unknown, what: string): T =>
  parseWith(schema, value, "Kajabi", `a ${what}`);
