/** Text as PostgreSQL can store it. */

/**
 * `value` without NUL characters and with lone UTF-16 surrogates replaced: PostgreSQL text
 * refuses the first and cannot encode the second. Clean strings come back as they are.
 */
export function storableText(value: string): string {
  const v = value.includes("\0") ? value.replaceAll("\0", "") : value;
  return v.isWellFormed() ? v : v.toWellFormed();
}
