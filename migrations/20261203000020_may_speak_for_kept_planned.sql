-- Asked for each partner organisation on a decision's page and for each
-- member of an organisation by the reminder sweep: as a SQL function holding
-- subqueries it could not be inlined and was planned again at every call; in
-- PL/pgSQL its plan is kept for the connection. Same answer as before.
create or replace function may_speak_for(p_partnership uuid, p_membership uuid, p_organisation uuid, p_decision uuid) returns boolean
language plpgsql stable as $$
begin
    return exists (
        select 1 from membership m
        where m.partnership_id = p_partnership and m.id = p_membership and m.organisation_id = p_organisation
          and (exists (select 1 from membership_role r where r.partnership_id = m.partnership_id and r.membership_id = m.id
                         and r.role = 'delegated_safeguarding_partner')
               or exists (select 1 from decision_deputy n where n.partnership_id = m.partnership_id and n.membership_id = m.id
                         and n.organisation_id = p_organisation and n.revoked_at is null
                         and (n.decision_id = p_decision
                              or (n.decision_id is null and n.starts_on <= current_date
                                  and (n.ends_on is null or n.ends_on >= current_date))))));
end
$$;
