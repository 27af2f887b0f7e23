use axum::http::StatusCode;
use partnership_hub::roles::Role;

use crate::harness::{PASSWORD, TestApp};

#[tokio::test]
async fn a_member_signs_in_and_sees_their_partnership() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.browser();

    let response = browser.sign_in("jo@swindon.example", PASSWORD).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location.as_deref(), Some("/"));

    // With one partnership, the list of partnerships sends them straight to it.
    let choose = browser.get("/").await;
    assert_eq!(choose.status, StatusCode::SEE_OTHER);
    assert_eq!(choose.location.as_deref(), Some("/p/swindon/"));

    let home = browser.get("/p/swindon/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.contains("<h1 class=\"govuk-heading-l\">Swindon Safeguarding Partnership</h1>"));
    assert!(!home.contains("Warwickshire"));
    assert!(home.contains("Runs the partnership day to day"), "the business manager's role is explained");
    let needs = &home.body[home.body.find("What needs you now").expect("the home page opens with what needs them")..];
    assert!(needs.contains("Set up two-factor sign-in"), "they are asked to protect their own account");
    assert!(needs.contains("1 person signs in without a second factor"), "the business manager is told who signs in with a password alone");
    assert!(needs.contains("Nobody holds the role Independent scrutineer"), "roles nobody holds are listed");
    assert!(!needs.contains("Nobody holds the role Business manager"), "a role somebody holds is not");
    assert!(home.contains("Who's who") && home.contains("Person jo"), "the business manager is among the key people");
    assert!(app.audit_actions().await.contains(&"sign_in".to_owned()));
}

