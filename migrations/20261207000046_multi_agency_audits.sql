-- Multi-agency case audits: a theme, commissioned by a group; the agencies
-- and the cases in the sample (pseudonymised: a reference such as "Case A",
-- never a name); each agency's findings, graded, and the overall findings,
-- grade and learning; the actions (through the actions owner); reported to
-- the group that commissioned it (its next meeting's agenda, through the
-- agenda owner). A reported audit is kept as it was reported.

create table case_audit (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- MA1, MA2 … in the partnership's list of audits.
    number integer not null check (number > 0),
    theme text not null check (length(theme) between 1 and 200),
    group_id uuid not null,
    scope text not null default '' check (length(scope) <= 4000),
    started_on date not null,
    status text not null default 'in_progress' check (status in ('in_progress', 'reported')),
    overall_grade text check (overall_grade in ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    overall_findings text not null default '' check (length(overall_findings) <= 8000),
    learning text not null default '' check (length(learning) <= 8000),
    reported_on date,
    meeting_id uuid,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    check ((status = 'reported') = (reported_on is not null)),
    check (status = 'in_progress' or overall_grade is not null)
);
-- One audit of a theme: a form sent twice starts one.
create unique index case_audit_theme on case_audit (partnership_id, lower(theme));
alter table case_audit enable row level security;
create policy case_audit_tenant on case_audit using (partnership_id = app_partnership_id());
grant select, insert, update on case_audit to hub_app;

-- The cases in the sample, by a pseudonymised reference.
create table case_audit_case (
    partnership_id uuid not null,
    id uuid not null,
    audit_id uuid not null,
    reference text not null check (length(reference) between 1 and 60),
    summary text not null default '' check (length(summary) <= 2000),
    primary key (partnership_id, id),
    foreign key (partnership_id, audit_id) references case_audit (partnership_id, id)
);
create unique index case_audit_case_reference on case_audit_case (partnership_id, audit_id, lower(reference));
alter table case_audit_case enable row level security;
create policy case_audit_case_tenant on case_audit_case using (partnership_id = app_partnership_id());
grant select, insert on case_audit_case to hub_app;

-- Each agency in the sample, with its findings and grade.
create table case_audit_agency (
    partnership_id uuid not null,
    audit_id uuid not null,
    organisation_id uuid not null,
    grade text check (grade in ('outstanding', 'good', 'requires_improvement', 'inadequate')),
    findings text not null default '' check (length(findings) <= 8000),
    primary key (partnership_id, audit_id, organisation_id),
    foreign key (partnership_id, audit_id) references case_audit (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
alter table case_audit_agency enable row level security;
create policy case_audit_agency_tenant on case_audit_agency using (partnership_id = app_partnership_id());
grant select, insert, update on case_audit_agency to hub_app;

-- A reported audit is kept as it was: only the meeting it went to may be filled in after.
create function case_audit_kept() returns trigger
language plpgsql as $$
begin
    if old.status = 'reported'
       and (new.theme, new.group_id, new.scope, new.started_on, new.status, new.overall_grade, new.overall_findings, new.learning,
            new.reported_on)
           is distinct from (old.theme, old.group_id, old.scope, old.started_on, old.status, old.overall_grade, old.overall_findings,
                             old.learning, old.reported_on) then
        raise exception 'audit % is reported and cannot change', old.id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger case_audit_kept before update on case_audit for each row execute function case_audit_kept();

create function case_audit_part_kept() returns trigger
language plpgsql as $$
begin
    if exists (select 1 from case_audit a where a.partnership_id = new.partnership_id and a.id = new.audit_id and a.status = 'reported') then
        raise exception 'audit % is reported and its sample and findings cannot change', new.audit_id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger case_audit_agency_kept before insert or update on case_audit_agency
    for each row execute function case_audit_part_kept();
create trigger case_audit_case_kept before insert on case_audit_case
    for each row execute function case_audit_part_kept();

alter table action_point add column case_audit_id uuid;
alter table action_point add constraint action_point_case_audit_fk foreign key (partnership_id, case_audit_id) references case_audit (partnership_id, id);
create index action_point_case_audit_idx on action_point (partnership_id, case_audit_id) where case_audit_id is not null;
