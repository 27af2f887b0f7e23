-- A meeting's minutes list the actions set at it: found by the meeting, not
-- by reading every action of the partnership's ten years.
create index action_point_meeting_idx on action_point (partnership_id, meeting_id) where meeting_id is not null;
