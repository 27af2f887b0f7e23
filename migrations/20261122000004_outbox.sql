-- Outgoing mail, written in the same transaction as the change it tells
-- people about, and sent by a worker in the app (several instances share the
-- work with FOR UPDATE SKIP LOCKED).

create table outbox (
    id bigint generated always as identity primary key,
    partnership_id uuid references partnership (id),
    to_email text not null check (length(to_email) <= 254),
    to_name text not null default '' check (length(to_name) <= 200),
    subject text not null check (length(subject) between 1 and 300),
    body text not null check (length(body) <= 20000),
    -- One message per event and recipient: a repeated change queues nothing more.
    dedupe_key text not null unique check (length(dedupe_key) <= 300),
    created_at timestamptz not null default now(),
    next_attempt_at timestamptz not null default now(),
    attempts integer not null default 0,
    last_error text not null default '',
    sent_at timestamptz
);
create index outbox_pending_idx on outbox (next_attempt_at) where sent_at is null;

alter table outbox enable row level security;
-- Writers see their own partnership's mail; the worker (which sets
-- app.outbox_worker in its own transactions) sees all of it.
create policy outbox_tenant on outbox
    using (partnership_id = app_partnership_id() or current_setting('app.outbox_worker', true) = 'on')
    with check (partnership_id is null or partnership_id = app_partnership_id() or current_setting('app.outbox_worker', true) = 'on');
grant select, insert, update on outbox to hub_app;
