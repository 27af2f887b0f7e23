-- Whether each member signs in with a second factor, kept on the membership
-- as the name is (migration 26): the business manager's home page counts
-- who does not, and joining every member of a large partnership to their
-- account to count them cost more than the rest of the page. Kept by
-- triggers, so no count can see it stale.
alter table membership add column two_factor boolean not null default false;

create function membership_two_factor() returns trigger
language plpgsql as $$
begin
    new.two_factor := coalesce((select u.totp_enabled_at is not null from public.app_user u where u.id = new.user_id), false);
    return new;
end
$$;
create trigger membership_two_factor before insert or update of user_id on membership
    for each row execute function membership_two_factor();

-- Setting up or resetting a second factor holds in every partnership
-- (whichever the person or their business manager is acting in: hence the
-- definer's rights).
create function app_user_second_factor() returns trigger
language plpgsql security definer as $$
begin
    update public.membership set two_factor = (new.totp_enabled_at is not null) where user_id = new.id;
    return null;
end
$$;
create trigger app_user_second_factor after update of totp_enabled_at on app_user
    for each row when ((old.totp_enabled_at is null) is distinct from (new.totp_enabled_at is null))
    execute function app_user_second_factor();

-- Filled in without touching when each membership last changed.
alter table membership disable trigger membership_updated_at;
update membership m set two_factor = true from app_user u where u.id = m.user_id and u.totp_enabled_at is not null;
alter table membership enable trigger membership_updated_at;

create index membership_without_two_factor_idx on membership (partnership_id) where is_current and not two_factor;
