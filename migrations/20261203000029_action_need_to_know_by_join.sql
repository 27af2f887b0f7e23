-- Whether a person may see an action set in a meeting's minutes is asked of
-- the minutes and the meeting directly, not through app_minutes_status and
-- app_sees_meeting_business: PL/pgSQL functions called for every row, which
-- made counting a large partnership's 234 overdue actions cost 8.6 ms for a
-- delegated partner (37 microseconds a row). The rule is the same: an action
-- of a meeting is seen by those who see everything, and otherwise only once
-- its minutes are past draft, by those who sit on the meeting's group, its
-- owner, or anyone once the minutes are published.
alter policy action_point_need_to_know on action_point
    using (meeting_id is null
        or (select app_sees_all())
        or exists (select 1 from minutes n
                   join meeting m on m.partnership_id = n.partnership_id and m.id = n.meeting_id
                   where n.partnership_id = action_point.partnership_id and n.meeting_id = action_point.meeting_id
                     and n.status <> 'draft'
                     and (n.status = 'published'
                          or m.group_id = any ((select app_seats())::uuid[])
                          or action_point.owner_membership_id = (select app_membership_id()))));
