/** Reading objects a platform's API returned, with an error that names what was wrong. */
import type { z } from "zod";

/**
 * Parses `value` with `schema`; the error names the platform, the object and the first bad
 * field, so the delivery log and the sync error say what the platform sent.
 */
export function readObject<T>(
  platform: string,
  schema: z.ZodType<T>,
  value: unknown,
  what: string,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw new Error(
    `${platform} sent a ${what} Sextant could not read (${issue.path.join(".")}: ${issue.message})`,
  );
}
