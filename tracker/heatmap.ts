/**
 * The heatmap module (served at /s/heatmap.js for sites with heatmaps on): records each click's
 * document coordinates, the viewport width (layouts change with it) and a short CSS selector of
 * the element, through the core tracker's batch. Budget: 1.5 KB gzipped.
 */
// deno-lint-ignore-file no-explicit-any
((w: any, d: Document) => {
  const sx = w.sextant;
  if (!sx || !sx.p || sx.h) return;
  sx.h = 1;

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

  d.addEventListener("click", (ev: MouseEvent) => {
    try {
      const de = d.documentElement;
      sx.p({
        t: "click",
        x: Math.max(0, Math.round(ev.pageX)),
        y: Math.max(0, Math.round(ev.pageY)),
        w: w.innerWidth,
        h: Math.max(de.scrollHeight, d.body ? d.body.scrollHeight : 0),
        sel: selector(ev.target as Element),
      });
    } catch {
      // Never throw into the host page.
    }
  }, true);
})(window, document);
