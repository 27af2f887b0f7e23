-- Self-assessment rounds: the business unit opens a round (Section 11 of the
-- Children Act 2004 for relevant agencies, Section 175 of the Education Act
-- 2002 for schools, or a local one) with its standards, the organisations
-- taking part and a deadline. Each organisation's named contact fills its
-- return: a rating per standard with evidence (text and files), and its own
-- improvement actions. A return is locked when submitted (the database
-- refuses any change to it or its ratings); the business unit challenges a
-- rating (the challenge and the answer are kept beside it) and accepts the
-- return. A return is for the business unit, the partners and the
-- organisation that made it: another organisation's contact does not see it.

-- How often schools audit themselves (Section 175): local practice is yearly.
alter table arrangement add column section175_interval_months integer not null default 12
    check (section175_interval_months between 1 and 120);
alter table organisation add column last_section175_on date;

create table assurance_round (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- SA1, SA2 … in the partnership's list of rounds.
    number integer not null check (number > 0),
    kind text not null check (kind in ('section11', 'section175', 'local')),
    title text not null check (length(title) between 1 and 200),
    guidance text not null default '' check (length(guidance) <= 4000),
    opened_on date not null,
    due_on date not null,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    check (due_on >= opened_on)
);
-- One round of a title: a form sent twice opens one.
create unique index assurance_round_title on assurance_round (partnership_id, lower(title));
alter table assurance_round enable row level security;
create policy assurance_round_tenant on assurance_round using (partnership_id = app_partnership_id());
grant select, insert on assurance_round to hub_app;

-- The standards of a round, in order: its own copy of the kind's template, as the business unit edited it.
create table round_standard (
    partnership_id uuid not null,
    id uuid not null,
    round_id uuid not null,
    position integer not null check (position between 1 and 30),
    title text not null check (length(title) between 1 and 300),
    primary key (partnership_id, id),
    unique (partnership_id, round_id, position),
    foreign key (partnership_id, round_id) references assurance_round (partnership_id, id)
);
alter table round_standard enable row level security;
create policy round_standard_tenant on round_standard using (partnership_id = app_partnership_id());
grant select, insert on round_standard to hub_app;

create table round_return (
    partnership_id uuid not null,
    id uuid not null,
    round_id uuid not null,
    organisation_id uuid not null,
    -- The organisation's named contact: the account that fills the return.
    contact_membership_id uuid,
    status text not null default 'not_started' check (status in ('not_started', 'draft', 'submitted', 'accepted')),
    summary text not null default '' check (length(summary) <= 8000),
    submitted_at timestamptz,
    submitted_by uuid references app_user (id),
    accepted_at timestamptz,
    accepted_by uuid references app_user (id),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, round_id, organisation_id),
    foreign key (partnership_id, round_id) references assurance_round (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, contact_membership_id) references membership (partnership_id, id),
    check ((status in ('submitted', 'accepted')) = (submitted_at is not null)),
    check ((status = 'accepted') = (accepted_at is not null))
);
create index round_return_contact on round_return (partnership_id, contact_membership_id) where status in ('not_started', 'draft');
create index round_return_round on round_return (partnership_id, round_id, status);

-- The organisation of the person entered: they read their own organisation's returns.
create function app_organisation_id() returns uuid
language plpgsql stable as $$
begin
    return (select m.organisation_id from membership m where m.partnership_id = app_partnership_id() and m.id = app_membership_id());
end
$$;

alter table round_return enable row level security;
create policy round_return_tenant on round_return using (partnership_id = app_partnership_id());
create policy round_return_need_to_know on round_return as restrictive for select
    using ((select app_sees_all()) or (select app_partner())
           or contact_membership_id = (select app_membership_id())
           or organisation_id = (select app_organisation_id()));
grant select, insert, update on round_return to hub_app;

-- A rating per standard, with the evidence for it.
create table return_rating (
    partnership_id uuid not null,
    return_id uuid not null,
    standard_id uuid not null,
    rating text check (rating in ('red', 'amber', 'green', 'not_applicable')),
    evidence text not null default '' check (length(evidence) <= 8000),
    primary key (partnership_id, return_id, standard_id),
    foreign key (partnership_id, return_id) references round_return (partnership_id, id),
    foreign key (partnership_id, standard_id) references round_standard (partnership_id, id)
);
alter table return_rating enable row level security;
create policy return_rating_tenant on return_rating using (partnership_id = app_partnership_id());
create policy return_rating_need_to_know on return_rating as restrictive for select
    using (exists (select 1 from round_return r where r.partnership_id = return_rating.partnership_id and r.id = return_rating.return_id));
grant select, insert, update on return_rating to hub_app;

