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

/** Columns of the heatmap grid; cells are square, so a cell is width / GRID_COLUMNS pixels. */
export const GRID_COLUMNS = 64;

/** A click's horizontal position in the layout's screenshot pixels (viewport-relative x). */
export function screenX(x: number, pageWidth: number, layout: Layout): number {
  const width = LAYOUT_WIDTHS[layout];
  // Same operations, in the same order, as the SQL of analytics/heatmaps.ts: equal doubles.
  return Math.min(width - 1, x * width / Math.max(pageWidth, 1));
}

/** The grid cell a position falls in (a position left of or above the page is on its edge). */
export function cellOf(x: number, y: number, pageWidth: number, layout: Layout) {
  const cell = LAYOUT_WIDTHS[layout] / GRID_COLUMNS;
  return {
    col: Math.max(0, Math.floor(screenX(x, pageWidth, layout) / cell)),
    row: Math.max(0, Math.floor(y / cell)),
  };
}
