/** Small helpers shared by the account pages' form handlers. */
import type { Context } from "hono";
import type { AppEnv } from "../http/context.ts";
import { AppError, Invalid, NotFound, TooManyRequests } from "../lib/errors.ts";

/** A submitted form's text fields (files and repeated fields are ignored). */
export async function readForm(c: Context<AppEnv>): Promise<Record<string, string>> {
  const type = c.req.header("content-type") ?? "";
  if (!type.includes("form")) return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === "string" && k !== "_csrf") out[k] = v.slice(0, 10_000);
  }
  return out;
}

/** A problem to show beside a form: the sentence and the field it is about. */
export interface FormProblem {
  message: string;
  field?: string;
  status: number;
  /** Seconds to wait, for a refusal (429). */
  retryAfter?: number;
}

/**
 * Runs a form action; a person's mistake (4xx) comes back as a FormProblem to re-render the
 * form with, anything else propagates to the error handler.
 */
export async function tryForm<T>(
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; problem: FormProblem }> {
  try {
    return { ok: true, value: await action() };
  } catch (e) {
    if (e instanceof AppError && e.status < 500 && !(e instanceof NotFound)) {
      return {
        ok: false,
        problem: {
          message: e.message,
          field: e instanceof Invalid ? e.field : undefined,
          status: e.status,
          retryAfter: e instanceof TooManyRequests ? e.retryAfter : undefined,
        },
      };
    }
    throw e;
  }
}

/** A positive integer id in the shape the database stores, or null. */
function parseId(raw: string | undefined): number | null {
  if (!raw || !/^[0-9]{1,15}$/.test(raw)) return null;
  const n = Number(raw);
  return n > 0 ? n : null;
}

/** Parses a positive integer route parameter; 404 otherwise. */
export function idParam(c: Context<AppEnv>, name: string): number {
  const n = parseId(c.req.param(name));
  if (n === null) throw new NotFound();
  return n;
}

/** Parses a positive integer form field (a choice from a list); Invalid with `sentence` otherwise. */
export function formId(form: Record<string, string>, name: string, sentence: string): number {
  const n = parseId(form[name]?.trim());
  if (n === null) throw new Invalid(name, sentence);
  return n;
}

/** A checkbox value: present means on. */
export function checked(form: Record<string, string>, name: string): boolean {
  return form[name] === "on" || form[name] === "true" || form[name] === "1";
}
