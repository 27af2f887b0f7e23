-- The list of people searches names as the lists of records search their
-- text (see 32): a trigram index on the name the partnership knows them by.
create index membership_known_as_trgm_idx on membership using gin (known_as gin_trgm_ops) where removed_at is null;
