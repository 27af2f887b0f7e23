-- Organisations are renamed (the clinical commissioning groups became
-- integrated care boards in 2022) and their former names are kept, so that
-- older records still read and people still find them.
alter table organisation add column former_names text[] not null default '{}';
