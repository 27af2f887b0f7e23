-- The lists people work with (the action tracker, the decision register,
-- the meetings) search, filter and sort all of a partnership's records. Their
-- searches ("contains these words", any case) are served by trigram indexes
-- (pg_trgm, a trusted extension shipped with PostgreSQL and offered by the
-- managed services); their filters by their own indexes. Each statement is
-- planned for the values given, so an empty filter costs nothing.
create extension if not exists pg_trgm;

create index action_point_description_trgm_idx on action_point using gin (description gin_trgm_ops);
create index action_point_owner_name_trgm_idx on action_point using gin (owner_name gin_trgm_ops);
create index action_point_group_due_idx on action_point (partnership_id, group_id, due_on) where group_id is not null;
create index action_point_due_idx on action_point (partnership_id, due_on);

create index decision_title_trgm_idx on decision using gin (title gin_trgm_ops);
create index decision_group_number_idx on decision (partnership_id, group_id, number);

create index meeting_location_trgm_idx on meeting using gin (location gin_trgm_ops);
