-- Fewer notices, for the same readings kept. The audit log no longer
-- notifies: a governance change writes its own record in the same
-- transaction, which does; what the log alone gains is a sign-in or a case
-- read, which changes nothing a page keeps (a minute at most shows it late in
-- "latest changes"). An account notifies only when what pages show of it
-- changes (its name, email address, second factor), not at every sign-in's
-- step of a one-time code. Without this, every sign-in anywhere dropped every
-- home page kept by every instance.
drop trigger audit_log_notes_change on audit_log;
drop trigger app_user_notes_change on app_user;
create trigger app_user_notes_change after update of display_name, email, totp_enabled_at on app_user
    for each statement execute function app_note_change();
