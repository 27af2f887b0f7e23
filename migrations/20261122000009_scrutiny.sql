-- Independent scrutiny: who scrutinises and for how long, the programme of
-- work, quarterly reports in versions (a submitted version is locked; a
-- correction is a new version with its reason), findings with an assurance
-- rating, recommendations to named partners or groups, their responses, the
-- actions that follow, and the annual review of the scrutiny function.

alter table arrangement
    -- The group scrutiny reports go to (Windsor & Maidenhead: the Executive Steering group).
    add column scrutiny_group_id uuid,
    -- Working days a partner or group has to respond to a recommendation.
    add column recommendation_response_working_days integer not null default 20
        check (recommendation_response_working_days between 1 and 120),
    add constraint arrangement_scrutiny_group_fk foreign key (partnership_id, scrutiny_group_id)
        references partnership_group (partnership_id, id);

-- An independent scrutineer, a scrutiny agency or an independent person, with their tenure.
create table scrutiny_appointment (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    kind text not null check (kind in ('independent_scrutineer', 'scrutiny_agency', 'independent_person')),
    name text not null check (length(name) between 1 and 200),
    -- The agency a person works for, if any.
    agency text not null default '' check (length(agency) <= 200),
    -- The account that signs in, when the person has one.
    membership_id uuid,
    starts_on date not null,
    ends_on date,
    review_due_on date,
    notes text not null default '' check (length(notes) <= 2000),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    -- The same person added twice (a double submit, or the seed loaded again) is one appointment.
    unique (partnership_id, kind, name, starts_on),
    check (ends_on is null or ends_on >= starts_on),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id)
);

-- The programme of work agreed for a financial year.
create table scrutiny_programme_item (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- The year the financial year starts in: 2026 is 2026/27.
    financial_year integer not null check (financial_year between 2000 and 2200),
    quarter integer not null check (quarter between 1 and 4),
    theme text not null check (length(theme) between 1 and 300),
    methods text[] not null default '{}',
    notes text not null default '' check (length(notes) <= 2000),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, financial_year, quarter, theme)
);

-- A quarterly report by one scrutineer; its content lives in versions.
create table scrutiny_report (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    author_membership_id uuid not null,
    financial_year integer not null check (financial_year between 2000 and 2200),
    quarter integer not null check (quarter between 1 and 4),
    title text not null check (length(title) between 1 and 200),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    -- One report per scrutineer per quarter.
    unique (partnership_id, author_membership_id, financial_year, quarter),
    foreign key (partnership_id, author_membership_id) references membership (partnership_id, id)
);

create table scrutiny_report_version (
    partnership_id uuid not null,
    report_id uuid not null,
    version integer not null check (version > 0),
    summary text not null default '' check (length(summary) <= 20000),
    methods text[] not null default '{}',
    -- The report file, in object storage.
    filename text,
    content_type text,
    size_bytes bigint,
    sha256 text,
    -- A correction keeps the file of the version it corrects unless a new one is uploaded.
    storage_key text,
    -- Why a later version corrects an earlier one.
    correction_reason text not null default '' check (length(correction_reason) <= 2000),
    submitted_at timestamptz,
    submitted_by uuid references app_user (id),
    -- When partners' responses to its recommendations are due.
    responses_due_on date,
    superseded_at timestamptz,
    created_at timestamptz not null default now(),
    primary key (partnership_id, report_id, version),
    check (version = 1 or length(correction_reason) > 0),
    check (submitted_at is null or (storage_key is not null and responses_due_on is not null)),
    foreign key (partnership_id, report_id) references scrutiny_report (partnership_id, id)
);
-- At most one draft of a report at a time.
create unique index scrutiny_report_one_draft on scrutiny_report_version (partnership_id, report_id) where submitted_at is null;

-- A submitted version is locked: only its being superseded may be recorded.
create function scrutiny_version_is_locked() returns trigger
language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        if old.submitted_at is not null then
            raise exception 'scrutiny report % version % is submitted and cannot be removed', old.report_id, old.version
                using errcode = 'check_violation';
        end if;
        return old;
    end if;
    if old.submitted_at is not null and (new.summary, new.methods, new.filename, new.content_type, new.size_bytes, new.sha256,
            new.storage_key, new.correction_reason, new.submitted_at, new.submitted_by, new.responses_due_on, new.version, new.report_id)
            is distinct from (old.summary, old.methods, old.filename, old.content_type, old.size_bytes, old.sha256,
            old.storage_key, old.correction_reason, old.submitted_at, old.submitted_by, old.responses_due_on, old.version, old.report_id) then
        raise exception 'scrutiny report % version % is submitted and locked', old.report_id, old.version
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger scrutiny_report_version_locked before update or delete on scrutiny_report_version
    for each row execute function scrutiny_version_is_locked();

