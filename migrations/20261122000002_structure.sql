-- Partnership structure: the arrangements, posts and who holds them, groups
-- with terms of reference and members, relevant agencies with Section 11
-- self-assessments, and links to other boards. Nothing is deleted: records
-- are retired with a date, so history stays.

-- How the partnership says it works, in its own words.
create table arrangement (
    partnership_id uuid primary key references partnership (id),
    chair_arrangements text not null default '' check (length(chair_arrangements) <= 2000),
    scrutiny_arrangements text not null default '' check (length(scrutiny_arrangements) <= 4000),
    decision_making text not null default '' check (length(decision_making) <= 2000),
    -- Months between a relevant agency's Section 11 self-assessments.
    section11_interval_months integer not null default 24 check (section11_interval_months between 1 and 120),
    updated_at timestamptz not null default now()
);
create trigger arrangement_updated_at before update on arrangement
    for each row execute function set_updated_at();

alter table organisation
    add column is_relevant_agency boolean not null default false,
    add column contact_name text not null default '' check (length(contact_name) <= 120),
    add column contact_email text not null default '' check (length(contact_email) <= 254),
    add column last_section11_on date,
    add column retired_on date;

-- A position the arrangements name: a lead or delegated partner for a
-- statutory partner, the partnership chair, the independent scrutineer …
create table post (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    kind text not null check (kind in ('lead_partner', 'delegated_partner', 'partnership_chair',
        'independent_scrutineer', 'independent_person', 'business_manager', 'other')),
    title text not null check (length(title) between 1 and 200),
    organisation_id uuid,
    notes text not null default '' check (length(notes) <= 1000),
    retired_on date,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, title),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
create trigger post_updated_at before update on post
    for each row execute function set_updated_at();

-- Who holds a post, and when: terms end, and the next holder can be known in advance.
create table post_holder (
    partnership_id uuid not null,
    id uuid not null,
    post_id uuid not null,
    holder_name text not null check (length(holder_name) between 1 and 200),
    membership_id uuid,
    starts_on date not null,
    ends_on date,
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, post_id, holder_name, starts_on),
    check (ends_on is null or ends_on >= starts_on),
    foreign key (partnership_id, post_id) references post (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id) on delete set null (membership_id)
);

-- The executive, boards, subgroups, task-and-finish and thematic groups.
create table partnership_group (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    name text not null check (length(name) between 1 and 200),
    kind text not null check (kind in ('accountability', 'executive', 'board', 'subgroup',
        'task_and_finish', 'thematic', 'wider_partnership', 'other')),
    purpose text not null default '' check (length(purpose) <= 4000),
    -- Null when the group meets as required.
    meetings_per_year integer check (meetings_per_year between 1 and 52),
    reports_to_id uuid,
    -- Set for time-limited groups.
    ends_on date,
    sort_order integer not null default 0,
    retired_on date,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, name),
    foreign key (partnership_id, reports_to_id) references partnership_group (partnership_id, id),
    check (reports_to_id is null or reports_to_id <> id)
);
create trigger partnership_group_updated_at before update on partnership_group
    for each row execute function set_updated_at();

-- A seat on a group: a person (named or by role title), the organisation
-- they represent and their role in the group.
create table group_member (
    partnership_id uuid not null,
    id uuid not null,
    group_id uuid not null,
    person_name text not null check (length(person_name) between 1 and 200),
    organisation_id uuid,
    membership_id uuid,
    role_in_group text not null check (role_in_group in ('chair', 'vice_chair', 'member', 'adviser', 'invited')),
    starts_on date not null default current_date,
    ends_on date,
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, group_id, person_name, role_in_group, starts_on),
    check (ends_on is null or ends_on >= starts_on),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id) on delete set null (membership_id)
);
create index group_member_group_idx on group_member (partnership_id, group_id);

-- Each version of a group's terms of reference.
create table terms_of_reference (
    partnership_id uuid not null,
    id uuid not null,
    group_id uuid not null,
    summary text not null default '' check (length(summary) <= 20000),
    adopted_on date not null,
    review_due_on date not null,
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, group_id, adopted_on),
    check (review_due_on > adopted_on),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);

-- Other boards the partnership works with (Health and Wellbeing Board …).
create table board_link (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    board_name text not null check (length(board_name) between 1 and 200),
    description text not null default '' check (length(description) <= 2000),
    -- The group of ours that holds the link, if one does.
    group_id uuid,
    retired_on date,
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, board_name),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);

do $$
declare
    t text;
begin
    foreach t in array array['arrangement', 'post', 'post_holder', 'partnership_group', 'group_member',
                             'terms_of_reference', 'board_link']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('create policy %I on %I using (partnership_id = app_partnership_id())', t || '_tenant', t);
        execute format('grant select, insert, update on %I to hub_app', t);
    end loop;
end
$$;
-- An appointment or seat that has not begun can be withdrawn (audited with what it was).
grant delete on post_holder, group_member to hub_app;
