/**
 * Older timeline items, loaded as the reader scrolls to the end of the timeline (20 at a time).
 * Without script the "Show older" link opens the next page instead.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { island } from "../lib/island.ts";
import { TimelineEntry } from "../components/TimelineEntry.tsx";
import type { TimelineItem } from "../customers/timeline.ts";

interface Props {
  /** The next page as a link (no script). */
  href: string;
  /** The timeline's JSON, without `before`. */
  api: string;
  next: string;
  currency: string;
  tz: string;
}

function TimelineMore(props: Props) {
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [next, setNext] = useState<string | null>(props.next);
  const [problem, setProblem] = useState("");
  const loading = useRef(false);
  const end = useRef<HTMLAnchorElement>(null);

  const load = async () => {
    if (loading.current || !next) return;
    loading.current = true;
    try {
      const sep = props.api.includes("?") ? "&" : "?";
      const res = await fetch(`${props.api}${sep}before=${encodeURIComponent(next)}`, {
        headers: { accept: "application/json" },
      });
      const page = await res.json();
      if (!res.ok) throw new Error(page.error ?? "failed");
      setItems((old) => [
        ...old,
        ...page.items.map((i: TimelineItem) => ({ ...i, ts: new Date(i.ts) })),
      ]);
      setNext(page.next);
      setProblem("");
    } catch {
      setProblem("Older items could not be loaded; use the link to try again.");
    } finally {
      loading.current = false;
    }
  };

  useEffect(() => {
    const el = end.current;
    if (!el || !next || typeof IntersectionObserver === "undefined") return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) load();
    }, { rootMargin: "200px" });
    seen.observe(el);
    return () => seen.disconnect();
  }, [next, items.length]);

  return (
    <>
      {items.length > 0 && (
        <ol class="timeline timeline-more">
          {items.map((item) => (
            <TimelineEntry key={item.key} item={item} currency={props.currency} tz={props.tz} />
          ))}
        </ol>
      )}
      {problem && <p class="negative small" role="alert">{problem}</p>}
      {next && (
        <a
          ref={end}
          class="button secondary timeline-next"
          href={props.href.replace(/before=[^&#]*/, `before=${encodeURIComponent(next)}`)}
          rel="next"
          onClick={(e) => {
            e.preventDefault();
            load();
          }}
        >
          Show older
        </a>
      )}
    </>
  );
}

export default island("TimelineMore", TimelineMore);
