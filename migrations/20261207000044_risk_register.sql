-- The risk register: organisational and strategic issues that might stop the
-- partnership meeting its statutory obligations, each scored on a 5 × 5 scale
-- (likelihood × impact) before the controls, now, and as a target, with an
-- owner, the group that oversees it and a date for its next review. Every
-- review keeps its score (the history is append-only); closing a risk keeps it.

create table risk (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- RR1, RR2 … in the partnership's register.
    number integer not null check (number > 0),
    title text not null check (length(title) between 1 and 200),
    cause text not null default '' check (length(cause) <= 4000),
    effect text not null default '' check (length(effect) <= 4000),
    category text not null check (category in ('statutory', 'strategic', 'operational', 'financial', 'workforce', 'information',
                                               'reputational')),
    owner_membership_id uuid not null,
    group_id uuid,
    -- Before the controls (inherent), now (after them, as the last review found) and the target.
    inherent_likelihood smallint not null check (inherent_likelihood between 1 and 5),
    inherent_impact smallint not null check (inherent_impact between 1 and 5),
    likelihood smallint not null check (likelihood between 1 and 5),
    impact smallint not null check (impact between 1 and 5),
    target_likelihood smallint not null check (target_likelihood between 1 and 5),
    target_impact smallint not null check (target_impact between 1 and 5),
    controls text not null default '' check (length(controls) <= 8000),
    review_on date not null,
    closed_on date,
    closed_reason text not null default '' check (length(closed_reason) <= 4000),
    created_at timestamptz not null default now(),
    created_by uuid references app_user (id),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    foreign key (partnership_id, owner_membership_id) references membership (partnership_id, id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    -- A closed risk says why.
    check (closed_on is null or length(closed_reason) > 0)
);
-- One open risk of a title: a form sent twice records one.
create unique index risk_open_title on risk (partnership_id, lower(title)) where closed_on is null;
create index risk_open_review on risk (partnership_id, review_on) where closed_on is null;
create index risk_open_owner on risk (partnership_id, owner_membership_id) where closed_on is null;
create index risk_closed on risk (partnership_id, closed_on desc) where closed_on is not null;
alter table risk enable row level security;
create policy risk_tenant on risk using (partnership_id = app_partnership_id());
grant select, insert, update on risk to hub_app;

-- Each review of a risk (the first is its recording): the score it found and what was said.
create table risk_review (
    partnership_id uuid not null,
    id uuid not null,
    risk_id uuid not null,
    reviewed_on date not null,
    likelihood smallint not null check (likelihood between 1 and 5),
    impact smallint not null check (impact between 1 and 5),
    note text not null default '' check (length(note) <= 4000),
    reviewed_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, risk_id) references risk (partnership_id, id)
);
create index risk_review_history on risk_review (partnership_id, risk_id, reviewed_on, recorded_at);
alter table risk_review enable row level security;
create policy risk_review_tenant on risk_review using (partnership_id = app_partnership_id());
-- The history is kept as it was: the application may add to it, never change it.
grant select, insert on risk_review to hub_app;

-- A closed risk is kept as it was closed.
create function risk_closed_is_kept() returns trigger
language plpgsql as $$
begin
    if old.closed_on is not null then
        raise exception 'risk % is closed and cannot change', old.id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger risk_closed_is_kept before update on risk for each row execute function risk_closed_is_kept();

-- The controls and mitigating actions, through the shared actions owner.
alter table action_point add column risk_id uuid;
alter table action_point add constraint action_point_risk_fk foreign key (partnership_id, risk_id) references risk (partnership_id, id);
create index action_point_risk_idx on action_point (partnership_id, risk_id) where risk_id is not null;
