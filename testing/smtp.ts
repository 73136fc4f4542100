/** A real SMTP server for tests: speaks the protocol on a free port and keeps what it receives. */
import { SMTPServer } from "smtp-server";

/** A running sink; `accept()` stops it refusing mail when started with `refuse`. */
export interface SmtpSink {
  url: string;
  /** Raw messages received (headers and MIME body). */
  received: string[];
  accept(): void;
  close(): Promise<void>;
}

/** Starts a sink; with `refuse` it answers every message with a temporary failure until `accept()`. */
export async function smtpSink(opts: { refuse?: boolean } = {}): Promise<SmtpSink> {
  const received: string[] = [];
  let refuse = opts.refuse ?? false;
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

/** A received message's decoded text part (quoted-printable undone), for content checks. */
export function mailText(raw: string): string {
  const part = /Content-Type: text\/plain[^\n]*\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n--/i.exec(
    raw,
  );
  const body = part ? part[1] : raw;
  return body.replace(/=\r?\n/g, "").replace(
    /(?:=[0-9A-F]{2})+/g,
    (m) =>
      new TextDecoder().decode(new Uint8Array(m.slice(1).split("=").map((h) => parseInt(h, 16)))),
  );
}

/** A header of a received message, unfolded (null when absent). */
export function mailHeader(raw: string, name: string): string | null {
  const head = raw.split(/\r?\n\r?\n/, 1)[0].replace(/\r?\n[ \t]+/g, " ");
  const line = head.split(/\r?\n/).find((l) =>
    l.toLowerCase().startsWith(`${name.toLowerCase()}:`)
  );
  return line ? line.slice(name.length + 1).trim() : null;
}

/**
 * Acts as a mail client's one-click unsubscribe (RFC 8058) on a received message: POSTs
 * "List-Unsubscribe=One-Click" to its List-Unsubscribe address, without cookies or CSRF token.
 */
export async function oneClickUnsubscribe(raw: string): Promise<Response> {
  assertOneClick(raw);
  const url = /<(https?:[^>]+)>/.exec(mailHeader(raw, "List-Unsubscribe")!)![1];
  return await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "List-Unsubscribe=One-Click",
  });
}

function assertOneClick(raw: string) {
  if (mailHeader(raw, "List-Unsubscribe-Post") !== "List-Unsubscribe=One-Click") {
    throw new Error("The message has no List-Unsubscribe-Post: List-Unsubscribe=One-Click header");
  }
  if (!/^<https?:[^>]+>$/.test(mailHeader(raw, "List-Unsubscribe") ?? "")) {
    throw new Error("The message has no List-Unsubscribe header with an address");
  }
}
