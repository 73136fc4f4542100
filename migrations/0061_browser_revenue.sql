-- Revenue the tracker reports can be posted by anyone who knows a site's public id. Owners
-- choose whether to take it (auto: only while no payment platform is connected) and the most
-- one reported purchase may be, in major units of the site's currency.
alter table sites add column browser_revenue text not null default 'auto'
  check (browser_revenue in ('auto', 'on', 'off'));
alter table sites add column revenue_max_major integer not null default 100000
  check (revenue_max_major between 1 and 1000000000);

-- Purchases' origin now tells the browser (unverified) from the server-side events API; every
-- earlier tracker report may have come from a browser.
update purchases set origin = 'browser' where origin = 'tracker';

-- Whether a payment platform is connected to the site (browser revenue's "auto" turns off).
create function sextant_platform_connected(p_site bigint) returns boolean
language sql stable as $$
  select exists (select 1 from integrations where site_id = p_site and status <> 'disconnected')
$$;
