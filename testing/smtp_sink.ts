/** A real SMTP server on a free port that keeps what it receives, for mail tests. */
import { SMTPServer } from "smtp-server";

/** Starts a sink; it refuses mail until `accept()` (to test retries), unless `accepting`. */
export async function smtpSink(opts: { accepting?: boolean } = {}) {
  const received: string[] = [];
  let refuse = !opts.accepting;
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
