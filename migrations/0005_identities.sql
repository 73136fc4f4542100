-- Who a visitor is, when they tell us: identify() calls and purchases link visitor ids to an
-- email or a user id. Several visitor ids with one email are one customer (multi-device).
create table identities (
  site_id bigint not null,
  visitor_id text not null,
  -- The identifier as given: an email (normalized to lower case) or the site's own user id.
  identifier text not null,
  -- The email when known (the identifier itself, or a trait / purchase email).
  email text,
  -- identify | purchase
  origin text not null default 'identify',
  traits jsonb,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (site_id, visitor_id, identifier)
);
create index identities_site_email on identities (site_id, email) where email is not null;
create index identities_site_identifier on identities (site_id, identifier);
