-- The action tracker sorted by owner walks the actions in that order and stops after the page and a bounded
-- count, instead of sorting every action of ten years that matches a search.
create index action_point_owner_name_idx on action_point (partnership_id, owner_name, due_on);
