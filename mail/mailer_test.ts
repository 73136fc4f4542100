import assert from "node:assert/strict";
import { createTestDatabase } from "../testing/db.ts";
import { smtpSink } from "../testing/smtp.ts";
import { silentLogger } from "../lib/log.ts";
import type { Sql } from "../db/connect.ts";
import { SECURITY_MAIL_KINDS, sendMail, startMailDelivery } from "./mailer.ts";
import { verifyEmailMessage } from "./messages.ts";

/** Delivery to the sink, polled only when a test asks. */
function deliverTo(db: { sql: Sql }, smtp: { url: string }) {
  return startMailDelivery(db.sql, {
    smtpUrl: smtp.url,
    from: "Sextant <no-reply@sextant.test>",
    log: silentLogger,
    intervalMs: 60_000,
  });
}

Deno.test("outbox mail is delivered over SMTP, retried after a failure, and sent once", async () => {
  const db = await createTestDatabase();
  const smtp = await smtpSink({ refuse: true });
  const delivery = deliverTo(db, smtp);
  try {
    const id = await sendMail(db.sql, {
      to: "reader@example.com",
      kind: "verify_email",
      message: verifyEmailMessage("https://sextant.test/verify?token=abc"),
    });
    assert.equal(await delivery.deliverDue(), 0, "the server refused the first attempt");
    let [row] = await db
      .sql`select sent_at, attempts, last_error from email_outbox where id = ${id}`;
    assert.equal(row.sent_at, null);
    assert.equal(row.attempts, 1);
    assert.match(row.last_error, /mailbox busy/);
    smtp.accept();
    assert.equal(await delivery.deliverDue(), 0, "backoff: not due yet");
    await db.sql`update email_outbox set next_attempt_at = now() where id = ${id}`;
    assert.equal(await delivery.deliverDue(), 1);
    assert.equal(await delivery.deliverDue(), 0, "sent once");
    [row] = await db.sql`select sent_at, attempts from email_outbox where id = ${id}`;
    assert.ok(row.sent_at);
    assert.equal(smtp.received.length, 1);
    const raw = smtp.received[0];
    assert.match(raw, /Subject: Confirm your email for Sextant/);
    assert.match(raw, /To: reader@example.com/);
    assert.match(raw, /multipart\/alternative/, "HTML and text parts");
  } finally {
    await delivery.stop();
    await smtp.close();
    await db.close();
  }
});

Deno.test("once delivered, security mail keeps who, what kind and when, but not its links", async () => {
  const db = await createTestDatabase();
  const smtp = await smtpSink({ refuse: true });
  smtp.accept();
  const delivery = deliverTo(db, smtp);
  try {
    const link = "https://sextant.test/password/reset?token=secret-token-123";
    const ids: Record<string, number> = {};
    for (const kind of [...SECURITY_MAIL_KINDS, "integration_alert"]) {
      ids[kind] = await sendMail(db.sql, {
        to: `${kind}@example.com`,
        kind,
        message: kind === "integration_alert"
          ? verifyEmailMessage("https://x.test/")
          : verifyEmailMessage(link),
      });
    }
    while ((await db.sql`select 1 from email_outbox where sent_at is null`).length) {
      await delivery.deliverDue();
    }
    assert.equal(smtp.received.length, SECURITY_MAIL_KINDS.length + 1);
    assert.ok(smtp.received.some((m) => m.includes("secret-token-123")), "the mail itself had it");
    for (const kind of SECURITY_MAIL_KINDS) {
      const [row] = await db.sql`select to_address, kind, sent_at, html, text from email_outbox
        where id = ${ids[kind]}`;
      assert.equal(row.to_address, `${kind}@example.com`);
      assert.equal(row.kind, kind);
      assert.ok(row.sent_at);
      assert.equal(row.html + row.text, "", `${kind} body purged`);
    }
    const [other] = await db.sql`select text from email_outbox where id = ${ids.integration_alert}`;
    assert.ok(other.text.length > 0, "other mail is kept whole");
    const leftovers = await db.sql`select id from email_outbox where text like '%secret-token%'`;
    assert.equal(leftovers.length, 0);
  } finally {
    await delivery.stop();
    await smtp.close();
    await db.close();
  }
});
