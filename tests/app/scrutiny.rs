//! Independent scrutiny: quarterly reports drafted, submitted, locked and
//! corrected; responses to recommendations and the actions that follow;
//! escalation of overdue actions; and what a scrutineer may and may not do.

use axum::http::StatusCode;
use chrono::{Datelike, Duration, Utc};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const ICB: &str = "Coventry and Warwickshire Integrated Care Board";

async fn member_of(app: &TestApp, email: &str, slug: &str, organisation: Option<&str>, roles: &[Role]) -> Uuid {
    let membership = app.add_member(email, slug, roles).await;
    if let Some(org) = organisation {
        sqlx::query("update membership set organisation_id = (select id from organisation where partnership_id = membership.partnership_id and name = $2) where id = $1")
            .bind(membership)
            .bind(org)
            .execute(&app.owner)
            .await
            .unwrap();
    }
    membership
}

/// This quarter's value in the report form: "2026-3".
fn this_quarter() -> String {
    let (y, q) = partnership_hub::scrutiny::quarter_of(Utc::now().date_naive());
    format!("{y}-{q}")
}

async fn start_report(scrutineer: &mut Browser, slug: &str, title: &str) -> Uuid {
    let page = scrutineer.post(&format!("/p/{slug}/scrutiny/reports"), &[("period", &this_quarter()), ("title", title)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location.unwrap().rsplit('/').next().unwrap().parse().unwrap()
}

/// A complete draft: file, summary, methods, one finding with a recommendation to the ICB; answers the finding.
async fn fill_draft(app: &TestApp, scrutineer: &mut Browser, report: Uuid) -> Uuid {
    let base = format!("/p/warwickshire/scrutiny/reports/{report}");
    assert_eq!(scrutineer.upload_as(&format!("{base}/file"), &[], "report_file", ("q3.pdf", PDF)).await.status, StatusCode::SEE_OTHER);
    let saved =
        scrutineer.post(&base, &[("summary", "We looked at the front door."), ("methods", "interviews"), ("methods", "case_audit")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let added = scrutineer
        .post(
            &format!("{base}/findings"),
            &[("finding_title", "Thresholds are applied unevenly"), ("detail", "Seen in 12 of 30 cases."), ("assurance", "limited")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let finding: Uuid =
        sqlx::query_scalar("select id from scrutiny_finding where report_id = $1").bind(report).fetch_one(&app.owner).await.unwrap();
    let icb: Uuid = sqlx::query_scalar("select id from organisation where name = $1").bind(ICB).fetch_one(&app.owner).await.unwrap();
    let rec = scrutineer
        .post(
            &format!("{base}/findings/{finding}"),
            &[("body", "Train front-door staff on the thresholds"), ("addressee", &format!("organisation:{icb}"))],
        )
        .await;
    assert_eq!(rec.status, StatusCode::SEE_OTHER, "{}", rec.body);
    finding
}

struct Scene {
    app: TestApp,
    bm: Browser,
    scrutineer: Browser,
    icb: Browser,
    police: Browser,
    owner: Uuid,
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    member_of(&app, "scrutineer@example.org", "warwickshire", None, &[Role::IndependentScrutineer]).await;
    member_of(&app, "dsp-icb@w.example", "warwickshire", Some(ICB), &[Role::DelegatedSafeguardingPartner]).await;
    member_of(&app, "dsp-police@w.example", "warwickshire", Some("Warwickshire Police"), &[Role::DelegatedSafeguardingPartner]).await;
    let owner = member_of(&app, "safeguarding-lead@w.example", "warwickshire", Some(ICB), &[Role::GroupMember]).await;
    Scene {
        bm: app.signed_in("bm@warwickshire.example").await,
        scrutineer: app.signed_in("scrutineer@example.org").await,
        icb: app.signed_in("dsp-icb@w.example").await,
        police: app.signed_in("dsp-police@w.example").await,
        owner,
        app,
    }
}

#[tokio::test]
async fn a_report_is_drafted_submitted_locked_and_corrected_as_a_new_version() {
    let mut s = scene().await;
    let report = start_report(&mut s.scrutineer, "warwickshire", "The front door").await;
    let base = format!("/p/warwickshire/scrutiny/reports/{report}");
    // Nothing to submit yet: each gap is named.
    let empty = s.scrutineer.post(&format!("{base}/submit"), &[]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in ["Attach the report file", "Write a summary", "Say which methods you used", "Add at least one finding"] {
        assert!(empty.contains(message), "missing {message:?}");
    }
    // Wrong type and over-size files are refused with a clear message; nothing is attached.
    let script = s.scrutineer.upload_as(&format!("{base}/file"), &[], "report_file", ("report.pdf", b"<script>alert(1)</script>")).await;
    assert_eq!(script.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(script.contains("The file must be a PDF, Word, Excel, PowerPoint or OpenDocument file"));
    let mut big = PDF.to_vec();
    big.resize(21 * 1024 * 1024, b' ');
    let huge = s.scrutineer.upload_as(&format!("{base}/file"), &[], "report_file", ("huge.pdf", &big)).await;
    assert!(huge.status == StatusCode::UNPROCESSABLE_ENTITY || huge.status == StatusCode::PAYLOAD_TOO_LARGE, "{}", huge.status);
    let attached: Option<String> = sqlx::query_scalar("select filename from scrutiny_report_version where report_id = $1")
        .bind(report)
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(attached, None);
    // Others do not see a draft.
    assert_eq!(s.bm.get(&base).await.status, StatusCode::NOT_FOUND);

    fill_draft(&s.app, &mut s.scrutineer, report).await;
    let submitted = s.scrutineer.post(&format!("{base}/submit"), &[]).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.body);
    let page = s.bm.get(&base).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Thresholds are applied unevenly") && page.contains("Limited assurance") && page.contains("Locked."));
    let told: i64 = sqlx::query_scalar("select count(*) from outbox where dedupe_key like 'scrutiny-submitted:%'")
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    assert!(told >= 3, "the business manager and the delegated partners hear of it");
    // Submitting twice does nothing more.
    assert_eq!(s.scrutineer.post(&format!("{base}/submit"), &[]).await.status, StatusCode::SEE_OTHER);

    // Locked: the pages refuse, and so does the database.
    assert_eq!(s.scrutineer.post(&base, &[("summary", "Rewritten")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        s.scrutineer.post(&format!("{base}/findings"), &[("finding_title", "Late"), ("assurance", "none")]).await.status,
        StatusCode::FORBIDDEN
    );
    let pid = s.app.partnership_id("warwickshire").await;
    let mut tx = partnership_hub::db::begin_tenant(&s.app.app_pool, pid, None).await.unwrap();
    assert!(
        sqlx::query("update scrutiny_report_version set summary = 'x' where report_id = $1").bind(report).execute(&mut *tx).await.is_err()
    );
    drop(tx);
    let mut tx = partnership_hub::db::begin_tenant(&s.app.app_pool, pid, None).await.unwrap();
    assert!(sqlx::query("delete from scrutiny_finding where report_id = $1").bind(report).execute(&mut *tx).await.is_err());
    drop(tx);

    // A correction is a new version with a reason; the old one is kept.
    let no_reason = s.scrutineer.post(&format!("{base}/correct"), &[("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.contains("Enter the reason for the correction"));
    assert_eq!(s.scrutineer.post(&format!("{base}/correct"), &[("reason", "Case numbers were wrong")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        s.scrutineer.post(&base, &[("summary", "We looked at the front door (corrected)."), ("methods", "interviews")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(s.scrutineer.post(&format!("{base}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let versions: Vec<(i32, String, bool)> = sqlx::query_as(
        "select version, summary, superseded_at is not null from scrutiny_report_version where report_id = $1 order by version",
    )
    .bind(report)
    .fetch_all(&s.app.owner)
    .await
    .unwrap();
    assert_eq!(
        versions,
        [(1, "We looked at the front door.".to_owned(), true), (2, "We looked at the front door (corrected).".to_owned(), false)]
    );
    let lineages: i64 = sqlx::query_scalar("select count(distinct lineage_id) from scrutiny_recommendation where report_id = $1")
        .bind(report)
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(lineages, 1, "the recommendation carried into version 2 is the same recommendation");
    let old = s.bm.get(&format!("{base}?version=1")).await;
    assert!(old.contains("corrected by a later version") && old.contains("We looked at the front door."));
    assert!(s.bm.get(&base).await.contains("Corrects version 1: Case numbers were wrong"));
    let audit = s.app.audit_actions().await;
    for action in [
        "scrutiny.report_started",
        "scrutiny.file_uploaded",
        "scrutiny.finding_added",
        "scrutiny.recommendation_added",
        "scrutiny.report_submitted",
        "scrutiny.correction_started",
    ] {
        assert!(audit.contains(&action.to_owned()), "{action} not audited");
    }
}

async fn submitted_recommendation(s: &mut Scene) -> (Uuid, Uuid) {
    let report = start_report(&mut s.scrutineer, "warwickshire", "The front door").await;
    fill_draft(&s.app, &mut s.scrutineer, report).await;
    assert_eq!(s.scrutineer.post(&format!("/p/warwickshire/scrutiny/reports/{report}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let rec: Uuid = sqlx::query_scalar("select id from scrutiny_recommendation where report_id = $1")
        .bind(report)
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    (report, rec)
}

#[tokio::test]
async fn the_addressee_responds_and_accepted_recommendations_become_actions_completed_and_confirmed() {
    let mut s = scene().await;
    let (report, rec) = submitted_recommendation(&mut s).await;
    let path = format!("/p/warwickshire/scrutiny/recommendations/{rec}");
    // Only the addressee (or the business manager) answers.
    assert_eq!(s.police.post(&path, &[("response", "accepted")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.scrutineer.post(&path, &[("response", "accepted")]).await.status, StatusCode::FORBIDDEN);
    let page = s.icb.get(&path).await;
    assert!(page.contains("Record the response"));
    let not_accepted = s.icb.post(&path, &[("response", "not_accepted"), ("reasons", "")]).await;
    assert_eq!(not_accepted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_accepted.contains("Give the reasons for not accepting"));
    let no_action = s.icb.post(&path, &[("response", "accepted")]).await;
    assert_eq!(no_action.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_action.contains("Enter the action") && no_action.contains("Choose who owns the action"));
    let due = (Utc::now() + Duration::days(60)).date_naive();
    let accepted = s
        .icb
        .post(
            &path,
            &[
                ("response", "accepted"),
                ("action_description", "Deliver threshold training to front-door staff"),
                ("action_owner", &s.owner.to_string()),
                ("action_due_day", &due.day().to_string()),
                ("action_due_month", &due.month().to_string()),
                ("action_due_year", &due.year().to_string()),
            ],
        )
        .await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let action: Uuid = sqlx::query_scalar("select id from action_point where recommendation_lineage_id is not null")
        .fetch_one(&s.app.owner)
        .await
        .unwrap();

    // The owner updates it; completing it needs evidence for the person who set it.
    let mut owner = s.app.signed_in("safeguarding-lead@w.example").await;
    let action_path = format!("/p/warwickshire/actions/{action}");
    assert_eq!(owner.post(&action_path, &[("status", "on_track"), ("note", "Sessions booked")]).await.status, StatusCode::SEE_OTHER);
    let bare = owner.post(&action_path, &[("status", "complete")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.contains("Say what shows the action is complete"));
    assert_eq!(
        owner.post(&action_path, &[("status", "complete"), ("evidence", "Attendance register, 48 staff")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(owner.get(&action_path).await.contains("Complete, awaiting confirmation"));
    // The owner cannot confirm their own work; the delegated partner who set it does.
    assert_eq!(owner.post(&format!("{action_path}/confirm"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.icb.post(&format!("{action_path}/confirm"), &[]).await.status, StatusCode::SEE_OTHER);
    let confirmed: bool = sqlx::query_scalar("select completion_confirmed_at is not null from action_point where id = $1")
        .bind(action)
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    assert!(confirmed);
    let updates: i64 =
        sqlx::query_scalar("select count(*) from action_update where action_id = $1").bind(action).fetch_one(&s.app.owner).await.unwrap();
    assert_eq!(updates, 2);

    // The scrutineer sees what became of the recommendation.
    let dashboard = s.scrutineer.get("/p/warwickshire/scrutiny").await;
    assert!(dashboard.contains("What became of your recommendations"));
    assert!(dashboard.contains("Train front-door staff on the thresholds") && dashboard.contains("1 of 1"), "{}", dashboard.body);
    let submitted = s.scrutineer.get(&format!("/p/warwickshire/scrutiny/reports/{report}")).await;
    assert!(submitted.contains("1 of 1 actions complete"), "{}", submitted.body);
    let audit = s.app.audit_actions().await;
    for action in ["scrutiny.recommendation_answered", "action.set", "action.status_changed", "action.completion_confirmed"] {
        assert!(audit.contains(&action.to_owned()), "{action} not audited");
    }
}

#[tokio::test]
async fn overdue_actions_are_escalated_to_the_delegated_partners_once() {
    let mut s = scene().await;
    let (_, rec) = submitted_recommendation(&mut s).await;
    let due = (Utc::now() + Duration::days(10)).date_naive();
    s.icb
        .post(
            &format!("/p/warwickshire/scrutiny/recommendations/{rec}"),
            &[
                ("response", "partly_accepted"),
                ("reasons", "Training yes, restructure no"),
                ("action_description", "Threshold training"),
                ("action_owner", &s.owner.to_string()),
                ("action_due_day", &due.day().to_string()),
                ("action_due_month", &due.month().to_string()),
                ("action_due_year", &due.year().to_string()),
            ],
        )
        .await;
    let today = Utc::now().date_naive();
    assert_eq!(partnership_hub::actions::escalate_overdue(&s.app.app_pool, today).await.unwrap(), 0, "nothing is overdue yet");
    sqlx::query("update action_point set due_on = current_date - 3").execute(&s.app.owner).await.unwrap();
    assert_eq!(partnership_hub::actions::escalate_overdue(&s.app.app_pool, today).await.unwrap(), 1);
    assert_eq!(partnership_hub::actions::escalate_overdue(&s.app.app_pool, today).await.unwrap(), 0, "escalated once");
    let mails: Vec<String> = sqlx::query_scalar("select to_email from outbox where dedupe_key like 'action-overdue:%' order by to_email")
        .fetch_all(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(mails, ["bm@warwickshire.example", "dsp-icb@w.example", "dsp-police@w.example"]);
    let dashboard = s.police.get("/p/warwickshire/scrutiny").await;
    assert!(
        dashboard.contains("Actions past their due date (escalated to the delegated partners)") && dashboard.contains("Threshold training")
    );
    assert!(s.app.audit_actions().await.contains(&"action.escalated".to_owned()));
    let home = s.police.get("/p/warwickshire/").await;
    assert!(home.contains("1 action is overdue"), "the delegated partners see it on their home page");
    // A scrutineer follows every action but updates none of them from the list.
    let list = s.scrutineer.get("/p/warwickshire/actions").await;
    assert!(list.contains("Threshold training") && !list.contains("Status of Threshold training"));
}

#[tokio::test]
async fn a_scrutineer_serving_two_partnerships_works_in_each_only_within_it() {
    let mut s = scene().await;
    member_of(&s.app, "scrutineer@example.org", "windsor-maidenhead", None, &[Role::IndependentScrutineer]).await;
    let (report, _) = submitted_recommendation(&mut s).await;
    let windsor = s.scrutineer.get("/p/windsor-maidenhead/scrutiny").await;
    assert_eq!(windsor.status, StatusCode::OK);
    assert!(!windsor.contains("The front door"), "Warwickshire's report does not show in Windsor and Maidenhead");
    assert_eq!(s.scrutineer.get(&format!("/p/windsor-maidenhead/scrutiny/reports/{report}")).await.status, StatusCode::NOT_FOUND);
    let windsor_report = start_report(&mut s.scrutineer, "windsor-maidenhead", "Voice of the child").await;
    assert_eq!(s.scrutineer.get(&format!("/p/warwickshire/scrutiny/reports/{windsor_report}")).await.status, StatusCode::NOT_FOUND);
    // A scrutineer reads the structure but cannot change it.
    assert_eq!(s.scrutineer.get("/p/warwickshire/structure").await.status, StatusCode::OK);
    assert_eq!(
        s.scrutineer.post("/p/warwickshire/groups/new", &[("name", "Scrutineer's group"), ("kind", "subgroup")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(s.scrutineer.get("/p/warwickshire/scrutiny/arrangements").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        s.scrutineer.post("/p/warwickshire/scrutiny/appointments", &[("kind", "independent_person"), ("name", "Me")]).await.status,
        StatusCode::FORBIDDEN
    );
    // Nor another scrutineer's report.
    member_of(&s.app, "other-scrutineer@example.org", "warwickshire", None, &[Role::IndependentScrutineer]).await;
    let mut other = s.app.signed_in("other-scrutineer@example.org").await;
    let theirs = start_report(&mut other, "warwickshire", "Their draft").await;
    assert_eq!(
        s.scrutineer.get(&format!("/p/warwickshire/scrutiny/reports/{theirs}")).await.status,
        StatusCode::NOT_FOUND,
        "a draft is its author's alone"
    );
    assert_eq!(
        s.scrutineer.post(&format!("/p/warwickshire/scrutiny/reports/{theirs}"), &[("summary", "Mine now")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(s.scrutineer.post(&format!("/p/warwickshire/scrutiny/reports/{theirs}/submit"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        other.post(&format!("/p/warwickshire/scrutiny/reports/{report}/correct"), &[("reason", "Not mine")]).await.status,
        StatusCode::FORBIDDEN
    );
    // A delegated partner does not write scrutiny reports.
    assert_eq!(
        s.icb.post("/p/warwickshire/scrutiny/reports", &[("period", &this_quarter()), ("title", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_business_manager_records_the_arrangements_programme_and_annual_review() {
    let mut s = scene().await;
    let scrutineer: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'scrutineer@example.org'")
            .fetch_one(&s.app.owner)
            .await
            .unwrap();
    let bad =
        s.bm.post(
            "/p/warwickshire/scrutiny/appointments",
            &[("kind", ""), ("name", ""), ("starts_day", "31"), ("starts_month", "2"), ("starts_year", "2025")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in ["Choose whether this is an independent scrutineer", "Enter the name", "Start of tenure must be a real date"] {
        assert!(bad.contains(message), "missing {message:?}");
    }
    let added =
        s.bm.post(
            "/p/warwickshire/scrutiny/appointments",
            &[
                ("kind", "independent_scrutineer"),
                ("name", "Independent Scrutineer"),
                ("membership_id", &scrutineer.to_string()),
                ("starts_day", "1"),
                ("starts_month", "4"),
                ("starts_year", "2025"),
                ("ends_day", "31"),
                ("ends_month", "3"),
                ("ends_year", "2028"),
                ("review_day", "31"),
                ("review_month", "3"),
                ("review_year", "2027"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let (year, quarter) = partnership_hub::scrutiny::quarter_of(Utc::now().date_naive());
    let programme =
        s.bm.post(
            "/p/warwickshire/scrutiny/programme",
            &[
                ("financial_year", &year.to_string()),
                ("quarter", &quarter.to_string()),
                ("theme", "Exploitation"),
                ("methods", "focus_groups"),
                ("methods", "data_analysis"),
            ],
        )
        .await;
    assert_eq!(programme.status, StatusCode::SEE_OTHER, "{}", programme.body);
    let today = Utc::now().date_naive();
    let review =
        s.bm.post(
            "/p/warwickshire/scrutiny/reviews",
            &[
                ("reviewed_day", &today.day().to_string()),
                ("reviewed_month", &today.month().to_string()),
                ("reviewed_year", &today.year().to_string()),
                ("conclusions", "The function gives the partners independent challenge."),
            ],
        )
        .await;
    assert_eq!(review.status, StatusCode::SEE_OTHER, "{}", review.body);
    let group = s.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let settings =
        s.bm.post("/p/warwickshire/scrutiny/settings", &[("scrutiny_group_id", &group.to_string()), ("response_working_days", "15")]).await;
    assert_eq!(settings.status, StatusCode::SEE_OTHER);
    let dashboard = s.scrutineer.get("/p/warwickshire/scrutiny").await;
    assert!(dashboard.contains("Independent Scrutineer") && dashboard.contains("1 April 2025 to 31 March 2028"), "{}", dashboard.body);
    assert!(dashboard.contains("Exploitation") && dashboard.contains("independent challenge"));
    // A submitted report goes on the agenda of the scrutiny group's next meeting.
    let meeting = Uuid::new_v4();
    sqlx::query("insert into meeting (partnership_id, id, group_id, starts_at, ends_at) select partnership_id, $1, id, now() + interval '40 days', now() + interval '40 days 2 hours' from partnership_group where id = $2")
        .bind(meeting)
        .bind(group)
        .execute(&s.app.owner)
        .await
        .unwrap();
    submitted_recommendation(&mut s).await;
    let item: String =
        sqlx::query_scalar("select title from agenda_item where meeting_id = $1").bind(meeting).fetch_one(&s.app.owner).await.unwrap();
    assert!(item.starts_with("Independent scrutiny report, Q"), "{item}");
    let due: chrono::NaiveDate = sqlx::query_scalar("select responses_due_on from scrutiny_report_version where submitted_at is not null")
        .fetch_one(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(due, partnership_hub::calendar::working_days_after(today, 15));
}

#[tokio::test]
async fn the_seeded_arrangements_name_who_scrutinises_and_where_reports_go() {
    let app = TestApp::spawn().await;
    app.add_member("bm@windsor.example", "windsor-maidenhead", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@windsor.example").await;
    let page = bm.get("/p/windsor-maidenhead/scrutiny/arrangements").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Aidhour") && page.contains("Scrutiny agency"), "{}", page.body);
    assert_eq!(
        page.body.matches(r#"<td class="govuk-table__cell">Independent person</td>"#).count(),
        2,
        "two voluntary Independent Persons"
    );
    let group: String = sqlx::query_scalar(
        "select g.name from arrangement a join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.scrutiny_group_id
         join partnership p on p.id = a.partnership_id where p.slug = 'windsor-maidenhead'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(group, "Executive Steering Group");
    let tenure: (chrono::NaiveDate, Option<chrono::NaiveDate>) = sqlx::query_as(
        "select starts_on, ends_on from scrutiny_appointment a join partnership p on p.id = a.partnership_id where p.slug = 'warwickshire'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(tenure.1, chrono::NaiveDate::from_ymd_opt(2027, 3, 31), "Warwickshire's scrutineer: a three-year tenure");
}

#[tokio::test]
async fn the_scrutiny_page_runs_the_same_number_of_queries_however_many_reports() {
    let mut s = scene().await;
    submitted_recommendation(&mut s).await;
    s.bm.get("/p/warwickshire/scrutiny").await;
    let before = s.app.statements_run().await;
    assert_eq!(s.bm.get("/p/warwickshire/scrutiny").await.status, StatusCode::OK);
    let one_report = s.app.statements_run().await - before;
    // Four more scrutineers, each with a submitted report with recommendations.
    for n in 0..4 {
        let email = format!("scrutineer{n}@example.org");
        member_of(&s.app, &email, "warwickshire", None, &[Role::IndependentScrutineer]).await;
        let mut other = s.app.signed_in(&email).await;
        let report = start_report(&mut other, "warwickshire", &format!("Report {n}")).await;
        fill_draft(&s.app, &mut other, report).await;
        assert_eq!(other.post(&format!("/p/warwickshire/scrutiny/reports/{report}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    }
    let before = s.app.statements_run().await;
    let page = s.bm.get("/p/warwickshire/scrutiny").await;
    assert!(page.contains("Report 3"));
    assert_eq!(s.app.statements_run().await - before, one_report);
}

#[tokio::test]
async fn double_clicks_set_one_action_record_one_update_and_send_one_mail() {
    let mut s = scene().await;
    let (_, rec) = submitted_recommendation(&mut s).await;
    let due = (Utc::now() + Duration::days(30)).date_naive();
    let owner = s.owner.to_string();
    let (d, m, y) = (due.day().to_string(), due.month().to_string(), due.year().to_string());
    let fields = [
        ("response", "accepted"),
        ("action_description", "Threshold training"),
        ("action_owner", owner.as_str()),
        ("action_due_day", d.as_str()),
        ("action_due_month", m.as_str()),
        ("action_due_year", y.as_str()),
    ];
    let path = format!("/p/warwickshire/scrutiny/recommendations/{rec}");
    assert_eq!(s.icb.post(&path, &fields).await.status, StatusCode::SEE_OTHER);
    assert_eq!(s.icb.post(&path, &fields).await.status, StatusCode::SEE_OTHER);
    let actions: Vec<Uuid> = sqlx::query_scalar("select id from action_point where recommendation_lineage_id is not null")
        .fetch_all(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(actions.len(), 1);
    let mut owner = s.app.signed_in("safeguarding-lead@w.example").await;
    let done = [("status", "complete"), ("evidence", "Register of attendance")];
    for _ in 0..2 {
        assert_eq!(owner.post(&format!("/p/warwickshire/actions/{}", actions[0]), &done).await.status, StatusCode::SEE_OTHER);
    }
    let updates: i64 = sqlx::query_scalar("select count(*) from action_update").fetch_one(&s.app.owner).await.unwrap();
    assert_eq!(updates, 1);
    let mails: i64 =
        sqlx::query_scalar("select count(*) from outbox where dedupe_key like 'action-complete:%'").fetch_one(&s.app.owner).await.unwrap();
    assert_eq!(mails, 1);
    // A year or version that is not a number is not an error page.
    assert_eq!(s.bm.get("/p/warwickshire/scrutiny?year=last").await.status, StatusCode::OK);
    let report: Uuid = sqlx::query_scalar("select id from scrutiny_report").fetch_one(&s.app.owner).await.unwrap();
    assert_eq!(s.bm.get(&format!("/p/warwickshire/scrutiny/reports/{report}?version=x")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_report_submitted_after_the_cut_off_is_an_audited_late_request_mailed_to_the_chair() {
    let mut s = scene().await;
    let group = s.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let chair = member_of(&s.app, "chair@w.example", "warwickshire", Some(ICB), &[Role::GroupMember]).await;
    s.app.seat(chair, group, "Chair of the group", Some(ICB)).await;
    sqlx::query("update group_member set role_in_group = 'chair' where membership_id = $1")
        .bind(chair)
        .execute(&s.app.owner)
        .await
        .unwrap();
    // The group's next meeting is three working days away: past Warwickshire's ten-day cut-off.
    let meeting = Uuid::new_v4();
    let day = partnership_hub::calendar::working_days_after(partnership_hub::calendar::today(), 3);
    sqlx::query("insert into meeting (partnership_id, id, group_id, starts_at, ends_at) select partnership_id, $1, id, $3::date + time '10:00', $3::date + time '12:00' from partnership_group where id = $2")
        .bind(meeting)
        .bind(group)
        .bind(day)
        .execute(&s.app.owner)
        .await
        .unwrap();
    submitted_recommendation(&mut s).await;
    let (title, status): (String, String) =
        sqlx::query_as("select title, status from agenda_item where meeting_id = $1").bind(meeting).fetch_one(&s.app.owner).await.unwrap();
    assert!(title.starts_with("Independent scrutiny report, Q"), "{title}");
    assert_eq!(status, "late_request");
    assert!(s.app.audit_actions().await.contains(&"agenda_item.submitted".to_owned()), "the agenda item is audited");
    let told: Vec<String> = sqlx::query_scalar("select to_email from outbox where dedupe_key like 'late-request:%' order by to_email")
        .fetch_all(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(told, ["bm@warwickshire.example", "chair@w.example"], "the chair and the business manager decide it");
}

/// The dashboard's counts are the year's (its reports' recommendations and the
/// actions set in answer), so they read no other year's records; a response
/// overdue shows whatever the year, until it is given.
#[tokio::test]
async fn the_dashboard_counts_the_years_recommendations_and_lists_every_overdue_response() {
    let mut s = scene().await;
    let report = start_report(&mut s.scrutineer, "warwickshire", "The front door").await;
    fill_draft(&s.app, &mut s.scrutineer, report).await;
    // A report of two years ago, whose responses fell due last month.
    let this_year = partnership_hub::calendar::FinancialYear::containing(partnership_hub::calendar::today()).start_year;
    let then = this_year - 2;
    sqlx::query("update scrutiny_report set financial_year = $2 where id = $1")
        .bind(report)
        .bind(then)
        .execute(&s.app.owner)
        .await
        .unwrap();
    assert_eq!(s.scrutineer.post(&format!("/p/warwickshire/scrutiny/reports/{report}/submit"), &[]).await.status, StatusCode::SEE_OTHER);
    let mut history = s.app.owner.begin().await.unwrap();
    // Setting the history straight past the lock that keeps a submitted report as it was sent.
    sqlx::query("set local session_replication_role = replica").execute(&mut *history).await.unwrap();
    sqlx::query("update scrutiny_report_version set responses_due_on = current_date - 30 where report_id = $1")
        .bind(report)
        .execute(&mut *history)
        .await
        .unwrap();
    history.commit().await.unwrap();

    let awaiting = |n: i64| {
        format!(
            r#"<th scope="row" class="govuk-table__header">Awaiting a response</th><td class="govuk-table__cell govuk-table__cell--numeric">{n}</td>"#
        )
    };
    let now = s.bm.get("/p/warwickshire/scrutiny").await;
    assert!(now.contains(&awaiting(0)), "{}", now.body);
    assert!(now.contains("Recommendations without a response") && now.contains("Train front-door staff on the thresholds"), "{}", now.body);
    let earlier = s.bm.get(&format!("/p/warwickshire/scrutiny?year={then}")).await;
    assert!(earlier.contains(&awaiting(1)), "{}", earlier.body);
    assert!(earlier.contains("Recommendations without a response"));
    // The scrutineer follows their own recommendations in the year they made them.
    let theirs = s.scrutineer.get(&format!("/p/warwickshire/scrutiny?year={then}")).await;
    assert!(theirs.contains("What became of your recommendations this year") && theirs.contains("0 of 0"), "{}", theirs.body);
    let theirs_now = s.scrutineer.get("/p/warwickshire/scrutiny").await;
    assert!(theirs_now.contains("None of your reports submitted for"), "{}", theirs_now.body);
}

#[tokio::test]
async fn every_button_of_a_draft_report_keeps_and_saves_everything_typed_on_the_page() {
    let mut s = scene().await;
    let report = start_report(&mut s.scrutineer, "warwickshire", "The front door").await;
    let base = format!("/p/warwickshire/scrutiny/reports/{report}");
    let stored = || {
        let pool = s.app.owner.clone();
        async move {
            let (summary, methods): (String, Vec<String>) =
                sqlx::query_as("select summary, methods from scrutiny_report_version where report_id = $1")
                    .bind(report)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let findings: i64 = sqlx::query_scalar("select count(*) from scrutiny_finding where report_id = $1")
                .bind(report)
                .fetch_one(&pool)
                .await
                .unwrap();
            (summary, methods, findings)
        }
    };
    let typed = |assurance: &'static str| {
        [
            ("summary", "We looked at the front door."),
            ("methods", "interviews"),
            ("methods", "case_audit"),
            ("finding_title", "Thresholds are applied unevenly"),
            ("detail", "Seen in 12 of 30 cases."),
            ("assurance", assurance),
        ]
    };

    // "Add the finding" without its rating: refused, every field back as typed, nothing written.
    let page = s.scrutineer.post(&format!("{base}/findings"), &typed("")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Choose the assurance this finding gives"));
    assert!(page.contains(">We looked at the front door.</textarea>"), "the summary is kept");
    for method in ["interviews", "case_audit"] {
        assert!(page.contains(&format!("value=\"{method}\" checked")), "{method} stays ticked");
    }
    assert!(page.contains("value=\"Thresholds are applied unevenly\"") && page.contains(">Seen in 12 of 30 cases.</textarea>"));
    assert_eq!(stored().await, (String::new(), Vec::new(), 0), "nothing is written until all of it is right");

    // Going on to attach the file saves what was typed first.
    let on = s.scrutineer.post(&base, &[("summary", "We looked at the front door."), ("methods", "interviews"), ("then", "file")]).await;
    assert_eq!(on.status, StatusCode::SEE_OTHER);
    assert_eq!(on.location.as_deref(), Some(format!("{base}/file").as_str()));
    assert_eq!(stored().await, ("We looked at the front door.".to_owned(), vec!["interviews".to_owned()], 0));
    let file_page = s.scrutineer.get(&format!("{base}/file")).await;
    assert!(file_page.contains("Attach the report file") && file_page.contains("Upload the report"));

    // Adding the finding saves the summary and methods typed with it.
    assert_eq!(s.scrutineer.post(&format!("{base}/findings"), &typed("limited")).await.status, StatusCode::SEE_OTHER);
    assert_eq!(stored().await, ("We looked at the front door.".to_owned(), vec!["interviews".to_owned(), "case_audit".to_owned()], 1));

    // A refused submission (no file yet) keeps what was typed on the page, and writes none of it.
    let refused = s.scrutineer.post(&format!("{base}/submit"), &[("summary", "A new summary"), ("methods", "interviews")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Attach the report file") && refused.contains(">A new summary</textarea>"));
    assert_eq!(stored().await.0, "We looked at the front door.");
}

#[tokio::test]
async fn every_recommendation_is_listed_to_search_filter_by_addressee_and_response_and_download() {
    let mut s = scene().await;
    let (report, rec) = submitted_recommendation(&mut s).await;
    let icb: Uuid = sqlx::query_scalar("select id from organisation where name = $1").bind(ICB).fetch_one(&s.app.owner).await.unwrap();
    let year = partnership_hub::calendar::FinancialYear::containing(partnership_hub::calendar::today()).start_year;

    let all = s.bm.get("/p/warwickshire/scrutiny/recommendations").await;
    assert!(all.contains(&format!("/p/warwickshire/scrutiny/recommendations/{rec}")) && all.contains("1 recommendation."), "{}", all.body);
    assert!(all.contains("Awaiting a response") && all.contains(&format!("/p/warwickshire/scrutiny/reports/{report}")));
    let to_icb =
        s.bm.get(&format!("/p/warwickshire/scrutiny/recommendations?organisation={icb}&response=awaiting&year={year}&q=front-door")).await;
    assert!(to_icb.contains("Train front-door staff on the thresholds"), "{}", to_icb.body);
    assert!(s.bm.get("/p/warwickshire/scrutiny/recommendations?response=accepted").await.contains("No recommendations match."));
    assert!(s.bm.get(&format!("/p/warwickshire/scrutiny/recommendations?year={}", year - 1)).await.contains("No recommendations match."));

    let csv = s.bm.get("/p/warwickshire/scrutiny/recommendations.csv?response=awaiting").await;
    let text = String::from_utf8(csv.bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("Recommendation,Report,Financial year,Addressed to,Response,Response due,"), "{text}");
    assert!(
        text.contains(&format!(
            "Train front-door staff on the thresholds,The front door,{},{ICB},Awaiting a response",
            partnership_hub::calendar::FinancialYear { start_year: year }.label()
        )),
        "{text}"
    );
}
