-- Entering a partnership also answers which of its groups (still sitting)
-- the person chairs today: a chair raises decisions and manages those put to
-- their body, and pages ask it often; now it comes with the rest of who they
-- are, in the statement that enters, not in a statement of each page's own.
-- The result's shape changes, so the function is made anew.
drop function app_enter(uuid, uuid);
create function app_enter(p uuid, u uuid)
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
           coalesce(array_agg(r.role) filter (where r.role is not null), '{}') as roles,
           array(select distinct s.group_id from group_member s
                 where s.partnership_id = m.partnership_id and s.membership_id = m.id
                   and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)) as seats,
           array(select distinct s.group_id from group_member s
                 join partnership_group g on g.partnership_id = s.partnership_id and g.id = s.group_id and g.retired_on is null
                 where s.partnership_id = m.partnership_id and s.membership_id = m.id and s.role_in_group = 'chair'
                   and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)) as chairs,
           exists (select 1 from decision_deputy d
                   where d.partnership_id = m.partnership_id and d.membership_id = m.id and d.revoked_at is null
                     and d.starts_on <= current_date and (d.ends_on is null or d.ends_on >= current_date)) as nominated,
           x.confidential_to_scrutineers
      into me
      from membership m
      join partnership x on x.id = m.partnership_id
      left join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
      left join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
     where m.partnership_id = p and m.user_id = u and m.is_current
     group by m.partnership_id, m.id, o.name, x.confidential_to_scrutineers;
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
