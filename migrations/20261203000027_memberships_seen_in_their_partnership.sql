-- A membership, and its roles, are seen in their own partnership only. The
-- exception that let a person see their own memberships everywhere (to choose
-- among their partnerships) was an `or` in the policies, which PostgreSQL
-- cannot fold into a query's own `partnership_id = $1`: every read of a
-- partnership's people took the union of two index scans and could not walk
-- an index in order (the people list sorted them all to show a hundred),
-- and read the person's settings again for every row (counting a large
-- partnership's people cost three times what it did with the wall down). The
-- few readings across partnerships now ask `app_my_memberships()`, which
-- answers for the person the transaction names and for nobody else.
create function app_my_memberships()
returns table (partnership_id uuid, membership_id uuid, roles text[])
language sql stable security definer as $$
    select m.partnership_id, m.id,
           array(select r.role from public.membership_role r
                 where r.partnership_id = m.partnership_id and r.membership_id = m.id order by r.role)
    from public.membership m
    where m.user_id = nullif(current_setting('app.user_id', true), '')::uuid and m.is_current
$$;
revoke all on function app_my_memberships() from public;
grant execute on function app_my_memberships() to hub_app;

alter policy membership_tenant on membership using (partnership_id = app_partnership_id());
alter policy membership_role_tenant on membership_role using (partnership_id = app_partnership_id());
