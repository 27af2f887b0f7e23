-- Meetings: the partnership's rules for agenda deadlines, meetings of its
-- groups, agenda items with a submission cut-off and late requests,
-- attendance with deputies, and quorum rules as data.

alter table arrangement
    -- Agenda items are due this many working days before a meeting (Warwickshire: 10).
    add column agenda_cutoff_working_days integer not null default 10 check (agenda_cutoff_working_days between 0 and 60),
    -- Agendas and papers are circulated at least this many working days before (Warwickshire: 5).
    add column papers_working_days integer not null default 5 check (papers_working_days between 0 and 60);

create table meeting (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    group_id uuid not null,
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    location text not null default '' check (length(location) <= 300),
    online_link text not null default '' check (length(online_link) <= 500),
    extraordinary boolean not null default false,
    status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
    cancelled_reason text not null default '' check (length(cancelled_reason) <= 1000),
    pack_circulated_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, group_id, starts_at),
    check (ends_at > starts_at),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);
create index meeting_starts_idx on meeting (partnership_id, starts_at);
create trigger meeting_updated_at before update on meeting
    for each row execute function set_updated_at();

create table agenda_item (
    partnership_id uuid not null,
    id uuid not null,
    meeting_id uuid not null,
    title text not null check (length(title) between 1 and 200),
    purpose text not null check (purpose in ('decision', 'discussion', 'information')),
    presenter text not null default '' check (length(presenter) <= 200),
    summary text not null default '' check (length(summary) <= 4000),
    submitted_by uuid references app_user (id),
    submitted_at timestamptz not null default now(),
    -- proposed: on time, awaiting the agenda; late_request: after the cut-off, for a decision;
    -- accepted: on the agenda; refused: a late request turned down; withdrawn by its submitter.
    status text not null check (status in ('proposed', 'late_request', 'accepted', 'refused', 'withdrawn')),
    decision_reason text not null default '' check (length(decision_reason) <= 1000),
    decided_by uuid references app_user (id),
    decided_at timestamptz,
    position integer,
    minutes_allowed integer check (minutes_allowed between 1 and 480),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    -- The same person submitting the same title twice is one item (a double submit).
    unique (partnership_id, meeting_id, submitted_by, title),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id)
);
create trigger agenda_item_updated_at before update on agenda_item
    for each row execute function set_updated_at();

-- Who came: one row per seat on the group, written ahead (apologies) or on the day.
create table attendance (
    partnership_id uuid not null,
    meeting_id uuid not null,
    group_member_id uuid not null,
    status text not null check (status in ('present', 'apologies', 'deputy', 'absent')),
    deputy_name text not null default '' check (length(deputy_name) <= 200),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, meeting_id, group_member_id),
    check (status <> 'deputy' or length(deputy_name) > 0),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    foreign key (partnership_id, group_member_id) references group_member (partnership_id, id)
);

-- A quorum rule: which sectors must each be represented (present, or by a
-- deputy from that organisation) for a group's decisions. A rule with no group
-- applies to every group of the partnership that has no rule of its own.
create table quorum_rule (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    group_id uuid,
    required_sectors text[] not null check (cardinality(required_sectors) between 1 and 8),
    description text not null default '' check (length(description) <= 1000),
    primary key (partnership_id, id),
    unique nulls not distinct (partnership_id, group_id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);

do $$
declare
    t text;
begin
    foreach t in array array['meeting', 'agenda_item', 'attendance', 'quorum_rule']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('create policy %I on %I using (partnership_id = app_partnership_id())', t || '_tenant', t);
        execute format('grant select, insert, update on %I to hub_app', t);
    end loop;
end
$$;
