//! Posts (lead and delegated safeguarding partners, chairs, scrutineers)
//! and who holds them, with terms of office.

use crate::structure::forms::Choice;
use crate::structure::forms::Ending;
use crate::structure::forms::Retirement;
use crate::structure::forms::chosen;
use crate::structure::forms::ending;
use crate::structure::forms::organisation_choices;
use crate::structure::forms::reject;
use crate::structure::forms::retired;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;

use super::PostKind;
use crate::calendar::today;
use crate::error::{AppError, Result};
use crate::roles::Capability;
use crate::tenant::Member;
use crate::tenant::change;
use crate::web::{
    AppState, ClientAddress, DateParts, FormErrors, Layout, Submitted, optional_text, record_id as parse_id, redirect_with as done,
    required_line,
};

// ---------------------------------------------------------------- posts and holders

#[derive(Deserialize, Default)]
pub(crate) struct PostForm {
    #[serde(default)]
    pub(super) kind: String,
    #[serde(default)]
    pub(super) title: String,
    #[serde(default)]
    pub(super) organisation_id: String,
    #[serde(default)]
    pub(super) notes: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/post_form.html")]
pub(super) struct PostFormPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: PostForm,
    pub(super) kinds: &'static [PostKind],
    pub(super) organisations: Vec<Choice>,
}

pub(super) async fn post_form(state: &AppState, session: &Session, member: Member, errors: FormErrors, form: PostForm) -> Result<Response> {
    let mut tx = member.begin(state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    tx.commit().await?;
    let page = PostFormPage {
        layout: member.layout(session, "structure").await?,
        member,
        errors: errors.clone(),
        form,
        kinds: PostKind::ALL,
        organisations,
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn new_post_page(State(state): State<AppState>, session: Session, member: Member) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    post_form(&state, &session, member, FormErrors::default(), PostForm::default()).await
}

pub(crate) async fn create_post(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Submitted(form): Submitted<PostForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let mut tx = member.begin(&state).await?;
    let organisations = organisation_choices(&mut tx, &member).await?;
    let mut errors = FormErrors::default();
    let kind = errors.check("kind", PostKind::from_code(&form.kind).ok_or_else(|| "Select the kind of post".to_owned()));
    let title = errors.check("title", required_line(&form.title, "post's title", 200));
    let organisation = errors.check("organisation_id", chosen(&form.organisation_id, &organisations));
    let notes = errors.check("notes", optional_text(&form.notes, "notes", 1000));
    let (Some(kind), Some(title), Some(organisation), Some(notes)) = (kind, title, organisation, notes) else {
        member.resume(tx);
        return post_form(&state, &session, member, errors, form).await;
    };
    let id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into post (partnership_id, id, kind, title, organisation_id, notes) values ($1, $2, $3, $4, $5, $6)
         on conflict (partnership_id, title) do nothing",
        member.partnership.id,
        id,
        kind.code(),
        title,
        organisation,
        notes
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        drop(tx);
        errors.add("title", "A post with this title already exists");
        return post_form(&state, &session, member, errors, form).await;
    }
    change(&member, "post.created", "post", id, &address)
        .after(json!({ "kind": kind.code(), "title": title, "organisation_id": organisation, "notes": notes }))
        .record(&mut tx)
        .await?;
    tx.commit().await?;
    done(&session, format!("{title} added. Now record who holds it."), format!("/p/{}/structure/posts/{id}", member.partnership.slug)).await
}

#[derive(Deserialize, Default)]
pub(crate) struct HolderForm {
    #[serde(default)]
    pub(super) holder_name: String,
    #[serde(default)]
    pub(super) starts_on_day: String,
    #[serde(default)]
    pub(super) starts_on_month: String,
    #[serde(default)]
    pub(super) starts_on_year: String,
    #[serde(default)]
    pub(super) ends_on_day: String,
    #[serde(default)]
    pub(super) ends_on_month: String,
    #[serde(default)]
    pub(super) ends_on_year: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "structure/post.html")]
pub(super) struct PostPage {
    pub(super) layout: Layout,
    pub(super) member: Member,
    pub(super) errors: FormErrors,
    pub(super) form: HolderForm,
    pub(super) post: super::Post,
    pub(super) today: NaiveDate,
    pub(super) can_manage: bool,
}

pub(super) async fn post_view(
    state: &AppState,
    session: &Session,
    member: Member,
    errors: FormErrors,
    form: HolderForm,
    post_id: &str,
) -> Result<Response> {
    let id = parse_id(post_id)?;
    let mut tx = member.begin(state).await?;
    let post = super::whole(&mut tx, member.partnership.id).await?.posts.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let page = PostPage {
        layout: member.layout(session, "structure").await?,
        can_manage: member.roles.allows(Capability::ManageStructure),
        member,
        errors: errors.clone(),
        form,
        post,
        today: today(),
    };
    if errors.is_empty() { Ok(page.into_response()) } else { reject(page) }
}

