-- Every statement that writes a partnership's records says so on the channel
-- `hub_changed`, with the partnership it wrote in (the transaction's tenant)
-- or `*` where it ran outside one (the seed, the generator, an operator).
-- PostgreSQL delivers it at commit, once per transaction and partnership, to
-- every instance listening: each drops what it keeps of that partnership's
-- pages (`db::changes`). Statement-level, so a bulk load costs one notice per
-- statement, not one per row.
create function app_note_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('hub_changed', coalesce(nullif(current_setting('app.partnership_id', true), ''), '*'));
    return null;
end
$$;

do $$
declare
    t text;
begin
    for t in
        select c.table_name from information_schema.columns c
        join information_schema.tables x on x.table_schema = c.table_schema and x.table_name = c.table_name
        where c.table_schema = 'public' and c.column_name = 'partnership_id' and x.table_type = 'BASE TABLE'
          -- Mail waiting to leave is on no page.
          and c.table_name <> 'outbox'
        union all select 'partnership' union all select 'app_user'
    loop
        execute format('create trigger %I after insert or update or delete on %I for each statement execute function app_note_change()',
                       t || '_notes_change', t);
    end loop;
end
$$;
