import assert from "node:assert/strict";
import { checkOutboundUrl, guardedFetch, isPrivateAddress, OutboundRefused } from "./outbound.ts";

Deno.test("private, loopback, link-local and metadata addresses are private; public ones aren't", () => {
  const privates = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "fc00::abcd",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:7f00:1",
    "64:ff9b::a00:1",
    "[::1]",
    "not-an-ip",
    "1.2.3",
    "300.1.1.1",
  ];
  const publics = [
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
  ];
  for (const ip of privates) assert.equal(isPrivateAddress(ip), true, ip);
  for (const ip of publics) assert.equal(isPrivateAddress(ip), false, ip);
});

Deno.test("only http(s) URLs to public hosts pass the check", async () => {
  for (
    const url of [
      "file:///etc/passwd",
      "ftp://example.com/",
      "javascript:alert(1)",
      "not a url",
      "http://127.0.0.1:5432/",
      "http://localhost/",
      "http://[::1]/",
      "http://169.254.169.254/latest/meta-data/",
      "http://0x7f000001/",
    ]
  ) {
    await assert.rejects(() => checkOutboundUrl(url), OutboundRefused, url);
  }
  assert.equal((await checkOutboundUrl("http://93.184.215.14/x")).pathname, "/x");
  assert.equal((await checkOutboundUrl("http://127.0.0.1/", { allowPrivate: true })).port, "");
});

Deno.test("a redirect to a private address is refused, hop by hop", async () => {
  const ac = new AbortController();
  const server = Deno.serve({ port: 0, signal: ac.signal, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/to-metadata") {
      return new Response(null, {
        status: 302,
        headers: { location: "http://169.254.169.254/latest/meta-data/" },
      });
    }
    if (path === "/loop") {
      return new Response(null, { status: 302, headers: { location: "/loop" } });
    }
    return new Response("hello");
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await assert.rejects(() => guardedFetch(`${base}/ok`), OutboundRefused);
    // The test server itself is allowed; the hop it redirects to is checked on its own.
    const allowHosts = [`127.0.0.1:${server.addr.port}`];
    assert.equal(await (await guardedFetch(`${base}/ok`, {}, { allowHosts })).text(), "hello");
    await assert.rejects(
      () => guardedFetch(`${base}/to-metadata`, {}, { allowHosts }),
      /private or local network/,
    );
    const ok = await guardedFetch(`${base}/ok`, {}, { allowPrivate: true });
    assert.equal(await ok.text(), "hello");
    await assert.rejects(
      () => guardedFetch(`${base}/loop`, {}, { allowPrivate: true, maxRedirects: 2 }),
      /redirected too many times/,
    );
  } finally {
    ac.abort();
    await server.finished;
  }
});
