-- The name a partnership knows each member by, kept on the membership: the
-- name it gave until the person accepts, then their account's own. Lists of
-- people sort by it and forms offer it; each had joined every member of the
-- partnership to their account, to sort a few hundred names and show a
-- hundred. Kept by triggers, so no query can see it stale.
alter table membership add column known_as text not null default '';

create function membership_known_as() returns trigger
language plpgsql as $$
begin
    new.known_as := coalesce(case when new.accepted_at is null then new.invited_name end,
                             (select u.display_name from public.app_user u where u.id = new.user_id), '');
    return new;
end
$$;
create trigger membership_known_as before insert or update of accepted_at, invited_name, user_id on membership
    for each row execute function membership_known_as();

-- An account renamed is renamed in every partnership that knows it by it
-- (whichever partnership the person is acting in: hence the definer's rights).
create function app_user_renamed() returns trigger
language plpgsql security definer as $$
begin
    update public.membership set known_as = new.display_name
     where user_id = new.id and not (accepted_at is null and invited_name is not null);
    return null;
end
$$;
create trigger app_user_renamed after update of display_name on app_user
    for each row when (old.display_name is distinct from new.display_name) execute function app_user_renamed();

-- Filled in without touching when each membership last changed.
alter table membership disable trigger membership_updated_at;
update membership m set known_as = coalesce(case when m.accepted_at is null then m.invited_name end, u.display_name)
  from app_user u where u.id = m.user_id;
alter table membership enable trigger membership_updated_at;

create index membership_by_name_idx on membership (partnership_id, known_as, id) where removed_at is null;
