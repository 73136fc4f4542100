import assert from "node:assert/strict";
import { io as connectSocket } from "socket.io-client";
import { startTestApp } from "../testing/app.ts";
import { manifest } from "./assets.ts";
import { csrfToken } from "./middleware/csrf.ts";
import { Invalid } from "../lib/errors.ts";

Deno.test("hashed bundles are cached for a year and gzipped; unchanged files answer 304", async () => {
  const app = await startTestApp();
  try {
    const css = manifest().css;
    const res = await app.fetch(css, { headers: { "accept-encoding": "gzip" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.match(res.headers.get("content-type") ?? "", /text\/css/);
    await res.body?.cancel();
    const again = await app.fetch(css, { headers: { "if-none-match": res.headers.get("etag")! } });
    assert.equal(again.status, 304);
    const icon = await app.fetch("/static/favicon.svg");
    assert.equal(icon.headers.get("cache-control"), "public, max-age=3600");
    await icon.body?.cancel();
    const escape = await app.fetch("/static/../deno.json");
    assert.equal(escape.status, 404);
    await escape.body?.cancel();
  } finally {
    await app.stop();
  }
});

Deno.test("errors are a friendly page for people and JSON for the API, never a stack trace", async () => {
  const app = await startTestApp({
    extraRoutes: (a) => {
      a.get("/t/boom", () => {
        throw new Error("secret internals at line 42");
      });
      a.get("/api/t/invalid", () => {
        throw new Invalid("domain", "Please enter your site's domain, like example.com.");
      });
    },
  });
  try {
    const page = await app.fetch("/no/such/page");
    assert.equal(page.status, 404);
    const html = await page.text();
    assert.match(html, /Page not found/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self' 'nonce-/);

    const api = await app.fetch("/api/no/such/thing");
    assert.equal(api.status, 404);
    assert.deepEqual(await api.json(), { error: "We couldn't find that page.", code: "not_found" });

    const boom = await app.fetch("/t/boom");
    assert.equal(boom.status, 500);
    const boomHtml = await boom.text();
    assert.match(boomHtml, /Something went wrong/);
    assert.doesNotMatch(boomHtml, /secret internals|line 42|at /);

    const invalid = await app.fetch("/api/t/invalid");
    assert.equal(invalid.status, 400);
    assert.deepEqual(await invalid.json(), {
      error: "Please enter your site's domain, like example.com.",
      code: "invalid",
      field: "domain",
    });
  } finally {
    await app.stop();
  }
});

Deno.test("every request is logged as one JSON line without the client's address", async () => {
  const lines: string[] = [];
  const app = await startTestApp({ logSink: (l) => lines.push(l) });
  try {
    await (await app.fetch("/login?utm_source=secret-query")).body?.cancel();
    const entry = lines.map((l) => JSON.parse(l)).find((e) =>
      e.msg === "request" && e.path === "/login"
    );
    assert.ok(entry, "a request line was written");
    assert.equal(entry.method, "GET");
    assert.equal(entry.status, 200);
    assert.equal(typeof entry.ms, "number");
    assert.ok(!lines.some((l) => l.includes("127.0.0.1") || l.includes("secret-query")));
  } finally {
    await app.stop();
  }
});

Deno.test("state-changing form posts need the CSRF token of the visitor's session", async () => {
  const app = await startTestApp({
    extraRoutes: (a) => {
      a.get("/t/form", async (c) => c.text(await csrfToken(c)));
      a.post("/t/form", (c) => c.text("saved"));
    },
  });
  try {
    const get = await app.fetch("/t/form");
    const token = await get.text();
    const cookie = get.headers.get("set-cookie")!.split(";")[0];
    const post = (body: string, headers: Record<string, string> = {}) =>
      app.fetch("/t/form", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...headers },
        body,
      });
    const ok = await post(`_csrf=${encodeURIComponent(token)}`);
    assert.equal(await ok.text(), "saved");
    const missing = await post("");
    assert.equal(missing.status, 403);
    assert.match(await missing.text(), /Please reload the page and try again/);
    const forged = await post(`_csrf=${encodeURIComponent(token)}`, {
      origin: "https://evil.example",
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();
    const viaHeader = await app.fetch("/t/form", {
      method: "POST",
      headers: { cookie, "x-csrf-token": token },
    });
    assert.equal(await viaHeader.text(), "saved");
  } finally {
    await app.stop();
  }
});

for (const transport of ["websocket", "polling"] as const) {
  Deno.test(`Socket.IO is reachable on the public port (${transport}) with the visitor's cookie`, async () => {
    const app = await startTestApp();
    app.ctx.io!.of("/t").on("connection", (socket) => {
      socket.emit("hello", { cookie: socket.handshake.headers.cookie ?? "" });
      socket.on("echo", (m, ack) => ack(m));
    });
    const client = connectSocket(`${app.url}/t`, {
      transports: [transport],
      extraHeaders: { cookie: "sextant_session=abc" },
      reconnection: false,
    });
    try {
      const hello = await new Promise<{ cookie: string }>((resolve, reject) => {
        client.once("hello", resolve);
        client.once("connect_error", reject);
      });
      assert.equal(hello.cookie, "sextant_session=abc");
      const echoed = await client.timeout(2000).emitWithAck("echo", { big: "x".repeat(100_000) });
      assert.equal(echoed.big.length, 100_000);
    } finally {
      client.close();
      await app.stop();
    }
  });
}

Deno.test("with an https PUBLIC_URL every answer carries HSTS; with http none does", async () => {
  const app = await startTestApp();
  try {
    const paths = ["/healthz", "/login", "/no/such/page", "/s.js"];
    const hsts = async (path: string, init?: RequestInit) => {
      const res = await app.fetch(path, init);
      await res.body?.cancel();
      return res.headers.get("strict-transport-security");
    };
    const collect = { method: "POST", body: "{}" };
    for (const p of paths) assert.equal(await hsts(p), null, p);
    assert.equal(await hsts("/api/collect", collect), null);
    // Tests serve plain HTTP on loopback; the setting is what a TLS-terminating proxy implies.
    app.ctx.config.PUBLIC_URL = "https://analytics.example";
    for (const p of paths) {
      assert.equal(await hsts(p), "max-age=31536000; includeSubDomains", p);
    }
    assert.equal(await hsts("/api/collect", collect), "max-age=31536000; includeSubDomains");
    assert.equal(
      await hsts("/api/collect", { method: "OPTIONS" }),
      "max-age=31536000; includeSubDomains",
    );
  } finally {
    await app.stop();
  }
});
