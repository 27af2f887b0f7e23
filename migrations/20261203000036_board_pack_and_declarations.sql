-- The board pack: papers attach to agenda items (the column was there from
-- the start; an index finds an item's papers), and members declare an
-- interest in an item of a meeting, which the minutes record.

create index paper_by_agenda_item on paper (partnership_id, agenda_item_id) where agenda_item_id is not null;

-- A declaration is withdrawn (made by mistake), never deleted; one standing
-- declaration per person per item, so a double submit records one.
create table interest_declaration (
    partnership_id uuid not null,
    id uuid not null,
    meeting_id uuid not null,
    agenda_item_id uuid not null,
    membership_id uuid not null,
    nature text not null check (length(nature) between 1 and 1000),
    recorded_by uuid references app_user (id),
    declared_at timestamptz not null default now(),
    withdrawn_at timestamptz,
    primary key (partnership_id, id),
    foreign key (partnership_id, meeting_id) references meeting (partnership_id, id),
    foreign key (partnership_id, agenda_item_id) references agenda_item (partnership_id, id),
    foreign key (partnership_id, membership_id) references membership (partnership_id, id)
);
create unique index interest_declaration_standing on interest_declaration (partnership_id, agenda_item_id, membership_id)
    where withdrawn_at is null;
create index interest_declaration_by_meeting on interest_declaration (partnership_id, meeting_id);
create index interest_declaration_by_person on interest_declaration (partnership_id, membership_id, declared_at desc);

alter table interest_declaration enable row level security;
create policy interest_declaration_tenant on interest_declaration using (partnership_id = app_partnership_id());
-- As the meeting's business: the business unit, the group's members, and the person who declared.
create policy interest_declaration_need_to_know on interest_declaration as restrictive for select
    using ((select app_sees_all())
        or membership_id = (select app_membership_id())
        or app_sees_meeting_business(partnership_id, meeting_id));
grant select, insert, update (withdrawn_at) on interest_declaration to hub_app;

-- The audit log keeps a declaration's entries to those who may see it.
alter policy audit_log_need_to_know on audit_log using (
    (select app_sees_all())
    or case subject_type
         when 'decision' then exists (select 1 from decision d
                                      where d.partnership_id = audit_log.partnership_id and d.id = audit_log.subject_id::uuid)
         when 'minutes' then app_sees_meeting_business(partnership_id, subject_id::uuid)
         when 'agenda_item' then exists (select 1 from agenda_item i
                                         where i.partnership_id = audit_log.partnership_id and i.id = audit_log.subject_id::uuid)
         when 'paper' then exists (select 1 from paper p
                                   where p.partnership_id = audit_log.partnership_id and p.id = audit_log.subject_id::uuid)
         when 'action' then exists (select 1 from action_point a
                                    where a.partnership_id = audit_log.partnership_id and a.id = audit_log.subject_id::uuid)
         when 'interest_declaration' then exists (select 1 from interest_declaration x
                                    where x.partnership_id = audit_log.partnership_id and x.id = audit_log.subject_id::uuid)
         else true
       end);

-- A meeting's standing declarations with the item and the person named, as
-- the meeting page, its minutes and the board pack read them; the caller's
-- row-level security applies.
create view standing_interest with (security_invoker = true) as
select d.partnership_id, d.meeting_id, d.id, d.agenda_item_id, i.title as item_title, i.position, d.membership_id,
       m.known_as as person_name, d.nature
from interest_declaration d
join agenda_item i on i.partnership_id = d.partnership_id and i.id = d.agenda_item_id
join membership m on m.partnership_id = d.partnership_id and m.id = d.membership_id
where d.withdrawn_at is null;
grant select on standing_interest to hub_app;
