import assert from "node:assert/strict";
import { clientIpOf } from "./client_ip.ts";

const headers = (init: Record<string, string>) => new Headers(init);

Deno.test("without TRUST_PROXY the socket's peer is the client, whatever the headers say", () => {
  const h = headers({ "x-forwarded-for": "1.1.1.1", "x-real-ip": "2.2.2.2" });
  assert.equal(clientIpOf(h, "10.0.0.1", { trustProxy: false, hops: 1 }), "10.0.0.1");
});

Deno.test("behind one proxy the client is the address that proxy appended, not one sent to it", () => {
  const trust = { trustProxy: true, hops: 1 };
  assert.equal(
    clientIpOf(headers({ "x-forwarded-for": "203.0.113.9" }), "10.0.0.1", trust),
    "203.0.113.9",
  );
  // A client that sends its own X-Forwarded-For gets the proxy's entry appended to it.
  const spoofed = headers({ "x-forwarded-for": "6.6.6.6, 7.7.7.7 ,203.0.113.9" });
  assert.equal(clientIpOf(spoofed, "10.0.0.1", trust), "203.0.113.9");
});

Deno.test("behind several proxies the client is the right-most address they did not add", () => {
  const h = headers({ "x-forwarded-for": "6.6.6.6, 203.0.113.9, 198.51.100.7" });
  assert.equal(clientIpOf(h, "10.0.0.1", { trustProxy: true, hops: 2 }), "203.0.113.9");
  // Fewer entries than hops: the furthest address known.
  assert.equal(
    clientIpOf(headers({ "x-forwarded-for": "203.0.113.9" }), "10.0.0.1", {
      trustProxy: true,
      hops: 3,
    }),
    "203.0.113.9",
  );
  // Repeated headers are one list.
  const repeated = new Headers();
  repeated.append("x-forwarded-for", "6.6.6.6");
  repeated.append("x-forwarded-for", "203.0.113.9");
  assert.equal(clientIpOf(repeated, "10.0.0.1", { trustProxy: true, hops: 1 }), "203.0.113.9");
});

Deno.test("a proxy that sends no X-Forwarded-For leaves X-Real-IP or the peer", () => {
  const trust = { trustProxy: true, hops: 1 };
  assert.equal(
    clientIpOf(headers({ "x-real-ip": " 203.0.113.9 " }), "10.0.0.1", trust),
    "203.0.113.9",
  );
  assert.equal(clientIpOf(headers({ "x-forwarded-for": " , " }), "10.0.0.1", trust), "10.0.0.1");
  assert.equal(clientIpOf(headers({}), "10.0.0.1", trust), "10.0.0.1");
});
