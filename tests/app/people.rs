use axum::http::StatusCode;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

async fn organisation(app: &TestApp, slug: &str, name: &str) -> String {
    let id: Uuid = sqlx::query_scalar(
        "select o.id from organisation o join partnership p on p.id = o.partnership_id where p.slug = $1 and o.name = $2",
    )
    .bind(slug)
    .bind(name)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    id.to_string()
}

#[tokio::test]
async fn a_business_manager_adds_a_delegated_partner_with_their_organisation() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let police = organisation(&app, "swindon", "Wiltshire Police").await;
    let mut browser = app.signed_in("bm@swindon.example").await;

    let form = browser.get("/p/swindon/people/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("Wiltshire Police"));
    assert!(!form.contains("Warwickshire Police"), "only this partnership's organisations are offered");

    let added = browser
        .post(
            "/p/swindon/people/new",
            &[
                ("name", "Deborah Smith"),
                ("email", "Deborah.Smith@Wiltshire.police.example"),
                ("organisation_id", &police),
                ("job_title", "Detective Superintendent, Head of Public Protection"),
                ("roles", "delegated_safeguarding_partner"),
                ("roles", "group_chair"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let people = browser.get("/p/swindon/people").await;
    assert!(people.contains("Deborah Smith"));
    assert!(people.contains("deborah.smith@wiltshire.police.example"));
    assert!(people.contains("Delegated safeguarding partner, Group chair"));
    assert!(people.contains("Invited"));

    let audit: serde_json::Value =
        sqlx::query_scalar("select after from audit_log where action = 'person.added'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(audit["email"], "deborah.smith@wiltshire.police.example");
    assert_eq!(audit["roles"], serde_json::json!(["delegated_safeguarding_partner", "group_chair"]));
}

#[tokio::test]
async fn bad_input_on_the_person_form_is_explained_not_an_error_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/people/new").await;
    let long_name = "N".repeat(121);
    let warwickshire_org = organisation(&app, "warwickshire", "Warwickshire Police").await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", ""), ("email", "a@b.org"), ("roles", "viewer")], "Enter the person&#39;s full name"),
        (vec![("name", &long_name), ("email", "a@b.org"), ("roles", "viewer")], "120 characters or fewer"),
        (vec![("name", "Al"), ("email", "not an email"), ("roles", "viewer")], "Enter an email address in the correct format"),
        (vec![("name", "Al"), ("email", "a@b.org")], "Select at least one role"),
        (vec![("name", "Al"), ("email", "a@b.org"), ("roles", "emperor")], "Select roles from the list"),
        (
            vec![("name", "Al"), ("email", "a@b.org"), ("roles", "viewer"), ("organisation_id", "nonsense")],
            "Select an organisation from the list",
        ),
        (
            vec![("name", "Al"), ("email", "a@b.org"), ("roles", "viewer"), ("organisation_id", &warwickshire_org)],
            "Select an organisation from the list",
        ),
    ];
    for (fields, message) in cases {
        let page = browser.post("/p/swindon/people/new", &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(page.contains("There is a problem"), "{fields:?}");
        assert!(page.contains(message), "{fields:?} should say {message:?}");
    }
    let count: i64 = sqlx::query_scalar("select count(*) from app_user where email = 'a@b.org'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 0, "nothing was written");
}

#[tokio::test]
async fn submitting_the_same_person_twice_adds_them_once() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/people/new").await;
    let fields = [("name", "Pat Twice"), ("email", "pat@swindon.example"), ("roles", "viewer")];
    assert_eq!(browser.post("/p/swindon/people/new", &fields).await.status, StatusCode::SEE_OTHER);
    let second = browser.post("/p/swindon/people/new", &fields).await;
    assert_eq!(second.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(second.contains("is already a member of this partnership"));
    let memberships: i64 =
        sqlx::query_scalar("select count(*) from membership m join app_user u on u.id = m.user_id where u.email = 'pat@swindon.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(memberships, 1);
}

#[tokio::test]
async fn a_business_manager_changes_roles_and_the_audit_log_keeps_before_and_after() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let member = app.add_member("chair@swindon.example", "swindon", &[Role::GroupMember]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let path = format!("/p/swindon/people/{member}");
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    let saved = browser.post(&path, &[("roles", "group_chair"), ("job_title", "Chair, Practice Review Group")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'person.updated'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["roles"], serde_json::json!(["group_member"]));
    assert_eq!(after["roles"], serde_json::json!(["group_chair"]));
    assert_eq!(after["job_title"], "Chair, Practice Review Group");
}

#[tokio::test]
async fn the_last_business_manager_cannot_be_removed_or_demoted() {
    let app = TestApp::spawn().await;
    let me = app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let path = format!("/p/swindon/people/{me}");
    browser.get(&path).await;
    let demoted = browser.post(&path, &[("roles", "viewer")]).await;
    assert_eq!(demoted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(demoted.contains("at least one business manager"));
    let removed = browser.post(&format!("{path}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(browser.get("/p/swindon/people").await.status, StatusCode::OK, "still a business manager");
}

#[tokio::test]
async fn removing_a_person_ends_their_access_and_is_audited() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let leaver = app.add_member("leaver@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut theirs = app.signed_in("leaver@swindon.example").await;
    assert_eq!(theirs.get("/p/swindon/").await.status, StatusCode::OK);

    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/people").await;
    let removed = browser.post(&format!("/p/swindon/people/{leaver}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(theirs.get("/p/swindon/").await.status, StatusCode::NOT_FOUND);
    let before: serde_json::Value =
        sqlx::query_scalar("select before from audit_log where action = 'person.removed'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["email"], "leaver@swindon.example");
}

#[tokio::test]
async fn only_business_managers_manage_people() {
    let app = TestApp::spawn().await;
    let someone = app.add_member("someone@swindon.example", "swindon", &[Role::GroupMember]).await;
    for role in Role::ALL.into_iter().filter(|r| *r != Role::BusinessManager) {
        let email = format!("{}@swindon.example", role.slug());
        app.add_member(&email, "swindon", &[role]).await;
        let mut browser = app.signed_in(&email).await;
        let people = browser.get("/p/swindon/people").await;
        assert_eq!(people.status, StatusCode::OK, "{role:?} may see who is in the partnership");
        assert!(!people.contains("Add a person"), "{role:?}");
        assert_eq!(browser.get("/p/swindon/people/new").await.status, StatusCode::FORBIDDEN, "{role:?}");
        let post = browser.post("/p/swindon/people/new", &[("name", "X"), ("email", "x@y.org"), ("roles", "viewer")]).await;
        assert_eq!(post.status, StatusCode::FORBIDDEN, "{role:?}");
        assert_eq!(browser.post(&format!("/p/swindon/people/{someone}/remove"), &[]).await.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn removing_a_deputy_appointee_and_report_author_ends_what_they_held_and_keeps_what_they_wrote() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let leaving = app.add_member("leaving@swindon.example", "swindon", &[Role::Deputy, Role::IndependentScrutineer]).await;
    let pid = app.partnership_id("swindon").await;
    let run = |sql: &'static str| {
        let pool = app.owner.clone();
        async move { sqlx::query(sql).bind(pid).bind(leaving).execute(&pool).await.unwrap() }
    };
    // A deputy nomination, a scrutiny appointment and a report they wrote.
    run("insert into decision_deputy (partnership_id, id, organisation_id, membership_id, starts_on, nominated_by)
         select $1, gen_random_uuid(), o.id, $2, current_date, (select user_id from membership where id = $2)
         from organisation o where o.partnership_id = $1 and o.is_statutory_partner limit 1")
    .await;
    run("insert into scrutiny_appointment (partnership_id, id, kind, name, membership_id, starts_on)
         values ($1, gen_random_uuid(), 'independent_scrutineer', 'Leaving Scrutineer', $2, date '2024-04-01')")
    .await;
    run("insert into scrutiny_report (partnership_id, id, author_membership_id, financial_year, quarter, title)
         values ($1, gen_random_uuid(), $2, 2026, 1, 'Front door findings')")
    .await;

    let mut bm = app.signed_in("bm@swindon.example").await;
    bm.get(&format!("/p/swindon/people/{leaving}")).await;
    let removed = bm.post(&format!("/p/swindon/people/{leaving}/remove"), &[]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(!bm.get("/p/swindon/people").await.contains("leaving@swindon.example"));

    let (nominations, appointments, reports): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from decision_deputy where membership_id = $1 and revoked_at is null),
                (select count(*) from scrutiny_appointment where membership_id = $1 and (ends_on is null or ends_on > current_date)),
                (select count(*) from scrutiny_report where author_membership_id = $1)",
    )
    .bind(leaving)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((nominations, appointments, reports), (0, 0, 1), "nominations and appointments end; the report keeps its author");
    // They no longer get in, and the removal is in the audit log with what it ended.
    let mut gone = app.browser();
    gone.sign_in("leaving@swindon.example", crate::harness::PASSWORD).await;
    assert_eq!(gone.get("/p/swindon/").await.status, StatusCode::NOT_FOUND);
    let after: serde_json::Value =
        sqlx::query_scalar("select after from audit_log where action = 'person.removed'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(after["deputy_nominations_revoked"], 1);
    assert_eq!(after["scrutiny_appointments_ended"], 1);

    // Added again later, they come back on the same membership.
    bm.get("/p/swindon/people/new").await;
    let again =
        bm.post("/p/swindon/people/new", &[("name", "Leaving Person"), ("email", "leaving@swindon.example"), ("roles", "viewer")]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

#[tokio::test]
async fn an_existing_account_is_invited_and_joins_only_when_the_person_accepts() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    // Someone who already signs in for Warwickshire, under their own name.
    app.add_member("sam@warwickshire.example", "warwickshire", &[Role::Viewer]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    bm.get("/p/swindon/people/new").await;
    let added = bm.post("/p/swindon/people/new", &[("name", "S. Jones"), ("email", "sam@warwickshire.example"), ("roles", "viewer")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let people = bm.get("/p/swindon/people").await;
    assert!(people.contains("S. Jones"), "known by the name Swindon gave");
    assert!(!people.contains("Person sam"), "the account's own name is not shown before they accept");

    // Not a member yet: Swindon's pages are closed to them.
    let mut sam = app.signed_in("sam@warwickshire.example").await;
    assert_eq!(sam.get("/p/swindon/").await.status, StatusCode::NOT_FOUND);
    // The mail carries the link; the link cannot set the password of an account that has one.
    let body: String =
        sqlx::query_scalar("select body from outbox where to_email = 'sam@warwickshire.example'").fetch_one(&app.owner).await.unwrap();
    let link = body.split_whitespace().find(|w| w.contains("/invitations/")).unwrap();
    let path = &link[link.find("/invitations/").unwrap()..];
    let mut stranger = app.browser();
    stranger.get("/login").await;
    let reset = stranger.post(path, &[("new_password", "a whole new password"), ("confirm_password", "a whole new password")]).await;
    assert_eq!(reset.status, StatusCode::NOT_FOUND, "an invitation to join never sets a password");
    assert_eq!(stranger.get(path).await.location.as_deref(), Some(format!("{path}/join").as_str()));
    // Someone else signed in cannot accept it.
    let mut bm_accepts = app.signed_in("bm@swindon.example").await;
    assert_eq!(bm_accepts.get(&format!("{path}/join")).await.status, StatusCode::NOT_FOUND);

    let page = sam.get(&format!("{path}/join")).await;
    assert!(page.contains("Join Swindon"), "{}", page.body);
    let joined = sam.post(&format!("{path}/join"), &[]).await;
    assert_eq!(joined.location.as_deref(), Some("/p/swindon/"));
    assert_eq!(sam.get("/p/swindon/").await.status, StatusCode::OK);
    assert!(app.audit_actions().await.contains(&"invitation.accepted".to_owned()));
    // Joined, they are known by their account's own name; renamed, by the new one, in every partnership.
    let own: String = sqlx::query_scalar("select display_name from app_user where email = 'sam@warwickshire.example'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let people = bm.get("/p/swindon/people").await;
    assert!(people.contains(&own) && !people.contains("S. Jones"), "{}", people.body);
    sqlx::query("update app_user set display_name = 'Samantha Jones' where email = 'sam@warwickshire.example'")
        .execute(&app.owner)
        .await
        .unwrap();
    assert!(bm.get("/p/swindon/people").await.contains("Samantha Jones"));
    let names: Vec<String> = sqlx::query_scalar(
        "select m.known_as from membership m join app_user u on u.id = m.user_id where u.email = 'sam@warwickshire.example'",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(names, ["Samantha Jones", "Samantha Jones"]);
}

#[tokio::test]
async fn the_people_list_shows_a_hundred_by_name_says_how_many_and_offers_more() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let swindon = app.partnership_id("swindon").await;
    // 240 more people, named so that their order is known, and one removed who is never listed or counted.
    sqlx::query(
        "with added as (
             insert into app_user (id, email, display_name)
             select gen_random_uuid(), 'person' || n || '@swindon.example', 'Zz Person ' || lpad(n::text, 3, '0')
             from generate_series(1, 240) n returning id)
         insert into membership (partnership_id, id, user_id) select $1, gen_random_uuid(), id from added",
    )
    .bind(swindon)
    .execute(&app.owner)
    .await
    .unwrap();
    let gone = app.add_member("gone@swindon.example", "swindon", &[Role::GroupMember]).await;
    sqlx::query("update membership set removed_at = now() where id = $1").bind(gone).execute(&app.owner).await.unwrap();
    let total: i64 = sqlx::query_scalar("select count(*) from membership where partnership_id = $1 and removed_at is null")
        .bind(swindon)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert!(total > 240);
    let mut bm = app.signed_in("bm@swindon.example").await;

    let first = bm.get("/p/swindon/people").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.contains(&format!("Showing 1 to 50 of {total} people.")), "{}", first.body);
    assert!(first.contains("/p/swindon/people?sort=name&#38;order=asc&#38;page=2"));
    assert!(!first.contains("Zz Person 240") && !first.contains("gone@swindon.example"));

    // The last page of the largest size ends with the last by name, and links to no next page.
    let last_page = (total + 199) / 200;
    let last = bm.get(&format!("/p/swindon/people?size=200&page={last_page}")).await;
    assert!(last.contains("Zz Person 240") && last.contains(&format!("to {total} of {total} people.")), "{}", last.body);
    assert!(!last.contains("rel=\"next\"") && !last.contains("gone@swindon.example"));

    // Searched, filtered by role and by how they sign in, and downloaded.
    let searched = bm.get("/p/swindon/people?q=zz+person+23").await;
    assert!(
        searched.contains("Zz Person 230") && searched.contains("Zz Person 239") && searched.contains("10 people."),
        "{}",
        searched.body
    );
    let managers = bm.get("/p/swindon/people?role=business_manager").await;
    assert!(managers.contains("bm@swindon.example") && !managers.contains("Zz Person"));
    let invited = bm.get("/p/swindon/people?sign_in=invited&q=zz").await;
    assert!(invited.contains("240 people."), "people with no password are invited, not signed in: {}", invited.body);
    let download = bm.get("/p/swindon/people.csv?role=business_manager").await;
    let text = String::from_utf8(download.bytes[3..].to_vec()).unwrap();
    assert!(text.starts_with("Name,Email,Organisation,Job title,Roles,"), "{text}");
    assert!(text.contains("bm@swindon.example") && !text.contains("Zz Person"));
}
