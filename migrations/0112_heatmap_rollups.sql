-- Daily heatmap rollups, maintained by the ingest writer as rows are stored (only rows it
-- actually inserted, so replays add nothing): unfiltered heatmaps read these instead of
-- millions of raw clicks and pointer samples. Days are UTC; the raw table answers the partial
-- days at the edges of a period and every filtered question.
--
-- heatmap_cells: counts per grid cell of the layout's screenshot (GRID_COLUMNS across, square
-- cells) for clicks and moves, by click flags (1 rage, 2 dead, 4 error), with the tallest page.
create table heatmap_cells (
  site_id bigint not null,
  pathname text not null,
  layout text not null,
  kind text not null,
  day date not null,
  col int not null,
  row int not null,
  flags smallint not null,
  count bigint not null,
  max_height double precision not null default 0,
  primary key (site_id, pathname, layout, kind, day, col, row, flags)
);

-- heatmap_elements: clicks per element and day, with the box its clicks fell in.
create table heatmap_elements (
  site_id bigint not null,
  pathname text not null,
  layout text not null,
  day date not null,
  selector text not null,
  flags smallint not null,
  clicks bigint not null,
  x0 double precision not null,
  y0 double precision not null,
  x1 double precision not null,
  y1 double precision not null,
  primary key (site_id, pathname, layout, day, selector, flags)
);
