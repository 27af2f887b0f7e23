-- Reviews: serious child safeguarding incident notifications and their rapid
-- reviews, child safeguarding practice reviews, safeguarding adult reviews,
-- the partnership's part in domestic homicide reviews, and other learning
-- reviews. A review's pseudonym, kind, stage and clock are for every member;
-- its case (the people it concerns and what happened) only for the group
-- overseeing it, the business unit, its lead reviewer and people added to it
-- by name.

-- Each partnership's choices where the rules leave them open (or disagree).
create table review_arrangement (
    partnership_id uuid primary key references partnership (id),
    -- What starts the rapid review's clock: the partners becoming aware, or the notification to the Panel.
    rapid_review_clock_start text not null default 'aware' check (rapid_review_clock_start in ('aware', 'notified')),
    rapid_review_working_days integer not null default 15 check (rapid_review_working_days between 1 and 60),
    notification_working_days integer not null default 5 check (notification_working_days between 1 and 30),
    -- Local completion targets for a commissioned review, in months; none when the partnership sets none.
    cspr_target_months integer check (cspr_target_months between 1 and 36),
    sar_target_months integer check (sar_target_months between 1 and 36),
    -- How long a published report stays on the public site: at least a year.
    published_months integer not null default 12 check (published_months between 12 and 120),
    -- The name of a domestic homicide review (to change when the Victims and Prisoners Act 2024 s19 commences).
    dhr_label text not null default 'Domestic homicide review' check (length(dhr_label) between 1 and 100),
    -- Whether independent scrutineers read review cases.
    scrutineers_see_cases boolean not null default false,
    -- The groups that conduct rapid reviews and oversee children's and adults' reviews.
    child_group_id uuid,
    adult_group_id uuid,
    foreign key (partnership_id, child_group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, adult_group_id) references partnership_group (partnership_id, id)
);
alter table review_arrangement enable row level security;
create policy review_arrangement_tenant on review_arrangement using (partnership_id = app_partnership_id());
grant select, insert, update on review_arrangement to hub_app;

create table review (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- R1, R2 … in the partnership's list of reviews.
    number integer not null check (number > 0),
    kind text not null check (kind in ('child', 'adult', 'domestic_homicide', 'learning')),
    stage text not null check (stage in ('notified', 'rapid_review', 'recommended', 'commissioned', 'national_review', 'no_review',
                                         'terms_agreed', 'reviewer_appointed', 'methodology_agreed', 'involvement', 'draft',
                                         'final_report', 'quality_assured', 'publication_decided', 'published', 'closed')),
    -- "Child H", "Adult B": what every page, mail, decision and agenda item shows.
    pseudonym text not null check (length(pseudonym) between 1 and 60),
    group_id uuid not null,
    -- The partners (or, for others, the partnership) became aware; the Panel and the partners were told.
    became_aware_on date not null,
    notified_panel_on date,
    partners_told_on date,
    panel_reference text not null default '' check (length(panel_reference) <= 60),
    rapid_review_sent_on date,
    panel_replied_on date,
    panel_reply text not null default '' check (length(panel_reply) <= 4000),
    -- What the review group recommends, and why.
    recommendation text check (recommendation in ('local_review', 'national_review', 'no_review')),
    recommendation_reason text not null default '' check (length(recommendation_reason) <= 4000),
    decision_id uuid,
    -- Care Act 2014 s44: which condition applies and why.
    sar_condition text check (sar_condition in ('died', 'alive_serious', 'discretionary')),
    sar_condition_reason text not null default '' check (length(sar_condition_reason) <= 4000),
    commissioned_on date,
    lead_reviewer text not null default '' check (length(lead_reviewer) <= 200),
    lead_reviewer_membership_id uuid,
    publication text check (publication in ('publish', 'delay', 'not_publish')),
    publication_reason text not null default '' check (length(publication_reason) <= 4000),
    published_on date,
    learning_summary text not null default '' check (length(learning_summary) <= 8000),
    closed_on date,
    created_at timestamptz not null default now(),
    created_by uuid references app_user (id),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, decision_id) references decision (partnership_id, id),
    foreign key (partnership_id, lead_reviewer_membership_id) references membership (partnership_id, id),
    -- A delay or a decision not to publish is explained.
    check (publication is null or publication = 'publish' or length(publication_reason) > 0),
    check (kind = 'adult' or sar_condition is null)
);
create index review_open on review (partnership_id, stage) where closed_on is null;
create index review_published on review (partnership_id, published_on desc) where published_on is not null;
alter table review enable row level security;
create policy review_tenant on review using (partnership_id = app_partnership_id());
grant select, insert, update on review to hub_app;

