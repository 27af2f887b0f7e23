-- Entering a partnership runs on every request; its one query now reads each
-- part by key: the person's roles as a list rather than grouped with the
-- rest, their seats and the groups they chair in one pass over their seats
-- rather than two, and the partnership's setting by its key rather than a
-- scan of every partnership. What it answers is unchanged.
create or replace function app_enter(p uuid, u uuid)
returns table (membership_id uuid, organisation_name text, job_title text, roles text[], seats uuid[], partner boolean, chairs uuid[])
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
    perform set_config('app.membership_id', me.id::text, true),
            set_config('app.sees_all', case when 'business_manager' = any(me.roles) then 'on' else '' end, true),
            set_config('app.partner', case when partner then 'on' else '' end, true),
            set_config('app.seats', me.seats::text, true);
    return next;
end
$$;
