-- Entering a partnership again, as someone the instance already found to be a
-- member there: the same settings `app_enter` makes, from what it answered
-- last time, without reading the membership again. The instance keeps that
-- answer only until anything in the partnership is written (its membership,
-- roles, seats and deputies are all written there, see migration 53), so the
-- settings are those `app_enter` would make now. `app_enter` now answers
-- whether the person sees all of the partnership's records, and sets the
-- settings through this one function, so the two cannot drift apart.
create function app_enter_again(p uuid, u uuid, membership uuid, sees_all boolean, partner boolean, seats uuid[])
returns boolean
language sql volatile as $$
    select set_config('app.partnership_id', p::text, true) is not null
       and set_config('app.user_id', u::text, true) is not null
       and set_config('app.membership_id', membership::text, true) is not null
       and set_config('app.sees_all', case when sees_all then 'on' else '' end, true) is not null
       and set_config('app.partner', case when partner then 'on' else '' end, true) is not null
       and set_config('app.seats', seats::text, true) is not null
$$;

drop function app_enter(uuid, uuid);
create function app_enter(p uuid, u uuid)
returns table (membership_id uuid, organisation_name text, job_title text, roles text[], seats uuid[], partner boolean, chairs uuid[],
               sees_all boolean)
language plpgsql as $$
declare
    me record;
begin
    -- The tenant first: row-level security reads it in the query that follows.
    perform set_config('app.partnership_id', coalesce(p::text, ''), true), set_config('app.user_id', coalesce(u::text, ''), true),
            set_config('app.membership_id', '', true), set_config('app.sees_all', '', true),
            set_config('app.partner', '', true), set_config('app.seats', '', true);
    if u is null then
        return;
    end if;
    select m.id, o.name as organisation_name, m.job_title,
           array(select r.role from membership_role r where r.partnership_id = m.partnership_id and r.membership_id = m.id) as roles,
           s.seats, s.chairs,
           exists (select 1 from decision_deputy d
                   where d.partnership_id = m.partnership_id and d.membership_id = m.id and d.revoked_at is null
                     and d.starts_on <= current_date and (d.ends_on is null or d.ends_on >= current_date)) as nominated,
           (select x.confidential_to_scrutineers from partnership x where x.id = m.partnership_id) as confidential_to_scrutineers
      into me
      from membership m
      left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
      cross join lateral (
          select coalesce(array_agg(distinct s.group_id), '{}') as seats,
                 coalesce(array_agg(distinct s.group_id) filter (where s.role_in_group = 'chair' and g.retired_on is null), '{}') as chairs
          from group_member s
          join partnership_group g on g.partnership_id = s.partnership_id and g.id = s.group_id
          where s.partnership_id = m.partnership_id and s.membership_id = m.id
            and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)) s
     where m.partnership_id = p and m.user_id = u and m.is_current;
    if me is null then
        return;
    end if;
    membership_id := me.id;
    organisation_name := me.organisation_name;
    job_title := me.job_title;
    roles := me.roles;
    seats := me.seats;
    chairs := me.chairs;
    partner := me.roles && array['lead_safeguarding_partner', 'delegated_safeguarding_partner', 'deputy']
        or me.nominated
        or ('independent_scrutineer' = any(me.roles) and me.confidential_to_scrutineers);
    sees_all := 'business_manager' = any(me.roles);
    perform app_enter_again(p, u, me.id, sees_all, partner, me.seats);
    return next;
end
$$;
