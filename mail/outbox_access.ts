/**
 * Who can read mail that never leaves the server: without SMTP_URL every message stays in the
 * outbox, and /dev/mail shows it — to anyone with MAIL_PREVIEW, to a signed-in person (their own
 * mail) on a demo instance, otherwise to nobody. The banner, the start-up log and /dev/mail all
 * ask here so they cannot disagree.
 */
import type { Config } from "../config.ts";

/** "smtp": mail is sent; "all": /dev/mail shows everything; "own": each signed-in person's own; "none": unreadable. */
export type OutboxAccess = "smtp" | "all" | "own" | "none";

type MailConfig = Pick<Config, "SMTP_URL" | "MAIL_PREVIEW" | "SEXTANT_DEMO" | "DATABASE_URL">;

/** How mail that Sextant writes can be read under this configuration. */
export function outboxAccess(config: MailConfig): OutboxAccess {
  if (config.SMTP_URL) return "smtp";
  if (config.MAIL_PREVIEW) return "all";
  const demo = config.SEXTANT_DEMO === "on" ||
    (config.SEXTANT_DEMO === "auto" && !config.DATABASE_URL);
  return demo ? "own" : "none";
}

/** The one start-up sentence about where mail goes, for the log. */
export function outboxStartupMessage(config: MailConfig & Pick<Config, "PUBLIC_URL">): string {
  const at = `${config.PUBLIC_URL}/dev/mail`;
  switch (outboxAccess(config)) {
    case "smtp":
      return "mail is sent through SMTP_URL";
    case "all":
      return `no SMTP_URL: mail is kept in the outbox; read it at ${at} (MAIL_PREVIEW is on)`;
    case "own":
      return `no SMTP_URL: mail is kept in the outbox; signed-in people read their own at ${at}, ` +
        "or start with MAIL_PREVIEW=on to show all of it there";
    case "none":
      return "no SMTP_URL: mail is kept in the outbox and not sent; start with MAIL_PREVIEW=on " +
        `to read it at ${at}, or set SMTP_URL to send it`;
  }
}