pub(crate) async fn post_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, post_id)): Path<(String, String)>,
) -> Result<Response> {
    post_view(&state, &session, member, FormErrors::default(), HolderForm::default(), &post_id).await
}

pub(crate) async fn add_holder(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id)): Path<(String, String)>,
    Submitted(form): Submitted<HolderForm>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&post_id)?;
    let mut errors = FormErrors::default();
    let name = errors.check("holder_name", required_line(&form.holder_name, "holder's name or role title", 200));
    let starts = DateParts { day: form.starts_on_day.clone(), month: form.starts_on_month.clone(), year: form.starts_on_year.clone() };
    let ends = DateParts { day: form.ends_on_day.clone(), month: form.ends_on_month.clone(), year: form.ends_on_year.clone() };
    let starts_on = errors.check("starts_on_day", starts.parse("Start date", true)).flatten();
    let ends_on = errors.check("ends_on_day", ends.parse("End date", false));
    if let (Some(s), Some(Some(e))) = (starts_on, ends_on)
        && e < s
    {
        errors.add("ends_on_day", "End date must be the same as or after the start date");
    }
    let (Some(name), Some(starts_on), Some(ends_on)) = (name, starts_on, ends_on) else {
        return post_view(&state, &session, member, errors, form, &post_id).await;
    };
    if !errors.is_empty() {
        return post_view(&state, &session, member, errors, form, &post_id).await;
    }
    let mut tx = member.begin(&state).await?;
    sqlx::query_scalar!(
        "select id from post where partnership_id = $1 and id = $2 and retired_on is null for update",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let holder_id = Uuid::new_v4();
    let inserted = sqlx::query!(
        "insert into post_holder (partnership_id, id, post_id, holder_name, starts_on, ends_on) values ($1, $2, $3, $4, $5, $6)
         on conflict do nothing",
        member.partnership.id,
        holder_id,
        id,
        name,
        starts_on as _,
        ends_on as _
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        change(&member, "post_holder.added", "post_holder", holder_id, &address)
            .after(json!({ "post_id": id, "holder_name": name, "starts_on": starts_on, "ends_on": ends_on }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    done(&session, format!("{name} recorded"), format!("/p/{}/structure/posts/{id}", member.partnership.slug)).await
}

pub(crate) async fn end_holder(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id, holder_id)): Path<(String, String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let (post_id, holder_id) = (parse_id(&post_id)?, parse_id(&holder_id)?);
    let mut tx = member.begin(&state).await?;
    let holder = sqlx::query!(
        r#"select holder_name, starts_on as "starts_on: NaiveDate", ends_on as "ends_on: NaiveDate"
           from post_holder where partnership_id = $1 and post_id = $2 and id = $3 for update"#,
        member.partnership.id,
        post_id,
        holder_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let to = format!("/p/{}/structure/posts/{post_id}", member.partnership.slug);
    let before = json!({ "holder_name": holder.holder_name, "starts_on": holder.starts_on, "ends_on": holder.ends_on });
    let message = match ending(holder.starts_on, holder.ends_on, today()) {
        Ending::AlreadyEnded => return done(&session, format!("{}'s term had already ended", holder.holder_name), to).await,
        Ending::Withdraw => {
            sqlx::query!("delete from post_holder where partnership_id = $1 and id = $2", member.partnership.id, holder_id)
                .execute(&mut *tx)
                .await?;
            change(&member, "post_holder.withdrawn", "post_holder", holder_id, &address).before(before).record(&mut tx).await?;
            format!("{}'s appointment, which had not begun, is withdrawn", holder.holder_name)
        }
        Ending::EndOn(day) => {
            sqlx::query!(
                "update post_holder set ends_on = $3 where partnership_id = $1 and id = $2",
                member.partnership.id,
                holder_id,
                day as _
            )
            .execute(&mut *tx)
            .await?;
            change(&member, "post_holder.ended", "post_holder", holder_id, &address)
                .before(before)
                .after(json!({ "holder_name": holder.holder_name, "starts_on": holder.starts_on, "ends_on": day }))
                .record(&mut tx)
                .await?;
            format!("{}'s term ends on {}", holder.holder_name, crate::calendar::long_date(day))
        }
    };
    tx.commit().await?;
    done(&session, message, to).await
}

pub(crate) async fn retire_post(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    ClientAddress(address): ClientAddress,
    Path((_, post_id)): Path<(String, String)>,
) -> Result<Response> {
    member.require(Capability::ManageStructure)?;
    let id = parse_id(&post_id)?;
    let mut tx = member.begin(&state).await?;
    let title = sqlx::query_scalar!(
        "update post set retired_on = current_date where partnership_id = $1 and id = $2 and retired_on is null returning title",
        member.partnership.id,
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (message, to) = (format!("{title} retired. Its history is kept."), format!("/p/{}/structure", member.partnership.slug));
    let r = Retirement { action: "post.retired", subject_type: "post", field: "title", id, name: title, message, to };
    retired(tx, &session, &member, &address, r).await
}
