import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import { createTestDatabase } from "../testing/db.ts";
import { silentLogger } from "../lib/log.ts";
import { sendMail, startMailDelivery } from "./mailer.ts";
import { verifyEmailMessage } from "./messages.ts";

/** A real SMTP server on a free port that keeps what it receives. */
async function smtpSink() {
  const received: string[] = [];
  let refuse = true;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, _session, done) {
      let data = "";
      stream.on("data", (c: Uint8Array) => data += new TextDecoder().decode(c));
      stream.on("end", () => {
        if (refuse) return done(new Error("mailbox busy, try later"));
        received.push(data);
        done();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    accept: () => refuse = false,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

Deno.test("outbox mail is delivered over SMTP, retried after a failure, and sent once", async () => {
  const db = await createTestDatabase();
  const smtp = await smtpSink();
  const delivery = startMailDelivery(db.sql, {
    smtpUrl: smtp.url,
    from: "Sextant <no-reply@sextant.test>",
    log: silentLogger,
    intervalMs: 60_000,
  });
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
