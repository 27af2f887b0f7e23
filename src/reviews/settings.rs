//! A partnership's review settings, where the rules leave a choice or the
//! sources disagree: what starts the rapid review's clock, the working days
//! allowed, local completion targets, how long a published report stays
//! up (at least a year), the name of a domestic homicide review, whether
//! scrutineers read cases, which groups oversee children's and adults'
//! reviews, and how long a closed review keeps personal details. The business unit sets them; every change is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::ClockStart;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, redirect_with as done, required_line};

#[derive(Template, WebTemplate)]
#[template(path = "reviews/settings.html")]
struct SettingsPage {
    layout: Layout,
    member: Member,
    form: SettingsForm,
    groups: Vec<(String, String)>,
    errors: FormErrors,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct SettingsForm {
    #[serde(default)]
    clock_start: String,
    #[serde(default)]
    rapid_review_working_days: String,
    #[serde(default)]
    notification_working_days: String,
    #[serde(default)]
    cspr_target_months: String,
    #[serde(default)]
    sar_target_months: String,
    #[serde(default)]
    published_months: String,
    #[serde(default)]
    dhr_label: String,
    #[serde(default)]
    scrutineers_see_cases: String,
    #[serde(default)]
    child_group_id: String,
    #[serde(default)]
    adult_group_id: String,
    #[serde(default)]
    case_retention_years: String,
}

async fn render(state: &AppState, session: &Session, member: Member, form: Option<SettingsForm>, errors: FormErrors) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let settings = super::arrangement(&mut tx, member.partnership.id).await?;
    let stored = sqlx::query!(
        r#"select coalesce((select scrutineers_see_cases from review_arrangement where partnership_id = $1), false) as "scrutineers!",
                  (select case_retention_years from review_arrangement where partnership_id = $1) as "retention?""#,
        member.partnership.id
    )
    .fetch_one(&mut *tx)
    .await?;
    let groups = crate::structure::all_groups(&mut tx, member.partnership.id, false)
        .await?
        .into_iter()
        .map(|g| (g.id.to_string(), g.name))
        .collect();
    tx.commit().await?;
    let number = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
    let form = form.unwrap_or_else(|| SettingsForm {
        clock_start: if settings.clock_start == ClockStart::Notified { "notified" } else { "aware" }.into(),
        rapid_review_working_days: settings.rapid_review_working_days.to_string(),
        notification_working_days: settings.notification_working_days.to_string(),
        cspr_target_months: number(settings.cspr_target_months),
        sar_target_months: number(settings.sar_target_months),
        published_months: settings.published_months.to_string(),
        dhr_label: settings.dhr_label.clone(),
        scrutineers_see_cases: if stored.scrutineers { "yes" } else { "" }.into(),
        case_retention_years: stored.retention.map(|n| n.to_string()).unwrap_or_default(),
        child_group_id: settings.child_group_id.map(|g| g.to_string()).unwrap_or_default(),
        adult_group_id: settings.adult_group_id.map(|g| g.to_string()).unwrap_or_default(),
    });
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, SettingsPage { layout: member.layout(session, "reviews").await?, member, form, groups, errors }).into_response())
}

pub(crate) async fn settings_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageReviews)?;
    render(&state, &session, member, None, FormErrors::default()).await
}

/// A whole number in a range, or a message for the form.
fn count(text: &str, what: &str, range: std::ops::RangeInclusive<i32>, required: bool) -> std::result::Result<Option<i32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return if required { Err(format!("Enter the {what}")) } else { Ok(None) };
    }
    match text.parse::<i32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!("The {what} must be a whole number from {} to {}", range.start(), range.end())),
    }
}

