/** Reading a webhook body whose signature already checked out. */
import type { z } from "zod";
import { MalformedWebhook } from "./types.ts";

/**
 * Parses a verified body as JSON and checks it against the platform's event schema; throws
 * MalformedWebhook with a sentence when it is not one. NUL characters are refused too:
 * PostgreSQL text cannot hold them, so such an event could never be recorded.
 */
export function parseWebhookBody<T>(rawBody: string, schema: z.ZodType<T>, what: string): T {
  const refuse = (why: string) => {
    throw new MalformedWebhook(`The signature is valid, but ${why}.`);
  };
  if (rawBody.includes("\0")) refuse("the body contains a NUL character");
  let hasNul = false;
  let value: unknown;
  try {
    value = JSON.parse(rawBody, (key, v) => {
      if (key.includes("\0") || (typeof v === "string" && v.includes("\0"))) hasNul = true;
      return v;
    });
  } catch {
    refuse("the body isn't JSON");
  }
  if (hasNul) refuse("the body contains a NUL character");
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = issue.path.length ? `${issue.path.join(".")}: ` : "";
    refuse(`the body isn't a ${what} (${at}${issue.message})`);
  }
  return r.data!;
}
