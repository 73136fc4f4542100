/**
 * The parts of Stripe's objects Sextant reads, parsed with zod so an unexpected shape is a clear
 * error instead of a wrong number. Everything else in the objects is ignored.
 */
import { z } from "zod";

const id = z.string().min(1);
/** An id, or the expanded object carrying it. */
const ref = z.union([id, z.object({ id })]).nullish().transform((v) =>
  v == null ? null : typeof v === "string" ? v : v.id
);
const metadata = z.record(z.string(), z.string()).nullish().transform((v) => v ?? {});
const address = z.object({ country: z.string().nullish() }).nullish();

export const lineItem = z.object({
  description: z.string().nullish(),
  quantity: z.number().nullish(),
  price: z.object({ product: ref, nickname: z.string().nullish() }).nullish(),
});

export const checkoutSession = z.object({
  id,
  object: z.literal("checkout.session"),
  created: z.number(),
  mode: z.string(),
  status: z.string().nullish(),
  payment_status: z.string(),
  amount_total: z.number().nullish(),
  currency: z.string().nullish(),
  client_reference_id: z.string().nullish(),
  customer_email: z.string().nullish(),
  customer_details: z.object({ email: z.string().nullish(), address }).nullish(),
  metadata,
  custom_fields: z.array(z.object({
    key: z.string(),
    text: z.object({ value: z.string().nullish() }).nullish(),
  })).nullish(),
  payment_intent: ref,
  invoice: ref,
  subscription: ref,
  payment_link: ref,
  line_items: z.object({ data: z.array(lineItem) }).nullish(),
});
export type CheckoutSession = z.infer<typeof checkoutSession>;

export const invoice = z.object({
  id,
  object: z.literal("invoice"),
  created: z.number(),
  status: z.string().nullish(),
  billing_reason: z.string().nullish(),
  amount_paid: z.number(),
  amount_due: z.number().nullish(),
  attempt_count: z.number().nullish(),
  currency: z.string(),
  customer: ref,
  customer_email: z.string().nullish(),
  customer_address: address,
  number: z.string().nullish(),
  metadata,
  status_transitions: z.object({ paid_at: z.number().nullish() }).nullish(),
  parent: z.object({
    subscription_details: z.object({ subscription: ref, metadata }).nullish(),
  }).nullish(),
  lines: z.object({ data: z.array(lineItem) }).nullish(),
  payments: z.object({
    data: z.array(z.object({ payment: z.object({ payment_intent: ref }).nullish() })),
  }).nullish(),
});
export type Invoice = z.infer<typeof invoice>;

export const paymentIntent = z.object({
  id,
  object: z.literal("payment_intent"),
  created: z.number(),
  status: z.string(),
  amount_received: z.number(),
  currency: z.string(),
  receipt_email: z.string().nullish(),
  description: z.string().nullish(),
  metadata,
});
export type PaymentIntent = z.infer<typeof paymentIntent>;

export const refund = z.object({
  id,
  object: z.literal("refund"),
  created: z.number(),
  amount: z.number(),
  currency: z.string(),
  status: z.string().nullish(),
  charge: ref,
  payment_intent: ref,
});
export type Refund = z.infer<typeof refund>;

export const charge = z.object({
  id,
  object: z.literal("charge"),
  created: z.number(),
  amount_refunded: z.number(),
  currency: z.string(),
  payment_intent: ref,
  receipt_email: z.string().nullish(),
  billing_details: z.object({ email: z.string().nullish(), address }).nullish(),
});
export type Charge = z.infer<typeof charge>;

export const subscription = z.object({
  id,
  object: z.literal("subscription"),
  created: z.number(),
  start_date: z.number().nullish(),
  status: z.string(),
  currency: z.string(),
  customer: ref,
  canceled_at: z.number().nullish(),
  ended_at: z.number().nullish(),
  items: z.object({
    data: z.array(z.object({
      quantity: z.number().nullish(),
      price: z.object({
        unit_amount: z.number().nullish(),
        recurring: z.object({ interval: z.string(), interval_count: z.number().nullish() })
          .nullish(),
      }),
    })),
  }),
});
export type Subscription = z.infer<typeof subscription>;

export const event = z.object({
  id,
  type: z.string(),
  created: z.number(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export type StripeEvent = z.infer<typeof event>;

export const invoicePayment = z.object({
  invoice: ref,
  payment: z.object({ payment_intent: ref }).nullish(),
});

/** Parses `value` with `schema`; the error names the object and the first bad field. */
export function parseObject<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(
    `Stripe sent a ${what} we could not read (${issue.path.join(".")}: ${issue.message})`,
  );
}
