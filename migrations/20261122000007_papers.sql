-- Meeting papers: the files live in object storage (a local folder or an
-- S3-compatible store); here are their names, types, sizes and SHA-256.
create table paper (
    partnership_id uuid not null,
    id uuid not null,
    meeting_id uuid not null,
    agenda_item_id uuid,
    title text not null check (length(title) between 1 and 200),
    filename text not null check (length(filename) between 1 and 255),
    content_type text not null,
    size_bytes bigint not null check (size_bytes > 0),
    sha256 text not null check (length(sha256) = 64),
    storage_key text not null unique,
    uploaded_by uuid references app_user (id),
    uploaded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    -- The same file uploaded twice to a meeting (a double submit) is one paper.
    unique (partnership_id, meeting_id, sha256),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    foreign key (partnership_id, agenda_item_id) references agenda_item (partnership_id, id)
);
alter table paper enable row level security;
create policy paper_tenant on paper using (partnership_id = app_partnership_id());
grant select, insert on paper to hub_app;
