-- Upcoming meetings are those not yet ended: found from the index instead of
-- walking ten years of a partnership's meetings from the oldest.
create index meeting_ends_idx on meeting (partnership_id, ends_at);
