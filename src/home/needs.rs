//! "What needs you now": in one partnership, every line of work waiting for
//! one person, soonest first, each linking to where it is done. One
//! statement reads them all under the person's own row-level security, so a
//! confidential record they may not see is not there to be listed.
//!
//! Which lines a person gets follows their capabilities: those who run
//! meetings get agenda cut-offs, circulation deadlines and late requests;
//! those who run decisions every open decision; those who run scrutiny the
//! responses to recommendations falling due; those who follow every action
//! the overdue ones; those who keep the structure its gaps; those who manage
//! people who signs in without a second factor and which roles nobody holds;
//! those who keep the risk register every risk due for review.
//! Everyone gets the decisions awaiting their voice, the recommendations
//! addressed to their organisation or the group they chair, their own
//! actions, the risks they own due for review and their meetings in the window; a scrutineer their report due
//! this quarter and the responses overdue to their recommendations.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::calendar::{FinancialYear, long_date, uk_date, uk_midnight, uk_time, working_days_after, working_days_between};
use crate::meetings::{Deadlines, MeetingRules};
use crate::roles::{Capability, Role, Roles};
use crate::tenant::Member;

/// How far ahead the list looks: deadlines in the next ten working days.
pub const WINDOW_WORKING_DAYS: u32 = 10;

/// What a person may do in the partnership the lines are read for, which
/// decides which kinds of line they get.
#[derive(Clone, Copy, Debug)]
pub struct Asking<'a> {
    pub partnership_id: Uuid,
    pub slug: &'a str,
    pub partnership_name: &'a str,
    pub user_id: Uuid,
    pub roles: &'a Roles,
}

impl<'a> Asking<'a> {
    /// The person acting in the partnership they entered.
    pub fn member(member: &'a Member) -> Self {
        Asking {
            partnership_id: member.partnership.id,
            slug: &member.partnership.slug,
            partnership_name: &member.partnership.name,
            user_id: member.user.id,
            roles: &member.roles,
        }
    }
}

/// One line of "what needs you now".
#[derive(Clone, Debug)]
pub struct Need {
    pub partnership_name: String,
    pub href: String,
    pub text: String,
    /// A second line: where it belongs, how far along it is.
    pub hint: Option<String>,
    /// The day it is due; lines without one (a gap to fill) sort after those with one.
    pub due_on: Option<NaiveDate>,
    pub status: NeedStatus,
    pub confidential: bool,
}

/// The tag at the end of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NeedStatus {
    Overdue,
    DueToday,
    Due(String),
    /// Something to put right, with no date.
    ToDo,
}

impl NeedStatus {
    pub fn label(&self) -> &str {
        match self {
            NeedStatus::Overdue => "Overdue",
            NeedStatus::DueToday => "Due today",
            NeedStatus::Due(label) => label,
            NeedStatus::ToDo => "To do",
        }
    }
    pub fn tag_class(&self) -> &'static str {
        match self {
            NeedStatus::Overdue => "govuk-tag--red",
            NeedStatus::DueToday => "govuk-tag--orange",
            NeedStatus::Due(_) => "govuk-tag--blue",
            NeedStatus::ToDo => "govuk-tag--grey",
        }
    }
}

/// What the statement hands back, a kind of line and its facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// A meeting in the window whose agenda cut-off or circulation deadline may fall due.
    Deadlines,
    LateRequest,
    DecisionOpen,
    /// Recommendations without a response that this person answers or follows.
    Responses,
    /// Recommendations of this scrutineer's whose response is overdue.
    ResponsesOverdue,
    ReportDue,
    ActionsOverdue,
    MyAction,
    TermsReview,
    NoTerms,
    NoChair,
    GroupEnded,
    PostVacant,
    Section11,
    MyMeeting,
    WithoutTwoFactor,
    RoleVacant,
    MyTwoFactor,
    /// An open review whose next clock falls due, for those who run it or sit on the group overseeing it.
    ReviewClock,
    /// A review's information request this person answers for their agency, not yet answered.
    MyReviewRequest,
    /// An open risk due for review in the window or past its date, for its owner and the business unit.
    RiskReview,
    /// A self-assessment return this person fills, not yet submitted.
    MyReturn,
    /// A round's returns overdue (`n`) and submitted to review (`of`), for the business unit.
    RoundReturns,
    /// A challenge to a rating of a return this person fills, not yet answered.
    MyChallenge,
    /// A multi-agency audit in progress, for the business unit to finish and report.
    AuditInProgress,
    /// An indicator of the data set this person enters (their agency's, or any for the business unit), with its
    /// frequency and latest period: due when the last period over has no value.
    IndicatorDue,
    /// No pooled budget set up for this financial year, for the business unit.
    BudgetYear,
    /// A training session over whose bookings have no attendance taken, for the business unit.
    AttendanceDue,
    /// A voice the partnership seeks every quarter not yet heard this quarter, for the business unit.
    EngagementDue,
    /// A library document due for review in the window or past it, for its owner and the business unit.
    LibraryReview,
}

#[derive(Debug, Deserialize)]
struct Line {
    kind: Kind,
    id: Option<Uuid>,
    /// A second record: the one recommendation of a report's, a report's draft.
    other: Option<Uuid>,
    number: Option<i32>,
    title: Option<String>,
    detail: Option<String>,
    at: Option<DateTime<Utc>>,
    on: Option<NaiveDate>,
    n: Option<i64>,
    of: Option<i64>,
    #[serde(default)]
    confidential: bool,
    #[serde(default)]
    flag: bool,
    /// A review's kind and the dates its clocks read.
    #[serde(default)]
    review: Option<ReviewFacts>,
}

#[derive(Debug, Deserialize)]
struct ReviewFacts {
    kind: crate::reviews::Kind,
    stage: crate::reviews::Stage,
    aware: NaiveDate,
    notified: Option<NaiveDate>,
    sent: Option<NaiveDate>,
    commissioned: Option<NaiveDate>,
}

