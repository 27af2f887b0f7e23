-- A personal iCalendar feed per person, behind an unguessable token they can
-- reset. Only the token's SHA-256 is stored.
create table calendar_feed (
    user_id uuid primary key references app_user (id),
    token_hash text not null unique,
    created_at timestamptz not null default now()
);
grant select, insert, update, delete on calendar_feed to hub_app;
