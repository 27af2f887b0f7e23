-- The review workspace: information requests to the agencies involved (their
-- summary of involvement and chronologies, for those who may read the case),
-- the rapid review meeting, actions from a review's recommendations, the
-- partners' decision moving the review on, and removing personal details
-- once the partnership's retention period has passed.

-- What the review group asks of each agency involved: a named person at the
-- agency answers (added to the review by name, so they may read its case),
-- with a summary of the agency's involvement and its chronology as papers.
create table review_request (
    partnership_id uuid not null,
    id uuid not null,
    review_id uuid not null,
    organisation_id uuid not null,
    membership_id uuid not null,
    due_on date not null,
    asked_by uuid references app_user (id),
    asked_at timestamptz not null default now(),
    summary text not null default '' check (length(summary) <= 20000),
    answered_at timestamptz,
    answered_by uuid references app_user (id),
    primary key (partnership_id, id),
    -- One request to each agency for a review: a double submit asks once.
    unique (partnership_id, review_id, organisation_id),
    foreign key (partnership_id, review_id) references review (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id),
    check ((answered_at is null) = (answered_by is null))
);
create index review_request_open on review_request (partnership_id, membership_id) where answered_at is null;
alter table review_request enable row level security;
create policy review_request_tenant on review_request using (partnership_id = app_partnership_id());
create policy review_request_need_to_know on review_request as restrictive for select
    using ((select app_sees_all()) or app_sees_review_case(partnership_id, review_id));
grant select, insert, update on review_request to hub_app;

-- An agency's chronology is a paper of its request.
alter table paper add column review_request_id uuid;
alter table paper drop constraint paper_belongs_to_one;
alter table paper
    add constraint paper_belongs_to_one check (num_nonnulls(meeting_id, decision_id, review_request_id) = 1),
    add constraint paper_review_request_fk foreign key (partnership_id, review_request_id) references review_request (partnership_id, id),
    add constraint paper_review_request_sha256_key unique (partnership_id, review_request_id, sha256);
-- Papers are kept, but an agency's chronology goes with the personal details when a review's retention period has passed.
grant delete on paper to hub_app;
create policy paper_removed_only_with_review_details on paper as restrictive for delete using (review_request_id is not null);
alter policy paper_need_to_know on paper
    using ((select app_sees_all())
        or ((meeting_id is null or app_sees_meeting_business(partnership_id, meeting_id))
            and (decision_id is null or exists (select 1 from decision d where d.partnership_id = paper.partnership_id and d.id = paper.decision_id))
            and (review_request_id is null
                 or exists (select 1 from review_request q where q.partnership_id = paper.partnership_id and q.id = paper.review_request_id))));

-- The rapid review meeting: a meeting of the review group, through the meetings module.
alter table review add column meeting_id uuid;
alter table review add constraint review_meeting_fk foreign key (partnership_id, meeting_id) references meeting (partnership_id, id);

-- Actions from a review's recommendations (and a rapid review's learning).
alter table action_point add column review_id uuid;
alter table action_point add constraint action_point_review_fk foreign key (partnership_id, review_id) references review (partnership_id, id);
create index action_point_review_idx on action_point (partnership_id, review_id) where review_id is not null;

-- How long a closed review keeps the personal details of the people it concerns.
alter table review_arrangement add column case_retention_years integer check (case_retention_years between 1 and 100);
alter table review add column personal_details_removed_on date;
alter table review add constraint review_details_removed_when_closed check (personal_details_removed_on is null or closed_on is not null);

-- The partners' decision on a recommendation moves the review on, however the
-- decision closes (the last partner's response, a vote, the deadline's sweep),
-- in the same transaction as the close: carried, the review goes where the
-- recommendation said; otherwise it stays with the decision-makers for the
-- business unit to record what happens next.
create function app_review_follows_decision() returns trigger
language plpgsql as $$
declare
    v record;
    next_stage text;
    today date := (now() at time zone 'Europe/London')::date;
begin
    if new.outcome not in ('carried_consensus', 'carried_majority') then
        return new;
    end if;
    for v in select r.id, r.stage, r.recommendation from review r
             where r.partnership_id = new.partnership_id and r.decision_id = new.id and r.stage = 'recommended'
    loop
        next_stage := case v.recommendation when 'local_review' then 'commissioned'
                                            when 'national_review' then 'national_review'
                                            else 'no_review' end;
        update review set stage = next_stage,
                          commissioned_on = case when next_stage = 'commissioned' then today else commissioned_on end
        where partnership_id = new.partnership_id and id = v.id;
        insert into review_event (partnership_id, id, review_id, stage, happened_on, note)
        values (new.partnership_id, gen_random_uuid(), v.id, next_stage, today,
                'The partners agreed the recommendation: decision D' || new.number)
        on conflict (partnership_id, review_id, stage) do nothing;
        insert into audit_log (partnership_id, actor_user_id, action, subject_type, subject_id, before, after)
        values (new.partnership_id, null, 'review.stage', 'review', v.id::text,
                jsonb_build_object('stage', v.stage),
                jsonb_build_object('stage', next_stage, 'on', today, 'decision_id', new.id, 'outcome', new.outcome));
    end loop;
    return new;
end
$$;
create trigger review_follows_decision after update of outcome on decision
    for each row when (old.outcome is null and new.outcome is not null)
    execute function app_review_follows_decision();

-- The audit log keeps a request's entries to those who may read the case.
alter policy audit_log_need_to_know on audit_log using (
    (select app_sees_all())
    or case subject_type
         when 'decision' then exists (select 1 from decision d
                                      where d.partnership_id = audit_log.partnership_id and d.id = audit_log.subject_id::uuid)
         when 'minutes' then app_sees_meeting_business(partnership_id, subject_id::uuid)
         when 'agenda_item' then exists (select 1 from agenda_item i
                                         where i.partnership_id = audit_log.partnership_id and i.id = audit_log.subject_id::uuid)
         when 'paper' then exists (select 1 from paper p
                                   where p.partnership_id = audit_log.partnership_id and p.id = audit_log.subject_id::uuid)
         when 'action' then exists (select 1 from action_point a
                                    where a.partnership_id = audit_log.partnership_id and a.id = audit_log.subject_id::uuid)
         when 'interest_declaration' then exists (select 1 from interest_declaration x
                                    where x.partnership_id = audit_log.partnership_id and x.id = audit_log.subject_id::uuid)
         when 'review_case' then app_sees_review_case(partnership_id, subject_id::uuid)
         when 'review_request' then exists (select 1 from review_request q
                                    where q.partnership_id = audit_log.partnership_id and q.id = audit_log.subject_id::uuid)
         else true
       end);
