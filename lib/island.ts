/**
 * Islands: the few interactive components hydrated in the browser. An island module's default
 * export is `island("Name", Component)`. On the server that renders the component inside a
 * marker carrying its props and records that the page needs the island's script; in the
 * browser it is the component itself, which the runtime hydrates into the marker.
 */
import { type ComponentType, h, type VNode } from "preact";

let collecting: Set<string> | null = null;

/** Wraps a component as the island called `name` (must match its file name in islands/). */
export function island<P extends object>(name: string, Component: ComponentType<P>) {
  if (typeof document !== "undefined") return Component;
  const Island = (props: P): VNode<unknown> => {
    collecting?.add(name);
    const marker = { "data-island": name, "data-props": JSON.stringify(props) };
    return h("div", { ...marker, style: "display:contents" }, h(Component, props)) as VNode<
      unknown
    >;
  };
  Island.displayName = `Island(${name})`;
  return Island;
}

/** Runs a synchronous render and returns its result with the islands it used. */
export function collectIslands<T>(render: () => T): { result: T; islands: string[] } {
  const previous = collecting;
  collecting = new Set();
  try {
    const result = render();
    return { result, islands: [...collecting] };
  } finally {
    collecting = previous;
  }
}
