-- A person's seats, found from the person: entering a partnership works out the
-- groups they sit on on every request, and the home page their next meetings.
create index group_member_membership_idx on group_member (partnership_id, membership_id) where membership_id is not null;