-- The people a review concerns (up to four children for one notification), with what identifies them.
create table review_subject (
    partnership_id uuid not null,
    id uuid not null,
    review_id uuid not null,
    position integer not null check (position between 1 and 4),
    full_name text not null check (length(full_name) between 1 and 200),
    date_of_birth date,
    address text not null default '' check (length(address) <= 500),
    looked_after boolean not null default false,
    died boolean not null default false,
    primary key (partnership_id, id),
    unique (partnership_id, review_id, position),
    foreign key (partnership_id, review_id) references review (partnership_id, id)
);

-- What happened and which agencies were involved: the case, in words.
create table review_case (
    partnership_id uuid not null,
    review_id uuid not null,
    circumstances text not null default '' check (length(circumstances) <= 20000),
    agencies_involved text not null default '' check (length(agencies_involved) <= 4000),
    immediate_action text not null default '' check (length(immediate_action) <= 8000),
    learning text not null default '' check (length(learning) <= 8000),
    race_and_inequality text not null default '' check (length(race_and_inequality) <= 8000),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, review_id),
    foreign key (partnership_id, review_id) references review (partnership_id, id)
);

-- People added to a review by name, beyond its group and the business unit.
create table review_member (
    partnership_id uuid not null,
    review_id uuid not null,
    membership_id uuid not null,
    added_by uuid references app_user (id),
    added_at timestamptz not null default now(),
    primary key (partnership_id, review_id, membership_id),
    foreign key (partnership_id, review_id) references review (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id)
);

-- Each stage a review reached, when, and who recorded it.
create table review_event (
    partnership_id uuid not null,
    id uuid not null,
    review_id uuid not null,
    stage text not null check (stage in ('notified', 'rapid_review', 'recommended', 'commissioned', 'national_review', 'no_review',
                                         'terms_agreed', 'reviewer_appointed', 'methodology_agreed', 'involvement', 'draft',
                                         'final_report', 'quality_assured', 'publication_decided', 'published', 'closed')),
    happened_on date not null,
    note text not null default '' check (length(note) <= 4000),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    -- A stage is reached once; a repeated submission records nothing.
    unique (partnership_id, review_id, stage),
    foreign key (partnership_id, review_id) references review (partnership_id, id)
);

-- Whether the person entered may read a review's case.
create function app_sees_review_case(p uuid, r uuid) returns boolean
language plpgsql stable as $$
begin
    return exists (
        select 1 from review v
        where v.partnership_id = p and v.id = r
          and (v.group_id = any(app_seats())
               or v.lead_reviewer_membership_id = app_membership_id()
               or exists (select 1 from review_member m
                          where m.partnership_id = p and m.review_id = r and m.membership_id = app_membership_id())
               or (exists (select 1 from review_arrangement a where a.partnership_id = p and a.scrutineers_see_cases)
                   and exists (select 1 from membership_role x
                               where x.partnership_id = p and x.membership_id = app_membership_id()
                                 and x.role = 'independent_scrutineer'))));
end
$$;

alter table review_subject enable row level security;
create policy review_subject_tenant on review_subject using (partnership_id = app_partnership_id());
create policy review_subject_need_to_know on review_subject as restrictive for select
    using ((select app_sees_all()) or app_sees_review_case(partnership_id, review_id));
grant select, insert, update, delete on review_subject to hub_app;

alter table review_case enable row level security;
create policy review_case_tenant on review_case using (partnership_id = app_partnership_id());
create policy review_case_need_to_know on review_case as restrictive for select
    using ((select app_sees_all()) or app_sees_review_case(partnership_id, review_id));
grant select, insert, update on review_case to hub_app;

alter table review_member enable row level security;
create policy review_member_tenant on review_member using (partnership_id = app_partnership_id());
grant select, insert on review_member to hub_app;

alter table review_event enable row level security;
create policy review_event_tenant on review_event using (partnership_id = app_partnership_id());
grant select, insert on review_event to hub_app;

-- The audit log keeps a case's entries to those who may read the case.
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
         else true
       end);
