-- The partnership's performance data set: the indicators it has agreed (what
-- each measures, its unit, which agency supplies it, how often, the target
-- and which way is better, the group that reviews it) and the values agencies
-- enter for each period, by hand or by a CSV file per period.

create table indicator (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    name text not null check (length(name) between 1 and 200),
    definition text not null default '' check (length(definition) <= 4000),
    unit text not null default '' check (length(unit) <= 40),
    organisation_id uuid,
    frequency text not null check (frequency in ('monthly', 'quarterly', 'yearly')),
    target double precision check (target = target and abs(target) < 1e12),
    higher_is_better boolean not null default true,
    -- How far short of the target, as a share of it, is still amber rather than red.
    amber_percent double precision not null default 10 check (amber_percent between 0 and 100),
    group_id uuid,
    retired_on date,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);
-- One indicator of a name: a form sent twice defines one, and a CSV names each unambiguously.
create unique index indicator_name on indicator (partnership_id, lower(name));
alter table indicator enable row level security;
create policy indicator_tenant on indicator using (partnership_id = app_partnership_id());
grant select, insert, update on indicator to hub_app;

-- A value for a period (the period's first day: a month, a financial quarter or a financial year).
create table indicator_value (
    partnership_id uuid not null,
    indicator_id uuid not null,
    period_start date not null,
    value double precision not null check (value = value and abs(value) < 1e12),
    note text not null default '' check (length(note) <= 1000),
    entered_by uuid references app_user (id),
    entered_at timestamptz not null default now(),
    primary key (partnership_id, indicator_id, period_start),
    foreign key (partnership_id, indicator_id) references indicator (partnership_id, id)
);
alter table indicator_value enable row level security;
create policy indicator_value_tenant on indicator_value using (partnership_id = app_partnership_id());
grant select, insert, update on indicator_value to hub_app;
