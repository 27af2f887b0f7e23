-- Need-to-know inside a partnership, decided in one place: the database.
--
-- `app_enter` puts a transaction into one partnership as one person and works
-- out once what that person may see (their clearance); restrictive policies on
-- the confidential tables compare every row with it. So a list, a count, a
-- page, a mail or a calendar entry built in that transaction cannot show a
-- confidential record to someone the rules do not name.
--
-- The rules:
-- * a confidential decision: members of its decision-making body, the
--   statutory partners' lead and delegated partners and their deputies, the
--   business unit, and the independent scrutineers unless the partnership
--   turns that off;
-- * a group's agenda and papers: its members and the business unit (and an
--   agenda item its proposer, such as a scrutineer putting a report forward);
-- * minutes: draft, the business unit only; circulated or approved, the
--   group's members too; published, everyone, without confidential passages;
-- * actions set in minutes: as the minutes, and their owner once circulated.
-- The business unit and the background sweeps (`app_enter_system`) see all;
-- a transaction that names nobody (the public pages) sees nothing confidential.

alter table partnership add column confidential_to_scrutineers boolean not null default true;

create function app_sees_all() returns boolean
language sql stable as $$
    select coalesce(current_setting('app.sees_all', true), '') = 'on'
$$;

create function app_membership_id() returns uuid
language sql stable as $$
    select nullif(current_setting('app.membership_id', true), '')::uuid
$$;

-- Whether the person sits on the group (or sees everything).
create function app_sits_on(g uuid) returns boolean
language sql stable as $$
    select app_sees_all() or g = any(coalesce(nullif(current_setting('app.seats', true), ''), '{}')::uuid[])
$$;

create function app_sees_decision(is_confidential boolean, g uuid) returns boolean
language sql stable as $$
    select not is_confidential or app_sees_all() or coalesce(current_setting('app.partner', true), '') = 'on' or app_sits_on(g)
$$;

-- A meeting's agenda and papers: the group's members and the business unit.
create function app_sees_meeting_business(p uuid, m uuid) returns boolean
language sql stable as $$
    select app_sees_all() or exists (select 1 from meeting where partnership_id = p and id = m and app_sits_on(group_id))
$$;

-- Where a meeting's minutes stand; 'draft' when none are started.
create function app_minutes_status(p uuid, m uuid) returns text
language sql stable as $$
    select coalesce((select status from minutes where partnership_id = p and meeting_id = m), 'draft')
$$;

-- Enter one partnership as one person, and answer who they are in it.
-- No row when the person is not a current member (invited and not yet
-- accepted, or removed), or nobody is named. Runs on every request: three
-- statements, whose plans PL/pgSQL keeps for the connection.
create function app_enter(p uuid, u uuid)
returns table (membership_id uuid, organisation_name text, job_title text, roles text[], seats uuid[], partner boolean)
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

-- The background sweeps: one partnership, everything in it.
create function app_enter_system(p uuid) returns void
language plpgsql as $$
begin
    perform app_enter(p, null);
    perform set_config('app.sees_all', 'on', true);
end
$$;

create policy decision_need_to_know on decision as restrictive for select
    using (app_sees_decision(confidential, group_id));

create policy decision_response_need_to_know on decision_response as restrictive for select
    using (exists (select 1 from decision d where d.partnership_id = decision_response.partnership_id and d.id = decision_response.decision_id));

create policy agenda_item_need_to_know on agenda_item as restrictive for select
    using (submitted_by = app_user_id() or app_sees_meeting_business(partnership_id, meeting_id));

create policy paper_need_to_know on paper as restrictive for select
    using ((meeting_id is null or app_sees_meeting_business(partnership_id, meeting_id))
       and (decision_id is null
            or exists (select 1 from decision d where d.partnership_id = paper.partnership_id and d.id = paper.decision_id)));

create policy minute_section_need_to_know on minute_section as restrictive for select
    using (app_sees_all()
        or (app_minutes_status(partnership_id, meeting_id) <> 'draft' and app_sees_meeting_business(partnership_id, meeting_id))
        or (app_minutes_status(partnership_id, meeting_id) = 'published' and not confidential));

create policy minutes_comment_need_to_know on minutes_comment as restrictive for select
    using (app_sees_meeting_business(partnership_id, meeting_id));

create policy action_point_need_to_know on action_point as restrictive for select
    using (meeting_id is null
        or app_sees_all()
        or (app_minutes_status(partnership_id, meeting_id) <> 'draft'
            and (app_sees_meeting_business(partnership_id, meeting_id)
                 or owner_membership_id = app_membership_id()
                 or app_minutes_status(partnership_id, meeting_id) = 'published')));