pub(crate) async fn save_settings(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SettingsForm>,
) -> Result<Response> {
    member.require(Capability::ManageReviews)?;
    let mut errors = FormErrors::default();
    let clock_start = match form.clock_start.as_str() {
        c @ ("aware" | "notified") => Some(c.to_owned()),
        _ => {
            errors.add("clock_start", "Select what starts the rapid review's clock");
            None
        }
    };
    let rapid =
        errors.check("rapid_review_working_days", count(&form.rapid_review_working_days, "working days for a rapid review", 1..=60, true));
    let notify =
        errors.check("notification_working_days", count(&form.notification_working_days, "working days to notify the Panel", 1..=30, true));
    let cspr = errors.check("cspr_target_months", count(&form.cspr_target_months, "months to complete a practice review", 1..=36, false));
    let sar = errors.check("sar_target_months", count(&form.sar_target_months, "months to complete an adult review", 1..=36, false));
    let published = errors.check(
        "published_months",
        count(&form.published_months, "months a published report stays on the public page (at least 12)", 12..=120, true),
    );
    let retention = errors
        .check("case_retention_years", count(&form.case_retention_years, "years a closed review keeps personal details", 1..=100, false));
    let dhr_label = errors.check("dhr_label", required_line(&form.dhr_label, "name of a domestic homicide review", 100));
    let group = |id: &str| Uuid::parse_str(id).ok();
    let (child_group, adult_group) = (group(&form.child_group_id), group(&form.adult_group_id));
    let (
        Some(clock_start),
        Some(Some(rapid)),
        Some(Some(notify)),
        Some(cspr),
        Some(sar),
        Some(Some(published)),
        Some(dhr_label),
        Some(retention),
        true,
    ) = (clock_start, rapid, notify, cspr, sar, published, dhr_label, retention, errors.is_empty())
    else {
        return render(&state, &session, member, Some(form), errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let before = super::arrangement(&mut tx, pid).await?;
    // A group of another partnership is no group of this one: the foreign key refuses it, so only ours are kept.
    let ours: Vec<Uuid> = crate::structure::all_groups(&mut tx, pid, false).await?.into_iter().map(|g| g.id).collect();
    let keep = |g: Option<Uuid>| g.filter(|g| ours.contains(g));
    sqlx::query!(
        "insert into review_arrangement (partnership_id, rapid_review_clock_start, rapid_review_working_days, notification_working_days,
                                         cspr_target_months, sar_target_months, published_months, dhr_label, scrutineers_see_cases,
                                         child_group_id, adult_group_id, case_retention_years)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         on conflict (partnership_id) do update set rapid_review_clock_start = $2, rapid_review_working_days = $3,
             notification_working_days = $4, cspr_target_months = $5, sar_target_months = $6, published_months = $7, dhr_label = $8,
             scrutineers_see_cases = $9, child_group_id = $10, adult_group_id = $11, case_retention_years = $12",
        pid,
        clock_start,
        rapid,
        notify,
        cspr,
        sar,
        published,
        dhr_label,
        form.scrutineers_see_cases == "yes",
        keep(child_group),
        keep(adult_group),
        retention
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "review_settings.updated", "partnership", pid, &address)
        .before(json!({
            "clock_start": if before.clock_start == ClockStart::Notified { "notified" } else { "aware" },
            "rapid_review_working_days": before.rapid_review_working_days, "notification_working_days": before.notification_working_days,
            "cspr_target_months": before.cspr_target_months, "sar_target_months": before.sar_target_months,
            "published_months": before.published_months, "dhr_label": before.dhr_label,
        }))
        .after(json!({
            "clock_start": clock_start, "rapid_review_working_days": rapid, "notification_working_days": notify,
            "cspr_target_months": cspr, "sar_target_months": sar, "published_months": published, "dhr_label": dhr_label,
            "scrutineers_see_cases": form.scrutineers_see_cases == "yes", "child_group_id": keep(child_group), "adult_group_id": keep(adult_group),
            "case_retention_years": retention,
        }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, "Review settings saved".into(), format!("/p/{}/reviews", member.partnership.slug)).await
}
