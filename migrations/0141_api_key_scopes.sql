-- What a key may do beyond reading stats and sending current events: `import` lets the events
-- API take timestamps up to 400 days back (a history brought from another tool).
alter table api_keys add column scopes text[] not null default '{}';
