//! The audit log as people use it: sign-ins in each partnership, records
//! named and linked, changes field by field, filters in the address, CSV,
//! and need-to-know (an entry about a record someone may not see is not in
//! their log).

use axum::http::StatusCode;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{PASSWORD, TestApp};

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_show_in_the_log_of_each_partnership_the_account_serves() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    app.add_member("chair@swindon.example", "swindon", &[Role::GroupChair]).await;
    let mut chair = app.browser();
    assert_eq!(chair.sign_in("chair@swindon.example", "not the password").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(chair.sign_in("chair@swindon.example", PASSWORD).await.status, StatusCode::SEE_OTHER);

    let mut bm = app.signed_in("bm@swindon.example").await;
    let chair_user: Uuid =
        sqlx::query_scalar("select id from app_user where email = 'chair@swindon.example'").fetch_one(&app.owner).await.unwrap();
    let log = bm.get(&format!("/p/swindon/audit?kind=account&person={chair_user}")).await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.contains("Sign in failed") && log.contains("Sign in<br>"), "{}", log.body);
    assert!(log.contains("2 changes."), "{}", log.body);

    // Another partnership's log has none of it.
    let mut other = app.signed_in("bm@warwickshire.example").await;
    let theirs = other.get("/p/warwickshire/audit?kind=account").await;
    assert!(!theirs.contains("Sign in failed"), "{}", theirs.body);
}

#[tokio::test]
async fn each_change_names_its_record_with_a_link_and_lists_what_it_changed() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let added = bm
        .post("/p/swindon/agencies/new", &[("name", "Swindon Youth Football League"), ("sector", "voluntary"), ("relevant_agency", "yes")])
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let id: Uuid =
        sqlx::query_scalar("select id from organisation where name = 'Swindon Youth Football League'").fetch_one(&app.owner).await.unwrap();
    let changed = bm
        .post(
            &format!("/p/swindon/agencies/{id}"),
            &[
                ("name", "Swindon Youth Football League"),
                ("sector", "voluntary"),
                ("relevant_agency", "yes"),
                ("contact_name", "Jo Welfare"),
                ("contact_email", "welfare@league.example"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);

    let log = bm.get("/p/swindon/audit?kind=organisation").await;
    assert!(
        log.contains(&format!("<a class=\"govuk-link\" href=\"/p/swindon/agencies/{id}\">Swindon Youth Football League</a>")),
        "{}",
        log.body
    );
    assert!(log.contains("<dt>Contact name</dt>"), "the changed field is named");
    assert!(log.contains("<ins class=\"hub-changes__after\">Jo Welfare</ins>"), "with its new value");
    assert!(log.contains("2 changes."), "{}", log.body);

    // What happened, as a filter, and the days it happened between.
    let updated = bm.get("/p/swindon/audit?action=organisation.updated").await;
    assert!(updated.contains("1 change.") && updated.contains("Organisation updated"), "{}", updated.body);
    assert!(updated.contains("<dt>Contact name</dt>") && !updated.contains("<dt>Sector</dt>"), "fields that did not change are left out");
    let today = partnership_hub::calendar::today();
    let tomorrow = today.succ_opt().unwrap();
    assert!(bm.get(&format!("/p/swindon/audit?kind=organisation&from={}", today.format("%d/%m/%Y"))).await.contains("2 changes."));
    assert!(bm.get(&format!("/p/swindon/audit?kind=organisation&from={tomorrow}")).await.contains("No changes match."));

    // A day that is not one is explained on the form, with what was typed kept.
    let wrong = bm.get("/p/swindon/audit?from=31/2/2026&kind=organisation").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("govuk-error-summary") && wrong.contains("Enter the first day as a real date"), "{}", wrong.body);
    assert!(wrong.contains("value=\"31/2/2026\""));

    // The download has the record, its address and the changes.
    let download = bm.get("/p/swindon/audit.csv?action=organisation.updated").await;
    let text = String::from_utf8(download.bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[2], "Organisation updated");
    assert_eq!(&row[4], "Swindon Youth Football League");
    assert_eq!(&row[5], format!("/p/swindon/agencies/{id}"));
    assert!(row[6].contains("Contact name: – → Jo Welfare"), "{:?}", &row[6]);
}

#[tokio::test]
async fn an_entry_about_a_confidential_record_is_not_in_the_log_of_someone_it_is_kept_from() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("scrutineer@swindon.example", "swindon", &[Role::IndependentScrutineer]).await;
    let pid = app.partnership_id("swindon").await;
    sqlx::query("update partnership set confidential_to_scrutineers = false where id = $1").bind(pid).execute(&app.owner).await.unwrap();
    let group: Uuid = sqlx::query_scalar("select id from partnership_group where partnership_id = $1 order by sort_order limit 1")
        .bind(pid)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let raiser: Uuid =
        sqlx::query_scalar("select id from app_user where email = 'bm@swindon.example'").fetch_one(&app.owner).await.unwrap();
    for (title, confidential) in [("Case review funding for child Q", true), ("Adopt the neglect strategy", false)] {
        let id = Uuid::new_v4();
        sqlx::query(
            "insert into decision (partnership_id, id, number, group_id, title, question, confidential, majority_vote, majority_of,
                                   reminder_working_days, closes_at, raised_by)
             values ($1, $2, (select coalesce(max(number), 0) + 1 from decision where partnership_id = $1), $3, $4, 'Agree?', $5, false,
                     'votes_cast', 2, now() + interval '5 days', $6)",
        )
        .bind(pid)
        .bind(id)
        .bind(group)
        .bind(title)
        .bind(confidential)
        .bind(raiser)
        .execute(&app.owner)
        .await
        .unwrap();
        sqlx::query(
            "insert into audit_log (partnership_id, actor_user_id, action, subject_type, subject_id, after)
             values ($1, $2, 'decision.raised', 'decision', $3, jsonb_build_object('title', $4::text))",
        )
        .bind(pid)
        .bind(raiser)
        .bind(id.to_string())
        .bind(title)
        .execute(&app.owner)
        .await
        .unwrap();
    }

    let mut bm = app.signed_in("bm@swindon.example").await;
    let all = bm.get("/p/swindon/audit?kind=decision").await;
    assert!(all.contains("Case review funding for child Q") && all.contains("2 changes."), "{}", all.body);

    let mut scrutineer = app.signed_in("scrutineer@swindon.example").await;
    let theirs = scrutineer.get("/p/swindon/audit?kind=decision").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(theirs.contains("Adopt the neglect strategy") && theirs.contains("1 change."), "{}", theirs.body);
    assert!(!theirs.contains("child Q"), "not in the page");
    let download = scrutineer.get("/p/swindon/audit.csv?kind=decision").await;
    assert!(!String::from_utf8_lossy(&download.bytes).contains("child Q"), "nor in the download");
}