#[tokio::test]
async fn sign_in_returns_to_the_page_asked_for() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browser = app.browser();
    let refused = browser.get("/p/swindon/people").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(refused.location.as_deref(), Some("/login?next=%2Fp%2Fswindon%2Fpeople"));
    browser.get(refused.location.as_deref().unwrap()).await;
    let response = browser.post("/login", &[("email", "jo@swindon.example"), ("password", PASSWORD), ("next", "/p/swindon/people")]).await;
    assert_eq!(response.location.as_deref(), Some("/p/swindon/people"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_message() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browser = app.browser();

    let wrong = browser.sign_in("jo@swindon.example", "not the password").await;
    let unknown = browser.sign_in("nobody@swindon.example", "not the password").await;
    for page in [&wrong, &unknown] {
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("govuk-error-summary"));
        assert!(page.contains("Enter a correct email address and password"));
    }
    let failures: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'sign_in.failed' and partnership_id is null")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(failures, 2, "both failed sign-ins are in the audit log");
    // The one for a member's account is kept in their partnership's log too; the unknown one in none.
    let in_partnerships: Vec<String> = sqlx::query_scalar(
        "select p.slug from audit_log a join partnership p on p.id = a.partnership_id where a.action = 'sign_in.failed'",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(in_partnerships, ["swindon"]);
}

#[tokio::test]
async fn missing_and_malformed_sign_in_fields_are_explained() {
    let app = TestApp::spawn().await;
    let mut browser = app.browser();
    browser.get("/login").await;
    let empty = browser.post("/login", &[("email", ""), ("password", "")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Enter an email address"));
    assert!(empty.contains("Enter your password"));
    let malformed = browser.post("/login", &[("email", "not-an-email"), ("password", "x")]).await;
    assert!(malformed.contains("Enter an email address in the correct format"));
    let long = "a".repeat(300);
    let over_long = browser.post("/login", &[("email", &long), ("password", "x")]).await;
    assert_eq!(over_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(over_long.contains("254 characters or fewer"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browser = app.browser();
    for _ in 0..5 {
        let page = browser.sign_in("jo@swindon.example", "guess").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let locked = browser.sign_in("jo@swindon.example", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.contains("too many attempts"));

    // Someone else, from another address, is not affected.
    app.add_member("sam@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut other = app.browser();
    other.address = "198.51.100.9".parse().unwrap();
    assert_eq!(other.sign_in("sam@swindon.example", PASSWORD).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn many_failures_from_one_address_are_refused_whatever_the_account() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browser = app.browser();
    for n in 0..30 {
        browser.sign_in(&format!("guess{n}@swindon.example"), "guess").await;
    }
    let refused = browser.sign_in("jo@swindon.example", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browser = app.signed_in("jo@swindon.example").await;
    browser.get("/").await;
    let session = browser.session_cookie().expect("a signed-in session");
    let out = browser.post("/logout", &[]).await;
    assert_eq!(out.location.as_deref(), Some("/login?signed_out=yes"));
    assert_eq!(browser.session_cookie(), None, "the session cookie is removed");
    let login = browser.get(out.location.as_deref().unwrap()).await;
    assert!(login.contains("You have signed out"));
    assert_eq!(browser.get("/p/swindon/").await.status, StatusCode::SEE_OTHER);
    // The old session id is dead, and nothing is stored for the visitor left behind.
    let rows: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session").fetch_one(&app.owner).await.unwrap();
    assert_eq!(rows, 0);
    let mut replay = app.browser();
    replay.set_cookie("hub_session", &session);
    assert_eq!(replay.get("/p/swindon/").await.status, StatusCode::SEE_OTHER, "the old session id no longer signs anyone in");
    let actions = app.audit_actions().await;
    assert!(actions.ends_with(&["sign_in".to_owned(), "sign_out".to_owned()]), "{actions:?}");
}

#[tokio::test]
async fn a_person_changes_their_password_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut laptop = app.signed_in("jo@swindon.example").await;
    let mut phone = app.signed_in("jo@swindon.example").await;

    laptop.get("/account/password").await;
    let wrong = laptop
        .post(
            "/account/password",
            &[("current_password", "nope"), ("new_password", "a brand new passphrase"), ("confirm_password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("Your current password is not correct"));

    let mismatch = laptop
        .post(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "a brand new passphrase"), ("confirm_password", "something else")],
        )
        .await;
    assert!(mismatch.contains("The passwords do not match"));

    let short =
        laptop.post("/account/password", &[("current_password", PASSWORD), ("new_password", "short"), ("confirm_password", "short")]).await;
    assert!(short.contains("10 characters or more"));

    let changed = laptop
        .post(
            "/account/password",
            &[("current_password", PASSWORD), ("new_password", "a brand new passphrase"), ("confirm_password", "a brand new passphrase")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/p/swindon/").await.status, StatusCode::OK, "this session carries on");
    assert_eq!(phone.get("/p/swindon/").await.status, StatusCode::SEE_OTHER, "the other session has ended");

    let mut fresh = app.browser();
    assert_eq!(fresh.sign_in("jo@swindon.example", PASSWORD).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fresh.sign_in("jo@swindon.example", "a brand new passphrase").await.status, StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"password.changed".to_owned()));
}

#[tokio::test]
async fn a_person_in_two_partnerships_sees_both_and_acts_in_each() {
    let app = TestApp::spawn().await;
    app.add_member("scrutineer@example.org", "swindon", &[Role::IndependentScrutineer]).await;
    app.add_member("scrutineer@example.org", "warwickshire", &[Role::IndependentScrutineer, Role::GroupMember]).await;
    let mut browser = app.signed_in("scrutineer@example.org").await;

    let choose = browser.get("/").await;
    assert!(choose.contains("Swindon Safeguarding Partnership"));
    assert!(choose.contains("Warwickshire Safeguarding Children Partnership"));
    assert!(choose.contains("Group member, Independent scrutineer") || choose.contains("Independent scrutineer, Group member"));

    let swindon = browser.get("/p/swindon/").await;
    assert_eq!(swindon.status, StatusCode::OK);
    assert!(swindon.contains("Your other partnerships"));
    assert!(swindon.contains("/p/warwickshire/"));
    assert_eq!(browser.get("/p/warwickshire/").await.status, StatusCode::OK);
    assert_eq!(browser.get("/p/telford-wrekin/").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_invited_person_sets_a_password_once() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut manager = app.signed_in("bm@swindon.example").await;
    manager.get("/p/swindon/people/new").await;
    let added =
        manager.post("/p/swindon/people/new", &[("name", "Alex New"), ("email", "alex@swindon.example"), ("roles", "viewer")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let people = manager.get("/p/swindon/people").await;
    let start = people.body.find("/invitations/").expect("the flash gives the invitation link");
    let link: String = people.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '/').collect();

    let mut invitee = app.browser();
    let page = invitee.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("alex@swindon.example"));
    let short = invitee.post(&link, &[("new_password", "short"), ("confirm_password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = invitee.post(&link, &[("new_password", "alex's own passphrase"), ("confirm_password", "alex's own passphrase")]).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    assert_eq!(invitee.get("/p/swindon/").await.status, StatusCode::OK);

    // The link works once.
    let mut again = app.browser();
    assert_eq!(again.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.post(&link, &[("new_password", "someone else's try"), ("confirm_password", "someone else's try")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(again.sign_in("alex@swindon.example", "alex's own passphrase").await.status, StatusCode::SEE_OTHER);
}
