-- Open actions in due order, for the overdue lists (the home page, the
-- scrutiny page, the escalation sweep): read from the most overdue until the
-- list is full, instead of every open action of the partnership.
create index action_point_open_due_idx on action_point (partnership_id, due_on) where status <> 'complete';