create table scrutiny_finding (
    partnership_id uuid not null,
    id uuid not null,
    report_id uuid not null,
    version integer not null,
    position integer not null,
    title text not null check (length(title) between 1 and 300),
    detail text not null default '' check (length(detail) <= 10000),
    assurance text not null check (assurance in ('substantial', 'reasonable', 'limited', 'none')),
    primary key (partnership_id, id),
    foreign key (partnership_id, report_id, version) references scrutiny_report_version (partnership_id, report_id, version)
);

create table scrutiny_recommendation (
    partnership_id uuid not null,
    id uuid not null,
    finding_id uuid not null,
    report_id uuid not null,
    version integer not null,
    -- The same recommendation across versions of a report: responses and actions follow it.
    lineage_id uuid not null,
    body text not null check (length(body) between 1 and 4000),
    addressee_organisation_id uuid,
    addressee_group_id uuid,
    primary key (partnership_id, id),
    unique (partnership_id, report_id, version, lineage_id),
    check (num_nonnulls(addressee_organisation_id, addressee_group_id) = 1),
    foreign key (partnership_id, finding_id) references scrutiny_finding (partnership_id, id) on delete cascade,
    foreign key (partnership_id, report_id, version) references scrutiny_report_version (partnership_id, report_id, version),
    foreign key (partnership_id, addressee_organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, addressee_group_id) references partnership_group (partnership_id, id)
);

-- Findings and recommendations change only while their version is a draft.
create function scrutiny_content_is_draft() returns trigger
language plpgsql as $$
declare
    r record;
begin
    if tg_op = 'DELETE' then r := old; else r := new; end if;
    if exists (select 1 from scrutiny_report_version v where v.partnership_id = r.partnership_id and v.report_id = r.report_id
               and v.version = r.version and v.submitted_at is not null) then
        raise exception 'scrutiny report % version % is submitted and locked', r.report_id, r.version
            using errcode = 'check_violation';
    end if;
    if tg_op = 'DELETE' then return old; end if;
    return new;
end
$$;
create trigger scrutiny_finding_draft before insert or update or delete on scrutiny_finding
    for each row execute function scrutiny_content_is_draft();
create trigger scrutiny_recommendation_draft before insert or update or delete on scrutiny_recommendation
    for each row execute function scrutiny_content_is_draft();

-- The addressee's answer to a recommendation (whichever version carries it now).
create table recommendation_response (
    partnership_id uuid not null,
    lineage_id uuid not null,
    report_id uuid not null,
    response text not null check (response in ('accepted', 'partly_accepted', 'not_accepted')),
    reasons text not null default '' check (length(reasons) <= 4000),
    responded_by uuid not null references app_user (id),
    responded_at timestamptz not null default now(),
    primary key (partnership_id, lineage_id),
    check (response = 'accepted' or length(reasons) > 0),
    foreign key (partnership_id, report_id) references scrutiny_report (partnership_id, id)
);

-- Actions from recommendations, and every update to any action with its evidence.
alter table action_point
    add column recommendation_lineage_id uuid,
    add column completion_confirmed_at timestamptz,
    add column completion_confirmed_by uuid references app_user (id),
    -- When the delegated partners were told it is overdue.
    add column escalated_at timestamptz,
    -- Done is done when whoever set it confirmed it, or nobody set it (actions from minutes).
    add column completion_confirmed boolean generated always as (completion_confirmed_at is not null or set_by is null) stored;
create index action_point_recommendation_idx on action_point (partnership_id, recommendation_lineage_id)
    where recommendation_lineage_id is not null;

create table action_update (
    partnership_id uuid not null,
    id uuid not null,
    action_id uuid not null,
    status text not null check (status in ('not_started', 'on_track', 'at_risk', 'complete')),
    note text not null default '' check (length(note) <= 4000),
    evidence text not null default '' check (length(evidence) <= 2000),
    updated_by uuid not null references app_user (id),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, action_id) references action_point (partnership_id, id)
);
create index action_update_action_idx on action_update (partnership_id, action_id, updated_at);

-- The delegated partners' yearly review of the scrutiny function.
create table scrutiny_review (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    reviewed_on date not null,
    conclusions text not null check (length(conclusions) between 1 and 20000),
    next_review_due_on date,
    recorded_by uuid not null references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, reviewed_on)
);

do $$
declare
    t text;
begin
    foreach t in array array['scrutiny_appointment', 'scrutiny_programme_item', 'scrutiny_report', 'scrutiny_report_version',
                             'scrutiny_finding', 'scrutiny_recommendation', 'recommendation_response', 'action_update', 'scrutiny_review']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('create policy %I on %I using (partnership_id = app_partnership_id())', t || '_tenant', t);
        execute format('grant select, insert on %I to hub_app', t);
    end loop;
end
$$;
grant update on scrutiny_appointment, scrutiny_programme_item, scrutiny_report_version, recommendation_response to hub_app;
-- Drafts' findings and recommendations can be changed and removed (the triggers refuse it once submitted).
grant update, delete on scrutiny_finding, scrutiny_recommendation to hub_app;
