//! The budget's years (`/p/<slug>/budget`): each year's position with the
//! balance carried from one year into the next, setting up a year, and the
//! split between the children's and adults' arrangements.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgConnection;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use super::Position;
use crate::calendar::{FinancialYear, today};
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::{Member, change};
use crate::web::{AppState, ClientAddress, FormErrors, Layout, Submitted, redirect_with as done};

/// Every year's position, newest first: the sums of its records, and the balance each year brought forward (the
/// running total of the years before of cash agreed less spending), in one statement.
pub async fn positions(conn: &mut PgConnection, partnership_id: Uuid) -> sqlx::Result<Vec<Position>> {
    let rows = sqlx::query_scalar!(
        r#"select coalesce((select json_agg(x order by x.start_year desc) from (
               select y.id, extract(year from y.starts_on)::int as start_year, y.children_share_percent, b.budget, c.income, c.in_kind,
                      e.invoiced, e.received, s.spent,
                      coalesce(sum(c.income - s.spent) over (order by y.starts_on rows between unbounded preceding and 1 preceding),
                               0)::bigint as brought_forward
               from budget_year y
               cross join lateral (select coalesce(sum(l.amount_pennies), 0)::bigint as budget from budget_line l
                                   where l.partnership_id = y.partnership_id and l.budget_year_id = y.id) b
               cross join lateral (select coalesce(sum(k.amount_pennies) filter (where k.form = 'cash'), 0)::bigint as income,
                                          coalesce(sum(k.amount_pennies) filter (where k.form = 'in_kind'), 0)::bigint as in_kind
                                   from contribution k where k.partnership_id = y.partnership_id and k.budget_year_id = y.id) c
               cross join lateral (select coalesce(sum(n.amount_pennies) filter (where n.kind = 'invoice'), 0)::bigint as invoiced,
                                          coalesce(sum(n.amount_pennies) filter (where n.kind = 'payment'), 0)::bigint as received
                                   from contribution_entry n
                                   join contribution k on k.partnership_id = n.partnership_id and k.id = n.contribution_id
                                   where n.partnership_id = y.partnership_id and k.budget_year_id = y.id) e
               cross join lateral (select coalesce(sum(x.amount_pennies), 0)::bigint as spent from expenditure x
                                   where x.partnership_id = y.partnership_id and x.budget_year_id = y.id) s
               where y.partnership_id = $1) x), '[]') as "positions!: Json<Vec<Position>>""#,
        partnership_id
    )
    .fetch_one(conn)
    .await?;
    Ok(rows.0)
}

#[derive(Template, WebTemplate)]
#[template(path = "budget/years.html")]
struct YearsPage {
    layout: Layout,
    member: Member,
    positions: Vec<Position>,
    /// Years that may be set up: this one, the next and the two before, if not already.
    choices: Vec<(String, String)>,
    form: SetUpForm,
    split: String,
    can_manage: bool,
    errors: FormErrors,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct SetUpForm {
    #[serde(default)]
    year: String,
}

#[derive(Deserialize, Default, Clone)]
pub(crate) struct SplitForm {
    #[serde(default)]
    children_share: String,
}

pub(crate) async fn index(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    render(&state, &session, member, SetUpForm::default(), None, FormErrors::default()).await
}

async fn render(
    state: &AppState,
    session: &Session,
    member: Member,
    form: SetUpForm,
    split: Option<String>,
    errors: FormErrors,
) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let positions = positions(&mut tx, member.partnership.id).await?;
    let setting = sqlx::query_scalar!("select children_share_percent from arrangement where partnership_id = $1", member.partnership.id)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    tx.commit().await?;
    let now = FinancialYear::containing(today());
    let choices = [now.previous().previous(), now.previous(), now, now.next()]
        .into_iter()
        .filter(|y| !positions.iter().any(|p| p.start_year == y.start_year))
        .map(|y| (y.label(), y.label()))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = YearsPage {
        layout: member.layout(session, "resources").await?,
        can_manage: member.roles.allows(Capability::ManageResources),
        split: split.unwrap_or_else(|| setting.map(|p| p.to_string()).unwrap_or_default()),
        member,
        positions,
        choices,
        form,
        errors,
    };
    Ok((status, page).into_response())
}

/// Set up a financial year: its budget lines, contributions and spending follow on its page. The year's split is
/// the setting's as it stands. Setting up a year twice leads to the first.
pub(crate) async fn set_up(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SetUpForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let now = FinancialYear::containing(today());
    let Some(year) = FinancialYear::parse(&form.year).filter(|y| y.start_year >= now.start_year - 2 && y.start_year <= now.start_year + 1)
    else {
        let mut errors = FormErrors::default();
        errors.add("year", format!("Choose a financial year from {} to {}", now.previous().previous().label(), now.next().label()));
        return render(&state, &session, member, form, None, errors).await;
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let id = Uuid::new_v4();
    let added = sqlx::query!(
        "insert into budget_year (partnership_id, id, starts_on, children_share_percent, created_by)
         select $1, $2, $3, (select children_share_percent from arrangement where partnership_id = $1), $4
         on conflict (partnership_id, starts_on) do nothing",
        pid,
        id,
        year.starts_on(),
        member.user.id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if added == 1 {
        change(&member, "budget.year_set_up", "budget_year", id, &address)
            .after(json!({ "name": format!("Budget {}", year.label()), "starts_on": year.starts_on() }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let to = format!("/p/{}/budget/{}", member.partnership.slug, year.label());
    let message = if added == 1 {
        format!("{} set up: add its budget lines and contributions", year.label())
    } else {
        format!("{} is already set up", year.label())
    };
    done(&session, message, to).await
}

/// The children's share of a split budget, in per cent (blank: no split). It applies to the years not yet ended;
/// years that have ended keep the split they were accounted under.
pub(crate) async fn save_split(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<SplitForm>,
) -> Result<Response> {
    member.require(Capability::ManageResources)?;
    let text = form.children_share.trim().trim_end_matches('%').trim();
    let share: Option<i16> = if text.is_empty() {
        None
    } else {
        match text.parse::<i16>() {
            Ok(n) if (0..=100).contains(&n) => Some(n),
            _ => {
                let mut errors = FormErrors::default();
                errors.add("children_share", "Enter the children's share as a whole number from 0 to 100, or leave it blank");
                return render(&state, &session, member, SetUpForm::default(), Some(form.children_share.clone()), errors).await;
            }
        }
    };
    let mut tx = member.begin(&state).await?;
    let pid = member.partnership.id;
    let before = sqlx::query_scalar!("select children_share_percent from arrangement where partnership_id = $1 for update", pid)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    sqlx::query!(
        "insert into arrangement (partnership_id, children_share_percent) values ($1, $2)
         on conflict (partnership_id) do update set children_share_percent = excluded.children_share_percent",
        pid,
        share
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update budget_year set children_share_percent = $2 where partnership_id = $1 and (starts_on + interval '1 year')::date > $3",
        pid,
        share,
        today()
    )
    .execute(&mut *tx)
    .await?;
    if before != share {
        change(&member, "budget.split", "arrangement", pid, &address)
            .before(json!({ "children_share_percent": before }))
            .after(json!({ "children_share_percent": share }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    let message = match share {
        Some(n) => format!("The budget is split {n}% children's, {}% adults' from this year on", 100 - n),
        None => "The budget is no longer split".to_owned(),
    };
    done(&session, message, format!("/p/{}/budget", member.partnership.slug)).await
}
