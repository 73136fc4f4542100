/**
 * The Sextant tracker (served at /s.js). Counts pageviews (including single-page apps),
 * outbound links, downloads, goals, engagement and scroll depth; sends them in small batches
 * with sendBeacon. It must never break the host page: every entry point swallows errors, and
 * when blocked it simply does nothing. Budget: 2 KB gzipped (tracker/size_test.ts).
 */
// deno-lint-ignore-file no-explicit-any
type Ev = Record<string, unknown>;

((w: any, d: Document) => {
  try {
    start();
  } catch {
    // A broken or hostile page must not see an error from us.
  }
  function start() {
    // Tag managers inject the script without currentScript; find it by its attribute then.
    const script = (d.currentScript || d.querySelector("script[data-site]")) as
      | HTMLScriptElement
      | null;
    if (!script || w.sextant?.v) return;
    // Reading localStorage throws where storage is blocked.
    const ls = safe(() => w.localStorage) as Storage | undefined;
    const attr = (n: string) => script.getAttribute("data-" + n);
    const site = attr("site");
    const queued: IArguments[] = (w.sextant && w.sextant.q) || [];
    const nav = navigator as any;
    const loc = location;
    const now = Date.now;
    const api = ((...a: unknown[]) => safe(() => handle(a))) as any;
    api.v = 1;
    let vid = "";
    api.visitorId = () => vid || undefined;
    w.sextant = api;
    if (!site || (ls && ls.sextant_ignore === "1")) return;

    const endpoint = new URL("/api/collect", script.src).href;
    const hashMode = attr("hash") !== null;
    const cookieless = attr("cookieless") !== null;
    const domains = (attr("domains") || "").split(",").map((s) => s.trim()).filter(Boolean);
    let queue: Ev[] = [];
    let timer: any = 0;

    function safe(f: () => unknown) {
      try {
        return f();
      } catch {
        // Never throw into the host page.
      }
    }

    // Visitor id: cookie on the registrable domain (shared by subdomains), mirrored in
    // localStorage; a link from one of the site's other domains may carry it in `_sx`. With
    // data-consent="required" nothing is stored until sextant('consent', true): until then the
    // server counts the visitor with its cookieless daily hash. An id stored earlier (after
    // consent) is used again; sextant('consent', false) deletes it.
    const valid = (x: unknown) => /^[\w-]{8,64}$/.test((x as string) || "");
    const on = (t: EventTarget, n: string, f: (e: any) => void, o?: unknown) =>
      t.addEventListener(n, (e) => safe(() => f(e)), o as boolean);
    const parts = loc.hostname.split(".");
    // Writes (or with v = "" deletes) the cookie from the shortest domain suffix — the
    // registrable domain is the first that accepts it — down to the host alone, stopping once
    // it is set (or gone).
    function setCookie(v: string) {
      for (
        let i = parts.length - 2;
        i >= -1 && (d.cookie.indexOf("sx_id=" + v) < 0) == !!v;
        i--
      ) {
        d.cookie = "sx_id=" + v + ";path=/;samesite=lax;max-age=" + (v ? 4e7 : 0) +
          (i < 0 ? "" : ";domain=" + parts.slice(i).join("."));
      }
    }
    function keep(given?: unknown) {
      if (cookieless) return;
      const params = new URLSearchParams(loc.search);
      const carried = params.get("_sx");
      const fromCookie = (/(?:^|; )sx_id=([\w-]+)/.exec(d.cookie) || [])[1];
      vid = valid(carried) ? carried! : valid(fromCookie) ? fromCookie : (ls && ls.sx_id) as string;
      if (!valid(vid)) {
        if (attr("consent") && !given) return (vid = "");
        vid = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b % 36).toString(36))
          .join("");
      }
      safe(() => ls && (ls.sx_id = vid));
      setCookie(vid);
      if (carried) {
        params.delete("_sx");
        const q = params.toString();
        safe(() =>
          history.replaceState(history.state, "", loc.pathname + (q ? "?" + q : "") + loc.hash)
        );
      }
    }
    function forget() {
      vid = "";
      if (ls) delete ls.sx_id;
      setCookie("");
    }
    keep();

    function send() {
      clearTimeout(timer);
      timer = 0;
      if (!queue.length) return;
      const t = now();
      const body = JSON.stringify({
        s: site,
        v: vid || undefined,
        sc: screen.width + "x" + screen.height,
        l: nav.language,
        z: safe(() => Intl.DateTimeFormat().resolvedOptions().timeZone),
        d: nav.doNotTrack === "1" || nav.globalPrivacyControl ? 1 : 0,
        b: nav.webdriver ? 1 : 0,
        hm: +hashMode,
        e: queue.map((e) => ({ ...e, a: t - (e.a as number) })),
      });
      queue = [];
      safe(() => {
        if (!(nav.sendBeacon && nav.sendBeacon(endpoint, body))) {
          fetch(endpoint, { method: "POST", body, keepalive: true }).catch(() => {});
        }
      });
    }

    // Batches go out within 5 s; page views within half a second (the live view waits for
    // them); goals, links and identify at once, as a navigation may follow.
    function push(e: Ev, soon = 5000) {
      e.u = e.u || loc.href;
      e.a = now();
      queue.push(e);
      if (!soon || queue.length > 20) send();
      else if (!timer || soon < 5000) {
        clearTimeout(timer);
        timer = setTimeout(send, soon);
      }
    }
    api.p = push;

    function handle(a: any[]) {
      const [cmd, x, y] = a;
      if (cmd === "event") push({ t: "event", n: x, p: y });
      else if (cmd === "identify") push({ t: "identify", id: x, p: y }, 0);
      else if (cmd === "revenue") push({ t: "revenue", p: x }, 0);
      else if (cmd === "consent") x ? keep(1) : forget();
    }

    // Engagement on the current page: visible time and the deepest scroll reached.
    let page = "";
    let pageUrl = "";
    let shown = d.visibilityState === "visible" ? now() : 0;
    let engaged = 0;
    let depth = 0;
    function scrolled() {
      const el = d.documentElement;
      const h = Math.max(el.scrollHeight, d.body ? d.body.scrollHeight : 0);
      const seen = w.scrollY + w.innerHeight;
      depth = Math.max(depth, h ? Math.min(100, Math.round((seen / h) * 100)) : 100);
    }
    function flushEngagement(t: number) {
      if (shown) engaged += t - shown;
      shown = d.visibilityState === "visible" ? t : 0;
      if (page && engaged > 500) push({ t: "engagement", u: pageUrl, sd: depth, em: engaged });
      engaged = 0;
    }

    function pageview() {
      const key = loc.pathname + (hashMode ? loc.hash : "");
      if (key === page) return;
      const first = !page;
      flushEngagement(now());
      page = key;
      pageUrl = loc.href;
      depth = 0;
      scrolled();
      push({ t: "pageview", r: first ? d.referrer : undefined, ti: d.title }, 500);
    }

    for (const m of ["pushState", "replaceState"]) {
      const orig = (history as any)[m];
      (history as any)[m] = function (this: History) {
        const r = orig.apply(this, arguments);
        safe(pageview);
        return r;
      };
    }
    on(w, "popstate", pageview);
    if (hashMode) on(w, "hashchange", pageview);
    on(w, "scroll", scrolled, { passive: true });
    const hide = () => (flushEngagement(now()), send());
    on(d, "visibilitychange", () => d.visibilityState === "hidden" ? hide() : (shown = now()));
    on(w, "pagehide", hide);

    const DOWNLOAD =
      /\.(pdf|zip|dmg|exe|msi|pkg|apk|docx?|xlsx?|pptx?|csv|txt|epub|mp[34]|mov|wav|rar|7z|t?gz)$/i;
    on(d, "click", (ev: Event) => {
      const el = ev.target as Element;
      const goal = el.closest && el.closest("[data-sextant-goal]");
      if (goal) push({ t: "event", n: goal.getAttribute("data-sextant-goal") }, 0);
      const a = el.closest && (el.closest("a[href]") as HTMLAnchorElement | null);
      if (!a || !/^https?:/.test(a.protocol)) return;
      if (DOWNLOAD.test(a.pathname)) push({ t: "download", n: a.href }, 0);
      else if (a.host !== loc.host) {
        // Links to the site's other domains carry the visitor id along.
        if (vid && domains.some((dm) => a.hostname === dm || a.hostname.endsWith("." + dm))) {
          a.href = a.href.replace(/(#|$)/, (a.search ? "&" : "?") + "_sx=" + vid + "$1");
        }
        push({ t: "outbound", n: a.href.replace(/[?&]_sx=[\w-]+/, "") }, 0);
      }
    }, true);

    safe(pageview);
    for (const a of queued) safe(() => handle(Array.from(a)));
    // Snippets of sites with heatmaps on carry data-heatmaps; the server still answers with
    // an empty script if they were turned off since. Injected scripts are async already, and
    // public ids need no escaping.
    if (attr("heatmaps") !== null) {
      const hm = d.createElement("script");
      hm.src = new URL("/s/heatmap.js?s=" + site, script.src).href;
      d.head.appendChild(hm);
    }
  }
})(window, document);
