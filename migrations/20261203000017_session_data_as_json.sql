-- Sessions keep their data as JSON, so that the statement which finds the
-- signed-in person (and enters their partnership) reads the session too:
-- one statement instead of two on every page. The old rows were in an opaque
-- encoding and cannot be carried over: everyone signs in again once.
delete from tower_sessions.session;
alter table tower_sessions.session alter column data type jsonb using '{}'::jsonb;
-- The sweep deletes expired sessions by their expiry.
create index session_expiry_idx on tower_sessions.session (expiry_date);
