-- A membership now has a beginning and an end of its own.
--
-- * An account that already exists elsewhere is not enrolled by being named:
--   it is invited, and joins when the person accepts (`accepted_at`). Until
--   then the partnership knows it by the name it was given (`invited_name`),
--   not by the account's own.
-- * Removing a person ends their membership (`removed_at`) rather than
--   deleting it: their roles, seats, nominations and appointments end, and
--   what they wrote (scrutiny reports, responses) keeps its author.
alter table membership
    add column accepted_at timestamptz default now(),
    add column invited_name text check (length(invited_name) between 1 and 120),
    add column removed_at timestamptz,
    add column removed_by uuid references app_user (id);
update membership set accepted_at = created_at;
-- A member now: accepted and not removed. One column, so that no query can
-- ask half of it.
alter table membership add column is_current boolean generated always as (accepted_at is not null and removed_at is null) stored;
create index membership_current_idx on membership (partnership_id) where is_current;

create or replace function partnership_member_counts() returns table (partnership_id uuid, members bigint)
language sql stable security definer set search_path = public as $$
    select partnership_id, count(*) from membership where removed_at is null group by partnership_id
$$;
