-- Hearing children and young people, parents and carers, and adults with care
-- and support needs: each engagement activity (who was heard, how, when, how
-- many took part), its findings, its report to a group of the partnership
-- (on the agenda of that group's next meeting), what was done about it, and
-- its actions through the shared actions owner. A partnership may say whose
-- views it seeks every quarter (Warwickshire: children and young people, and
-- parents and carers), so that a quarter without them shows.

alter table arrangement add column engagement_every_quarter text[] not null default '{}'
    check (engagement_every_quarter <@ array['children', 'parents_carers', 'adults', 'other']);

create table engagement (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- E1, E2 … in the partnership's record.
    number integer not null check (number > 0),
    voice text not null check (voice in ('children', 'parents_carers', 'adults', 'other')),
    title text not null check (length(title) between 1 and 200),
    -- How: a group session, a survey, interviews, a young people's forum …
    method text not null default '' check (length(method) <= 400),
    held_on date not null,
    participants integer not null check (participants between 0 and 1000000),
    findings text not null default '' check (length(findings) <= 8000),
    -- "What we did about it", for the yearly report.
    what_we_did text not null default '' check (length(what_we_did) <= 8000),
    -- The group its findings were reported to, when, and the meeting that took them.
    group_id uuid,
    reported_on date,
    meeting_id uuid,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id)
);
-- One activity of a title on a day: a form sent twice records one.
create unique index engagement_once on engagement (partnership_id, held_on, lower(title));
create index engagement_held on engagement (partnership_id, held_on);
alter table engagement enable row level security;
create policy engagement_tenant on engagement using (partnership_id = app_partnership_id());
grant select, insert, update on engagement to hub_app;

alter table action_point add column engagement_id uuid;
alter table action_point add constraint action_point_engagement_fk foreign key (partnership_id, engagement_id) references engagement (partnership_id, id);
create index action_point_engagement_idx on action_point (partnership_id, engagement_id) where engagement_id is not null;
