/**
 * The heatmap module (served at /s/heatmap.js, loaded by snippets with data-heatmaps): sends,
 * through the core tracker's batch,
 * - each click: document coordinates, viewport width, document height, the offset inside the
 *   clicked element and a short CSS selector, flagged rage (3+ clicks within 1 s and 30 px),
 *   dead (a non-interactive element, and within 1 s no DOM change around it, no focus change,
 *   no navigation) or error (an uncaught error within 1 s) — so each click leaves after 1 s;
 * - pointer movement sampled every 100 ms, in batches, at most 500 samples a page view;
 * - per page view, the deepest scroll (percent of the document) and the time each tenth of the
 *   document spent in view (attention), sent as deltas when the page is hidden or left.
 * It reads no text and no input values. Budget: 1.5 KB gzipped (tracker/size_test.ts).
 */
// deno-lint-ignore-file no-explicit-any
((w: any, d: Document) => {
  const sx = w.sextant;
  if (!sx || !sx.p || sx.h) return;
  sx.h = 1;
  const loc = location;
  const now = Date.now;
  const de = d.documentElement;
  const BANDS = 10;
  const INTERACTIVE =
    "a,button,input,select,textarea,label,summary,[onclick],[role=button],[role=link],[tabindex],[contenteditable]";
  interface Pending {
    e: Record<string, any>;
    el: Element;
    t: number;
    cx: number;
    cy: number;
    /** Something happened after the click: it is not dead. */
    ok?: number;
  }
  let pending: Pending[] = [];
  let url = "";
  let pv = "";
  let moves: number[] = [];
  let moved = 0;
  let lastMove = 0;
  let depth = 0;
  let att: number[] = [];

  const safe = (f: (e?: any) => void) => (e?: any) => {
    try {
      f(e);
    } catch {
      // Never throw into the host page.
    }
  };
  const on = (t: EventTarget, n: string, f: (e: any) => void) =>
    t.addEventListener(n, safe(f), { capture: true, passive: true } as any);
  const height = () => Math.max(de.scrollHeight, d.body ? d.body.scrollHeight : 0);
  const base = (k?: string) => ({ t: "click", k, u: url, pv, w: w.innerWidth, h: height() });
  const r = Math.round;

  // tag#id, or tag.class.class:nth-of-type(n), up to four levels: stable enough to group by.
  function selector(el: Element | null): string {
    const parts: string[] = [];
    for (let i = 0; el && el.nodeType === 1 && i < 4; i++, el = el.parentElement) {
      let part = el.tagName.toLowerCase();
      if (el.id) {
        parts.unshift(part + "#" + el.id);
        break;
      }
      const classes = (el.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean);
      if (classes.length) part += "." + classes.slice(0, 2).join(".");
      const parent = el.parentElement;
      if (parent) {
        const same = Array.from(parent.children).filter((c) => c.tagName === el!.tagName);
        if (same.length > 1) part += ":nth-of-type(" + (same.indexOf(el) + 1) + ")";
      }
      parts.unshift(part);
    }
    return parts.join(">");
  }

  function scrolled() {
    const h = height();
    depth = Math.max(depth, h ? Math.min(100, r(((w.scrollY + w.innerHeight) / h) * 100)) : 100);
  }

  // Sends what this page view gathered; `last` sends the batch at once (the page is going).
  function flush(last?: number) {
    // Leaving the page within a second of a click is something happening: not dead.
    for (const p of pending) (p.ok = 1), send(p);
    pending = [];
    if (moves.length) sx.p({ ...base("m"), m: moves });
    moves = [];
    scrolled();
    // Attention goes as deltas (seconds per tenth); the depth is the page view's deepest yet.
    if (last || att.length) sx.p({ ...base("s"), sd: depth, at: att }, last ? 0 : undefined);
    att = [];
  }

  // A new page view (first load or a single-page-app navigation) starts afresh.
  function current() {
    if (url === loc.href.split("#")[0]) return;
    if (url) flush();
    url = loc.href.split("#")[0];
    pv = now().toString(36) + Math.random().toString(36).slice(2, 6);
    moved = depth = 0;
    scrolled();
  }

  function send(p: Pending) {
    p.e.f |= !p.ok && !p.el.closest(INTERACTIVE) ? 2 : 0;
    sx.p(p.e);
  }

  on(d, "click", (ev: MouseEvent) => {
    current();
    const el = ev.target as Element;
    const box = el.getBoundingClientRect();
    const t = now();
    const p: Pending = {
      e: {
        ...base(),
        x: Math.max(0, r(ev.pageX)),
        y: Math.max(0, r(ev.pageY)),
        ex: Math.max(0, r(ev.clientX - box.left)),
        ey: Math.max(0, r(ev.clientY - box.top)),
        sel: selector(el),
        f: 0,
      },
      el,
      t,
      cx: ev.clientX,
      cy: ev.clientY,
    };
    const near = pending.filter((q) =>
      t - q.t < 1000 && Math.abs(q.cx - p.cx) < 30 && Math.abs(q.cy - p.cy) < 30
    );
    near.push(p);
    if (near.length > 2) { for (const q of near) q.e.f |= 1; }
    pending.push(p);
    const focused = d.activeElement;
    const href = loc.href;
    setTimeout(
      safe(() => {
        if (pending.indexOf(p) < 0) return;
        pending.splice(pending.indexOf(p), 1);
        if (d.activeElement !== focused || loc.href !== href) p.ok = 1;
        send(p);
      }),
      1000,
    );
  });

  new MutationObserver(safe((list: MutationRecord[]) => {
    for (const m of list) {
      for (const p of pending) {
        if (m.target.contains(p.el) || p.el.contains(m.target)) p.ok = 1;
      }
    }
  })).observe(d, { subtree: true, childList: true, attributes: true, characterData: true });

  on(w, "error", () => {
    for (const p of pending) p.e.f |= 4;
  });

  on(d, "mousemove", (ev: MouseEvent) => {
    const t = now();
    if (t - lastMove < 100 || moved >= 500) return;
    current();
    lastMove = t;
    moved++;
    moves.push(r(ev.pageX), r(ev.pageY));
    if (moves.length >= 100) flush();
  });

  on(w, "scroll", scrolled);

  // Attention: once a second, each tenth of the document in view while the tab is visible.
  setInterval(
    safe(() => {
      current();
      if (d.visibilityState !== "visible") return;
      scrolled();
      const h = height() / BANDS;
      const top = w.scrollY;
      for (let i = 0; i < BANDS; i++) {
        att[i] = (att[i] || 0) + (h && (i + 1) * h > top && i * h < top + w.innerHeight ? 1 : 0);
      }
    }),
    1000,
  );

  const hide = () => flush(1);
  on(d, "visibilitychange", () => d.visibilityState === "hidden" && hide());
  on(w, "pagehide", hide);
  safe(current)();
})(window, document);
