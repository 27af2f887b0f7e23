-- The audit log's need-to-know policy asked whether an entry's action is
-- visible with a subquery PostgreSQL ran as a hashed subplan: every action of
-- the partnership read through row-level security, once a statement, as soon
-- as one action's entry was looked at (40 ms for the 7,400 actions of a large
-- partnership, on the scrutineer's home page whenever an action had changed
-- lately). An entry's action is now looked up by its key, through the same
-- policies, for the entries actually read.
create function app_sees_action(p uuid, a uuid) returns boolean
language plpgsql stable as $$
begin
    return exists (select 1 from action_point x where x.partnership_id = p and x.id = a);
end
$$;

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
         when 'action' then app_sees_action(partnership_id, subject_id::uuid)
         when 'interest_declaration' then exists (select 1 from interest_declaration x
                                    where x.partnership_id = audit_log.partnership_id and x.id = audit_log.subject_id::uuid)
         when 'review_case' then app_sees_review_case(partnership_id, subject_id::uuid)
         when 'review_request' then exists (select 1 from review_request q
                                    where q.partnership_id = audit_log.partnership_id and q.id = audit_log.subject_id::uuid)
         when 'round_return' then exists (select 1 from round_return r
                                    where r.partnership_id = audit_log.partnership_id and r.id = audit_log.subject_id::uuid)
         else true
       end);
