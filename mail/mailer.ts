/**
 * The one mailer. Every email goes into the `email_outbox` table first (so nothing is lost when
 * the SMTP server is down); when SMTP_URL is set a delivery loop sends pending rows with retries
 * and backoff. Without SMTP the outbox is where mail stays (and, in dev/demo, what /dev/mail shows).
 */
import nodemailer from "nodemailer";
import type { Sql } from "../db/connect.ts";
import type { Logger } from "../lib/log.ts";
import type { RenderedEmail } from "./template.tsx";

export interface OutboxMail {
  id: number;
  to_address: string;
  subject: string;
  html: string;
  text: string;
  kind: string;
  created_at: Date;
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
}

/**
 * Mail whose body holds a secret link (reset, invite, verify, "this wasn't me"): once delivered,
 * the outbox keeps only who got what kind and when, so old links cannot be read back.
 */
export const SECURITY_MAIL_KINDS = [
  "reset_password",
  "invite",
  "verify_email",
  "login_alert",
] as const;

/** Attempts before a message is given up on (backoff doubles from 30 s). */
export const MAX_ATTEMPTS = 6;

const waiters = new Set<() => void>();

/** Queues an email; resolves with its outbox id once stored. */
export async function sendMail(
  sql: Sql,
  input: { to: string; kind: string; message: RenderedEmail; headers?: Record<string, string> },
): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into email_outbox (to_address, subject, html, text, kind, headers)
    values (${input.to}, ${input.message.subject}, ${input.message.html}, ${input.message.text},
            ${input.kind}, ${sql.json(input.headers ?? {})})
    returning id`;
  for (const wake of waiters) wake();
  return row.id;
}

/** Recent outbox mail, newest first; `to` limits it to one address. */
export function listOutbox(sql: Sql, opts: { to?: string; limit?: number } = {}) {
  const limit = opts.limit ?? 50;
  return sql<OutboxMail[]>`
    select id, to_address, subject, html, text, kind, created_at, sent_at, attempts, last_error
    from email_outbox
    ${opts.to ? sql`where lower(to_address) = ${opts.to.toLowerCase()}` : sql``}
    order by id desc limit ${limit}`;
}

/** One outbox message, optionally only when addressed to `to`. */
export async function findOutboxMail(
  sql: Sql,
  id: number,
  to?: string,
): Promise<OutboxMail | null> {
  if (!Number.isSafeInteger(id)) return null;
  const [row] = await sql<OutboxMail[]>`
    select id, to_address, subject, html, text, kind, created_at, sent_at, attempts, last_error
    from email_outbox where id = ${id}
    ${to ? sql`and lower(to_address) = ${to.toLowerCase()}` : sql``}`;
  return row ?? null;
}

export interface MailDelivery {
  /** Sends whatever is due now; answers how many were sent. */
  deliverDue(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts delivering outbox mail over SMTP. Rows are claimed with SKIP LOCKED and pushed into the
 * future before sending, so several instances never send one message twice.
 */
export function startMailDelivery(
  sql: Sql,
  opts: { smtpUrl: string; from: string; log: Logger; intervalMs?: number },
): MailDelivery {
  const transport = nodemailer.createTransport(opts.smtpUrl);
  let stopped = false;
  let running: Promise<number> | null = null;

  const deliverDue = async (): Promise<number> => {
    const claimed = await sql<(OutboxMail & { headers: Record<string, string> })[]>`
      update email_outbox
      set attempts = attempts + 1,
          next_attempt_at = now() + make_interval(secs => 30 * power(2, attempts))
      where id in (
        select id from email_outbox
        where sent_at is null and attempts < ${MAX_ATTEMPTS} and next_attempt_at <= now()
        order by id limit 20 for update skip locked)
      returning id, to_address, subject, html, text, kind, created_at, sent_at, attempts,
                last_error, headers`;
    let sent = 0;
    for (const mail of claimed) {
      try {
        await transport.sendMail({
          from: opts.from,
          to: mail.to_address,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          headers: mail.headers ?? {},
        });
        const purge = (SECURITY_MAIL_KINDS as readonly string[]).includes(mail.kind);
        await sql`
          update email_outbox set sent_at = now(), last_error = null
            ${purge ? sql`, html = '', text = ''` : sql``}
          where id = ${mail.id}`;
        sent++;
      } catch (e) {
        const error = (e as Error).message.slice(0, 500);
        opts.log.warn("mail delivery failed", { id: mail.id, attempts: mail.attempts, error });
        await sql`update email_outbox set last_error = ${error} where id = ${mail.id}`;
      }
    }
    return sent;
  };

  const once = () => {
    if (stopped || running) return;
    running = deliverDue().catch((e) => {
      opts.log.error("mail delivery loop failed", { error: e });
      return 0;
    }).finally(() => running = null);
  };
  const timer = setInterval(once, opts.intervalMs ?? 5000);
  const wake = () => queueMicrotask(once);
  waiters.add(wake);
  once();

  return {
    deliverDue: async () => {
      while (running) await running;
      return await deliverDue();
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      waiters.delete(wake);
      if (running) await running;
      transport.close();
    },
  };
}
