//! Deputies: a delegated partner nominates someone from their own
//! organisation to respond for it, for one decision or for a period, and can
//! revoke the nomination. Business managers see every nomination.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::calendar::{long_date, today};
use crate::db::Tx;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, record_id, redirect_with};

#[derive(Debug, Deserialize)]
pub struct Nomination {
    pub id: Uuid,
    pub deputy_name: String,
    pub organisation_name: String,
    pub decision_number: Option<i32>,
    pub decision_title: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    pub nominated_by_name: String,
    pub revoked: bool,
}

impl Nomination {
    /// "For decision D4: …" or "From 1 December 2026 to 31 January 2027"
    pub fn scope(&self) -> String {
        match (&self.decision_number, &self.decision_title) {
            (Some(n), Some(t)) => format!("For decision D{n}: {t}"),
            _ => match self.ends_on {
                Some(end) => format!("From {} to {}", long_date(self.starts_on), long_date(end)),
                None => format!("From {} until revoked", long_date(self.starts_on)),
            },
        }
    }
    pub fn is_current(&self) -> bool {
        !self.revoked && self.ends_on.is_none_or(|end| end >= today())
    }
}

/// The organisation a delegated partner speaks for.
async fn own_organisation(tx: &mut Tx, member: &Member) -> Result<Uuid> {
    member.require(Capability::NominateDeputies)?;
    sqlx::query_scalar!(
        "select m.organisation_id from membership m join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
         where m.partnership_id = $1 and m.id = $2 and o.is_statutory_partner",
        member.partnership.id,
        member.membership_id
    )
    .fetch_optional(&mut **tx)
    .await?
    .flatten()
    .ok_or(AppError::Forbidden)
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct NominationForm {
    #[serde(default)]
    membership_id: String,
    /// "decision" or "period"
    #[serde(default)]
    scope: String,
    #[serde(default)]
    decision_id: String,
    #[serde(default)]
    starts_day: String,
    #[serde(default)]
    starts_month: String,
    #[serde(default)]
    starts_year: String,
    #[serde(default)]
    ends_day: String,
    #[serde(default)]
    ends_month: String,
    #[serde(default)]
    ends_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "decisions/deputies.html")]
struct DeputiesPage {
    layout: Layout,
    member: Member,
    nominations: Vec<Nomination>,
    /// Colleagues who can be nominated, for a delegated partner.
    colleagues: Vec<(String, String)>,
    open_decisions: Vec<(String, String)>,
    can_nominate: bool,
    errors: FormErrors,
    form: NominationForm,
}

async fn render(state: &AppState, session: &Session, member: Member, errors: FormErrors, form: NominationForm) -> Result<Response> {
    let can_nominate = member.roles.allows(Capability::NominateDeputies);
    let sees_all = member.roles.allows(Capability::ManageDecisions);
    if !can_nominate && !sees_all {
        return Err(AppError::Forbidden);
    }
    let mut tx = member.begin(state).await?;
    // The person's own statutory partner (if they nominate), the nominations they may see, and for the form their
    // colleagues and the open decisions their organisation has a voice in: one statement.
    let row = sqlx::query!(
        r#"with mine as (
               select m.organisation_id from membership m
               join organisation o on o.partnership_id = m.partnership_id and o.id = m.organisation_id
               where $4 and m.partnership_id = $1 and m.id = $2 and o.is_statutory_partner)
           select (select organisation_id from mine) as "organisation_id?",
                  coalesce((select json_agg(x order by x.revoked, x.nominated_at desc)
                            from (select n.id, u.display_name as deputy_name, o.name as organisation_name, d.number as decision_number,
                                         d.title as decision_title, n.starts_on, n.ends_on, b.display_name as nominated_by_name,
                                         n.revoked_at is not null as revoked, n.nominated_at
                                  from decision_deputy n
                                  join membership m on m.partnership_id = n.partnership_id and m.id = n.membership_id
                                  join app_user u on u.id = m.user_id
                                  join app_user b on b.id = n.nominated_by
                                  join organisation o on o.partnership_id = n.partnership_id and o.id = n.organisation_id
                                  left join decision d on d.partnership_id = n.partnership_id and d.id = n.decision_id
                                  where n.partnership_id = $1 and ($3 or n.organisation_id = (select organisation_id from mine))) x), '[]')
                    as "nominations!: Json<Vec<Nomination>>",
                  coalesce((select json_agg(json_build_array(m.id, case when m.job_title = '' then u.display_name
                                                                        else u.display_name || ', ' || m.job_title end) order by u.display_name)
                            from membership m join app_user u on u.id = m.user_id
                            where m.partnership_id = $1 and m.organisation_id = (select organisation_id from mine) and m.id <> $2
                              and m.is_current), '[]') as "colleagues!: Json<Vec<(Uuid, String)>>",
                  coalesce((select json_agg(json_build_array(d.id, 'D' || d.number || ': ' || d.title) order by d.number)
                            from decision d join decision_voter v on v.partnership_id = d.partnership_id and v.decision_id = d.id
                            where d.partnership_id = $1 and v.organisation_id = (select organisation_id from mine) and d.outcome is null), '[]')
                    as "open_decisions!: Json<Vec<(Uuid, String)>>""#,
        member.partnership.id,
        member.membership_id,
        sees_all,
        can_nominate
    )
    .fetch_one(&mut *tx)
    .await?;
    let organisation = row.organisation_id;
    let nominations = row.nominations.0;
    let choices = |pairs: Vec<(Uuid, String)>| pairs.into_iter().map(|(id, label)| (id.to_string(), label)).collect::<Vec<_>>();
    let colleagues = choices(row.colleagues.0);
    let open_decisions = choices(row.open_decisions.0);
    tx.commit().await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = DeputiesPage {
        layout: member.layout(session, "decisions").await?,
        can_nominate: organisation.is_some(),
        member,
        nominations,
        colleagues,
        open_decisions,
        errors,
        form,
    };
    Ok((status, page).into_response())
}

