//! Demo accounts for local use: one per role per partnership
//! (`business-manager@swindon.example` …) and a platform administrator, all
//! with one random password made at first start and kept in
//! `.data/demo-accounts.txt`. Only `start` calls this; `serve` never does.

use anyhow::Context;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sqlx::PgPool;
use std::path::Path;
use uuid::Uuid;

use super::{PartnershipFile, Sector};
use crate::roles::Role;

pub const ADMIN_EMAIL: &str = "admin@platform.example";

pub struct DemoAccounts {
    pub password: String,
    pub emails: Vec<String>,
}

pub fn email_for(role: Role, slug: &str) -> String {
    format!("{}@{slug}.example", role.slug())
}

/// The password from an earlier start, if the accounts file has one.
fn earlier_password(file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| l.split_once(' ').map(|(_, p)| p.trim().to_owned())).filter(|p| !p.is_empty())
}

/// Which statutory partner a demo role speaks for.
fn sector_for(role: Role) -> Option<Sector> {
    match role {
        Role::LeadSafeguardingPartner => Some(Sector::LocalAuthority),
        Role::DelegatedSafeguardingPartner | Role::Deputy => Some(Sector::Health),
        Role::GroupMember => Some(Sector::Police),
        _ => None,
    }
}

/// The demo roles that sit on a group, and as what.
fn seat_for(role: Role) -> Option<&'static str> {
    match role {
        Role::DelegatedSafeguardingPartner | Role::GroupMember => Some("member"),
        Role::GroupChair => Some("vice_chair"),
        _ => None,
    }
}

pub async fn create(pool: &PgPool, partnerships: &[PartnershipFile], accounts_file: &Path) -> anyhow::Result<DemoAccounts> {
    let earlier = earlier_password(accounts_file);
    // A new password replaces every demo account's; an earlier one leaves
    // hashes alone, so restarting does not sign anybody out.
    let replace_passwords = earlier.is_none();
    let password = earlier.unwrap_or_else(|| rand::thread_rng().sample_iter(&Alphanumeric).take(16).map(char::from).collect());
    let hash = {
        let password = password.clone();
        tokio::task::spawn_blocking(move || crate::auth::password::hash_blocking(&password)).await??
    };
    let mut emails = vec![ADMIN_EMAIL.to_owned()];
    let mut tx = pool.begin().await?;
    upsert_user(&mut tx, ADMIN_EMAIL, "Platform administrator", &hash, true, replace_passwords).await?;
    for p in partnerships {
        let partnership_id = sqlx::query_scalar!("select id from partnership where slug = $1", p.slug)
            .fetch_one(&mut *tx)
            .await
            .with_context(|| format!("partnership {} is not loaded", p.slug))?;
        for role in Role::ALL {
            let email = email_for(role, &p.slug);
            let name = format!("{} {}", p.short_name, role.label().to_lowercase());
            let user_id = upsert_user(&mut tx, &email, &name, &hash, false, replace_passwords).await?;
            let organisation_id = match sector_for(role) {
                Some(sector) => sqlx::query_scalar!(
                    "select id from organisation where partnership_id = $1 and sector = $2 order by is_statutory_partner desc, name limit 1",
                    partnership_id,
                    sector.code()
                )
                .fetch_optional(&mut *tx)
                .await?,
                None => None,
            };
            sqlx::query!(
                "insert into membership (partnership_id, id, user_id, organisation_id, job_title)
                 values ($1, $2, $3, $4, $5)
                 on conflict (partnership_id, user_id) do nothing",
                partnership_id,
                Uuid::new_v4(),
                user_id,
                organisation_id,
                role.label(),
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "insert into membership_role (partnership_id, membership_id, role)
                 select m.partnership_id, m.id, $3 from membership m
                 where m.partnership_id = $1 and m.user_id = $2
                 on conflict do nothing",
                partnership_id,
                user_id,
                role.code(),
            )
            .execute(&mut *tx)
            .await?;
            if let Some(seat_role) = seat_for(role) {
                // A seat on the partnership's first group (its delegated partners' or executive group), so the
                // account reads its meetings and papers, submits agenda items and sends apologies: the seat the
                // seed gave its organisation when there is one nobody holds, a new one otherwise.
                sqlx::query!(
                    "with me as (select m.partnership_id, m.id, m.organisation_id from membership m where m.partnership_id = $1 and m.user_id = $2),
                          first_group as (select g.id from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                                          order by g.sort_order, g.name limit 1),
                          seated as (select 1 from group_member s join me on s.partnership_id = me.partnership_id and s.membership_id = me.id),
                          vacant as (select s.id from group_member s join me on s.partnership_id = me.partnership_id
                                     join first_group g on g.id = s.group_id
                                     where s.organisation_id = me.organisation_id and s.membership_id is null
                                       and s.starts_on <= current_date and (s.ends_on is null or s.ends_on >= current_date)
                                       and not exists (select 1 from seated)
                                     order by s.role_in_group = 'member' desc, s.starts_on, s.id limit 1),
                          linked as (update group_member s set membership_id = me.id from me, vacant
                                     where s.partnership_id = me.partnership_id and s.id = vacant.id returning s.id)
                     insert into group_member (partnership_id, id, group_id, person_name, organisation_id, membership_id, role_in_group, starts_on)
                     select me.partnership_id, $3, g.id, $4, me.organisation_id, me.id, $5, date '2024-04-01'
                     from me, first_group g
                     where not exists (select 1 from seated) and not exists (select 1 from vacant)",
                    partnership_id,
                    user_id,
                    Uuid::new_v4(),
                    name,
                    seat_role,
                )
                .execute(&mut *tx)
                .await?;
            }
            emails.push(email);
        }
        demo_decision(&mut tx, partnership_id, &p.slug).await?;
        demo_reviews(&mut tx, partnership_id).await?;
        demo_risks(&mut tx, partnership_id).await?;
        demo_round(&mut tx, partnership_id).await?;
        demo_data_set(&mut tx, partnership_id).await?;
        demo_resources(&mut tx, partnership_id, &p.slug).await?;
    }
    tx.commit().await?;

    if let Some(dir) = accounts_file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let lines: String = emails.iter().map(|e| format!("{e} {password}\n")).collect();
    std::fs::write(accounts_file, lines).with_context(|| format!("writing {}", accounts_file.display()))?;
    Ok(DemoAccounts { password, emails })
}

