-- The pooled budget, one financial year (1 April to 31 March) at a time: the
-- budget lines by category, each contributor's agreed contribution (cash or
-- in kind) with the invoices raised and payments received against it, and
-- the expenditure against the lines. The year's position and the balance
-- carried into the next year are computed from these, never typed. Money is
-- whole pennies in a bigint.

-- A partnership that runs children's and adults' arrangements together may
-- split its budget between them: the children's share, in per cent.
alter table arrangement add column children_share_percent smallint check (children_share_percent between 0 and 100);

create table budget_year (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    starts_on date not null check (extract(month from starts_on) = 4 and extract(day from starts_on) = 1),
    -- The split as it stood when the year was set up, so a later change of the setting leaves past years alone.
    children_share_percent smallint check (children_share_percent between 0 and 100),
    -- The lead partners' agreement of the contributions, put to them through the decisions module.
    decision_id uuid,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, starts_on),
    foreign key (partnership_id, decision_id) references decision (partnership_id, id)
);
alter table budget_year enable row level security;
create policy budget_year_tenant on budget_year using (partnership_id = app_partnership_id());
grant select, insert, update on budget_year to hub_app;

create table budget_line (
    partnership_id uuid not null,
    id uuid not null,
    budget_year_id uuid not null,
    category text not null check (category in ('staffing', 'scrutiny', 'reviews', 'training', 'other')),
    name text not null check (length(name) between 1 and 200),
    amount_pennies bigint not null check (amount_pennies >= 0 and amount_pennies < 100000000000),
    primary key (partnership_id, id),
    foreign key (partnership_id, budget_year_id) references budget_year (partnership_id, id)
);
-- One line of a name a year: a form sent twice adds one.
create unique index budget_line_name on budget_line (partnership_id, budget_year_id, lower(name));
alter table budget_line enable row level security;
create policy budget_line_tenant on budget_line using (partnership_id = app_partnership_id());
grant select, insert, update on budget_line to hub_app;

create table contribution (
    partnership_id uuid not null,
    id uuid not null,
    budget_year_id uuid not null,
    -- A statutory partner or relevant agency on the structure page; none for another contributor, named.
    organisation_id uuid,
    contributor text not null check (length(contributor) between 1 and 200),
    contributor_kind text not null check (contributor_kind in ('statutory_partner', 'relevant_agency', 'other')),
    form text not null check (form in ('cash', 'in_kind')),
    amount_pennies bigint not null check (amount_pennies > 0 and amount_pennies < 100000000000),
    -- What an in-kind contribution is (a post, rooms, training places).
    description text not null default '' check (length(description) <= 1000),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, budget_year_id) references budget_year (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
-- One contribution a contributor a year.
create unique index contribution_contributor on contribution (partnership_id, budget_year_id, lower(contributor));
alter table contribution enable row level security;
create policy contribution_tenant on contribution using (partnership_id = app_partnership_id());
grant select, insert, update on contribution to hub_app;

-- Invoices raised for a cash contribution and payments received against it. Kept as entered.
create table contribution_entry (
    partnership_id uuid not null,
    id uuid not null,
    contribution_id uuid not null,
    kind text not null check (kind in ('invoice', 'payment')),
    entered_on date not null,
    amount_pennies bigint not null check (amount_pennies > 0 and amount_pennies < 100000000000),
    reference text not null default '' check (length(reference) <= 100),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, contribution_id) references contribution (partnership_id, id)
);
create index contribution_entry_contribution on contribution_entry (partnership_id, contribution_id);
alter table contribution_entry enable row level security;
create policy contribution_entry_tenant on contribution_entry using (partnership_id = app_partnership_id());
grant select, insert on contribution_entry to hub_app;

create table expenditure (
    partnership_id uuid not null,
    id uuid not null,
    budget_year_id uuid not null,
    budget_line_id uuid not null,
    spent_on date not null,
    description text not null check (length(description) between 1 and 400),
    supplier text not null default '' check (length(supplier) <= 200),
    amount_pennies bigint not null check (amount_pennies > 0 and amount_pennies < 100000000000),
    -- Where the partnership splits its budget: which arrangements the spending was for.
    arrangements text not null default 'shared' check (arrangements in ('children', 'adults', 'shared')),
    recorded_by uuid references app_user (id),
    recorded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, budget_year_id) references budget_year (partnership_id, id),
    foreign key (partnership_id, budget_line_id) references budget_line (partnership_id, id)
);
create index expenditure_year on expenditure (partnership_id, budget_year_id, spent_on);
alter table expenditure enable row level security;
create policy expenditure_tenant on expenditure using (partnership_id = app_partnership_id());
grant select, insert on expenditure to hub_app;

-- Spending falls in its own financial year, and on a line of that year.
create function expenditure_in_its_year() returns trigger
language plpgsql as $$
begin
    if not exists (select 1 from budget_year y join budget_line l on l.partnership_id = y.partnership_id and l.budget_year_id = y.id
                   where y.partnership_id = new.partnership_id and y.id = new.budget_year_id and l.id = new.budget_line_id
                     and new.spent_on >= y.starts_on and new.spent_on < (y.starts_on + interval '1 year')) then
        raise exception 'expenditure % is not in its financial year', new.id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger expenditure_in_its_year before insert on expenditure for each row execute function expenditure_in_its_year();

-- An invoice or payment belongs to a cash contribution.
create function contribution_entry_is_cash() returns trigger
language plpgsql as $$
begin
    if not exists (select 1 from contribution c where c.partnership_id = new.partnership_id and c.id = new.contribution_id and c.form = 'cash') then
        raise exception 'contribution % is not in cash', new.contribution_id using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger contribution_entry_is_cash before insert on contribution_entry for each row execute function contribution_entry_is_cash();
