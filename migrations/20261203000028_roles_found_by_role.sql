-- Who holds a role is asked by role: the home page's "who's who" and the
-- roles nobody holds. The primary key leads with the membership, so without
-- this every role row of the partnership was read to find a handful.
create index membership_role_by_role_idx on membership_role (partnership_id, role, membership_id);