/// One review at each stage, with invented pseudonyms and people (no real case), overseen by the group the
/// partnership's arrangements name (or its first group): so every stage, clock and page can be seen.
async fn demo_reviews(tx: &mut crate::db::Tx, partnership_id: Uuid) -> anyhow::Result<()> {
    sqlx::query!(
        r#"with settings as (select coalesce((select child_group_id from review_arrangement where partnership_id = $1),
                                             (select id from partnership_group where partnership_id = $1 and retired_on is null
                                              order by sort_order, name limit 1)) as group_id),
                stages as (select stage, n from unnest(array['notified', 'rapid_review', 'recommended', 'commissioned', 'terms_agreed',
                                                              'reviewer_appointed', 'methodology_agreed', 'involvement', 'draft',
                                                              'final_report', 'publication_decided', 'published', 'closed'])
                                                with ordinality as s(stage, n)),
                made as (insert into review (partnership_id, id, number, kind, stage, pseudonym, group_id, became_aware_on, notified_panel_on,
                                             partners_told_on, rapid_review_sent_on, recommendation, recommendation_reason, commissioned_on,
                                             lead_reviewer, publication, published_on, learning_summary, closed_on, notification_ground)
                         select $1, gen_random_uuid(), s.n, 'child', s.stage, 'Child ' || chr(64 + s.n::int), settings.group_id,
                                current_date - (s.n::int * 30 + 2), current_date - (s.n::int * 30), current_date - (s.n::int * 30),
                                case when s.n >= 3 then current_date - (s.n::int * 30 - 18) end,
                                case when s.n >= 3 then 'local_review' end,
                                case when s.n >= 3 then 'The case meets the criteria for a local child safeguarding practice review.' else '' end,
                                case when s.n >= 4 then current_date - (s.n::int * 30 - 40) end,
                                case when s.n >= 6 then 'An independent lead reviewer' else '' end,
                                case when s.n >= 11 then 'publish' end,
                                case when s.n >= 12 then current_date - 20 end,
                                case when s.n >= 12 then 'Agencies did not share what they knew when the family moved; information is now shared at every transfer.' else '' end,
                                case when s.n >= 13 then current_date - 10 end,
                                case when s.n % 3 = 0 then 'abuse_died' else 'abuse_harmed' end
                         from stages s, settings
                         where settings.group_id is not null and not exists (select 1 from review where partnership_id = $1)
                         returning id, stage, became_aware_on, number),
                events as (insert into review_event (partnership_id, id, review_id, stage, happened_on)
                           select $1, gen_random_uuid(), made.id, e.stage, made.became_aware_on + e.day
                           from made join stages cur on cur.stage = made.stage
                           join (values ('notified', 2, 1), ('recommended', 20, 3), ('commissioned', 40, 4)) e(stage, day, n) on e.n <= cur.n
                           union all
                           select $1, gen_random_uuid(), made.id, made.stage, current_date - 1 from made
                           where made.stage not in ('notified', 'recommended', 'commissioned'))
           insert into review_subject (partnership_id, id, review_id, position, full_name, date_of_birth)
           select $1, gen_random_uuid(), made.id, 1, 'Invented Child ' || made.number, made.became_aware_on - 2500 from made"#,
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    // The rapid review asks two agencies through the demo accounts linked to them: the police answered, health
    // has three days left (its delegated partner sees it at home); the published review's report made three
    // recommendations, two with an action each and one not to be implemented, with the reasons.
    sqlx::query!(
        r#"with asked as (insert into review_request (partnership_id, id, review_id, organisation_id, membership_id, due_on, asked_at, summary,
                                                    answered_at, answered_by)
                          select $1, gen_random_uuid(), v.id, m.organisation_id, m.id,
                                 current_date + case when r.role = 'group_member' then -5 else 3 end, now() - interval '10 days',
                                 case when r.role = 'group_member' then 'Officers attended the home twice in the month before; both visits are in the chronology.' else '' end,
                                 case when r.role = 'group_member' then now() - interval '6 days' end,
                                 case when r.role = 'group_member' then m.user_id end
                          from review v
                          join membership m on m.partnership_id = v.partnership_id and m.organisation_id is not null
                          join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
                                                and r.role in ('delegated_safeguarding_partner', 'group_member')
                          where v.partnership_id = $1 and v.stage = 'rapid_review'
                            and not exists (select 1 from review_request where partnership_id = $1)
                          on conflict (partnership_id, review_id, organisation_id) do nothing
                          returning review_id, membership_id),
                added as (insert into review_member (partnership_id, review_id, membership_id)
                          select $1, review_id, membership_id from asked on conflict do nothing),
                found as (insert into review_finding (partnership_id, id, review_id, position, body, not_implemented_reason, not_implemented_at)
                          select $1, gen_random_uuid(), v.id, f.position, f.body, f.reason, case when f.reason <> '' then now() - interval '15 days' end
                          from review v
                          cross join (values (1, 'Agencies share what they know about a family whenever it moves between areas.', ''),
                                             (2, 'The partnership checks, six months on, that information is shared at transfer.', ''),
                                             (3, 'A single case record across agencies.',
                                              'Not within the partnership''s power: national systems are being procured.')) f(position, body, reason)
                          where v.partnership_id = $1 and v.stage = 'published'
                            and not exists (select 1 from review_finding x where x.partnership_id = $1)
                          returning id, review_id, position)
           insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, group_id, review_id,
                                     review_finding_id, set_by)
           select $1, gen_random_uuid(), a.description, m.id, m.known_as, current_date + a.days, v.group_id, v.id, found.id, bm.user_id
           from found
           join review v on v.partnership_id = $1 and v.id = found.review_id
           join membership_role cr on cr.partnership_id = v.partnership_id and cr.role = 'group_chair'
           join membership m on m.partnership_id = cr.partnership_id and m.id = cr.membership_id
           join membership_role br on br.partnership_id = v.partnership_id and br.role = 'business_manager'
           join membership bm on bm.partnership_id = br.partnership_id and bm.id = br.membership_id
           join (values (1, 'Share information at every transfer between areas, with a named lead in each agency', 60),
                        (2, 'Audit transfers between areas six months on and report to the review group', 180)) a(position, description, days)
             on a.position = found.position"#,
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One open decision for the executive, so a demo delegated partner has something to respond to.
async fn demo_decision(tx: &mut crate::db::Tx, partnership_id: Uuid, slug: &str) -> anyhow::Result<()> {
    let any = sqlx::query_scalar!(r#"select exists (select 1 from decision where partnership_id = $1) as "e!""#, partnership_id)
        .fetch_one(&mut **tx)
        .await?;
    let raised_by = sqlx::query_scalar!("select id from app_user where email = $1", email_for(Role::BusinessManager, slug))
        .fetch_one(&mut **tx)
        .await?;
    let group = sqlx::query_scalar!(
        "select id from partnership_group where partnership_id = $1 and retired_on is null
         order by array_position(array['executive', 'accountability', 'board'], kind), sort_order limit 1",
        partnership_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    let (false, Some(group_id)) = (any, group) else { return Ok(()) };
    let closes_on = crate::calendar::working_days_after(crate::calendar::today(), 10);
    let closes_at = crate::calendar::uk_datetime(closes_on, chrono::NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default())
        .context("17:00 exists on a working day")?;
    let decision = crate::decisions::NewDecision {
        id: Uuid::new_v4(),
        group_id,
        title: "Adopt the updated multi-agency escalation policy".into(),
        question: "Do the safeguarding partners agree to adopt the updated escalation policy from 1 April?".into(),
        background: "The policy was revised after the last multi-agency audit, which found practitioners unsure when to escalate disagreements about a child's plan.".into(),
        options: "1. Adopt the policy from 1 April.\n2. Adopt it after a further round of consultation with relevant agencies.".into(),
        confidential: false,
        closes_at,
        meeting_id: None,
        responds_to: "Multi-agency audit on escalation".into(),
    };
    crate::decisions::put_to_partners(tx, partnership_id, raised_by, &decision).await?;
    Ok(())
}

async fn upsert_user(
    tx: &mut crate::db::Tx,
    email: &str,
    name: &str,
    hash: &str,
    platform_admin: bool,
    replace_password: bool,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "insert into app_user (id, email, display_name, password_hash, is_platform_admin)
         values ($1, $2, $3, $4, $5)
         on conflict (email) do update
         set password_hash = case when $6 then excluded.password_hash
                                  else coalesce(app_user.password_hash, excluded.password_hash) end
         returning id",
        Uuid::new_v4(),
        email,
        name,
        hash,
        platform_admin,
        replace_password,
    )
    .fetch_one(&mut **tx)
    .await
}

/// A risk register of the kind the seeds describe (Swindon's executive reviews one of the issues that might stop
/// the partnership meeting its statutory obligations): six risks owned by the business manager and a delegated
/// partner, overseen by the first group, each reviewed three times over the half year (one now past its review
/// date), one closed, with a mitigating action each.
async fn demo_risks(tx: &mut crate::db::Tx, partnership_id: Uuid) -> anyhow::Result<()> {
    sqlx::query!(
        r#"with owners as (select array_agg(m.id order by r.role, m.id) as ids, min(bm.user_id::text)::uuid as recorder
                          from membership_role r join membership m on m.partnership_id = r.partnership_id and m.id = r.membership_id
                          left join membership bm on bm.partnership_id = r.partnership_id and bm.id = r.membership_id
                               and r.role = 'business_manager'
                          where r.partnership_id = $1 and r.role in ('business_manager', 'delegated_safeguarding_partner')),
                first_group as (select g.id from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                                order by g.sort_order, g.name limit 1),
                listed (number, title, cause, effect, category, il, ii, l, i, tl, ti, review_in, closed) as (values
                    (1, 'Agencies do not release staff for multi-agency training',
                     'Workforce pressures in social care and health', 'Practitioners miss the learning from local reviews',
                     'workforce', 4, 4, 3, 4, 2, 3, 40, false),
                    (2, 'The pooled budget falls short of the year''s plan', 'Partners'' contributions are agreed late',
                     'The scrutiny and training programmes are cut back', 'financial', 3, 4, 3, 3, 2, 3, 75, false),
                    (3, 'Rapid reviews miss the 15 working-day deadline', 'Chronologies arrive late from agencies',
                     'The National Panel does not receive the rapid review in time', 'statutory', 4, 5, 2, 5, 1, 5, -7, false),
                    (4, 'Schools do not complete their Section 175 audits', 'The audit falls at a busy point of the school year',
                     'The partnership cannot assure itself about safeguarding in education', 'statutory', 3, 3, 3, 3, 2, 2, 20, false),
                    (5, 'Information is not shared at the front door in time', 'Different case systems in each agency',
                     'Children and adults at risk are not seen quickly enough', 'information', 4, 5, 3, 4, 2, 4, 55, false),
                    (6, 'The independent scrutineer post falls vacant', 'The contract ends without a successor',
                     'The arrangements go without independent scrutiny', 'strategic', 3, 4, 1, 4, 1, 4, 0, true)),
                made as (insert into risk (partnership_id, id, number, title, cause, effect, category, owner_membership_id, group_id,
                                           inherent_likelihood, inherent_impact, likelihood, impact, target_likelihood, target_impact,
                                           controls, review_on, closed_on, closed_reason, created_at, created_by)
                         select $1, gen_random_uuid(), k.number, k.title, k.cause, k.effect, k.category,
                                o.ids[1 + (k.number - 1) % cardinality(o.ids)], (select id from first_group), k.il, k.ii, k.l, k.i, k.tl, k.ti,
                                'Reported to the executive each quarter; a named lead in each agency.',
                                current_date + k.review_in, case when k.closed then current_date - 20 end,
                                case when k.closed then 'A new scrutineer was appointed for three years.' else '' end,
                                now() - interval '200 days', o.recorder
                         from listed k cross join owners o
                         where cardinality(o.ids) > 0 and not exists (select 1 from risk where partnership_id = $1)
                         returning id, number, owner_membership_id, group_id, likelihood, impact, inherent_likelihood, created_by),
                reviewed as (insert into risk_review (partnership_id, id, risk_id, reviewed_on, likelihood, impact, note, reviewed_by, recorded_at)
                             select $1, gen_random_uuid(), made.id, current_date - r.days_ago,
                                    case r.n when 1 then made.inherent_likelihood when 2 then greatest(made.likelihood, made.inherent_likelihood - 1)
                                             else made.likelihood end,
                                    made.impact, r.note, made.created_by, now() - r.days_ago * interval '1 day'
                             from made cross join (values (1, 200, 'Recorded on the register'),
                                                          (2, 110, 'Controls agreed at the executive; early signs of improvement.'),
                                                          (3, 20, 'Reviewed at the executive: the controls are working.')) r(n, days_ago, note)
                             returning risk_id)
           insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, group_id, risk_id, set_by)
           select $1, gen_random_uuid(), 'Report on RR' || made.number || ' to the executive with each agency''s position', m.id, m.known_as,
                  current_date + 30 + made.number * 10, made.group_id, made.id, made.created_by
           from made join membership m on m.partnership_id = $1 and m.id = made.owner_membership_id
           where made.number <> 6"#,
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A Section 11 round under way: the eight standards, a return from each relevant agency (its contact the first
/// of its people), the first two submitted with their ratings and the third started.
async fn demo_round(tx: &mut crate::db::Tx, partnership_id: Uuid) -> anyhow::Result<()> {
    let standards: Vec<String> = crate::assurance::SECTION_11_STANDARDS.iter().map(|s| (*s).to_owned()).collect();
    sqlx::query!(
        r#"with made as (insert into assurance_round (partnership_id, id, number, kind, title, opened_on, due_on)
                         select $1, gen_random_uuid(), 1, 'section11', 'Section 11 self-assessment ' || extract(year from current_date)::int,
                                current_date - 20, current_date + 40
                         where not exists (select 1 from assurance_round where partnership_id = $1)
                         returning id),
                standards as (insert into round_standard (partnership_id, id, round_id, position, title)
                              select $1, gen_random_uuid(), made.id, s.position, s.title
                              from made cross join unnest($2::text[]) with ordinality s(title, position)
                              returning id, position, round_id),
                returns as (insert into round_return (partnership_id, id, round_id, organisation_id, contact_membership_id, summary, status)
                            select $1, gen_random_uuid(), made.id, o.id,
                                   (select m.id from membership m where m.partnership_id = $1 and m.organisation_id = o.id and m.is_current
                                    order by m.created_at, m.id limit 1),
                                   case when o.n <= 3 then 'Broadly compliant; training is the area to strengthen.' else '' end,
                                   case when o.n <= 3 then 'draft' else 'not_started' end
                            from made cross join (select id, row_number() over (order by name) as n from organisation
                                                  where partnership_id = $1 and is_relevant_agency and retired_on is null) o
                            returning id, organisation_id, status)
           insert into return_rating (partnership_id, return_id, standard_id, rating, evidence)
           select $1, r.id, s.id, (array['green', 'green', 'amber', 'green', 'red', 'green', 'amber', 'green'])[s.position],
                  'Our evidence for standard ' || s.position || ': policy, audit and staff survey.'
           from returns r cross join standards s where r.status = 'draft'"#,
        partnership_id,
        &standards
    )
    .execute(&mut **tx)
    .await?;
    // The first two are submitted, as the form would (the ratings first, then the return locks).
    sqlx::query!(
        "update round_return set status = 'submitted', submitted_at = now() - interval '3 days'
         where partnership_id = $1 and id in (select r.id from round_return r join organisation o on o.partnership_id = r.partnership_id
                                               and o.id = r.organisation_id
                                               where r.partnership_id = $1 and r.status = 'draft' order by o.name limit 2)
           and not exists (select 1 from round_return where partnership_id = $1 and status in ('submitted', 'accepted'))",
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A performance data set of four indicators reviewed by the first group, each with a year of values (the
/// monthly ones to last month, the quarterly ones to the last quarter over), and a multi-agency audit in progress.
async fn demo_data_set(tx: &mut crate::db::Tx, partnership_id: Uuid) -> anyhow::Result<()> {
    sqlx::query!(
        r#"with first_group as (select g.id from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                                order by g.sort_order, g.name limit 1),
                listed (n, name, unit, frequency, target, higher, definition) as (values
                    (1, 'Contacts to children''s social care', '', 'monthly', null::float8, true, 'Contacts received by the front door in the month.'),
                    (2, 'Re-referrals within 12 months', '%', 'quarterly', 20, false, 'Referrals within a year of a previous one, as a share of all.'),
                    (3, 'Initial child protection conferences within 15 working days', '%', 'quarterly', 90, true,
                     'Conferences held within 15 working days of the strategy discussion.'),
                    (4, 'Multi-agency training places filled', '%', 'monthly', 85, true, 'Places taken up as a share of places offered.')),
                made as (insert into indicator (partnership_id, id, name, definition, unit, frequency, target, higher_is_better, group_id)
                         select $1, gen_random_uuid(), l.name, l.definition, l.unit, l.frequency, l.target, l.higher, (select id from first_group)
                         from listed l where not exists (select 1 from indicator where partnership_id = $1)
                         returning id, frequency, name),
                periods as (select (date_trunc('month', current_date) - make_interval(months => m))::date as period_start
                            from generate_series(1, 12) m)
           insert into indicator_value (partnership_id, indicator_id, period_start, value)
           select $1, made.id, p.period_start,
                  case made.name when 'Contacts to children''s social care' then 900 + (extract(month from p.period_start)::int * 37) % 200
                                 when 'Re-referrals within 12 months' then 17 + extract(month from p.period_start)::int % 7
                                 when 'Multi-agency training places filled' then 78 + extract(month from p.period_start)::int % 12
                                 else 84 + extract(month from p.period_start)::int % 9 end
           from made cross join periods p
           where made.frequency = 'monthly'
              -- A quarterly value for each financial quarter (April, July, October, January) that is over.
              or (extract(month from p.period_start)::int in (1, 4, 7, 10) and p.period_start + interval '3 months' <= date_trunc('month', current_date))"#,
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"with first_group as (select g.id from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                                order by g.sort_order, g.name limit 1),
                made as (insert into case_audit (partnership_id, id, number, theme, group_id, scope, started_on)
                         select $1, gen_random_uuid(), 1, 'Neglect in children under five', (select id from first_group),
                                'Six cases open to early help in the last year, across health, the council and schools.', current_date - 21
                         where not exists (select 1 from case_audit where partnership_id = $1)
                         returning id),
                agencies as (insert into case_audit_agency (partnership_id, audit_id, organisation_id)
                             select $1, made.id, o.id from made
                             cross join (select id from organisation where partnership_id = $1 and retired_on is null order by name limit 3) o)
           insert into case_audit_case (partnership_id, id, audit_id, reference, summary)
           select $1, gen_random_uuid(), made.id, 'Case ' || chr(64 + c), 'Under five; known to early help.'
           from made cross join generate_series(1, 6) c"#,
        partnership_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Resources and learning: last year's and this year's pooled budget (Warwickshire's 2025-26 budget of £504,628,
/// split equally between children and adults, as its arrangements set out), a training offer with sessions held
/// last quarter and to come, with bookings, attendance and evaluations, engagement with children and young people
/// and with parents and carers (sought every quarter in Warwickshire), and the library's thresholds document,
/// memorandum of understanding and information sharing agreement (their files are for the business unit to upload).
async fn demo_resources(tx: &mut crate::db::Tx, partnership_id: Uuid, slug: &str) -> anyhow::Result<()> {
    let this_year = crate::calendar::FinancialYear::containing(crate::calendar::today());
    let split: Option<i16> = (slug == "warwickshire").then_some(50);
    // A budget of £504,628 (Warwickshire's 2025-26) or £250,000, carried from last year into this.
    let total: i64 = if slug == "warwickshire" { 50_462_800 } else { 25_000_000 };
    sqlx::query!(
        r#"with settings as (update arrangement set children_share_percent = $4 where partnership_id = $1),
                years as (insert into budget_year (partnership_id, id, starts_on, children_share_percent)
                          select $1, gen_random_uuid(), y.starts_on, $4 from (values ($2::date - interval '1 year'), ($2::date)) y(starts_on)
                          where not exists (select 1 from budget_year where partnership_id = $1)
                          returning id, starts_on),
                lines as (insert into budget_line (partnership_id, id, budget_year_id, category, name, amount_pennies)
                          select $1, gen_random_uuid(), years.id, l.category, l.name, $3::bigint * l.share / 100
                          from years cross join (values ('staffing', 'Business unit', 62), ('scrutiny', 'Independent scrutiny', 10),
                                                        ('reviews', 'Safeguarding practice reviews', 12), ('training', 'Multi-agency training', 12),
                                                        ('other', 'Engagement and communications', 4)) l(category, name, share)
                          returning id, budget_year_id, category, amount_pennies),
                contributions as (insert into contribution (partnership_id, id, budget_year_id, organisation_id, contributor, contributor_kind, form,
                                                            amount_pennies)
                                  select $1, gen_random_uuid(), years.id, o.id, o.name, 'statutory_partner', 'cash', $3::bigint * 3 / 10
                                  from years cross join (select id, name from organisation where partnership_id = $1 and is_statutory_partner
                                                         and retired_on is null order by name limit 3) o
                                  returning id, budget_year_id, amount_pennies),
                paid as (insert into contribution_entry (partnership_id, id, contribution_id, kind, entered_on, amount_pennies, reference)
                         select $1, gen_random_uuid(), c.id, k.kind, years.starts_on + 40 + k.days, c.amount_pennies, k.kind || '-' || left(c.id::text, 6)
                         from contributions c join years on years.id = c.budget_year_id
                         cross join (values ('invoice', 0), ('payment', 30)) k(kind, days)
                         where years.starts_on + 70 <= current_date)
           insert into expenditure (partnership_id, id, budget_year_id, budget_line_id, spent_on, description, amount_pennies, arrangements)
           select $1, gen_random_uuid(), lines.budget_year_id, lines.id, years.starts_on + m * 30 + 15,
                  'Month ' || (m + 1) || ': ' || lines.category, (lines.amount_pennies / 12)::bigint,
                  case when $4 is null then 'shared' when m % 5 = 0 then 'children' when m % 7 = 0 then 'adults' else 'shared' end
           from lines join years on years.id = lines.budget_year_id cross join generate_series(0, 11) m
           where years.starts_on + m * 30 + 15 < current_date"#,
        partnership_id,
        this_year.starts_on(),
        total,
        split
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        r#"with needs as (insert into training_need (partnership_id, id, starts_on, organisation_id, topic, priority, staff_count)
                          select $1, gen_random_uuid(), $2, o.id, t.topic, t.priority, t.staff
                          from (select id, row_number() over (order by name) as n from organisation where partnership_id = $1 and retired_on is null) o
                          join (values (1, 'Neglect', 'high', 120), (2, 'Exploitation outside the home', 'high', 80),
                                       (3, 'Domestic abuse and coercive control', 'medium', 60), (4, 'Professional curiosity', 'medium', 150))
                                t(n, topic, priority, staff) on t.n = o.n
                          where not exists (select 1 from training_need where partnership_id = $1)),
                courses as (insert into course (partnership_id, id, title, level, audience, provider, delivery)
                            select $1, gen_random_uuid(), c.title, c.level, c.audience, c.provider, c.delivery
                            from (values ('Neglect: recognising and responding', 'foundation', 'Everyone working with children and families', '', 'internal'),
                                         ('Child exploitation', 'intermediate', 'Practitioners working with adolescents', 'Safer Futures Ltd', 'commissioned'),
                                         ('Working Together in practice', 'advanced', 'Managers and designated leads', '', 'internal')) c(title, level, audience, provider, delivery)
                            where not exists (select 1 from course where partnership_id = $1)
                            returning id, title),
                sessions as (insert into training_session (partnership_id, id, course_id, starts_at, ends_at, place, online, capacity, link_token,
                                                           observation, observed_by)
                             select $1, gen_random_uuid(), courses.id, d.starts, d.starts + interval '3 hours', case when d.n = 2 then '' else 'Civic Offices' end,
                                    d.n = 2, 24, encode(sha256(convert_to(courses.id::text || d.n, 'UTF8')), 'hex'),
                                    case when d.n = 0 and courses.title like 'Neglect%' then 'Well paced; good use of the graded care profile.' else '' end,
                                    case when d.n = 0 and courses.title like 'Neglect%' then 'Workforce development lead' else '' end
                             from courses cross join (values (0, date_trunc('day', now()) - interval '60 days' + interval '9 hours 30 minutes'),
                                                             (1, date_trunc('day', now()) + interval '20 days' + interval '9 hours 30 minutes'),
                                                             (2, date_trunc('day', now()) + interval '50 days' + interval '13 hours')) d(n, starts)
                             returning id, starts_at),
                booked as (insert into training_booking (partnership_id, id, session_id, participant_name, email, organisation_id, attended,
                                                         attendance_recorded_at)
                           select $1, gen_random_uuid(), s.id, 'Practitioner ' || p, 'practitioner' || p || '.' || left(s.id::text, 8) || '@agency.example',
                                  (select id from organisation where partnership_id = $1 and retired_on is null order by name offset p % 5 limit 1),
                                  case when s.starts_at < now() then p % 6 <> 0 end, case when s.starts_at < now() then s.starts_at end
                           from sessions s cross join generate_series(1, 18) p where s.starts_at < now() or p <= 9)
           insert into training_evaluation (partnership_id, id, session_id, stage, respondent, rating, confidence_before, confidence_after, comments,
                                            submitted_at)
           select $1, gen_random_uuid(), s.id, case when e <= 10 then 'immediate' else 'follow_up' end,
                  case when e > 12 then 'manager' else 'participant' end, 3 + e % 3,
                  case when e <= 10 then 2 + e % 2 end, case when e <= 10 then 4 end,
                  case e when 1 then 'Practical and clear; I now know what to record.' when 11 then 'I have used the tool in two assessments since.'
                         when 13 then 'Their referrals are clearer and better evidenced.' else '' end,
                  s.starts_at + case when e <= 10 then interval '4 hours' else interval '40 days' end
           from sessions s cross join generate_series(1, 14) e where s.starts_at < now()"#,
        partnership_id,
        this_year.starts_on()
    )
    .execute(&mut **tx)
    .await?;
    let every_quarter: Vec<String> =
        if slug == "warwickshire" { vec!["children".to_owned(), "parents_carers".to_owned()] } else { Vec::new() };
    sqlx::query!(
        r#"with settings as (update arrangement set engagement_every_quarter = $2 where partnership_id = $1),
                first_group as (select g.id from partnership_group g where g.partnership_id = $1 and g.retired_on is null
                                order by g.sort_order, g.name limit 1),
                activities as (insert into engagement (partnership_id, id, number, voice, title, method, held_on, participants, findings, what_we_did,
                                                       group_id, reported_on)
                               select $1, gen_random_uuid(), a.n, a.voice, a.title, a.method, current_date - a.days, a.people, a.findings, a.done,
                                      case when a.done <> '' then (select id from first_group) end,
                                      case when a.done <> '' then current_date - a.days + 14 end
                               from (values (1, 'children', 'Youth council: feeling safe online', 'Group session', 130, 18,
                                             'Young people do not know who to tell when something online frightens them.',
                                             'Schools now give every pupil a card naming who to tell; the partnership''s website has a page for young people.'),
                                            (2, 'parents_carers', 'Parents'' forum: early help', 'Survey and forum', 45, 64,
                                             'Parents found early help hard to reach and did not know what it offered.',
                                             'The early help offer was rewritten in plain English with parents, and is now on the front page.'),
                                            (3, 'children', 'Children in care council: being heard in reviews', 'Interviews', 20, 11,
                                             'Children want to speak to their reviewing officer alone before their review.', ''))
                                    a(n, voice, title, method, days, people, findings, done)
                               where not exists (select 1 from engagement where partnership_id = $1))
           insert into library_document (partnership_id, id, kind, title, summary, owner_membership_id, group_id, review_on, published)
           select $1, gen_random_uuid(), d.kind, d.title, d.summary,
                  (select m.id from membership m join membership_role r on r.partnership_id = m.partnership_id and r.membership_id = m.id
                   where m.partnership_id = $1 and m.is_current order by r.role = 'business_manager' desc, m.created_at limit 1),
                  (select id from first_group), current_date + d.review_in, d.published
           from (values ('thresholds', $3::text, 'When and how to get help for a child or family: the levels of need and who to contact.', 200, true),
                        ('memorandum', 'Memorandum of understanding: funding the arrangements', 'The partners'' financial and in-kind contributions.', 90, false),
                        ('information_sharing', 'Multi-agency information sharing agreement', 'What the partners share, on what basis, and how.', -10, false))
                d(kind, title, summary, review_in, published)
           where exists (select 1 from membership where partnership_id = $1)
             and not exists (select 1 from library_document where partnership_id = $1)"#,
        partnership_id,
        &every_quarter,
        match slug {
            "swindon" => "The Right Help at the Right Time",
            "warwickshire" => "Spectrum of Support",
            _ => "Threshold document: continuum of need",
        }
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
