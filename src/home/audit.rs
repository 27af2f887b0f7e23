//! The partnership's audit log as people use it: every change (and every
//! sign-in to the partnership's accounts) newest first, filtered by person,
//! kind of record, what happened and date, each naming its record with a
//! link and listing the fields it changed; the view downloads as CSV.
//! Need-to-know holds: an entry about a record this person may not see is
//! not in their log (a policy on the table).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::types::Json;
use tower_sessions::Session;
use uuid::Uuid;

use crate::audit::{self, Entry, KINDS};
use crate::calendar::{today, uk_midnight};
use crate::db::Tx;
use crate::error::Result;
use crate::roles::Capability;
use crate::tenant::Member;
use crate::web::listing::{Column, ListQuery, Reach, View, csv_download, custom_plans, generic_plans, parse_day};
use crate::web::{AppState, FormErrors, Layout, Query};

/// The log's address: `?person=…&kind=decision&action=decision.raised&from=1/4/2026&to=31/3/2027` and its order and page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default)]
    person: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

const COLUMNS: [Column; 1] = [Column { key: "when", heading: "When" }];

#[derive(Template, WebTemplate)]
#[template(path = "partnerships/audit.html")]
pub struct AuditPage {
    layout: Layout,
    member: Member,
    entries: Vec<Entry>,
    view: View,
    errors: FormErrors,
    people: Vec<(String, String)>,
    person: String,
    kinds: [(&'static str, &'static str); 33],
    kind: String,
    actions: Vec<(String, String)>,
    action: String,
    from: String,
    to: String,
}

/// A view of the log: every filter may be empty.
struct Asked<'a> {
    pattern: &'a str,
    person: Option<Uuid>,
    kind: &'a str,
    action: &'a str,
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    /// The page, or every entry for a download, and how far to count.
    reach: Reach,
    /// Whether the filters' choices are wanted too (not for a download).
    with_choices: bool,
}

/// What one view of the log reads.
struct Read {
    entries: Vec<Entry>,
    counted: i64,
    people: Vec<(String, String)>,
    actions: Vec<(String, String)>,
}

/// The page of entries (newest or oldest first), their count up to a bound ([`View::count_to`]) and the filters' choices: one
/// statement. `matching` is not materialized, so the page is read in the order of an index (25 entries, not every
/// entry sorted) and the count stops at its bound. `$lead` names the filter whose index the view walks (see
/// [`Lead`]); the other filters are checked on the entries it reaches. The page's entries are taken from `matching`
/// whole, not looked up again by id: each reference to the log sets up its need-to-know policy once more.
macro_rules! audit_view {
    ($tx:expr, $asked:expr, $partnership:expr, $lead:literal, $order:literal) => {{
        let asked = $asked;
        let row = sqlx::query!(
            r#"with matching as not materialized (
                   select a.* from audit_log a
                   where a.partnership_id = $1"# + $lead + r#"
                     and ($2 = '' or a.action ilike $2 or a.before::text ilike $2 or a.after::text ilike $2)
                     and ($3::uuid is null or a.actor_user_id = $3 or (a.subject_type = 'account' and a.subject_id = $3::text))
                     and ($4 = '' or a.subject_type = $4)
                     and ($5 = '' or a.action = $5)
                     -- Bounds rather than optional filters, so that a plan made once reaches the dates through the index.
                     and a.occurred_at >= coalesce($6::timestamptz, '-infinity')
                     and a.occurred_at < coalesce($7::timestamptz, 'infinity'))
               select coalesce((select json_agg(x order by "# + $order + r#")
                                from (select a.id, a.occurred_at, u.display_name as actor_name, a.action, a.subject_type, a.subject_id,
                                             a.before, a.after, a.client_address
                                      from (select m.* from matching m order by "# + $order + r#" limit $8 offset $9) a
                                      left join app_user u on u.id = a.actor_user_id) x), '[]') as "entries!: Json<Vec<Entry>>",
                      (select count(*) from (select 1 from matching limit $10) c) as "counted!",
                      coalesce((select json_agg(json_build_array(m.user_id, m.known_as) order by m.known_as)
                                from membership m where m.partnership_id = $1 and $11), '[]') as "people!: Json<Vec<(Uuid, String)>>",
                      -- What has happened in this log, found by skipping through the index one action at a time.
                      (with recursive seen(action) as (
                           (select a.action from audit_log a where a.partnership_id = $1 and $11 order by a.action limit 1)
                           union all
                           select (select a.action from audit_log a where a.partnership_id = $1 and a.action > seen.action
                                   order by a.action limit 1)
                           from seen where seen.action is not null)
                       select coalesce(array_agg(action order by action) filter (where action is not null), '{}') from seen) as "actions!""#,
            $partnership,
            asked.pattern,
            asked.person,
            asked.kind,
            asked.action,
            asked.from,
            asked.before,
            asked.reach.limit,
            asked.reach.offset,
            asked.reach.count_limit(),
            asked.with_choices
        )
        .fetch_one(&mut **$tx)
        .await?;
        Read {
            entries: row.entries.0,
            counted: row.counted,
            people: row.people.0.into_iter().map(|(id, name)| (id.to_string(), name)).collect(),
            actions: row.actions.into_iter().map(|a| { let label = audit::sentence_case(&a); (a, label) }).collect(),
        }
    }};
}

