-- The library: the partnership's policies, procedures, thresholds document,
-- memoranda of understanding, information sharing agreements and guidance,
-- each with its owner, the group that keeps it, its review date and whether
-- it is published; and its versions, each a file (through the papers owner)
-- with what changed and its approval (by a group on a date, or by a decision
-- of the partners). Groups' terms of reference are not copied here: the
-- library lists them from `terms_of_reference`.

create table library_document (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    kind text not null check (kind in ('policy', 'procedure', 'thresholds', 'memorandum', 'information_sharing', 'guidance', 'other')),
    title text not null check (length(title) between 1 and 200),
    summary text not null default '' check (length(summary) <= 2000),
    owner_membership_id uuid not null,
    -- The group that keeps it (Swindon's policies and procedures group).
    group_id uuid,
    review_on date not null,
    -- Listed on the partnership's public site.
    published boolean not null default false,
    retired_on date,
    created_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    primary key (partnership_id, id),
    foreign key (partnership_id, owner_membership_id) references membership (partnership_id, id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);
-- One current document of a title: a form sent twice adds one.
create unique index library_document_title on library_document (partnership_id, lower(title)) where retired_on is null;
create index library_document_review on library_document (partnership_id, review_on) where retired_on is null;
alter table library_document enable row level security;
create policy library_document_tenant on library_document using (partnership_id = app_partnership_id());
grant select, insert, update on library_document to hub_app;

create table library_version (
    partnership_id uuid not null,
    id uuid not null,
    document_id uuid not null,
    version integer not null check (version > 0),
    changes text not null default '' check (length(changes) <= 2000),
    approved_on date,
    approved_by_group_id uuid,
    approved_decision_id uuid,
    uploaded_by uuid references app_user (id),
    uploaded_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, document_id, version),
    foreign key (partnership_id, document_id) references library_document (partnership_id, id),
    foreign key (partnership_id, approved_by_group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, approved_decision_id) references decision (partnership_id, id),
    -- Approved by a group or a decision, on a date; or not yet approved.
    check ((approved_on is null) = (approved_by_group_id is null and approved_decision_id is null))
);
alter table library_version enable row level security;
create policy library_version_tenant on library_version using (partnership_id = app_partnership_id());
-- A version is kept as uploaded.
grant select, insert on library_version to hub_app;

-- A version's file, through the papers owner: one file a version.
alter table paper add column library_version_id uuid;
alter table paper drop constraint paper_belongs_to_one;
alter table paper add constraint paper_belongs_to_one
    check (num_nonnulls(meeting_id, decision_id, review_request_id, round_return_id, library_version_id) = 1);
alter table paper add constraint paper_library_version_fk foreign key (partnership_id, library_version_id) references library_version (partnership_id, id);
create unique index paper_library_version on paper (partnership_id, library_version_id) where library_version_id is not null;
