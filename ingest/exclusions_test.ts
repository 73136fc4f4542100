import assert from "node:assert/strict";
import { ipMatcher, pathMatcher } from "./exclusions.ts";
import { isBotUserAgent } from "./bots.ts";
import { isDatacenterIp, warmDatacenters } from "./datacenter.ts";
import { runPipeline } from "./pipeline.ts";
import { pipelineDeps, siteFixture, trackerRequest } from "./test_support.ts";
import type { Site } from "../accounts/sites.ts";

const deps = (site: Site) => pipelineDeps(site);
const pv = (path = "/") => ({ t: "pageview", u: `https://example.com${path}` });

Deno.test("IP rules match single addresses and IPv4 ranges", () => {
  assert.ok(ipMatcher("203.0.113.7")("203.0.113.7"));
  assert.ok(!ipMatcher("203.0.113.7")("203.0.113.8"));
  assert.ok(ipMatcher("203.0.113.0/24")("203.0.113.250"));
  assert.ok(!ipMatcher("203.0.113.0/24")("203.0.114.1"));
  assert.ok(ipMatcher("2001:db8::1")("2001:DB8::1"));
});

Deno.test("path rules: * stays within a segment, ** crosses them", () => {
  assert.ok(pathMatcher("/admin/*")("/admin/users"));
  assert.ok(!pathMatcher("/admin/*")("/admin/users/1"));
  assert.ok(pathMatcher("/admin/**")("/admin/users/1"));
  assert.ok(pathMatcher("/preview")("/preview"));
  assert.ok(!pathMatcher("/preview")("/preview-2"));
  assert.ok(pathMatcher("/docs/(draft)")("/docs/(draft)"), "regex characters are literal");
});

Deno.test("excluded IPs and paths, DNT and disabled heatmaps are dropped and counted by reason", async () => {
  const site = siteFixture({
    excluded_ips: ["203.0.113.0/24"],
    excluded_paths: ["/admin/**"],
    respect_dnt: true,
  });
  let out = await runPipeline(trackerRequest(site, [pv()], { ip: "203.0.113.9" }), deps(site));
  assert.deepEqual([out.events.length, out.drops], [0, { excluded_ip: 1 }]);
  out = await runPipeline(trackerRequest(site, [pv("/admin/a/b"), pv("/")]), deps(site));
  assert.deepEqual([out.events.length, out.drops], [1, { excluded_path: 1 }]);
  out = await runPipeline(trackerRequest(site, [pv()], { extra: { d: 1 } }), deps(site));
  assert.deepEqual(out.drops, { dnt: 1 });
  const click = { t: "click", u: "https://example.com/", x: 1, y: 2, w: 1200, sel: "a" };
  out = await runPipeline(trackerRequest(site, [click]), deps(site));
  assert.deepEqual(out.drops, { heatmaps_off: 1 });
  // Without respect_dnt the signal is recorded nowhere and the visit counts.
  const open = siteFixture();
  out = await runPipeline(trackerRequest(open, [pv()], { extra: { d: 1 } }), deps(open));
  assert.equal(out.events.length, 1);
});

Deno.test("bots, headless browsers and automated browsers are dropped", async () => {
  const site = siteFixture();
  const bots = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
    "curl/8.5.0",
    "python-requests/2.32.0",
  ];
  for (const ua of bots) {
    assert.ok(isBotUserAgent(ua), ua);
    const out = await runPipeline(trackerRequest(site, [pv()], { ua }), deps(site));
    assert.deepEqual(out.drops, { bot: 1 }, ua);
  }
  let out = await runPipeline(trackerRequest(site, [pv()], { ua: "" }), deps(site));
  assert.deepEqual(out.drops, { bot: 1 });
  out = await runPipeline(trackerRequest(site, [pv()], { extra: { b: 1 } }), deps(site));
  assert.deepEqual(out.drops, { automation: 1 });
});

Deno.test("browsers in cloud datacenters are dropped; homes, offices and phones are not", async () => {
  assert.ok(await warmDatacenters() > 1000);
  assert.ok(isDatacenterIp("3.5.140.2"), "AWS");
  assert.ok(isDatacenterIp("34.102.136.180"), "Google Cloud");
  assert.ok(isDatacenterIp("138.68.1.1"), "DigitalOcean");
  assert.ok(!isDatacenterIp("81.2.69.142"));
  assert.ok(!isDatacenterIp("2a02:ff0::1"));
  const site = siteFixture();
  let out = await runPipeline(trackerRequest(site, [pv()], { ip: "3.5.140.2" }), deps(site));
  assert.deepEqual(out.drops, { datacenter: 1 });
  out = await runPipeline(trackerRequest(site, [pv()], { ip: "81.2.69.142" }), deps(site));
  assert.equal(out.events.length, 1);
});
