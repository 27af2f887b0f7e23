-- Why a serious child safeguarding incident is notified to the National Panel: abuse or neglect known or
-- suspected and the child died or was seriously harmed (Children Act 2004 s16C), or the death of a
-- looked-after child, notified whether or not abuse or neglect is suspected. Recorded with the notification;
-- reviews recorded before this have none.
alter table review add column notification_ground text
    check (notification_ground in ('abuse_died', 'abuse_harmed', 'looked_after_death'));
alter table review add constraint review_ground_of_a_child_notification check (kind = 'child' or notification_ground is null);
