/** The public listener: Deno.serve for Hono, with /socket.io/ bridged to the realtime server. */
import type { Hono } from "hono";
import type { AppContext, AppEnv } from "./context.ts";
import type { SocketHost } from "../realtime/socket_server.ts";
import { fastPathFor, fastPathForRawUrl } from "./fast_path.ts";
import { clientIpOf, proxyTrust } from "./client_ip.ts";

export interface HttpServer {
  port: number;
  /** Stops accepting connections and waits for requests in flight. */
  stop(): Promise<void>;
}

/** Starts serving `app` on the configured port (0 picks a free one). */
export function startHttpServer(
  ctx: AppContext,
  app: Hono<AppEnv>,
  sockets: SocketHost | undefined,
  opts: { port: number; hostname: string },
): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve(
        {
          port: opts.port,
          hostname: opts.hostname,
          onListen: (addr) => {
            resolve({
              port: (addr as Deno.NetAddr).port,
              stop: () => server.shutdown(),
            });
          },
          onError: (error) => {
            ctx.log.error("request failed outside the app", { error });
            return new Response("Internal error", { status: 500 });
          },
        },
        (req, info) => {
          const remoteAddr = (info.remoteAddr as Deno.NetAddr).hostname;
          const raw = fastPathForRawUrl(req.url);
          if (raw) return raw(ctx, req, remoteAddr);
          const pathname = new URL(req.url).pathname;
          const fast = fastPathFor(pathname);
          if (fast) return fast(ctx, req, remoteAddr);
          if (sockets && pathname.startsWith("/socket.io/")) {
            return sockets.bridge(req, clientIpOf(req.headers, remoteAddr, proxyTrust(ctx.config)));
          }
          return app.fetch(req, { remoteAddr });
        },
      );
    } catch (e) {
      reject(e);
    }
  });
}
