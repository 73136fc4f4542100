/**
 * Layout buckets: pages reflow with the viewport, so heatmaps group clicks by the layout they
 * were made on. The widths match common CSS breakpoints (tablets from 768 px, desktops from
 * 1024 px); screenshots are taken at one representative width per bucket.
 */

export const LAYOUTS = ["desktop", "tablet", "mobile"] as const;
export type Layout = (typeof LAYOUTS)[number];

/** The width screenshots of each layout are taken at. */
export const LAYOUT_WIDTHS: Record<Layout, number> = { desktop: 1440, tablet: 820, mobile: 390 };

/** The layout a viewport of this width shows. */
export function layoutOf(viewportWidth: number): Layout {
  return viewportWidth >= 1024 ? "desktop" : viewportWidth >= 768 ? "tablet" : "mobile";
}
