-- Two-factor sign-in: a time-based one-time code (RFC 6238) after the
-- password, and ten single-use recovery codes, stored hashed.
alter table app_user
    add column totp_secret bytea check (totp_secret is null or length(totp_secret) >= 16),
    add column totp_enabled_at timestamptz,
    -- The last time step a code was accepted for: a code is good once.
    add column totp_last_step bigint not null default 0;

create table recovery_code (
    user_id uuid not null references app_user (id),
    code_hash text not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    primary key (user_id, code_hash)
);
grant select, insert, update, delete on recovery_code to hub_app;

-- Everyone in the partnership signs in with a second factor.
alter table partnership add column two_factor_required boolean not null default false;

-- Whether a person must have a second factor and has none: platform
-- administrators and business managers when the service requires it
-- (`sensitive_roles`), everyone in a partnership that does. Read before any
-- partnership is entered, so it looks across them (counts nothing else).
-- Every name is qualified and no search_path is set on it: a function that
-- sets one makes PostgreSQL plan its statements afresh on every call.
create function app_two_factor_missing(u uuid, sensitive_roles boolean) returns boolean
language plpgsql stable security definer as $$
begin
    -- Asked on every request: PL/pgSQL keeps the plans, and someone with a second factor is answered at once.
    return exists (
        select 1 from public.app_user x
        where x.id = u and x.totp_enabled_at is null and (
            (sensitive_roles and (x.is_platform_admin or exists (
                select 1 from public.membership m
                join public.membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
                where m.user_id = u and m.is_current and r.role = 'business_manager')))
            or exists (select 1 from public.membership m join public.partnership p on p.id = m.partnership_id
                       where m.user_id = u and m.is_current and p.two_factor_required)));
end
$$;
revoke all on function app_two_factor_missing(uuid, boolean) from public;
grant execute on function app_two_factor_missing(uuid, boolean) to hub_app;
