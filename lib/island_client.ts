/** Browser side of islands: hydrates every marker of an island with its serialized props. */
import { type ComponentType, h, hydrate } from "preact";

/** Hydrates all `[data-island=name]` markers on the page with `Component`. */
export function hydrateIsland(name: string, Component: ComponentType<Record<string, unknown>>) {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-island="${name}"]`)) {
    const props = JSON.parse(el.dataset.props ?? "{}");
    hydrate(h(Component, props), el);
    // Lets browser tests wait for the page to be interactive instead of sleeping.
    el.dataset.hydrated = "1";
  }
}
