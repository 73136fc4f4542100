import assert from "node:assert/strict";
import { parseUserAgent } from "./user_agent.ts";
import { CHROME_UA, IPHONE_UA } from "./test_support.ts";

Deno.test("user agents become browser, OS and device names people recognise", () => {
  assert.deepEqual(parseUserAgent(CHROME_UA), {
    browser: "Chrome",
    browserVersion: "126.0",
    os: "Windows",
    osVersion: "10",
    device: "Desktop",
  });
  const iphone = parseUserAgent(IPHONE_UA);
  assert.deepEqual([iphone.browser, iphone.os, iphone.osVersion, iphone.device], [
    "Safari",
    "iOS",
    "17.4",
    "Mobile",
  ]);
  const ipad = parseUserAgent(
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  );
  assert.equal(ipad.device, "Tablet");
  const mac = parseUserAgent(
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  );
  assert.deepEqual([mac.browser, mac.os, mac.device], ["Safari", "macOS", "Desktop"]);
  const android = parseUserAgent(
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
  );
  assert.deepEqual([android.browser, android.os, android.device], ["Chrome", "Android", "Mobile"]);
  const firefox = parseUserAgent(
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
  );
  assert.deepEqual([firefox.browser, firefox.os, firefox.device], ["Firefox", "Linux", "Desktop"]);
});

Deno.test("the same user agent parses to the same answer (cached)", () => {
  assert.equal(parseUserAgent(CHROME_UA), parseUserAgent(CHROME_UA));
});