/// The lines waiting for one person in one partnership: one statement.
pub async fn read(conn: &mut PgConnection, asking: Asking<'_>, today: NaiveDate) -> sqlx::Result<Vec<Need>> {
    let roles = asking.roles;
    let horizon = working_days_after(today, WINDOW_WORKING_DAYS);
    let (year, quarter) = crate::scrutiny::quarter_of(today);
    // What awaits the person's voice is the decision register's own reading of it. Each capability
    // is read in a scalar subquery, `(select $5::boolean)`: a bare parameter is folded into the plan,
    // so PostgreSQL judged a plan for each person's capabilities cheaper than one for all and planned
    // this statement afresh on every view (5 ms); read once when the statement runs, it keeps one plan.
    let row = crate::decisions::with_awaiting!(
        [r#"with me as (select m.id, m.organisation_id from membership m
                       where m.partnership_id = $1 and m.user_id = $2 and m.is_current),
           -- The current recommendations (of each report's latest submitted version) still without a response.
           unanswered as (
               select sr.id as report_id, sr.title, r.id, v.responses_due_on, r.addressee_organisation_id, r.addressee_group_id,
                      sr.author_membership_id
               from scrutiny_report_version v
               join scrutiny_report sr on sr.partnership_id = v.partnership_id and sr.id = v.report_id
               join scrutiny_recommendation r on r.partnership_id = v.partnership_id and r.report_id = v.report_id
                    and r.version = v.version
               where v.partnership_id = $1 and v.submitted_at is not null and v.superseded_at is null
                 -- The partnership's responses read once into a hash (`not in` over a key that is never null), rather than
                 -- looked up through row-level security for each of ten years' recommendations.
                 and r.lineage_id not in (select resp.lineage_id from recommendation_response resp where resp.partnership_id = $1))
           select a.agenda_cutoff_working_days as "agenda_cutoff_working_days?",
                  a.papers_working_days as "papers_working_days?",
                  coalesce((select json_agg(l.j) from (
               -- Meetings whose agenda cut-off or circulation deadline may fall in the window (the exact
               -- working days are counted by the caller).
               select soon.j from (
                   select json_build_object('kind', 'deadlines', 'id', m.id, 'title', g.name, 'at', m.starts_at,
                                            'flag', m.pack_circulated_at is not null) as j
                   from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                   -- Compared as timestamptz with timestamptz, whose operators are leakproof: row-level security lets only
                   -- those into an index scan (a date against a timestamptz would be checked row by row after it).
                   where (select $5::boolean) and m.partnership_id = $1 and m.status = 'scheduled' and m.starts_at >= $15
                     and m.starts_at < (select ($4::date + (greatest(r.agenda_cutoff_working_days, r.papers_working_days) * 7 / 5 + 10)
                                                            * interval '1 day')::timestamptz
                                        from arrangement r where r.partnership_id = $1)
                   order by m.starts_at limit 200) soon
               union all
               select json_build_object('kind', 'late_request', 'id', m.id, 'title', i.title, 'detail', g.name, 'at', m.starts_at)
               from agenda_item i
               join meeting m on m.partnership_id = i.partnership_id and m.id = i.meeting_id
               join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
               where (select $5::boolean) and i.partnership_id = $1 and i.status = 'late_request' and m.status = 'scheduled' and m.ends_at >= now()
               union all
               select json_build_object('kind', 'decision_open', 'id', d.id, 'number', d.number, 'title', d.title, 'at', d.closes_at,
                                        'confidential', d.confidential, 'flag', d.stage = 'vote',
                                        'n', (select count(*) from decision_response r where r.partnership_id = d.partnership_id
                                                and r.decision_id = d.id and r.stage = d.stage),
                                        'of', (select count(*) from decision_voter v where v.partnership_id = d.partnership_id
                                                 and v.decision_id = d.id))
               from decision d
               where (select $6::boolean) and d.partnership_id = $1 and d.outcome is null
               union all
               select json_build_object('kind', 'responses', 'id', u.report_id, 'title', u.title, 'on', min(u.responses_due_on),
                                        'n', count(*), 'other', (array_agg(u.id))[1])
               from unanswered u left join me on true
               where ((select $7::boolean) and u.responses_due_on <= $4)
                  or u.addressee_group_id in (select s.group_id from group_member s join me on me.id = s.membership_id
                                              where s.partnership_id = $1 and s.role_in_group = 'chair'
                                                and s.starts_on <= $3 and (s.ends_on is null or s.ends_on >= $3))
                  or (u.addressee_organisation_id = me.organisation_id
                      and may_speak_for($1, me.id, u.addressee_organisation_id, null))
               group by u.report_id, u.title
               union all
               select json_build_object('kind', 'responses_overdue', 'id', u.report_id, 'title', u.title,
                                        'on', min(u.responses_due_on), 'n', count(*), 'other', (array_agg(u.id))[1])
               from unanswered u join me on me.id = u.author_membership_id
               where (select $10::boolean) and not (select $7::boolean) and u.responses_due_on < $3
               group by u.report_id, u.title
               union all
               select json_build_object('kind', 'report_due',
                                        'other', (select r.id from scrutiny_report r join me on me.id = r.author_membership_id
                                                  join scrutiny_report_version v on v.partnership_id = r.partnership_id
                                                       and v.report_id = r.id and v.submitted_at is null
                                                  where r.partnership_id = $1 and r.financial_year = $12 and r.quarter = $13 limit 1),
                                        'detail', (select string_agg(i.theme, '; ' order by i.created_at) from scrutiny_programme_item i
                                                   where i.partnership_id = $1 and i.financial_year = $12 and i.quarter = $13))
               where (select $10::boolean) and not exists (
                   select 1 from scrutiny_report r join me on me.id = r.author_membership_id
                   join scrutiny_report_version v on v.partnership_id = r.partnership_id and v.report_id = r.id and v.submitted_at is not null
                   where r.partnership_id = $1 and r.financial_year = $12 and r.quarter = $13)
               union all
               select json_build_object('kind', 'actions_overdue', 'n', c.n, 'on', c.first, 'title', w.description, 'detail', w.owner_name)
               from (select count(*) as n, min(x.due_on) as first from action_point x
                     where (select $8::boolean) and x.partnership_id = $1 and x.status <> 'complete' and x.due_on < $3) c
               -- The most overdue, named.
               cross join lateral (select x.description, x.owner_name from action_point x
                                   where x.partnership_id = $1 and x.status <> 'complete' and x.due_on < $3
                                   order by x.due_on, x.created_at limit 1) w
               where c.n > 0
               union all
               select mine.j from (
                   select json_build_object('kind', 'my_action', 'id', x.id, 'title', x.description, 'on', x.due_on) as j
                   from action_point x join me on me.id = x.owner_membership_id
                   where x.partnership_id = $1 and x.status <> 'complete'
                   order by x.due_on, x.id limit 10) mine
               union all
               select json_build_object('kind', case when t.review_due_on is null then 'no_terms' else 'terms_review' end,
                                        'id', g.id, 'title', g.name, 'on', t.review_due_on)
               from partnership_group g
               left join lateral (select t.review_due_on from terms_of_reference t
                                  where t.partnership_id = g.partnership_id and t.group_id = g.id
                                  order by t.adopted_on desc limit 1) t on true
               where (select $9::boolean) and g.partnership_id = $1 and g.retired_on is null and (t.review_due_on is null or t.review_due_on < $3)
               union all
               select json_build_object('kind', 'no_chair', 'id', g.id, 'title', g.name)
               from partnership_group g
               where (select $9::boolean) and g.partnership_id = $1 and g.retired_on is null
                 and not exists (select 1 from group_member s where s.partnership_id = g.partnership_id and s.group_id = g.id
                                 and s.role_in_group = 'chair' and s.starts_on <= $3 and (s.ends_on is null or s.ends_on >= $3))
               union all
               select json_build_object('kind', 'group_ended', 'id', g.id, 'title', g.name, 'on', g.ends_on)
               from partnership_group g
               where (select $9::boolean) and g.partnership_id = $1 and g.retired_on is null and g.ends_on < $3
               union all
               select json_build_object('kind', 'post_vacant', 'id', p.id, 'title', p.title)
               from post p
               where (select $9::boolean) and p.partnership_id = $1 and p.retired_on is null
                 and not exists (select 1 from post_holder h where h.partnership_id = p.partnership_id and h.post_id = p.id
                                 and h.starts_on <= $3 and (h.ends_on is null or h.ends_on >= $3))
               union all
               select json_build_object('kind', 'section11', 'n', count(*))
               from organisation o
               where (select $9::boolean) and o.partnership_id = $1 and o.retired_on is null and o.is_relevant_agency
                 and (o.last_section11_on is null
                      or o.last_section11_on + make_interval(months => coalesce(a.section11_interval_months, 24)) <= $3)
               having count(*) > 0
               union all
               select soon.j from (
                   select json_build_object('kind', 'my_meeting', 'id', m.id, 'title', g.name, 'at', m.starts_at,
                                            'flag', m.pack_circulated_at is not null,
                                            'n', (select count(*) from paper p where p.partnership_id = m.partnership_id
                                                    and p.meeting_id = m.id)) as j
                   from meeting m join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
                   where not (select $5::boolean) and m.partnership_id = $1 and m.status = 'scheduled'
                     and m.starts_at > now() - interval '25 hours' and m.ends_at >= now()
                     and m.starts_at < $16
                     and exists (select 1 from group_member s join me on me.id = s.membership_id
                                 where s.partnership_id = m.partnership_id and s.group_id = m.group_id
                                   and s.starts_on <= $3 and (s.ends_on is null or s.ends_on >= $3))
                   order by m.starts_at limit 10) soon
               union all
               select json_build_object('kind', 'without_two_factor', 'n', count(*))
               from membership m
               where (select $11::boolean) and m.partnership_id = $1 and m.is_current and not m.two_factor
               having count(*) > 0
               union all
               select json_build_object('kind', 'role_vacant', 'title', wanted.code)
               from unnest($14::text[]) as wanted(code)
               where (select $11::boolean) and not exists (select 1 from membership_role r join membership m on m.partnership_id = r.partnership_id
                                             and m.id = r.membership_id and m.removed_at is null
                                         where r.partnership_id = $1 and r.role = wanted.code)
               union all
               -- Open reviews (their clocks are counted in working days by the caller), for the business unit and the
               -- members of the group overseeing each.
               select open.j from (
                   select json_build_object('kind', 'review_clock', 'id', v.id, 'number', v.number, 'title', v.pseudonym,
                                            'detail', g.name,
                                            'review', json_build_object('kind', v.kind, 'stage', v.stage, 'aware', v.became_aware_on,
                                                                        'notified', v.notified_panel_on, 'sent', v.rapid_review_sent_on,
                                                                        'commissioned', v.commissioned_on)) as j
                   from review v join partnership_group g on g.partnership_id = v.partnership_id and g.id = v.group_id
                   where v.partnership_id = $1 and v.closed_on is null
                     and ((select $17::boolean)
                          or exists (select 1 from group_member s join me on me.id = s.membership_id
                                     where s.partnership_id = v.partnership_id and s.group_id = v.group_id
                                       and s.starts_on <= $3 and (s.ends_on is null or s.ends_on >= $3)))
                   order by v.became_aware_on limit 50) open
               union all
               -- Information requests waiting for this person's answer: the review by its pseudonym alone.
               select asked.j from (
                   select json_build_object('kind', 'my_review_request', 'id', q.review_id, 'other', q.id, 'number', v.number,
                                            'title', v.pseudonym, 'detail', o.name, 'on', q.due_on) as j
                   from review_request q join me on me.id = q.membership_id
                   join review v on v.partnership_id = q.partnership_id and v.id = q.review_id
                   join organisation o on o.partnership_id = q.partnership_id and o.id = q.organisation_id
                   where q.partnership_id = $1 and q.answered_at is null and v.closed_on is null
                   order by q.due_on limit 10) asked
               union all
               -- Open risks due for review (or past it): the owner's own, or every one for those who keep the register.
               select due.j from (
                   select json_build_object('kind', 'risk_review', 'id', k.id, 'number', k.number, 'title', k.title, 'on', k.review_on,
                                            'n', k.likelihood * k.impact) as j
                   from risk k left join me on true
                   where k.partnership_id = $1 and k.closed_on is null and k.review_on <= $4
                     and ((select $18::boolean) or k.owner_membership_id = me.id)
                   order by k.review_on limit 50) due
               union all
               -- Self-assessment returns this person fills, not yet submitted, and challenges waiting for their answer.
               select mine.j from (
                   select json_build_object('kind', 'my_return', 'id', r.id, 'title', a.title, 'detail', o.name, 'on', a.due_on) as j
                   from round_return r join me on me.id = r.contact_membership_id
                   join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
                   join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
                   where r.partnership_id = $1 and r.status in ('not_started', 'draft')
                   order by a.due_on limit 10) mine
               union all
               select asked.j from (
                   select json_build_object('kind', 'my_challenge', 'id', r.id, 'title', a.title, 'detail', o.name,
                                            'n', count(*)) as j
                   from return_challenge c
                   join round_return r on r.partnership_id = c.partnership_id and r.id = c.return_id
                   join me on me.id = r.contact_membership_id
                   join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
                   join organisation o on o.partnership_id = r.partnership_id and o.id = r.organisation_id
                   where c.partnership_id = $1 and c.answered_at is null
                   group by r.id, a.title, o.name limit 10) asked
               union all
               -- For the business unit: each round's returns overdue and those submitted, waiting to be reviewed.
               select json_build_object('kind', 'round_returns', 'id', a.id, 'title', a.title, 'on', a.due_on,
                                        'n', count(*) filter (where r.status in ('not_started', 'draft') and a.due_on < $3),
                                        'of', count(*) filter (where r.status = 'submitted'))
               from round_return r join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
               where (select $18::boolean) and r.partnership_id = $1 and r.status in ('not_started', 'draft', 'submitted')
               group by a.id, a.title, a.due_on
               union all
               select going.j from (
                   select json_build_object('kind', 'audit_in_progress', 'id', c.id, 'number', c.number, 'title', c.theme,
                                            'detail', g.name) as j
                   from case_audit c join partnership_group g on g.partnership_id = c.partnership_id and g.id = c.group_id
                   where (select $18::boolean) and c.partnership_id = $1 and c.status = 'in_progress'
                   order by c.started_on limit 10) going
               union all
               select entered.j from (
                   select json_build_object('kind', 'indicator_due', 'id', i.id, 'title', i.name, 'detail', i.frequency,
                                            'on', (select max(v.period_start) from indicator_value v
                                                   where v.partnership_id = i.partnership_id and v.indicator_id = i.id)) as j
                   from indicator i left join me on true
                   where i.partnership_id = $1 and i.retired_on is null
                     and ((select $18::boolean) or (i.organisation_id is not null and i.organisation_id = me.organisation_id))
                   order by i.name limit 100) entered
               union all
               -- Resources and learning, for the business unit: this year's budget, attendance to take, the quarter's voices.
               select json_build_object('kind', 'budget_year', 'n', $12::integer)
               where (select $19::boolean)
                 and not exists (select 1 from budget_year y where y.partnership_id = $1 and y.starts_on = make_date($12, 4, 1))
               union all
               select taken.j from (
                   select json_build_object('kind', 'attendance_due', 'id', s.id, 'title', c.title, 'at', s.starts_at) as j
                   from training_session s join course c on c.partnership_id = s.partnership_id and c.id = s.course_id
                   where (select $19::boolean) and s.partnership_id = $1 and s.cancelled_at is null
                     and s.starts_at > $16 - interval '90 days' and s.ends_at < now()
                     and exists (select 1 from training_booking b where b.partnership_id = s.partnership_id and b.session_id = s.id
                                 and b.attended is null)
                   order by s.starts_at limit 10) taken
               union all
               select json_build_object('kind', 'engagement_due', 'title', v.voice,
                                        'on', (make_date($12, 4, 1) + make_interval(months => 3 * $13::integer))::date - 1)
               from arrangement a cross join unnest(a.engagement_every_quarter) v(voice)
               where (select $19::boolean) and a.partnership_id = $1
                 and not exists (select 1 from engagement e where e.partnership_id = $1 and e.voice = v.voice
                                 and e.held_on >= (make_date($12, 4, 1) + make_interval(months => 3 * ($13::integer - 1)))::date)
               union all
               select shelved.j from (
                   select json_build_object('kind', 'library_review', 'id', d.id, 'title', d.title, 'on', d.review_on) as j
                   from library_document d left join me on true
                   where d.partnership_id = $1 and d.retired_on is null and d.review_on <= $4
                     and ((select $19::boolean) or d.owner_membership_id = me.id)
                   order by d.review_on limit 50) shelved
               union all
               select json_build_object('kind', 'my_two_factor')
               from app_user u where u.id = $2 and u.totp_enabled_at is null
           ) l), '[]') as "lines!: Json<Vec<Line>>",
                  coalesce(awaiting.lines, '[]') as "awaiting!: Json<Vec<crate::decisions::Awaiting>>",
                  ra.rapid_review_clock_start as "clock_start?", ra.rapid_review_working_days as "rapid_days?",
                  ra.notification_working_days as "notify_days?", ra.cspr_target_months as "cspr_months?",
                  ra.sar_target_months as "sar_months?", ra.dhr_label as "dhr_label?"
           from (select) one left join arrangement a on a.partnership_id = $1
           left join review_arrangement ra on ra.partnership_id = $1"#],
        "",
        asking.partnership_id,
        asking.user_id,
        today,
        horizon,
        roles.allows(Capability::ManageMeetings),
        roles.allows(Capability::ManageDecisions),
        roles.allows(Capability::ManageScrutiny),
        roles.allows(Capability::ViewAllActions),
        roles.allows(Capability::ManageStructure),
        roles.allows(Capability::WriteScrutinyReports),
        roles.allows(Capability::ManagePeople),
        year,
        quarter,
        &STAFFED_ROLES.iter().map(|r| r.code().to_owned()).collect::<Vec<_>>(),
        uk_midnight(today),
        uk_midnight(horizon.succ_opt().unwrap_or(horizon)),
        roles.allows(Capability::ManageReviews),
        roles.allows(Capability::ManageAssurance),
        roles.allows(Capability::ManageResources)
    )
    .fetch_one(conn)
    .await?;
    let review_settings = crate::reviews::Arrangement::from_stored(
        row.clock_start,
        row.rapid_days,
        row.notify_days,
        row.cspr_months,
        row.sar_months,
        None,
        row.dhr_label,
        None,
        None,
    );
    let rules = MeetingRules {
        agenda_cutoff_working_days: row.agenda_cutoff_working_days.unwrap_or(10),
        papers_working_days: row.papers_working_days.unwrap_or(5),
    };
    let awaited: Vec<Uuid> = row.awaiting.0.iter().map(|a| a.id).collect();
    let mut needs: Vec<Need> = row.awaiting.0.into_iter().map(|a| awaiting(a, &asking, today)).collect();
    let mut lines = row.lines.0;
    // A decision awaiting this person's own voice is listed once, as theirs.
    lines.retain(|l| !(l.kind == Kind::DecisionOpen && l.id.is_some_and(|id| awaited.contains(&id))));
    for kind in GATHERED {
        let (alike, rest): (Vec<Line>, Vec<Line>) = lines.into_iter().partition(|l| l.kind == kind);
        lines = rest;
        if alike.len() > GATHERED_OVER {
            needs.push(gathered(kind, &alike, &asking, today));
        } else {
            lines.extend(alike);
        }
    }
    let (indicators, rest): (Vec<Line>, Vec<Line>) = lines.into_iter().partition(|l| l.kind == Kind::IndicatorDue);
    lines = rest;
    needs.extend(indicators_due(&indicators, &asking, today));
    for line in lines {
        if line.kind == Kind::ReviewClock {
            needs.extend(review_clock(line, &asking, &review_settings, today, horizon));
        } else {
            needs.extend(describe(line, &asking, &rules, today, horizon, (year, quarter)));
        }
    }
    sort(&mut needs);
    Ok(needs)
}

/// A review whose next clock is overdue or falls due in the window: its pseudonym and what is due.
fn review_clock(
    line: Line,
    asking: &Asking<'_>,
    settings: &crate::reviews::Arrangement,
    today: NaiveDate,
    horizon: NaiveDate,
) -> Option<Need> {
    let facts = line.review?;
    let dates = crate::reviews::Dates {
        became_aware_on: Some(facts.aware),
        notified_panel_on: facts.notified,
        rapid_review_sent_on: facts.sent,
        commissioned_on: facts.commissioned,
    };
    let clock = crate::reviews::clocks(facts.kind, dates, settings).into_iter().find(|c| c.done_on.is_none())?;
    if clock.due_on > horizon {
        return None;
    }
    let number = line.number.unwrap_or_default();
    Some(Need {
        partnership_name: asking.partnership_name.to_owned(),
        href: format!("/p/{}/reviews/{}", asking.slug, line.id.map(|id| id.to_string()).unwrap_or_default()),
        // "Notify the Panel" reads "notify the Panel" after the colon.
        text: format!("R{number} {}: {}{}", line.title.unwrap_or_default(), clock.what[..1].to_lowercase(), &clock.what[1..]),
        hint: Some(format!("{}, {}", facts.stage.label(facts.kind), line.detail.unwrap_or_default())),
        due_on: Some(clock.due_on),
        status: status(clock.due_on, today),
        confidential: false,
    })
}

/// The data set's indicators whose last period over has no value yet: one line for them all.
fn indicators_due(lines: &[Line], asking: &Asking<'_>, today: NaiveDate) -> Option<Need> {
    let due: Vec<(&Line, crate::assurance::Frequency)> = lines
        .iter()
        .filter_map(|l| {
            let frequency = crate::assurance::Frequency::parse(l.detail.as_deref()?)?;
            let last = frequency.last_complete(today);
            l.on.is_none_or(|latest| latest < last).then_some((l, frequency))
        })
        .collect();
    let (first, frequency) = due.first()?;
    let period = frequency.label_of(frequency.last_complete(today));
    let (href, text) = match due.len() {
        1 => (
            format!("/p/{}/performance/{}", asking.slug, first.id.map(|id| id.to_string()).unwrap_or_default()),
            format!("Enter {} for {period}", first.title.clone().unwrap_or_default()),
        ),
        n => (
            format!("/p/{}/performance/upload", asking.slug),
            format!("Enter {} for the data set", plural(n as i64, "indicator value", "indicator values")),
        ),
    };
    Some(Need {
        partnership_name: asking.partnership_name.to_owned(),
        href,
        text,
        hint: Some("Performance data set: the last period over has no value".to_owned()),
        due_on: None,
        status: NeedStatus::ToDo,
        confidential: false,
    })
}

/// Gaps in the structure and risks due for review that, more than [`GATHERED_OVER`]
/// alike, make one line leading to the structure page or the register rather than a line each.
const GATHERED: [Kind; 6] = [Kind::TermsReview, Kind::NoTerms, Kind::NoChair, Kind::PostVacant, Kind::RiskReview, Kind::LibraryReview];
const GATHERED_OVER: usize = 3;

fn gathered(kind: Kind, alike: &[Line], asking: &Asking<'_>, today: NaiveDate) -> Need {
    let n = alike.len() as i64;
    let text = match kind {
        Kind::TermsReview => {
            format!("{} past their review date", plural(n, "group's terms of reference are", "groups' terms of reference are"))
        }
        Kind::NoTerms => format!("{} no terms of reference recorded", plural(n, "group has", "groups have")),
        Kind::NoChair => format!("{} nobody chairing them", plural(n, "group has", "groups have")),
        Kind::RiskReview => format!("Review {}", plural(n, "risk on the register", "risks on the register")),
        Kind::LibraryReview => format!("Review {}", plural(n, "document in the library", "documents in the library")),
        _ => format!("{} nobody holding them", plural(n, "post has", "posts have")),
    };
    let (href, hint) = match kind {
        Kind::RiskReview => (format!("/p/{}/risks", asking.slug), "Risk register: due for review or past it"),
        Kind::LibraryReview => (format!("/p/{}/library", asking.slug), "Library: due for review or past it"),
        _ => (format!("/p/{}/structure", asking.slug), "Structure"),
    };
    let due_on = alike.iter().filter_map(|l| l.on).min();
    Need {
        partnership_name: asking.partnership_name.to_owned(),
        href,
        text,
        hint: Some(hint.to_owned()),
        due_on,
        status: due_on.map_or(NeedStatus::ToDo, |d| status(d, today)),
        confidential: false,
    }
}

/// Roles a partnership is expected to fill, whose absence those who manage people are told of.
const STAFFED_ROLES: [Role; 4] =
    [Role::BusinessManager, Role::LeadSafeguardingPartner, Role::DelegatedSafeguardingPartner, Role::IndependentScrutineer];

/// Soonest first; the undated after, in the order given.
pub fn sort(needs: &mut [Need]) {
    needs.sort_by_key(|n| (n.due_on.is_none(), n.due_on));
}

fn status(due: NaiveDate, today: NaiveDate) -> NeedStatus {
    match due.cmp(&today) {
        std::cmp::Ordering::Less => NeedStatus::Overdue,
        std::cmp::Ordering::Equal => NeedStatus::DueToday,
        std::cmp::Ordering::Greater => NeedStatus::Due(format!("Due {}", short_date(due, today))),
    }
}

/// "Tue 8 Dec", with the year when it is not this one.
fn short_date(day: NaiveDate, today: NaiveDate) -> String {
    if day.year() == today.year() { day.format("%a %-d %b").to_string() } else { day.format("%a %-d %b %Y").to_string() }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The last day of a financial year's quarter (1 is April to June).
fn quarter_ends(year: i32, quarter: i32) -> NaiveDate {
    let start = FinancialYear { start_year: year }.starts_on();
    start.checked_add_months(Months::new(3 * quarter as u32)).and_then(|d| d.pred_opt()).unwrap_or(start)
}

/// A decision's tag: the day it closes and the working days left.
fn closing(closes_at: Option<DateTime<Utc>>, today: NaiveDate) -> NeedStatus {
    match closes_at.map(uk_date) {
        Some(closes) if closes > today => NeedStatus::Due(format!("Closes {}", short_date(closes, today))),
        Some(_) => NeedStatus::Due("Closes today".to_owned()),
        None => NeedStatus::ToDo,
    }
}

/// "3 working days left", "closes today".
fn days_left(closes_at: DateTime<Utc>, today: NaiveDate) -> String {
    match working_days_between(today, uk_date(closes_at)) {
        left if left > 0 => format!("{} left", plural(left, "working day", "working days")),
        _ => "closes today".to_owned(),
    }
}

/// A decision waiting for this person's voice.
fn awaiting(decision: crate::decisions::Awaiting, asking: &Asking<'_>, today: NaiveDate) -> Need {
    Need {
        partnership_name: asking.partnership_name.to_owned(),
        href: format!("/p/{}/decisions/{}", asking.slug, decision.id),
        text: format!("Respond to D{}: {}", decision.number, decision.title),
        hint: Some(format!(
            "{}, {}",
            if decision.is_vote() { "Formal vote: your vote is awaited" } else { "Your response is awaited" },
            days_left(decision.closes_at, today)
        )),
        due_on: Some(uk_date(decision.closes_at)),
        status: closing(Some(decision.closes_at), today),
        confidential: decision.confidential,
    }
}

fn describe(
    line: Line,
    asking: &Asking<'_>,
    rules: &MeetingRules,
    today: NaiveDate,
    horizon: NaiveDate,
    (year, quarter): (i32, i32),
) -> Vec<Need> {
    let slug = asking.slug;
    let id = line.id.map(|id| id.to_string()).unwrap_or_default();
    let title = line.title.clone().unwrap_or_default();
    let need = |href: String, text: String, hint: Option<String>, due_on: Option<NaiveDate>| Need {
        partnership_name: asking.partnership_name.to_owned(),
        href,
        text,
        hint,
        due_on,
        status: due_on.map_or(NeedStatus::ToDo, |d| status(d, today)),
        confidential: line.confidential,
    };
    match line.kind {
        Kind::Deadlines => {
            let Some(at) = line.at else { return Vec::new() };
            let day = uk_date(at);
            let deadlines = Deadlines::for_meeting(day, rules);
            let href = format!("/p/{slug}/meetings/{id}");
            let meeting = format!("{title}, {}", short_date(day, today));
            let mut lines = Vec::new();
            if (today..=horizon).contains(&deadlines.agenda_cutoff) {
                lines.push(need(
                    href.clone(),
                    format!("Agenda closes for {title}"),
                    Some(format!("Meeting {meeting}: late requests after this need a decision")),
                    Some(deadlines.agenda_cutoff),
                ));
            }
            // Papers not yet circulated, due in the window or already late.
            if !line.flag && deadlines.papers_due <= horizon {
                lines.push(need(
                    href,
                    format!("Circulate the papers for {title}"),
                    Some(format!("Meeting {meeting}")),
                    Some(deadlines.papers_due),
                ));
            }
            lines
        }
        Kind::LateRequest => {
            let day = line.at.map(uk_date);
            vec![need(
                format!("/p/{slug}/meetings/{id}#agenda"),
                format!("Decide the late agenda request \u{201c}{title}\u{201d}"),
                Some(format!("{}, {}", line.detail.clone().unwrap_or_default(), day.map(|d| short_date(d, today)).unwrap_or_default())),
                day,
            )]
        }
        Kind::DecisionOpen => {
            let number = line.number.unwrap_or_default();
            let vote = if line.flag { "Formal vote" } else { "Consensus" };
            let responded = match (line.n, line.of) {
                (Some(n), Some(of)) => format!("{vote}: {n} of {} responded", plural(of, "partner", "partners")),
                _ => vote.to_owned(),
            };
            let responded = match line.at {
                Some(at) => format!("{responded}, {}", days_left(at, today)),
                None => responded,
            };
            let mut need = need(format!("/p/{slug}/decisions/{id}"), format!("D{number}: {title}"), Some(responded), line.at.map(uk_date));
            need.status = closing(line.at, today);
            vec![need]
        }
        Kind::Responses | Kind::ResponsesOverdue => {
            let n = line.n.unwrap_or(1);
            let href = match (n, line.other) {
                (1, Some(one)) => format!("/p/{slug}/scrutiny/recommendations/{one}"),
                _ => format!("/p/{slug}/scrutiny/reports/{id}"),
            };
            let text = match line.kind {
                Kind::ResponsesOverdue => format!("{} overdue to your report \u{201c}{title}\u{201d}", plural(n, "response", "responses")),
                _ => format!("Respond to {} of \u{201c}{title}\u{201d}", plural(n, "recommendation", "recommendations")),
            };
            vec![need(href, text, Some("Independent scrutiny".to_owned()), line.on)]
        }
        Kind::ReportDue => {
            let href = match line.other {
                Some(draft) => format!("/p/{slug}/scrutiny/reports/{draft}"),
                None => format!("/p/{slug}/scrutiny/reports/new"),
            };
            let what = if line.other.is_some() { "Finish and submit" } else { "Write" };
            let hint = line.detail.filter(|d| !d.is_empty()).map(|themes| format!("Programme: {themes}"));
            vec![need(
                href,
                format!("{what} your scrutiny report for quarter {quarter} of {}", FinancialYear { start_year: year }.label()),
                hint,
                Some(quarter_ends(year, quarter)),
            )]
        }
        Kind::ActionsOverdue => {
            let n = line.n.unwrap_or(0);
            let most = match (line.title.as_deref(), line.detail.as_deref()) {
                (Some(what), Some(who)) if n > 1 => format!("The most overdue: {what} ({who})"),
                (Some(what), Some(who)) => format!("{what} ({who})"),
                _ => "Action tracker".to_owned(),
            };
            vec![need(
                format!("/p/{slug}/actions?status=overdue"),
                format!("{} overdue", plural(n, "action is", "actions are")),
                Some(most),
                line.on,
            )]
        }
        Kind::MyAction => vec![need(format!("/p/{slug}/actions/{id}"), title, Some("Your action".to_owned()), line.on)],
        Kind::MyReturn => vec![need(
            format!("/p/{slug}/assurance/returns/{id}"),
            format!("Complete {}'s return: {title}", line.detail.clone().unwrap_or_default()),
            Some("Self-assessment: rate each standard with its evidence".to_owned()),
            line.on,
        )],
        Kind::MyChallenge => vec![need(
            format!("/p/{slug}/assurance/returns/{id}#challenges"),
            format!(
                "Answer {} on {}'s return: {title}",
                plural(line.n.unwrap_or(1), "challenge", "challenges"),
                line.detail.clone().unwrap_or_default()
            ),
            Some("Self-assessment: the business unit challenged a rating".to_owned()),
            None,
        )],
        Kind::AuditInProgress => vec![need(
            format!("/p/{slug}/audits/{id}"),
            format!("Finish and report MA{}: {title}", line.number.unwrap_or_default()),
            Some(format!("Multi-agency audit for the {}", line.detail.clone().unwrap_or_default())),
            None,
        )],
        Kind::RoundReturns => {
            let href = format!("/p/{slug}/assurance/rounds/{id}");
            let mut lines = Vec::new();
            if let Some(late) = line.n.filter(|n| *n > 0) {
                lines.push(need(
                    href.clone(),
                    format!("{title}: {} overdue", plural(late, "return is", "returns are")),
                    Some("Self-assessment".to_owned()),
                    line.on,
                ));
            }
            if let Some(submitted) = line.of.filter(|n| *n > 0) {
                lines.push(need(
                    href,
                    format!("{title}: {} to review and accept", plural(submitted, "return", "returns")),
                    Some("Self-assessment".to_owned()),
                    None,
                ));
            }
            lines
        }
        Kind::RiskReview => vec![need(
            format!("/p/{slug}/risks/{id}#review"),
            format!("Review RR{}: {title}", line.number.unwrap_or_default()),
            Some(format!("Risk register: score {}", line.n.unwrap_or_default())),
            line.on,
        )],
        Kind::LibraryReview => vec![need(
            format!("/p/{slug}/library/{id}"),
            format!("Review {title}"),
            Some(format!("Library: review by {}", line.on.map(long_date).unwrap_or_default())),
            line.on,
        )],
        Kind::BudgetYear => {
            let year = FinancialYear { start_year: i32::try_from(line.n.unwrap_or_default()).unwrap_or_default() };
            vec![need(
                format!("/p/{slug}/budget"),
                format!("Set up the pooled budget for {}", year.label()),
                Some("Budget".to_owned()),
                None,
            )]
        }
        Kind::AttendanceDue => vec![need(
            format!("/p/{slug}/training/sessions/{id}#bookings"),
            format!("Take attendance: {title}, {}", line.at.map(|at| long_date(uk_date(at))).unwrap_or_default()),
            Some("Training".to_owned()),
            None,
        )],
        Kind::EngagementDue => {
            let voice = crate::engagement::Voice::parse(&title).map(|v| v.label().to_lowercase()).unwrap_or_default();
            vec![need(
                format!("/p/{slug}/engagement"),
                format!("Seek the views of {voice} this quarter"),
                Some("Engagement: sought every quarter".to_owned()),
                line.on,
            )]
        }
        Kind::MyReviewRequest => vec![need(
            format!("/p/{slug}/reviews/{id}/requests/{}", line.other.map(|o| o.to_string()).unwrap_or_default()),
            format!("R{} {title}: {}'s involvement", line.number.unwrap_or_default(), line.detail.clone().unwrap_or_default()),
            Some(format!("Information request due {}", line.on.map(long_date).unwrap_or_default())),
            line.on,
        )],
        Kind::TermsReview => vec![need(
            format!("/p/{slug}/groups/{id}"),
            format!("{title}: review the terms of reference"),
            Some(format!("Review was due on {}", line.on.map(long_date).unwrap_or_default())),
            line.on,
        )],
        Kind::NoTerms => vec![need(format!("/p/{slug}/groups/{id}"), format!("{title}: record the terms of reference"), None, None)],
        Kind::NoChair => vec![need(format!("/p/{slug}/groups/{id}"), format!("{title}: nobody chairs this group"), None, None)],
        Kind::GroupEnded => vec![need(
            format!("/p/{slug}/groups/{id}"),
            format!("{title}: time-limited group past its end date"),
            Some("Retire it or extend it".to_owned()),
            line.on,
        )],
        Kind::PostVacant => vec![need(format!("/p/{slug}/structure/posts/{id}"), format!("{title}: nobody holds this post"), None, None)],
        Kind::Section11 => {
            let n = line.n.unwrap_or(0);
            vec![need(
                format!("/p/{slug}/agencies?overdue=1"),
                format!("{} with a Section 11 self-assessment overdue", plural(n, "relevant agency", "relevant agencies")),
                None,
                None,
            )]
        }
        Kind::MyMeeting => {
            let day = line.at.map(uk_date);
            let papers = line.n.unwrap_or(0);
            let hint = if line.flag {
                format!("Papers circulated: {}", plural(papers, "paper", "papers"))
            } else {
                "Papers not yet circulated".to_owned()
            };
            let when = line.at.map(uk_time).unwrap_or_default();
            let mut need = need(format!("/p/{slug}/meetings/{id}"), format!("{title} meets at {when}"), Some(hint), day);
            if let Some(day) = day.filter(|d| *d > today) {
                need.status = NeedStatus::Due(short_date(day, today));
            } else if day.is_some() {
                need.status = NeedStatus::Due("Today".to_owned());
            }
            vec![need]
        }
        Kind::WithoutTwoFactor => {
            let n = line.n.unwrap_or(0);
            vec![need(
                format!("/p/{slug}/people"),
                format!("{} in without a second factor", plural(n, "person signs", "people sign")),
                Some("See who, or require it of everyone".to_owned()),
                None,
            )]
        }
        Kind::RoleVacant => {
            let label = Role::from_code(&title).map(Role::label).unwrap_or("A role");
            vec![need(format!("/p/{slug}/people/new"), format!("Nobody holds the role {label}"), Some("Add a person".to_owned()), None)]
        }
        Kind::MyTwoFactor => vec![need(
            "/account/two-factor".to_owned(),
            "Set up two-factor sign-in".to_owned(),
            Some("You sign in with a password alone".to_owned()),
            None,
        )],
        // Counted by `review_clock` and `indicators_due`.
        Kind::ReviewClock | Kind::IndicatorDue => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn quarters_end_on_the_last_day_of_june_september_december_and_march() {
        assert_eq!(quarter_ends(2026, 1), d(2026, 6, 30));
        assert_eq!(quarter_ends(2026, 3), d(2026, 12, 31));
        assert_eq!(quarter_ends(2026, 4), d(2027, 3, 31));
    }

    #[test]
    fn overdue_lines_come_first_and_undated_ones_last() {
        let line = |due: Option<NaiveDate>| Need {
            partnership_name: String::new(),
            href: String::new(),
            text: format!("{due:?}"),
            hint: None,
            due_on: due,
            status: NeedStatus::ToDo,
            confidential: false,
        };
        let mut needs = vec![line(None), line(Some(d(2026, 12, 9))), line(Some(d(2026, 11, 2)))];
        sort(&mut needs);
        assert_eq!(needs.iter().map(|n| n.due_on).collect::<Vec<_>>(), vec![Some(d(2026, 11, 2)), Some(d(2026, 12, 9)), None]);
        assert_eq!(status(d(2026, 11, 2), d(2026, 12, 3)), NeedStatus::Overdue);
        assert_eq!(status(d(2026, 12, 3), d(2026, 12, 3)), NeedStatus::DueToday);
        assert_eq!(status(d(2026, 12, 8), d(2026, 12, 3)).label(), "Due Tue 8 Dec");
    }
}
