/** Small shared pieces of the live islands: the connection line and "just arrived" marks. */
import { useRef, useState } from "preact/hooks";
import type { LiveStatus } from "./connection.ts";

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  denied: "Not available",
};

/** "Live", "Reconnecting…" or the reason the feed stopped. */
export function LiveStatusLine(props: { status: LiveStatus; message: string }) {
  const problem = props.status === "denied" || props.status === "reconnecting";
  return (
    <p class={`live-status ${props.status}`} role={problem ? "status" : undefined}>
      {problem && props.message ? props.message : STATUS_TEXT[props.status]}
    </p>
  );
}

/** Ids marked as new for `ms` (to highlight rows that just slid in). */
export function useFresh(ms: number) {
  const [ids, setIds] = useState<Set<string>>(() => new Set());
  const api = useRef({
    ids,
    add(list: string[]) {
      if (list.length === 0) return;
      setIds((s) => new Set([...s, ...list]));
      setTimeout(() => {
        setIds((s) => {
          const next = new Set(s);
          for (const id of list) next.delete(id);
          return next;
        });
      }, ms);
    },
  });
  api.current.ids = ids;
  return api.current;
}
