//! A group's terms of reference, every version kept, with review dates.

use crate::structure::forms::reject;
use crate::structure::groups::find_group;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::default_review_date;
use crate::calendar::today;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, redirect_with as done, required_text};

// ---------------------------------------------------------------- terms of reference

#[derive(Deserialize, Default)]
pub(crate) struct TermsForm {
    #[serde(default)]
    pub(super) summary: String,
    #[serde(default)]
    pub(super) adopted_on_day: String,
    #[serde(default)]
    pub(super) adopted_on_month: String,
    #[serde(default)]
    pub(super) adopted_on_year: String,
    #[serde(default)]
    pub(super) review_due_on_day: String,
    #[serde(default)]
    pub(super) review_due_on_month: String,
    #[serde(default)]
    pub(super) review_due_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/terms_form.html")]
pub(super) struct TermsFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: TermsForm,
    pub(super) group_id: Uuid,
    pub(super) group_name: String,
}

pub(super) async fn terms_form(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: TermsForm,
    group_id: &str,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let group = find_group(&mut tx, &member, group_id, false).await?;
    member.resume(tx);
    let page = TermsFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        group_id: group.id,
        group_name: group.name,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_terms_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, group_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    // A new version starts from the current text.
    let mut tx = member.begin(&state).await?;
    let group = find_group(&mut tx, &member, &group_id, false).await?;
    let current = sqlx::query_scalar!(
        "select summary from terms_of_reference where partnership_id = $1 and group_id = $2 order by adopted_on desc limit 1",
        member.partnership.id,
        group.id
    )
    .fetch_optional(&mut *tx)
    .await?;
    // The form is drawn in the same transaction.
    member.resume(tx);
    let adopted = DateParts::from_date(Some(today()));
    let form = TermsForm {
        summary: current.unwrap_or(group.purpose),
        adopted_on_day: adopted.day,
        adopted_on_month: adopted.month,
        adopted_on_year: adopted.year,
        ..TermsForm::default()
    };
    terms_form(&state, &session, member, FormErrors::default(), form, &group_id).await
}

pub(crate) async fn create_terms(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, group_id)): Path<(String, String)>,
    Submitted(form): Submitted<TermsForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let group = find_group(&mut tx, &member, &group_id, false).await?;
    let mut errors = FormErrors::default();
    let summary = errors.check("summary", required_text(&form.summary, "terms of reference", 20000));
    let adopted = DateParts { day: form.adopted_on_day.clone(), month: form.adopted_on_month.clone(), year: form.adopted_on_year.clone() };
    let review =
        DateParts { day: form.review_due_on_day.clone(), month: form.review_due_on_month.clone(), year: form.review_due_on_year.clone() };
    let adopted_on = errors.check("adopted_on_day", adopted.parse("Date adopted", true)).flatten();
    let review_due_on = errors.check("review_due_on_day", review.parse("Review date", false));
    if let (Some(adopted_on), Some(Some(review))) = (adopted_on, review_due_on)
        && review <= adopted_on
    {
        errors.add("review_due_on_day", "Review date must be after the date adopted");
    }
    let (Some(summary), Some(adopted_on), Some(review_due_on)) = (summary, adopted_on, review_due_on) else {
        member.resume(tx);
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    };
    if !errors.is_empty() {
        member.resume(tx);
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    }
    let review_due_on = review_due_on.unwrap_or_else(|| default_review_date(adopted_on));
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into terms_of_reference (partnership_id, id, group_id, summary, adopted_on, review_due_on)
         values ($1, $2, $3, $4, $5, $6) on conflict (partnership_id, group_id, adopted_on) do nothing",
        member.partnership.id,
        id,
        group.id,
        summary,
        adopted_on as _,
        review_due_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("adopted_on_day", "Terms of reference adopted on this date are already recorded");
        return terms_form(&state, &session, member, errors, form, &group_id).await;
    }
    change(&member, "terms_of_reference.adopted", "terms_of_reference", id, &address)
        .after(json!({ "group_id": group.id, "summary": summary, "adopted_on": adopted_on, "review_due_on": review_due_on }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(
        &session,
        format!("Terms of reference for {} recorded; review due {}", group.name, crate::calendar::long_date(review_due_on)),
        format!("/p/{}/groups/{}", member.partnership.slug, group.id),
    )
    .await
}
