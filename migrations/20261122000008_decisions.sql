-- Online decisions: a question put to a decision-making body, one voice per
-- statutory partner organisation (its delegated partner or a nominated
-- deputy), consensus first and then a recorded majority vote, the quorum
-- rule of the body, a deadline, and an outcome that is locked once reached.

-- How a body decides, as data: a rule with no group applies to every group
-- of the partnership that has none of its own. The quorum is `quorum_rule`.
create table decision_rule (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    group_id uuid,
    -- Whether the chair may call a formal vote when consensus is not reached.
    majority_vote boolean not null default true,
    -- Carried by more votes for than against (abstentions not counted), or by more than half of all voting partners.
    majority_of text not null default 'votes_cast' check (majority_of in ('votes_cast', 'all_voters')),
    -- Partners who have not responded are reminded this many working days before the deadline.
    reminder_working_days integer not null default 2 check (reminder_working_days between 0 and 20),
    description text not null default '' check (length(description) <= 1000),
    primary key (partnership_id, id),
    unique nulls not distinct (partnership_id, group_id),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id)
);

create table decision (
    partnership_id uuid not null references partnership (id),
    id uuid not null,
    -- D1, D2 … in the partnership's register.
    number integer not null check (number > 0),
    group_id uuid not null,
    title text not null check (length(title) between 1 and 200),
    question text not null check (length(question) between 1 and 4000),
    background text not null default '' check (length(background) <= 20000),
    options text not null default '' check (length(options) <= 10000),
    confidential boolean not null default false,
    meeting_id uuid,
    -- The review, scrutiny report or other paper the decision answers.
    responds_to text not null default '' check (length(responds_to) <= 300),
    -- The rule in force when the decision was raised, kept with it so a later
    -- change of rules never rewrites a decision already under way.
    quorum_sectors text[] not null default '{}',
    quorum_description text not null default '' check (length(quorum_description) <= 1000),
    majority_vote boolean not null,
    majority_of text not null check (majority_of in ('votes_cast', 'all_voters')),
    reminder_working_days integer not null check (reminder_working_days between 0 and 20),
    -- Partners first look for consensus; the chair may then call a formal vote.
    stage text not null default 'consensus' check (stage in ('consensus', 'vote')),
    -- The deadline of the current stage.
    closes_at timestamptz not null,
    raised_by uuid not null references app_user (id),
    raised_at timestamptz not null default now(),
    vote_called_by uuid references app_user (id),
    vote_called_at timestamptz,
    outcome text check (outcome in ('carried_consensus', 'carried_majority', 'not_carried', 'no_quorum', 'withdrawn')),
    outcome_at timestamptz,
    -- How the outcome was reached ("2 for, 2 against: a tie is not carried"), or why it was withdrawn.
    outcome_note text not null default '' check (length(outcome_note) <= 2000),
    -- Who closed it: null when the deadline or the last response did.
    closed_by uuid references app_user (id),
    agree_count integer,
    disagree_count integer,
    abstain_count integer,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (partnership_id, id),
    unique (partnership_id, number),
    check ((outcome is null) = (outcome_at is null)),
    check (stage = 'consensus' or vote_called_at is not null),
    foreign key (partnership_id, group_id) references partnership_group (partnership_id, id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id)
);
create index decision_open_idx on decision (partnership_id, closes_at) where outcome is null;
create index decision_meeting_idx on decision (partnership_id, meeting_id) where meeting_id is not null;
create trigger decision_updated_at before update on decision
    for each row execute function set_updated_at();

-- A reached outcome is final: the row cannot change again, whoever asks.
create function decision_outcome_is_locked() returns trigger
language plpgsql as $$
begin
    if old.outcome is not null then
        raise exception 'decision % is closed (%): its record cannot change', old.id, old.outcome
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger decision_locked before update on decision
    for each row execute function decision_outcome_is_locked();

-- The organisations with a voice in the decision, fixed when it is raised.
create table decision_voter (
    partnership_id uuid not null,
    decision_id uuid not null,
    organisation_id uuid not null,
    sector text not null,
    primary key (partnership_id, decision_id, organisation_id),
    foreign key (partnership_id, decision_id) references decision (partnership_id, id),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id)
);

-- A delegated partner's nomination of a deputy from the same organisation,
-- for one decision or for a period.
create table decision_deputy (
    partnership_id uuid not null,
    id uuid not null,
    organisation_id uuid not null,
    membership_id uuid not null,
    decision_id uuid,
    starts_on date not null,
    ends_on date,
    nominated_by uuid not null references app_user (id),
    nominated_at timestamptz not null default now(),
    revoked_by uuid references app_user (id),
    revoked_at timestamptz,
    primary key (partnership_id, id),
    check (ends_on is null or ends_on >= starts_on),
    foreign key (partnership_id, organisation_id) references organisation (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id),
    foreign key (partnership_id, decision_id) references decision (partnership_id, id)
);
create index decision_deputy_member_idx on decision_deputy (partnership_id, membership_id) where revoked_at is null;

