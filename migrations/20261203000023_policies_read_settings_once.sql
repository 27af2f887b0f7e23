-- Row-level security read the transaction's settings (who is asking, what
-- they may see) again for every row it checked wherever a policy could not
-- be folded into the query's own `partnership_id = $1`: the need-to-know
-- tests. A setting read in a scalar subquery is read once per statement (an
-- InitPlan) and every row is then compared with a value. The rules
-- themselves are unchanged.

-- What `app_enter` worked out, as values.
create function app_partner() returns boolean
language sql stable as $$
    select coalesce(current_setting('app.partner', true), '') = 'on'
$$;

create function app_seats() returns uuid[]
language sql stable as $$
    select coalesce(nullif(current_setting('app.seats', true), ''), '{}')::uuid[]
$$;

-- As `app_sees_decision` did, with the person's clearance read once; no policy calls that any more.
alter policy decision_need_to_know on decision
    using (not confidential or (select app_sees_all()) or (select app_partner()) or group_id = any((select app_seats())::uuid[]));
drop function app_sees_decision(boolean, uuid);

alter policy agenda_item_need_to_know on agenda_item
    using ((select app_sees_all()) or submitted_by = (select app_user_id()) or app_sees_meeting_business(partnership_id, meeting_id));

alter policy paper_need_to_know on paper
    using ((select app_sees_all())
        or ((meeting_id is null or app_sees_meeting_business(partnership_id, meeting_id))
            and (decision_id is null or exists (select 1 from decision d where d.partnership_id = paper.partnership_id and d.id = paper.decision_id))));

alter policy minute_section_need_to_know on minute_section
    using ((select app_sees_all())
        or (app_minutes_status(partnership_id, meeting_id) <> 'draft' and app_sees_meeting_business(partnership_id, meeting_id))
        or (app_minutes_status(partnership_id, meeting_id) = 'published' and not confidential));

alter policy minutes_comment_need_to_know on minutes_comment
    using ((select app_sees_all()) or app_sees_meeting_business(partnership_id, meeting_id));

alter policy action_point_need_to_know on action_point
    using (meeting_id is null
        or (select app_sees_all())
        or (app_minutes_status(partnership_id, meeting_id) <> 'draft'
            and (app_sees_meeting_business(partnership_id, meeting_id)
                 or owner_membership_id = (select app_membership_id())
                 or app_minutes_status(partnership_id, meeting_id) = 'published')));

alter policy outbox_tenant on outbox
    using (partnership_id = (select app_partnership_id()) or (select current_setting('app.outbox_worker', true)) = 'on');
