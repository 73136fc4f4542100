/**
 * Socket.IO runs on Node's http module, which is slow under Deno, so it listens on an internal
 * loopback port and the public Deno.serve listener bridges /socket.io/ to it: long-polling by
 * fetch, WebSockets frame by frame. Users see one port.
 */
import { createServer, type Server as HttpServer } from "node:http";
import { Server as SocketServer } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { redisReady } from "../bus/redis.ts";

export interface SocketHost {
  io: SocketServer;
  port: number;
  /** Forwards one /socket.io/ request (polling or WebSocket upgrade) to the internal server. */
  bridge(req: Request, clientIp: string): Promise<Response> | Response;
  close(): Promise<void>;
}

export interface SocketHostOptions {
  /** With Redis, instances share rooms through the Redis adapter (broadcasts reach them all). */
  redisUrl?: string;
  /** Namespaces the adapter's channels, like the bus prefix. */
  prefix?: string;
}

/** Starts Socket.IO on 127.0.0.1 with a free port. */
export async function startSocketHost(opts: SocketHostOptions = {}): Promise<SocketHost> {
  const http: HttpServer = createServer();
  const io = new SocketServer(http, {
    path: "/socket.io/",
    serveClient: false,
    transports: ["websocket", "polling"],
    pingInterval: 20_000,
    pingTimeout: 20_000,
  });
  const adapterClients: Redis[] = [];
  if (opts.redisUrl) {
    const pub = new Redis(opts.redisUrl, { maxRetriesPerRequest: 1 });
    const sub = pub.duplicate();
    // Drops are retried by ioredis; the bus reports Redis health through /healthz.
    pub.on("error", () => {});
    sub.on("error", () => {});
    adapterClients.push(pub, sub);
    // The adapter subscribes as it is built and nothing handles that promise: issued before the
    // connection is up, it waits in the offline queue, and a Redis outage right then rejects it
    // unhandled, which ends the process. Built on ready connections, it subscribes at once.
    await Promise.all([redisReady(pub), redisReady(sub)]);
    io.adapter(createAdapter(pub, sub, { key: `${opts.prefix ?? "sextant:"}socket.io` }));
  }
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", () => resolve()));
  const port = (http.address() as { port: number }).port;
  const open = new Set<WebSocket>();

  const forwardHeaders = (req: Request, clientIp: string) => {
    const h = new Headers();
    for (const name of ["cookie", "user-agent", "accept-language", "origin", "content-type"]) {
      const v = req.headers.get(name);
      if (v) h.set(name, v);
    }
    if (clientIp) h.set("x-forwarded-for", clientIp);
    // The handshake compares Origin with the host the browser actually spoke to.
    const host = req.headers.get("host");
    if (host) h.set("x-forwarded-host", host);
    return h;
  };

  return {
    io,
    port,
    bridge(req, clientIp) {
      const url = new URL(req.url);
      const target = `127.0.0.1:${port}${url.pathname}${url.search}`;
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        const headers = forwardHeaders(req, clientIp);
        const { socket: client, response } = Deno.upgradeWebSocket(req);
        const upstream = new WebSocket(`ws://${target}`, {
          headers: Object.fromEntries(headers),
        } as unknown as string[]);
        upstream.binaryType = "arraybuffer";
        client.binaryType = "arraybuffer";
        const early: Array<string | ArrayBuffer> = [];
        open.add(client);
        client.onmessage = (e) => {
          if (upstream.readyState === WebSocket.OPEN) upstream.send(e.data);
          else early.push(e.data);
        };
        upstream.onopen = () => {
          for (const m of early.splice(0)) upstream.send(m);
        };
        upstream.onmessage = (e) => {
          if (client.readyState === WebSocket.OPEN) client.send(e.data);
        };
        const closeBoth = () => {
          open.delete(client);
          if (client.readyState <= WebSocket.OPEN) client.close();
          if (upstream.readyState <= WebSocket.OPEN) upstream.close();
        };
        client.onclose = closeBoth;
        client.onerror = closeBoth;
        upstream.onclose = closeBoth;
        upstream.onerror = closeBoth;
        return response;
      }
      return fetch(`http://${target}`, {
        method: req.method,
        headers: forwardHeaders(req, clientIp),
        body: req.method === "GET" || req.method === "HEAD" ? undefined : req.body,
      }).then((res) => new Response(res.body, { status: res.status, headers: res.headers }));
    },
    async close() {
      for (const ws of open) ws.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      for (const c of adapterClients) c.disconnect();
    },
  };
}
