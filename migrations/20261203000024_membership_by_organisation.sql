-- A partnership's people by organisation: the home page names everyone with
-- a role in the delegated partner's own organisation, a deputy is nominated
-- from colleagues, and the decision sweep mails each voting organisation's
-- people. Each walked every member of the partnership to find a few.
create index membership_organisation_idx on membership (partnership_id, organisation_id);