/// The index a view of the log walks: the filter that narrows it most, each with an index that keeps the
/// entries in order of time. These views are planned once and the plan kept (planning this statement, with the
/// need-to-know policy on each entry, costs five times running it). A person's entries (those they made and
/// those about their account, two indexes) and a search (the words' trigram index) are planned for their values.
#[derive(Clone, Copy)]
enum Lead {
    Recent,
    Kind,
    Action,
    /// A person or words: planned for the values given.
    Chosen,
}

impl Lead {
    fn of(asked: &Asked<'_>) -> Lead {
        if asked.person.is_some() || !asked.pattern.is_empty() {
            Lead::Chosen
        } else if !asked.action.is_empty() {
            Lead::Action
        } else if !asked.kind.is_empty() {
            Lead::Kind
        } else {
            Lead::Recent
        }
    }
}

async fn read_log(tx: &mut Tx, partnership_id: Uuid, asked: &Asked<'_>, oldest_first: bool) -> sqlx::Result<Read> {
    let lead = Lead::of(asked);
    if matches!(lead, Lead::Chosen) {
        custom_plans(tx).await?;
    } else {
        generic_plans(tx).await?;
    }
    // Each in the order of an index, rather than one ordered by a parameter (which no index serves).
    Ok(match (lead, oldest_first) {
        (Lead::Recent | Lead::Chosen, false) => audit_view!(tx, asked, partnership_id, "", "occurred_at desc, id desc"),
        (Lead::Recent | Lead::Chosen, true) => audit_view!(tx, asked, partnership_id, "", "occurred_at, id"),
        (Lead::Kind, false) => audit_view!(tx, asked, partnership_id, " and a.subject_type = $4", "occurred_at desc, id desc"),
        (Lead::Kind, true) => audit_view!(tx, asked, partnership_id, " and a.subject_type = $4", "occurred_at, id"),
        (Lead::Action, false) => audit_view!(tx, asked, partnership_id, " and a.action = $5", "occurred_at desc, id desc"),
        (Lead::Action, true) => audit_view!(tx, asked, partnership_id, " and a.action = $5", "occurred_at, id"),
    })
}

/// The view asked for, its errors (a day that is not one), and what it read.
async fn read(state: &AppState, member: &Member, query: &AuditQuery, whole: bool) -> Result<(View, FormErrors, Read)> {
    member.require(Capability::ViewAuditLog)?;
    let mut errors = FormErrors::default();
    let from = errors.check("from", parse_day(&query.from, "the first day")).flatten();
    let to = errors.check("to", parse_day(&query.to, "the last day")).flatten();
    let person = query.person.parse::<Uuid>().ok();
    let kind = KINDS.iter().find(|(code, _)| *code == query.kind).map(|(code, _)| *code).unwrap_or_default();
    let action = query.action.trim();
    let view = View::new(format!("/p/{}/audit", member.partnership.slug), ("change", "changes"), &query.list, &COLUMNS, &["when"])
        .filter("person", person.map(|p| p.to_string()).unwrap_or_default())
        .filter("kind", kind)
        .filter("action", action)
        .filter("from", if from.is_some() { query.from.trim() } else { "" })
        .filter("to", if to.is_some() { query.to.trim() } else { "" })
        .when_empty("No changes recorded yet.");
    let pattern = view.pattern();
    let reach = view.reach(whole);
    let asked = Asked {
        pattern: &pattern,
        person,
        kind,
        action,
        from: from.map(uk_midnight),
        before: to.and_then(|day| day.succ_opt()).map(uk_midnight),
        reach,
        with_choices: !whole,
    };
    let mut tx = member.begin(state).await?;
    let read = read_log(&mut tx, member.partnership.id, &asked, !view.descending).await?;
    tx.commit().await?;
    let view = view.counted_up_to(read.counted, read.entries.len());
    Ok((view, errors, read))
}

pub(crate) async fn audit_log(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Query(query): Query<AuditQuery>,
) -> Result<Response> {
    let (view, errors, read) = read(&state, &member, &query, false).await?;
    let status = if errors.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let page = AuditPage {
        layout: member.layout(&session, "audit").await?,
        member,
        entries: read.entries,
        view,
        errors,
        people: read.people,
        person: query.person,
        kinds: KINDS,
        kind: query.kind,
        actions: read.actions,
        action: query.action,
        from: query.from,
        to: query.to,
    };
    Ok((status, page).into_response())
}

/// The view as CSV: every entry it holds (up to the bound), with each changed field.
pub(crate) async fn export(State(state): State<AppState>, member: Member, Query(query): Query<AuditQuery>) -> Result<Response> {
    let (_, _, read) = read(&state, &member, &query, true).await?;
    let slug = member.partnership.slug.clone();
    let rows = read.entries.into_iter().map(|e| {
        let changes = e.changes().into_iter().map(|c| format!("{}: {} → {}", c.field, c.before, c.after)).collect::<Vec<_>>().join("\n");
        vec![
            e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.actor_name.clone().unwrap_or_else(|| "System".to_owned()),
            e.description(),
            e.kind().to_owned(),
            e.record_name().unwrap_or_default(),
            e.href(&slug).unwrap_or_default(),
            changes,
            e.client_address.clone().unwrap_or_default(),
        ]
    });
    let filename = format!("{}-audit-log-{}.csv", member.partnership.slug, today());
    let headings = ["When (UTC)", "Who", "What happened", "Kind of record", "Record", "Address", "Changes", "From"];
    Ok(csv_download(&filename, &headings, rows))
}
