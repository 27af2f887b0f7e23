//! The arrangements text: chair, scrutiny and decision-making arrangements, whom the partnership covers, meeting rules.

use crate::structure::forms::reject;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, optional_text, redirect_with as done};

// ---------------------------------------------------------------- the arrangements text

#[derive(Deserialize, Default)]
pub(crate) struct ArrangementsForm {
    #[serde(default)]
    pub(super) chair_arrangements: String,
    #[serde(default)]
    pub(super) scrutiny_arrangements: String,
    #[serde(default)]
    pub(super) decision_making: String,
    #[serde(default)]
    pub(super) section11_interval_months: String,
    #[serde(default)]
    pub(super) section175_interval_months: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/arrangements_form.html")]
pub(super) struct ArrangementsPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: ArrangementsForm,
}

pub(crate) async fn arrangements_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let a = super::arrangement(&mut tx, member.partnership.id).await?;
    tx.commit().await?;
    let form = ArrangementsForm {
        chair_arrangements: a.chair_arrangements,
        scrutiny_arrangements: a.scrutiny_arrangements,
        decision_making: a.decision_making,
        section11_interval_months: a.section11_interval_months.to_string(),
        section175_interval_months: a.section175_interval_months.to_string(),
    };
    Ok(ArrangementsPage { layout: member.layout(&session, "structure").await?, member, errors: FormErrors::default(), form }
        .into_response())
}

pub(crate) async fn update_arrangements(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<ArrangementsForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut errors = FormErrors::default();
    let chair = errors.check("chair_arrangements", optional_text(&form.chair_arrangements, "chair arrangements", 2000));
    let scrutiny = errors.check("scrutiny_arrangements", optional_text(&form.scrutiny_arrangements, "scrutiny arrangements", 4000));
    let decisions = errors.check("decision_making", optional_text(&form.decision_making, "decision making", 2000));
    let interval = errors.check(
        "section11_interval_months",
        form.section11_interval_months
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=120).contains(n))
            .ok_or_else(|| "Months between Section 11 self-assessments must be a whole number from 1 to 120".to_owned()),
    );
    let schools = errors.check(
        "section175_interval_months",
        form.section175_interval_months
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|n| (1..=120).contains(n))
            .ok_or_else(|| "Months between schools' Section 175 audits must be a whole number from 1 to 120".to_owned()),
    );
    let (Some(chair), Some(scrutiny), Some(decisions), Some(interval), Some(schools)) = (chair, scrutiny, decisions, interval, schools)
    else {
        let page = ArrangementsPage { layout: member.layout(&session, "structure").await?, member, errors, form };
        return reject(page);
    };
    let mut tx = member.begin(&state).await?;
    let before = super::arrangement(&mut tx, member.partnership.id).await?;
    sqlx::query!(
        "insert into arrangement (partnership_id, chair_arrangements, scrutiny_arrangements, decision_making, section11_interval_months,
                                  section175_interval_months)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id) do update set chair_arrangements = excluded.chair_arrangements,
             scrutiny_arrangements = excluded.scrutiny_arrangements, decision_making = excluded.decision_making,
             section11_interval_months = excluded.section11_interval_months, section175_interval_months = excluded.section175_interval_months",
        member.partnership.id,
        chair,
        scrutiny,
        decisions,
        interval,
        schools
    )
    .execute(&mut *tx)
    .await?;
    change(&member, "arrangements.updated", "arrangement", member.partnership.id, &address)
        .before(json!({ "chair_arrangements": before.chair_arrangements, "scrutiny_arrangements": before.scrutiny_arrangements,
                        "decision_making": before.decision_making, "section11_interval_months": before.section11_interval_months,
                        "section175_interval_months": before.section175_interval_months }))
        .after(json!({ "chair_arrangements": chair, "scrutiny_arrangements": scrutiny, "decision_making": decisions,
                       "section11_interval_months": interval, "section175_interval_months": schools }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, "Arrangements updated".into(), format!("/p/{}/structure", member.partnership.slug)).await
}
