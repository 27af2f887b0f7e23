-- Late agenda requests wait for a business manager's decision on the home
-- page; they are few, and are found from this index rather than by reading
-- the agenda of every meeting to come.
create index agenda_item_late_request_idx on agenda_item (partnership_id, meeting_id) where status = 'late_request';
