-- Sign-in attempts are counted before the password is checked and marked
-- succeeded afterwards.
grant update (succeeded) on sign_in_attempt to hub_app;
