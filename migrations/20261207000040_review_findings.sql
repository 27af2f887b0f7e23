-- A review's recommendations (a practice review's) or findings (a safeguarding adult review's), each
-- answered: implemented through actions, or not implemented with the reasons (the Care Act 2014
-- Schedule 2 has the yearly report give both for each SAR finding).
create table review_finding (
    partnership_id uuid not null,
    id uuid not null,
    review_id uuid not null,
    position integer not null check (position > 0),
    body text not null check (length(body) between 1 and 4000),
    -- Not to be implemented, and why; otherwise its actions say what is being done.
    not_implemented_reason text not null default '' check (length(not_implemented_reason) <= 4000),
    not_implemented_at timestamptz,
    not_implemented_by uuid references app_user (id),
    created_at timestamptz not null default now(),
    created_by uuid references app_user (id),
    primary key (partnership_id, id),
    -- The same words twice for one review (a double submit) are one finding.
    unique (partnership_id, review_id, body),
    unique (partnership_id, review_id, position),
    foreign key (partnership_id, review_id) references review (partnership_id, id),
    check ((not_implemented_at is null) = (not_implemented_reason = ''))
);
alter table review_finding enable row level security;
create policy review_finding_tenant on review_finding using (partnership_id = app_partnership_id());
grant select, insert, update on review_finding to hub_app;

-- An action set for one finding of a review.
alter table action_point add column review_finding_id uuid;
alter table action_point add constraint action_point_review_finding_fk
    foreign key (partnership_id, review_finding_id) references review_finding (partnership_id, id);
alter table action_point add constraint action_point_finding_of_a_review check (review_finding_id is null or review_id is not null);
