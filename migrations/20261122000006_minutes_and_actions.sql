-- Minutes of a meeting, drafted against its agenda, circulated for comment,
-- approved at a later meeting and published without confidential passages;
-- and the actions that come out of them.

create table minutes (
    partnership_id uuid not null,
    meeting_id uuid not null,
    status text not null default 'draft' check (status in ('draft', 'circulated', 'approved', 'published')),
    circulated_at timestamptz,
    approved_at_meeting_id uuid,
    approved_at timestamptz,
    published_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, meeting_id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    foreign key (partnership_id, approved_at_meeting_id) references meeting (partnership_id, id)
);
create trigger minutes_updated_at before update on minutes
    for each row execute function set_updated_at();

-- One section per agenda item (and any the business manager adds).
create table minute_section (
    partnership_id uuid not null,
    id uuid not null,
    meeting_id uuid not null,
    agenda_item_id uuid,
    position integer not null,
    heading text not null check (length(heading) between 1 and 200),
    body text not null default '' check (length(body) <= 50000),
    -- Left out of the published minutes.
    confidential boolean not null default false,
    primary key (partnership_id, id),
    unique (partnership_id, meeting_id, agenda_item_id),
    foreign key (partnership_id, meeting_id) references minutes (partnership_id, meeting_id),
    foreign key (partnership_id, agenda_item_id) references agenda_item (partnership_id, id)
);

create table minutes_comment (
    partnership_id uuid not null,
    id uuid not null,
    meeting_id uuid not null,
    author_user_id uuid not null references app_user (id),
    body text not null check (length(body) between 1 and 5000),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, meeting_id) references minutes (partnership_id, meeting_id)
);

-- An action: what, who, by when, and how it stands. Overdue is derived from the due date.
create table action_point (
    partnership_id uuid not null,
    id uuid not null,
    description text not null check (length(description) between 1 and 2000),
    owner_membership_id uuid,
    owner_name text not null check (length(owner_name) between 1 and 200),
    due_on date not null,
    status text not null default 'not_started' check (status in ('not_started', 'on_track', 'at_risk', 'complete')),
    group_id uuid,
    meeting_id uuid,
    minute_section_id uuid,
    set_by uuid references app_user (id),
    completed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, owner_membership_id) references membership (partnership_id, id) on delete set null (owner_membership_id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    foreign key (partnership_id, minute_section_id) references minute_section (partnership_id, id)
);
create index action_point_owner_idx on action_point (partnership_id, owner_membership_id) where status <> 'complete';
create trigger action_point_updated_at before update on action_point
    for each row execute function set_updated_at();

do $$
declare
    t text;
begin
    foreach t in array array['minutes', 'minute_section', 'minutes_comment', 'action_point']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('create policy %I on %I using (partnership_id = app_partnership_id())', t || '_tenant', t);
        execute format('grant select, insert, update on %I to hub_app', t);
    end loop;
end
$$;
