/**
 * The parts of Teachable's public API (v1) objects Sextant reads. Prices are integers in the
 * currency's minor unit (cents). Transactions name their buyer only by user id.
 */
import { z } from "zod";
import { parseWith } from "../common.ts";

const id = z.union([z.number().int(), z.string().min(1)]).transform(String);
const time = z.string().min(1);

export const transaction = z.object({
  id,
  sale_id: id.nullish(),
  user_id: id.nullish(),
  course_id: id.nullish(),
  pricing_plan_id: id.nullish(),
  final_price: z.number().int(),
  currency: z.string(),
  created_at: time,
  refunded_at: time.nullish(),
  /** Not in every answer: without it a refund is taken to be the whole price. */
  refunded_amount: z.number().int().nullish(),
  status: z.string().nullish(),
  /** Webhook bodies may carry the buyer inline. */
  user: z.object({ id: id.nullish(), email: z.string().nullish() }).nullish(),
});
export type TeachableTransaction = z.infer<typeof transaction>;

export const sale = z.object({
  id,
  user_id: id.nullish(),
  pricing_plan_id: id.nullish(),
  course_id: id.nullish(),
  created_at: time.nullish(),
  canceled_at: time.nullish(),
  user: z.object({ id: id.nullish(), email: z.string().nullish() }).nullish(),
});
export type TeachableSale = z.infer<typeof sale>;

export const user = z.object({ id, email: z.string().nullish(), name: z.string().nullish() });

export const pricingPlan = z.object({
  id,
  name: z.string().nullish(),
  price: z.number().int().nullish(),
  currency: z.string().nullish(),
  course_id: id.nullish(),
  frequency: z.object({
    /** one_time | subscription | payment_plan */
    type: z.string(),
    billing_interval: z.string().nullish(),
    billing_interval_count: z.number().int().nullish(),
  }).nullish(),
});
export type TeachablePlan = z.infer<typeof pricingPlan>;

export const course = z.object({ id, name: z.string().nullish(), heading: z.string().nullish() });

export const transactionsPage = z.object({
  transactions: z.array(z.unknown()),
  meta: z.object({
    total: z.number().int().nullish(),
    page: z.number().int(),
    number_of_pages: z.number().int(),
  }),
});

/** An enrollment as an `Enrollment.*` webhook carries it (the learner and course inline). */
export const enrollmentEvent = z.object({
  id: id.nullish(),
  user_id: id.nullish(),
  course_id: id.nullish(),
  created_at: time.nullish(),
  enrolled_at: time.nullish(),
  expires_at: time.nullish(),
  is_active: z.boolean().nullish(),
  user: z.object({ id: id.nullish(), email: z.string().nullish() }).nullish(),
  course: z.object({ id: id.nullish(), name: z.string().nullish() }).nullish(),
});
export type TeachableEnrollmentEvent = z.infer<typeof enrollmentEvent>;

/** One row of `GET /courses/{id}/enrollments`. */
export const enrollmentRow = z.object({
  user_id: id,
  enrolled_at: time,
  expires_at: time.nullish(),
  completed_at: time.nullish(),
  percent_complete: z.number().nullish(),
});

const pageMeta = z.object({
  total: z.number().int().nullish(),
  page: z.number().int(),
  number_of_pages: z.number().int(),
});

export const coursesPage = z.object({ courses: z.array(course), meta: pageMeta });
export const enrollmentsPage = z.object({
  enrollments: z.array(z.unknown()),
  meta: pageMeta,
});

/** A webhook body: the event's type and the object it is about. */
export const event = z.object({
  id: id.nullish(),
  hook_event_id: id.nullish(),
  type: z.string().min(1),
  created: z.string().nullish(),
  object: z.record(z.string(), z.unknown()),
});
export type TeachableEvent = z.infer<typeof event>;

/** Parses a Teachable object; the error names the object and the first bad field. */
export const parseTeachable = <T>(schema: z.ZodType<T>, value: unknown, what: string): T =>
  parseWith(schema, value, "Teachable", `a ${what}`);
