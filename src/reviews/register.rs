//! The reviews dashboard (every open review with its clock, overdue first;
//! the year's counts by kind and stage and the clocks met and missed) and
//! recording a notification or a referral. Only pseudonyms appear here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Arrangement, Clock, Dates, Kind, NotificationGround, SarCondition, Stage, clocks};
use crate::calendar::{FinancialYear, long_date, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Query, Submitted, optional_line, optional_text, redirect_with as done,
    required_line,
};

/// A review as lists show it: no case detail.
#[derive(Clone, Debug, Deserialize)]
pub struct ReviewLine {
    pub id: Uuid,
    pub number: i32,
    pub kind: Kind,
    pub stage: Stage,
    pub pseudonym: String,
    pub group_name: String,
    pub became_aware_on: NaiveDate,
    pub notified_panel_on: Option<NaiveDate>,
    pub rapid_review_sent_on: Option<NaiveDate>,
    pub commissioned_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

impl ReviewLine {
    pub fn dates(&self) -> Dates {
        Dates {
            became_aware_on: Some(self.became_aware_on),
            notified_panel_on: self.notified_panel_on,
            rapid_review_sent_on: self.rapid_review_sent_on,
            commissioned_on: self.commissioned_on,
        }
    }
}

/// An open review with its next clock.
pub struct OpenReview {
    pub line: ReviewLine,
    pub kind_label: String,
    pub stage_label: &'static str,
    /// The first clock not yet met, if any.
    pub clock: Option<Clock>,
    pub overdue: bool,
}

/// The year's reviews counted for the yearly report.
pub struct YearCount {
    pub kind_label: String,
    pub started: usize,
    pub open: usize,
    pub clocks_met: usize,
    pub clocks_missed: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/index.html")]
struct Dashboard {
    layout: Layout,
    member: Member,
    open: Vec<OpenReview>,
    year_label: String,
    year: String,
    years: Vec<(String, String)>,
    counts: Vec<YearCount>,
    stages: Vec<(String, i64)>,
    can_record: bool,
    today: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct DashboardQuery {
    #[serde(default)]
    year: String,
}

pub(crate) async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let chosen = query.year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y));
    let year = chosen.map(|start_year| FinancialYear { start_year }).unwrap_or_else(|| FinancialYear::containing(today()));
    let (from, to) = (year.starts_on(), year.next().starts_on());
    let mut tx = member.begin(&state).await?;
    // The open reviews and the year's, with the settings that set their clocks, in one statement.
    let row = sqlx::query!(
        r#"select a.rapid_review_clock_start as "clock_start?", a.rapid_review_working_days as "rapid_days?",
                  a.notification_working_days as "notify_days?", a.cspr_target_months, a.sar_target_months,
                  a.published_months as "published_months?", a.dhr_label as "dhr_label?",
                  coalesce((select json_agg(x order by x.number)
                            from (select v.id, v.number, v.kind, v.stage, v.pseudonym, g.name as group_name, v.became_aware_on,
                                         v.notified_panel_on, v.rapid_review_sent_on, v.commissioned_on, v.closed_on
                                  from review v join partnership_group g on g.partnership_id = v.partnership_id and g.id = v.group_id
                                  where v.partnership_id = p.id
                                    and (v.closed_on is null or (v.became_aware_on >= $2 and v.became_aware_on < $3))) x), '[]')
                    as "lines!: Json<Vec<ReviewLine>>"
           from partnership p left join review_arrangement a on a.partnership_id = p.id
           where p.id = $1"#,
        member.partnership.id,
        from,
        to
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let settings = Arrangement::from_stored(
        row.clock_start,
        row.rapid_days,
        row.notify_days,
        row.cspr_target_months,
        row.sar_target_months,
        row.published_months,
        row.dhr_label,
        None,
        None,
    );
    let now = today();
    let lines = row.lines.0;
    let mut open: Vec<OpenReview> = lines
        .iter()
        .filter(|l| l.closed_on.is_none())
        .map(|l| {
            let clock = clocks(l.kind, l.dates(), &settings).into_iter().find(|c| c.done_on.is_none());
            OpenReview {
                overdue: clock.as_ref().is_some_and(|c| c.overdue(now)),
                kind_label: l.kind.label(&settings.dhr_label),
                stage_label: l.stage.label(l.kind),
                clock,
                line: l.clone(),
            }
        })
        .collect();
    // Overdue first, then the soonest due, then those with no clock running.
    open.sort_by_key(|r| (!r.overdue, r.clock.as_ref().map(|c| c.due_on).unwrap_or(NaiveDate::MAX), r.line.number));
    let of_year: Vec<&ReviewLine> = lines.iter().filter(|l| l.became_aware_on >= from && l.became_aware_on < to).collect();
    let counts = Kind::ALL
        .into_iter()
        .map(|kind| {
            let these: Vec<&&ReviewLine> = of_year.iter().filter(|l| l.kind == kind).collect();
            let all_clocks: Vec<Clock> = these.iter().flat_map(|l| clocks(kind, l.dates(), &settings)).collect();
            YearCount {
                kind_label: kind.label(&settings.dhr_label),
                started: these.len(),
                open: these.iter().filter(|l| l.closed_on.is_none()).count(),
                clocks_met: all_clocks.iter().filter(|c| c.met() == Some(true)).count(),
                clocks_missed: all_clocks.iter().filter(|c| c.met() == Some(false) || c.overdue(now)).count(),
            }
        })
        .collect();
    let stages = Stage::ALL
        .into_iter()
        .map(|stage| (stage.label(Kind::Child).to_owned(), of_year.iter().filter(|l| l.stage == stage).count() as i64))
        .filter(|(_, n)| *n > 0)
        .collect();
    Ok(Dashboard {
        layout: member.layout(&session, "reviews").await?,
        can_record: member.roles.allows(Capability::ManageReviews),
        member,
        open,
        year_label: year.label(),
        year: year.start_year.to_string(),
        years: crate::web::listing::year_choices(),
        counts,
        stages,
        today: long_date(now),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/new.html")]
struct NewPage {
    layout: Layout,
    member: Member,
    form: NewReviewForm,
    groups: Vec<(String, String)>,
    conditions: Vec<(String, String)>,
    grounds: Vec<(String, String)>,
    dhr_label: String,
    errors: FormErrors,
}

impl NewPage {
    /// The kinds offered, each with its label and a hint.
    fn kinds(&self) -> Vec<(&'static str, String, &'static str)> {
        vec![
            ("child", "A serious child safeguarding incident notified to the National Panel".into(), "It starts the rapid review's clock"),
            ("adult", "A referral for a safeguarding adult review".into(), "Care Act 2014 section 44"),
            ("domestic_homicide", self.dhr_label.clone(), "Led by the community safety partnership: record the partnership's part in it"),
            ("learning", "A case for a learning review".into(), "Below the statutory threshold; no statutory clock"),
        ]
    }
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct NewReviewForm {
    /// Chosen when the form is shown, so a repeated submission finds the first.
    #[serde(default)]
    review_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    pseudonym: String,
    #[serde(default)]
    group_id: String,
    #[serde(default)]
    aware_day: String,
    #[serde(default)]
    aware_month: String,
    #[serde(default)]
    aware_year: String,
    #[serde(default)]
    notified_day: String,
    #[serde(default)]
    notified_month: String,
    #[serde(default)]
    notified_year: String,
    #[serde(default)]
    told_day: String,
    #[serde(default)]
    told_month: String,
    #[serde(default)]
    told_year: String,
    #[serde(default)]
    panel_reference: String,
    #[serde(default)]
    sar_condition: String,
    #[serde(default)]
    sar_condition_reason: String,
    #[serde(default)]
    notification_ground: String,
}

async fn render_new(state: &AppState, session: &Session, member: Member, form: NewReviewForm, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let groups = crate::structure::all_groups(&mut tx, member.partnership.id, false)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    let settings = super::arrangement(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut form = form;
    if form.review_id.is_empty() {
        form.review_id = Uuid::new_v4().to_string();
    }
    if form.group_id.is_empty() {
        let default = if form.kind == "adult" { settings.adult_group_id } else { settings.child_group_id };
        form.group_id = default.map(|g| g.to_string()).unwrap_or_default();
    }
    let page = NewPage {
        layout: member.layout(session, "reviews").await?,
        member,
        form,
        groups,
        conditions: SarCondition::ALL.into_iter().map(|c| (c.code().to_owned(), c.label().to_owned())).collect(),
        grounds: NotificationGround::ALL.into_iter().map(|g| (g.code().to_owned(), g.label().to_owned())).collect(),
        dhr_label: settings.dhr_label,
        errors,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn new_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageReviews)?;
    render_new(&state, &session, member, NewReviewForm { kind: "child".into(), ..NewReviewForm::default() }, FormErrors::default()).await
}

pub(crate) async fn record(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<NewReviewForm>,
) -> Result<Response> {
    member.require(Capability::ManageReviews)?;
    let mut errors = FormErrors::default();
    let id = Uuid::parse_str(&form.review_id).unwrap_or_else(|_| Uuid::new_v4());
    let kind = Kind::parse(&form.kind);
    if kind.is_none() {
        errors.add("kind", "Select what is being recorded");
    }
    let pseudonym = errors.check("pseudonym", required_line(&form.pseudonym, "pseudonym", 60));
    let group_id = Uuid::parse_str(&form.group_id).ok();
    if group_id.is_none() {
        errors.add("group_id", "Select the group that oversees the review");
    }
    let aware = DateParts { day: form.aware_day.clone(), month: form.aware_month.clone(), year: form.aware_year.clone() };
    let aware = errors.check("aware_day", aware.parse("Date the partners became aware", true)).flatten();
    let notified = DateParts { day: form.notified_day.clone(), month: form.notified_month.clone(), year: form.notified_year.clone() };
    let notified = errors.check("notified_day", notified.parse("Date the Panel was notified", false));
    let told = DateParts { day: form.told_day.clone(), month: form.told_month.clone(), year: form.told_year.clone() };
    let told = errors.check("told_day", told.parse("Date the partners were told", false));
    let now = today();
    for (field, date) in [("aware_day", aware), ("notified_day", notified.flatten()), ("told_day", told.flatten())] {
        if date.is_some_and(|d| d > now) {
            errors.add(field, "The date must be today or in the past");
        }
    }
    if let (Some(a), Some(Some(n))) = (aware, notified)
        && n < a
    {
        errors.add("notified_day", "The Panel cannot have been notified before the partners became aware");
    }
    let panel_reference = errors.check("panel_reference", optional_line(&form.panel_reference, "Panel's reference", 60));
    // A child's notification says which ground of s16C it meets; a case that meets none is a learning review.
    let ground = NotificationGround::parse(&form.notification_ground);
    if kind == Some(Kind::Child) && ground.is_none() {
        errors.add("notification_ground", "Select why the incident is notified: if none applies, record a learning review instead");
    }
    let sar_condition = SarCondition::parse(&form.sar_condition);
    let sar_reason = errors.check("sar_condition_reason", optional_text(&form.sar_condition_reason, "reason", 4000));
    if kind == Some(Kind::Adult) {
        if sar_condition.is_none() {
            errors.add("sar_condition", "Select which condition of section 44 the case meets");
        } else if sar_reason.as_deref().is_some_and(str::is_empty) {
            errors.add("sar_condition_reason", "Enter why the case meets that condition");
        }
    }
    let (
        Some(kind),
        Some(pseudonym),
        Some(group_id),
        Some(aware),
        Some(notified),
        Some(told),
        Some(panel_reference),
        Some(sar_reason),
        true,
    ) = (kind, pseudonym, group_id, aware, notified, told, panel_reference, sar_reason, errors.is_empty())
    else {
        return render_new(&state, &session, member, form, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    // A group of this partnership; another's is not found.
    if !crate::structure::all_groups(&mut tx, pid, false).await?.iter().any(|g| g.id == group_id) {
        errors.add("group_id", "Select the group that oversees the review");
        member.resume(tx);
        return render_new(&state, &session, member, form, errors).await;
    }
    // Numbers are given one at a time per partnership.
    sqlx::query!("select pg_advisory_xact_lock(hashtextextended('review-number:' || ($1::uuid)::text, 0))", pid).execute(&mut *tx).await?;
    let (sar_condition, sar_reason) = if kind == Kind::Adult { (sar_condition, sar_reason) } else { (None, String::new()) };
    let inserted = sqlx::query_scalar!(
        r#"insert into review (partnership_id, id, number, kind, stage, pseudonym, group_id, became_aware_on, notified_panel_on, partners_told_on,
                               panel_reference, sar_condition, sar_condition_reason, created_by, notification_ground)
           select $1, $2, coalesce(max(number), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 from review where partnership_id = $1
           on conflict (partnership_id, id) do nothing
           returning number"#,
        pid,
        id,
        kind as Kind,
        Stage::Notified as Stage,
        pseudonym,
        group_id,
        aware,
        notified,
        told,
        panel_reference,
        sar_condition as Option<SarCondition>,
        sar_reason,
        member.user.id,
        ground.filter(|_| kind == Kind::Child) as Option<NotificationGround>
    )
    .fetch_optional(&mut *tx)
    .await?;
    let to = format!("/p/{}/reviews/{id}", member.partnership.slug);
    let Some(number) = inserted else {
        // The same form sent twice: the first made the review.
        return done(&session, format!("{pseudonym} is already recorded"), to).await;
    };
    super::review::reach(&mut tx, pid, id, Stage::Notified, notified.unwrap_or(aware), "", member.user.id).await?;
    change(&member, "review.recorded", "review", id, &address)
        .after(json!({
            "number": number, "kind": kind, "pseudonym": pseudonym, "group_id": group_id, "became_aware_on": aware,
            "notified_panel_on": notified, "partners_told_on": told, "panel_reference": panel_reference, "sar_condition": sar_condition,
            "notification_ground": ground.filter(|_| kind == Kind::Child)
        }))
        .record(&mut tx)
        .await?;
    // The group overseeing the review hears of it by its pseudonym alone.
    let settings = super::arrangement(&mut tx, pid).await?;
    let subject = format!("{}: {pseudonym} (R{number})", kind.label(&settings.dhr_label));
    let body = format!(
        "{} has been recorded for {pseudonym}, for the group to oversee. Open it in Partnership Hub: {}{to}",
        kind.label(&settings.dhr_label),
        state.config.public_url
    );
    let audience = crate::people::Audience { roles: &[crate::roles::Role::BusinessManager], group: Some(group_id), roles_in_group: &[] };
    for person in crate::people::audience(&mut tx, pid, audience).await? {
        crate::outbox::enqueue(
            &mut tx,
            Some(pid),
            &person.email,
            &person.display_name,
            &subject,
            &body,
            &format!("review:{id}:recorded:{}", person.user_id),
        )
        .await?;
    }
    tx.commit().await?;
    done(&session, format!("{pseudonym} recorded as R{number}"), to).await
}