pub(crate) async fn deputies_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    render(&state, &session, member, FormErrors::default(), NominationForm { scope: "decision".into(), ..NominationForm::default() }).await
}

pub(crate) async fn nominate(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<NominationForm>,
) -> Result<Response> {
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let organisation_id = own_organisation(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    // Only a colleague from the same organisation can speak for it.
    let deputy = match Uuid::parse_str(&form.membership_id) {
        Ok(id) if id != member.membership_id => {
            sqlx::query!(
                "select m.id, u.display_name from membership m join app_user u on u.id = m.user_id
             where m.partnership_id = $1 and m.id = $2 and m.organisation_id = $3 and m.is_current",
                pid,
                id,
                organisation_id
            )
            .fetch_optional(&mut *tx)
            .await?
        }
        _ => None,
    };
    if deputy.is_none() {
        errors.add("membership_id", "Choose a colleague from your organisation to act as your deputy");
    }
    let (decision_id, starts_on, ends_on) = match form.scope.as_str() {
        "decision" => {
            let decision = match Uuid::parse_str(&form.decision_id) {
                Ok(id) => {
                    sqlx::query_scalar!(
                        "select d.id from decision d join decision_voter v on v.partnership_id = d.partnership_id and v.decision_id = d.id
                     where d.partnership_id = $1 and d.id = $2 and v.organisation_id = $3 and d.outcome is null",
                        pid,
                        id,
                        organisation_id
                    )
                    .fetch_optional(&mut *tx)
                    .await?
                }
                Err(_) => None,
            };
            if decision.is_none() {
                errors.add("decision_id", "Choose an open decision your organisation has a voice in");
            }
            (decision, Some(today()), None)
        }
        "period" => {
            let starts = DateParts { day: form.starts_day.clone(), month: form.starts_month.clone(), year: form.starts_year.clone() };
            let ends = DateParts { day: form.ends_day.clone(), month: form.ends_month.clone(), year: form.ends_year.clone() };
            let starts_on = errors.check("starts_day", starts.parse("Start date", true)).flatten();
            let ends_on = errors.check("ends_day", ends.parse("End date", false)).flatten();
            if starts_on.is_some_and(|s| s < today()) {
                errors.add("starts_day", "Start date must be today or in the future");
            }
            if let (Some(s), Some(e)) = (starts_on, ends_on)
                && e < s
            {
                errors.add("ends_day", "End date must be on or after the start date");
            }
            (None, starts_on, ends_on)
        }
        _ => {
            errors.add("scope", "Choose whether the deputy acts for one decision or for a period");
            (None, None, None)
        }
    };
    let (Some(deputy), Some(starts_on)) = (deputy, starts_on.filter(|_| errors.is_empty())) else {
        member.resume(tx);
        return render(&state, &session, member, errors, form).await;
    };
    // The same nomination submitted twice is one nomination.
    let existing = sqlx::query_scalar!(
        "select id from decision_deputy where partnership_id = $1 and membership_id = $2 and organisation_id = $3 and revoked_at is null
           and decision_id is not distinct from $4 and starts_on = $5 and ends_on is not distinct from $6",
        pid,
        deputy.id,
        organisation_id,
        decision_id,
        starts_on as _,
        ends_on as _
    )
    .fetch_optional(&mut *tx)
    .await?;
    if existing.is_none() {
        let id = Uuid::new_v4();
        sqlx::query!(
            "insert into decision_deputy (partnership_id, id, organisation_id, membership_id, decision_id, starts_on, ends_on, nominated_by)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
            pid,
            id,
            organisation_id,
            deputy.id,
            decision_id,
            starts_on as _,
            ends_on as _,
            member.user.id
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "deputy.nominated", "decision_deputy", id, &address)
            .after(json!({ "deputy_membership_id": deputy.id, "organisation_id": organisation_id, "decision_id": decision_id, "starts_on": starts_on, "ends_on": ends_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(
        &session,
        format!("{} can now respond for your organisation", deputy.display_name),
        format!("/p/{}/deputies", member.partnership.slug),
    )
    .await
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, nomination_id)): Path<(String, String)>,
) -> Result<Response> {
    let id = record_id(&nomination_id)?;
    let mut tx = member.begin(&state).await?;
    let nomination = sqlx::query!(
        "select organisation_id, revoked_at is not null as \"revoked!\" from decision_deputy where partnership_id = $1 and id = $2 for update",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if own_organisation(&mut tx, &member).await? != nomination.organisation_id {
        return Err(AppError::Forbidden);
    }
    if !nomination.revoked {
        sqlx::query!(
            "update decision_deputy set revoked_at = now(), revoked_by = $3 where partnership_id = $1 and id = $2",
            member.partnership.id,
            id,
            member.user.id
        )
        .execute(&mut *tx)
        .await?;
        change(&member, "deputy.revoked", "decision_deputy", id, &address)
            .before(json!({ "revoked": false }))
            .after(json!({ "revoked": true }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    redirect_with(&session, "Nomination revoked".into(), format!("/p/{}/deputies", member.partnership.slug)).await
}
