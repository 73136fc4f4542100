/** Realistic tracker requests for the ingest benchmark: browsers, referrers, campaigns, batches. */

const UAS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
  "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
];
const REFERRERS = [
  "",
  "",
  "https://www.google.com/",
  "https://t.co/abc",
  "https://www.youtube.com/",
  "https://news.ycombinator.com/",
  "android-app://com.google.android.gm/",
];
const LANDINGS = [
  "/",
  "/pricing",
  "/blog/how-we-grew?utm_source=youtube&utm_medium=video&utm_campaign=launch",
  "/course?utm_source=newsletter&utm_medium=email",
  "/?gclid=abc123",
  "/docs/getting-started",
];

/** A deterministic pseudo-random sequence, so runs are comparable. */
function rng(seed: number) {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** `count` collect requests as autocannon takes them: method, path, headers, body. */
export function collectRequests(publicId: string, host: string, count: number) {
  const rand = rng(42);
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)];
  const ip = () => {
    let a = 2 + Math.floor(rand() * 220);
    if (a === 10 || a === 127 || a === 172 || a === 192) a++;
    return `${a}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${
      1 + Math.floor(rand() * 250)
    }`;
  };
  const out = [];
  for (let i = 0; i < count; i++) {
    const page = pick(LANDINGS);
    const url = `https://${host}${page}`;
    const e: Array<Record<string, unknown>> = [];
    const r = rand();
    if (r < 0.25) e.push({ t: "engagement", u: `https://${host}/`, em: 12000, sd: 60, a: 400 });
    e.push({ t: "pageview", u: url, r: pick(REFERRERS), ti: "Sextant demo page" });
    if (r > 0.85) e.push({ t: "event", u: url, n: "Signup", p: { plan: "pro" } });
    if (r > 0.95) e.push({ t: "outbound", u: url, n: "https://partner.example.org/" });
    out.push({
      method: "POST",
      path: "/api/collect",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        "user-agent": pick(UAS),
        origin: `https://${host}`,
        "x-forwarded-for": ip(),
      },
      body: JSON.stringify({
        s: publicId,
        v: `bench-visitor-${Math.floor(rand() * 20000)}`,
        sc: "1920x1080",
        l: "en-US",
        z: "Europe/Berlin",
        d: 0,
        b: 0,
        hm: 0,
        e,
      }),
    });
  }
  return out;
}
