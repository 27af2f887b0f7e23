-- Foundation: partnerships (the tenants), people, memberships and roles,
-- the append-only audit log, sign-in attempts and sessions.

-- The role the web application runs as. It owns nothing and is not a
-- superuser, so row-level security applies to it.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'hub_app') then
        create role hub_app nologin;
    end if;
end
$$;
-- The migrating role may switch to hub_app when it also serves (see db::connect_app).
grant hub_app to current_user;

create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end
$$;

-- The current tenant and person, set per transaction by the application.
create or replace function app_partnership_id() returns uuid
language sql stable as $$
    select nullif(current_setting('app.partnership_id', true), '')::uuid
$$;

create or replace function app_user_id() returns uuid
language sql stable as $$
    select nullif(current_setting('app.user_id', true), '')::uuid
$$;

create table partnership (
    id uuid primary key,
    slug text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 60),
    name text not null check (length(name) between 1 and 200),
    short_name text not null check (length(short_name) between 1 and 80),
    -- children, adults at risk, or both ("all-age")
    scope text not null check (scope in ('children', 'adults', 'all_age')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger partnership_updated_at before update on partnership
    for each row execute function set_updated_at();

-- One login per person, whatever partnerships they serve.
create table app_user (
    id uuid primary key,
    email text not null check (email = lower(email) and length(email) <= 254),
    display_name text not null check (length(display_name) between 1 and 120),
    password_hash text,
    is_platform_admin boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index app_user_email_key on app_user (email);
create trigger app_user_updated_at before update on app_user
    for each row execute function set_updated_at();

-- Organisations as the partnership names them (statutory partners, relevant agencies, others).
create table organisation (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    name text not null check (length(name) between 1 and 200),
    sector text not null check (sector in ('local_authority', 'health', 'police', 'education',
        'probation', 'voluntary', 'other')),
    is_statutory_partner boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, name)
);
create trigger organisation_updated_at before update on organisation
    for each row execute function set_updated_at();

-- A person's place in a partnership.
create table membership (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    user_id uuid not null references app_user (id),
    organisation_id uuid,
    job_title text not null default '' check (length(job_title) <= 200),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, user_id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);
create index membership_user_idx on membership (user_id);
create trigger membership_updated_at before update on membership
    for each row execute function set_updated_at();

create table membership_role (
    partnership_id uuid not null,
    membership_id uuid not null,
    role text not null check (role in ('business_manager', 'lead_safeguarding_partner',
        'delegated_safeguarding_partner', 'deputy', 'independent_scrutineer', 'group_chair',
        'group_member', 'viewer')),
    primary key (partnership_id, membership_id, role),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id)
        on delete cascade
);

-- A link that lets an invited person set their first password.
create table invitation (
    token_hash text primary key,
    user_id uuid not null references app_user (id),
    partnership_id uuid references partnership (id),
    invited_by uuid references app_user (id),
    expires_at timestamptz not null,
    used_at timestamptz,
    created_at timestamptz not null default now()
);
create index invitation_user_idx on invitation (user_id);

-- Every change to governance records, and every sign-in. Append-only.
create table audit_log (
    id bigint generated always as identity primary key,
    occurred_at timestamptz not null default now(),
    partnership_id uuid references partnership (id),
    actor_user_id uuid references app_user (id),
    action text not null,
    subject_type text not null,
    subject_id text,
    before jsonb,
    after jsonb,
    client_address text
);
create index audit_log_partnership_idx on audit_log (partnership_id, occurred_at desc);

create function audit_log_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % refused', tg_op;
end
$$;
create trigger audit_log_append_only before update or delete on audit_log
    for each row execute function audit_log_is_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_is_append_only();

-- Sign-in attempts, to slow down password guessing per account and per address.
create table sign_in_attempt (
    id bigint generated always as identity primary key,
    attempted_at timestamptz not null default now(),
    email text not null,
    client_address text not null,
    succeeded boolean not null
);
create index sign_in_attempt_email_idx on sign_in_attempt (email, attempted_at);
create index sign_in_attempt_address_idx on sign_in_attempt (client_address, attempted_at);

-- Sessions, in the layout tower-sessions-sqlx-store expects.
create schema tower_sessions;
create table tower_sessions.session (
    id text primary key not null,
    data bytea not null,
    expiry_date timestamptz not null
);

-- Row-level security: the second wall behind `where partnership_id = $1`.
alter table organisation enable row level security;
create policy organisation_tenant on organisation
    using (partnership_id = app_partnership_id());

alter table membership enable row level security;
-- A person may also see their own memberships, to choose among their partnerships.
create policy membership_tenant on membership
    using (partnership_id = app_partnership_id() or user_id = app_user_id())
    with check (partnership_id = app_partnership_id());

alter table membership_role enable row level security;
create policy membership_role_tenant on membership_role
    using (partnership_id = app_partnership_id()
        or exists (select 1 from membership m
                   where m.partnership_id = membership_role.partnership_id
                     and m.id = membership_role.membership_id
                     and m.user_id = app_user_id()))
    with check (partnership_id = app_partnership_id());

alter table audit_log enable row level security;
create policy audit_log_read on audit_log for select
    using (partnership_id = app_partnership_id());
-- Sign-ins and platform changes carry no partnership.
create policy audit_log_append on audit_log for insert
    with check (partnership_id is null or partnership_id = app_partnership_id());

grant usage on schema public, tower_sessions to hub_app;
grant select on partnership to hub_app;
grant insert, update on partnership to hub_app;
grant select, insert, update on app_user to hub_app;
grant select, insert, update, delete on organisation, membership, membership_role to hub_app;
grant select, insert, update on invitation to hub_app;
grant select, insert on audit_log to hub_app;
grant select, insert, delete on sign_in_attempt to hub_app;
grant select, insert, update, delete on tower_sessions.session to hub_app;

-- How many people each partnership has, for the platform administrator's
-- list: counts only, no tenant rows.
create function partnership_member_counts() returns table (partnership_id uuid, members bigint)
language sql stable security definer set search_path = public as $$
    select partnership_id, count(*) from membership group by partnership_id
$$;
revoke all on function partnership_member_counts() from public;
grant execute on function partnership_member_counts() to hub_app;
