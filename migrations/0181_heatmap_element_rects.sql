-- The real boxes of a page's most clicked elements, measured when its screenshot is rendered
-- (document.querySelector per selector at the layout's width): {"selector": [x, y, width,
-- height]} in screenshot pixels. The heatmap outlines an element with its box when it has one,
-- and with the area its clicks fell in otherwise.
alter table heatmap_screenshots add column rects jsonb not null default '{}'::jsonb;
