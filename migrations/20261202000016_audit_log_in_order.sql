-- The audit log is read newest first, ties (the changes of one transaction
-- share a moment) broken by id: an index in exactly that order, so the
-- latest entries are read straight off it, never sorted out of a
-- partnership's years of rows.
create index audit_log_recent_idx on audit_log (partnership_id, occurred_at desc, id desc);
drop index audit_log_partnership_idx;
