use axum::http::StatusCode;
use partnership_hub::roles::Role;

use crate::harness::TestApp;

#[tokio::test]
async fn a_platform_administrator_sees_every_partnership_and_adds_one() {
    let app = TestApp::spawn().await;
    app.make_platform_admin("admin@platform.example").await;
    let mut browser = app.signed_in("admin@platform.example").await;
    let choose = browser.get("/").await;
    assert!(choose.contains("/admin/partnerships"));
    let list = browser.get("/admin/partnerships").await;
    assert_eq!(list.status, StatusCode::OK);
    for name in [
        "Royal Borough of Windsor &#38; Maidenhead All-age Safeguarding Partnership",
        "Swindon Safeguarding Partnership",
        "Telford &#38; Wrekin Safeguarding Partnership",
        "Warwickshire Safeguarding Children Partnership",
    ] {
        assert!(list.contains(name), "{name}");
    }

    browser.get("/admin/partnerships/new").await;
    let added = browser
        .post(
            "/admin/partnerships/new",
            &[
                ("name", "Reading Safeguarding Partnership"),
                ("short_name", "Reading"),
                ("slug", "reading"),
                ("scope", "children"),
                ("manager_name", "Robin Manager"),
                ("manager_email", "robin@reading.example"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let list = browser.get("/admin/partnerships").await;
    assert!(list.contains("Reading Safeguarding Partnership"));
    assert!(list.contains("/invitations/"), "the new business manager's link is shown");
    let roles: Vec<String> = sqlx::query_scalar(
        "select r.role from membership_role r join membership m on m.id = r.membership_id
         join app_user u on u.id = m.user_id where u.email = 'robin@reading.example'",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(roles, ["business_manager"]);
    let actions = app.audit_actions().await;
    assert!(actions.contains(&"partnership.created".to_owned()));

    // The same web address again is a form error, not a crash.
    browser.get("/admin/partnerships/new").await;
    let again = browser
        .post(
            "/admin/partnerships/new",
            &[
                ("name", "Another"),
                ("short_name", "A"),
                ("slug", "reading"),
                ("scope", "adults"),
                ("manager_name", "X"),
                ("manager_email", "x@y.org"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.contains("A partnership already uses this web address name"));
    let bad = browser
        .post("/admin/partnerships/new", &[("name", ""), ("slug", "Not A Slug!"), ("scope", "everyone"), ("manager_email", "nope")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in
        ["Enter the partnership", "Web address name must be", "Select whom the arrangements cover", "Enter the person", "correct format"]
    {
        assert!(bad.contains(message), "{message}");
    }
}

#[tokio::test]
async fn a_platform_administrator_cannot_read_a_partnership_they_do_not_belong_to() {
    let app = TestApp::spawn().await;
    app.make_platform_admin("admin@platform.example").await;
    let mut browser = app.signed_in("admin@platform.example").await;
    assert_eq!(browser.get("/p/swindon/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(browser.get("/p/swindon/people").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn partnership_members_cannot_use_platform_administration() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    assert_eq!(browser.get("/admin/partnerships").await.status, StatusCode::FORBIDDEN);
    assert_eq!(browser.get("/admin/partnerships/new").await.status, StatusCode::FORBIDDEN);
    let post = browser.post("/admin/partnerships/new", &[("name", "X"), ("short_name", "X"), ("slug", "x"), ("scope", "children")]).await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
}
