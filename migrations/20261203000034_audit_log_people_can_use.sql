-- The audit log people can use: filtered by person, kind of record, what
-- happened and date, each change naming its record and showing what changed.

-- Need-to-know holds in the log as everywhere: an entry about a record a
-- person may not see (a confidential decision, a group's minutes and
-- business, an action from unpublished minutes) is not there for them, so no
-- title or change of it shows in the log, its count or its download. The
-- business unit sees every entry.
create policy audit_log_need_to_know on audit_log as restrictive for select using (
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
         else true
       end);

-- Signing in and out happens to an account, not in a partnership; each
-- partnership the account serves keeps its own copy of the entry (a failed
-- sign-in is matched by the email address tried), so its business managers
-- see who signed in to their partnership's records, and when attempts failed.
create function audit_sign_in_in_partnerships() returns trigger
language plpgsql security definer set search_path = public as $$
begin
    insert into audit_log (occurred_at, partnership_id, actor_user_id, action, subject_type, subject_id, before, after, client_address)
    select new.occurred_at, m.partnership_id, new.actor_user_id, new.action, new.subject_type, u.id::text, new.before, new.after,
           new.client_address
    from app_user u join membership m on m.user_id = u.id and m.is_current
    where u.id = coalesce(new.actor_user_id, case when new.subject_id ~ '^[0-9a-f-]{36}$' then new.subject_id::uuid end)
       or (new.actor_user_id is null and new.subject_id is null and u.email = new.after ->> 'email');
    return null;
end;
$$;

create trigger audit_sign_in_in_partnerships after insert on audit_log
    for each row when (new.partnership_id is null and new.subject_type = 'account' and (new.action like 'sign\_in%' or new.action = 'sign_out'))
    execute function audit_sign_in_in_partnerships();

-- The filters: by person, kind of record and what happened, newest first within each.
create index audit_log_by_actor_idx on audit_log (partnership_id, actor_user_id, occurred_at desc, id desc);
create index audit_log_by_kind_idx on audit_log (partnership_id, subject_type, occurred_at desc, id desc);
create index audit_log_by_action_idx on audit_log (partnership_id, action, occurred_at desc, id desc);
