-- The multi-agency training offer: the yearly training needs analysis (needs
-- by agency and topic), the courses on offer, their sessions, bookings and
-- attendance by agency, participants' evaluations straight after a session
-- and a follow-up on the impact on practice (theirs or their manager's), and
-- an observer's notes on a session.

create table training_need (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- The financial year of the analysis: its 1 April.
    starts_on date not null check (extract(month from starts_on) = 4 and extract(day from starts_on) = 1),
    organisation_id uuid,
    topic text not null check (length(topic) between 1 and 200),
    priority text not null check (priority in ('high', 'medium', 'low')),
    -- How many practitioners need it.
    staff_count integer check (staff_count between 0 and 1000000),
    note text not null default '' check (length(note) <= 2000),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
-- One need of a topic per agency a year: a form sent twice records one.
create unique index training_need_topic on training_need (partnership_id, starts_on, coalesce(organisation_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(topic));
alter table training_need enable row level security;
create policy training_need_tenant on training_need using (partnership_id = app_partnership_id());
grant select, insert on training_need to hub_app;

create table course (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    title text not null check (length(title) between 1 and 200),
    level text not null check (level in ('foundation', 'intermediate', 'advanced', 'specialist')),
    audience text not null default '' check (length(audience) <= 400),
    provider text not null default '' check (length(provider) <= 200),
    delivery text not null check (delivery in ('internal', 'commissioned')),
    description text not null default '' check (length(description) <= 4000),
    retired_on date,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id)
);
create unique index course_title on course (partnership_id, lower(title));
alter table course enable row level security;
create policy course_tenant on course using (partnership_id = app_partnership_id());
grant select, insert, update on course to hub_app;

create table training_session (
    partnership_id uuid not null,
    id uuid not null,
    course_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    place text not null default '' check (length(place) <= 400),
    online boolean not null default false,
    capacity integer not null check (capacity between 1 and 10000),
    -- The key of the session's link for participants (attendance and evaluation), who have no account: random,
    -- one per session, and reaching nothing but that session's forms.
    link_token text not null unique check (length(link_token) = 64),
    -- An observer's notes on how the session went (Swindon's course observations).
    observation text not null default '' check (length(observation) <= 4000),
    observed_by text not null default '' check (length(observed_by) <= 200),
    cancelled_at timestamptz,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, course_id) references course (partnership_id, id),
    check (ends_at > starts_at and ends_at < starts_at + interval '7 days')
);
create index training_session_starts on training_session (partnership_id, starts_at);
create index training_session_course on training_session (partnership_id, course_id, starts_at);
alter table training_session enable row level security;
create policy training_session_tenant on training_session using (partnership_id = app_partnership_id());
grant select, insert, update on training_session to hub_app;

create table training_booking (
    partnership_id uuid not null,
    id uuid not null,
    session_id uuid not null,
    participant_name text not null check (length(participant_name) between 1 and 200),
    email text not null check (email = lower(email) and length(email) between 3 and 254),
    organisation_id uuid,
    -- An agency not on the structure page, by name.
    agency text not null default '' check (length(agency) <= 200),
    booked_at timestamptz not null default now(),
    -- Null until attendance is taken.
    attended boolean,
    attendance_recorded_at timestamptz,
    primary key (partnership_id, id),
    foreign key (partnership_id, session_id) references training_session (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
-- One booking a person a session.
create unique index training_booking_email on training_booking (partnership_id, session_id, email);
alter table training_booking enable row level security;
create policy training_booking_tenant on training_booking using (partnership_id = app_partnership_id());
grant select, insert, update on training_booking to hub_app;

create table training_evaluation (
    partnership_id uuid not null,
    id uuid not null,
    session_id uuid not null,
    -- Straight after the session, or a follow-up on the impact on practice some weeks later.
    stage text not null check (stage in ('immediate', 'follow_up')),
    respondent text not null check (respondent in ('participant', 'manager')),
    organisation_id uuid,
    -- Immediate: the session overall; follow-up: the difference to practice. 1 (poor) to 5 (excellent).
    rating smallint not null check (rating between 1 and 5),
    -- Immediate only: the participant's confidence in the subject before and after, 1 to 5.
    confidence_before smallint check (confidence_before between 1 and 5),
    confidence_after smallint check (confidence_after between 1 and 5),
    comments text not null default '' check (length(comments) <= 4000),
    submitted_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, session_id) references training_session (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
create index training_evaluation_session on training_evaluation (partnership_id, session_id);
alter table training_evaluation enable row level security;
create policy training_evaluation_tenant on training_evaluation using (partnership_id = app_partnership_id());
-- Evaluations are kept as given.
grant select, insert on training_evaluation to hub_app;

-- A participant's link finds its session and partnership before any tenant is entered: the one way in without an
-- account, answering for one token only (what it reads is then read through row-level security as nobody).
create function training_link(token text) returns table (partnership_id uuid, session_id uuid)
language sql stable security definer set search_path = public as $$
    select s.partnership_id, s.id from training_session s where s.link_token = token and s.cancelled_at is null
$$;
revoke all on function training_link(text) from public;
grant execute on function training_link(text) to hub_app;
