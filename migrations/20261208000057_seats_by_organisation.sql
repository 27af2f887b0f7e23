-- The relevant agencies list names, for each agency, the groups it sits on:
-- from this index, rather than searching every group's seats once for each
-- agency (144 index searches for a partnership of twelve groups and twelve
-- agencies, most of a view of that list).
create index group_member_organisation_idx on group_member (partnership_id, organisation_id) where organisation_id is not null;