-- Whether a member speaks for an organisation in a decision: they belong to it
-- and are its delegated partner, or a deputy it nominated for this decision
-- or for a period covering today. The one statement of the rule.
create function may_speak_for(p_partnership uuid, p_membership uuid, p_organisation uuid, p_decision uuid) returns boolean
language sql stable as $$
    select exists (
        select 1 from membership m
        where m.partnership_id = p_partnership and m.id = p_membership and m.organisation_id = p_organisation
          and (exists (select 1 from membership_role r where r.partnership_id = m.partnership_id and r.membership_id = m.id
                         and r.role = 'delegated_safeguarding_partner')
               or exists (select 1 from decision_deputy n where n.partnership_id = m.partnership_id and n.membership_id = m.id
                         and n.organisation_id = p_organisation and n.revoked_at is null
                         and (n.decision_id = p_decision
                              or (n.decision_id is null and n.starts_on <= current_date
                                  and (n.ends_on is null or n.ends_on >= current_date))))))
$$;

-- An organisation's current response in a stage: one row, whoever gives it.
create table decision_response (
    partnership_id uuid not null,
    decision_id uuid not null,
    stage text not null check (stage in ('consensus', 'vote')),
    organisation_id uuid not null,
    position text not null check (position in ('agree', 'disagree', 'abstain')),
    comment text not null default '' check (length(comment) <= 4000),
    -- The person who entered it: the delegated partner, a deputy, or the business manager on the partner's behalf.
    recorded_by uuid not null references app_user (id),
    on_behalf boolean not null default false,
    -- How the business manager knows ("agreed by email on 3 December").
    evidence text not null default '' check (length(evidence) <= 2000),
    version integer not null default 1 check (version > 0),
    responded_at timestamptz not null default now(),
    primary key (partnership_id, decision_id, stage, organisation_id),
    check (not on_behalf or length(evidence) > 0),
    foreign key (partnership_id, decision_id, organisation_id)
        references decision_voter (partnership_id, decision_id, organisation_id)
);

-- No response once the decision is closed, past its deadline or in another stage.
create function decision_response_is_open() returns trigger
language plpgsql as $$
declare
    d record;
begin
    select stage, outcome, closes_at into d from decision
        where partnership_id = new.partnership_id and id = new.decision_id for share;
    if d.outcome is not null or d.closes_at <= now() or d.stage <> new.stage then
        raise exception 'decision % is not open for responses in stage %', new.decision_id, new.stage
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger decision_response_open before insert or update on decision_response
    for each row execute function decision_response_is_open();

-- Every response ever given, kept by the database itself.
create table decision_response_history (
    id bigint generated always as identity primary key,
    partnership_id uuid not null,
    decision_id uuid not null,
    stage text not null,
    organisation_id uuid not null,
    version integer not null,
    position text not null,
    comment text not null,
    recorded_by uuid not null references app_user (id),
    on_behalf boolean not null,
    evidence text not null,
    responded_at timestamptz not null,
    unique (partnership_id, decision_id, stage, organisation_id, version),
    foreign key (partnership_id, decision_id) references decision (partnership_id, id)
);

create function decision_response_keep() returns trigger
language plpgsql as $$
begin
    insert into decision_response_history (partnership_id, decision_id, stage, organisation_id, version, position,
        comment, recorded_by, on_behalf, evidence, responded_at)
    values (new.partnership_id, new.decision_id, new.stage, new.organisation_id, new.version, new.position,
        new.comment, new.recorded_by, new.on_behalf, new.evidence, new.responded_at);
    return null;
end
$$;
create trigger decision_response_kept after insert or update on decision_response
    for each row execute function decision_response_keep();

create function decision_history_is_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'decision_response_history is append-only: % refused', tg_op;
end
$$;
create trigger decision_response_history_append_only before update or delete on decision_response_history
    for each row execute function decision_history_is_append_only();

-- Papers belong to a meeting or to a decision.
alter table paper alter column meeting_id drop not null;
alter table paper
    add column decision_id uuid,
    add constraint paper_belongs_to_one check (num_nonnulls(meeting_id, decision_id) = 1),
    add constraint paper_decision_fk foreign key (partnership_id, decision_id) references decision (partnership_id, id),
    add constraint paper_decision_sha256_key unique (partnership_id, decision_id, sha256);

do $$
declare
    t text;
begin
    foreach t in array array['decision_rule', 'decision', 'decision_voter', 'decision_deputy', 'decision_response',
                             'decision_response_history']
    loop
        execute format('alter table %I enable row level security', t);
        execute format('create policy %I on %I using (partnership_id = app_partnership_id())', t || '_tenant', t);
        execute format('grant select, insert on %I to hub_app', t);
    end loop;
end
$$;
grant update on decision_rule, decision, decision_deputy, decision_response to hub_app;
-- A body's own quorum rule can be removed, so the partnership's default applies again (audited).
grant update, delete on quorum_rule to hub_app;