-- The business unit's challenge to a rating, and the organisation's answer, kept beside it.
create table return_challenge (
    partnership_id uuid not null,
    id uuid not null,
    return_id uuid not null,
    standard_id uuid not null,
    challenge text not null check (length(challenge) between 1 and 4000),
    challenged_by uuid references app_user (id),
    challenged_at timestamptz not null default now(),
    answer text not null default '' check (length(answer) <= 4000),
    answered_by uuid references app_user (id),
    answered_at timestamptz,
    primary key (partnership_id, id),
    foreign key (partnership_id, return_id) references round_return (partnership_id, id),
    foreign key (partnership_id, standard_id) references round_standard (partnership_id, id),
    check ((answered_at is null) = (answer = ''))
);
create index return_challenge_return on return_challenge (partnership_id, return_id);
alter table return_challenge enable row level security;
create policy return_challenge_tenant on return_challenge using (partnership_id = app_partnership_id());
create policy return_challenge_need_to_know on return_challenge as restrictive for select
    using (exists (select 1 from round_return r where r.partnership_id = return_challenge.partnership_id and r.id = return_challenge.return_id));
grant select, insert, update on return_challenge to hub_app;

-- A submitted return is locked: only its acceptance may follow.
create function round_return_locked() returns trigger
language plpgsql as $$
begin
    if old.status in ('submitted', 'accepted')
       and not (old.status = 'submitted' and new.status = 'accepted'
                and new.summary = old.summary and new.organisation_id = old.organisation_id and new.round_id = old.round_id
                and new.submitted_at = old.submitted_at and new.submitted_by is not distinct from old.submitted_by) then
        raise exception 'return % is submitted and cannot change', old.id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger round_return_locked before update on round_return for each row execute function round_return_locked();

create function return_rating_locked() returns trigger
language plpgsql as $$
declare
    the_return uuid := case when tg_op = 'DELETE' then old.return_id else new.return_id end;
    the_partnership uuid := case when tg_op = 'DELETE' then old.partnership_id else new.partnership_id end;
begin
    if exists (select 1 from round_return r where r.partnership_id = the_partnership and r.id = the_return
               and r.status in ('submitted', 'accepted')) then
        raise exception 'return % is submitted and its ratings cannot change', the_return using errcode = 'check_violation';
    end if;
    return case when tg_op = 'DELETE' then old else new end;
end
$$;
create trigger return_rating_locked before insert or update or delete on return_rating
    for each row execute function return_rating_locked();

-- A return's evidence files, through the papers owner, for those who read the return.
alter table paper add column round_return_id uuid;
alter table paper drop constraint paper_belongs_to_one;
alter table paper add constraint paper_belongs_to_one check (num_nonnulls(meeting_id, decision_id, review_request_id, round_return_id) = 1);
alter table paper add constraint paper_round_return_fk foreign key (partnership_id, round_return_id) references round_return (partnership_id, id);
alter table paper add constraint paper_round_return_sha256_key unique (partnership_id, round_return_id, sha256);
alter policy paper_need_to_know on paper
    using ((select app_sees_all())
        or ((meeting_id is null or app_sees_meeting_business(partnership_id, meeting_id))
            and (decision_id is null or exists (select 1 from decision d where d.partnership_id = paper.partnership_id and d.id = paper.decision_id))
            and (review_request_id is null
                 or exists (select 1 from review_request q where q.partnership_id = paper.partnership_id and q.id = paper.review_request_id))
            and (round_return_id is null
                 or exists (select 1 from round_return r where r.partnership_id = paper.partnership_id and r.id = paper.round_return_id))));

-- A return's improvement actions, through the actions owner, for those who read the return.
alter table action_point add column round_return_id uuid;
alter table action_point add constraint action_point_round_return_fk
    foreign key (partnership_id, round_return_id) references round_return (partnership_id, id);
create index action_point_round_return_idx on action_point (partnership_id, round_return_id) where round_return_id is not null;
alter policy action_point_need_to_know on action_point
    using ((meeting_id is null
            or (select app_sees_all())
            or exists (select 1 from minutes n
                       join meeting m on m.partnership_id = n.partnership_id and m.id = n.meeting_id
                       where n.partnership_id = action_point.partnership_id and n.meeting_id = action_point.meeting_id
                         and n.status <> 'draft'
                         and (n.status = 'published'
                              or m.group_id = any ((select app_seats())::uuid[])
                              or action_point.owner_membership_id = (select app_membership_id()))))
       and (round_return_id is null
            or (select app_sees_all())
            or exists (select 1 from round_return r where r.partnership_id = action_point.partnership_id and r.id = action_point.round_return_id)));

-- The audit log keeps a return's entries to those who read the return.
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
         when 'round_return' then exists (select 1 from round_return r
                                    where r.partnership_id = audit_log.partnership_id and r.id = audit_log.subject_id::uuid)
         else true
       end);
