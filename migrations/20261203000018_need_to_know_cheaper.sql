-- Row-level security asks these for every row it checks. As SQL functions
-- holding a subquery they cannot be inlined, and PostgreSQL plans a SQL
-- function's body again at every call; in PL/pgSQL the plan is kept for the
-- connection, and the business unit (who sees everything) is answered before
-- any query.
create or replace function app_sees_meeting_business(p uuid, m uuid) returns boolean
language plpgsql stable as $$
begin
    return app_sees_all() or exists (select 1 from meeting where partnership_id = p and id = m and app_sits_on(group_id));
end
$$;

create or replace function app_minutes_status(p uuid, m uuid) returns text
language plpgsql stable as $$
begin
    return coalesce((select status from minutes where partnership_id = p and meeting_id = m), 'draft');
end
$$;

-- The cheap test first: the business unit passes without a call per row.
alter policy agenda_item_need_to_know on agenda_item
    using (app_sees_all() or submitted_by = app_user_id() or app_sees_meeting_business(partnership_id, meeting_id));
alter policy paper_need_to_know on paper
    using (app_sees_all() or ((meeting_id is null or app_sees_meeting_business(partnership_id, meeting_id))
           and (decision_id is null or exists (select 1 from decision d where d.partnership_id = paper.partnership_id and d.id = paper.decision_id))));
alter policy minutes_comment_need_to_know on minutes_comment
    using (app_sees_all() or app_sees_meeting_business(partnership_id, meeting_id));
