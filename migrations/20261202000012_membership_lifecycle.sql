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
create index membership_current_idx on membership (partnership_id) where removed_at is null and accepted_at is not null;

create or replace function partnership_member_counts() returns table (partnership_id uuid, members bigint)
language sql stable security definer set search_path = public as $$
    select partnership_id, count(*) from membership where removed_at is null group by partnership_id
$$;

-- Entering a partnership: only a current, accepted membership counts.
create or replace function app_enter(p uuid, u uuid)
returns table (membership_id uuid, organisation_name text, job_title text, roles text[], seats uuid[], partner boolean)
language plpgsql as $$
declare
    me record;
begin
    perform set_config('app.partnership_id', coalesce(p::text, ''), true);
    perform set_config('app.user_id', coalesce(u::text, ''), true);
    perform set_config('app.membership_id', '', true);
    perform set_config('app.sees_all', '', true);
    perform set_config('app.partner', '', true);
    perform set_config('app.seats', '', true);
    if u is null then
        return;
    end if;
    select m.id, o.name as organisation_name, m.job_title,
           coalesce(array_agg(r.role) filter (where r.role is not null), '{}') as roles
      into me
      from membership m
      left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
      left join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
     where m.partnership_id = p and m.user_id = u and m.accepted_at is not null and m.removed_at is null
     group by m.partnership_id, m.id, o.name;
    if me is null then
        return;
    end if;
    membership_id := me.id;
    organisation_name := me.organisation_name;
    job_title := me.job_title;
    roles := me.roles;
    seats := array(select distinct s.group_id from group_member s
                    where s.partnership_id = p and s.membership_id = me.id
                      and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date));
    partner := roles && array['lead_safeguarding_partner', 'delegated_safeguarding_partner', 'deputy']
        or exists (select 1 from decision_deputy d
                   where d.partnership_id = p and d.membership_id = me.id and d.revoked_at is null
                     and d.starts_on <= current_date and (d.ends_on is null or d.ends_on >= current_date))
        or ('independent_scrutineer' = any(roles)
            and (select x.confidential_to_scrutineers from partnership x where x.id = p));
    perform set_config('app.membership_id', me.id::text, true);
    perform set_config('app.sees_all', case when 'business_manager' = any(roles) then 'on' else '' end, true);
    perform set_config('app.partner', case when partner then 'on' else '' end, true);
    perform set_config('app.seats', seats::text, true);
    return next;
end
$$;
