-- The pages panel's scroll depth and engaged time read the tracker's engagement events of the
-- pages it shows; this index holds those events alone, by page, so that costs a few pages'
-- engagement rather than a scan of every event in the period.
create index events_site_engagement on events (site_id, pathname, ts) where type = 'engagement';
