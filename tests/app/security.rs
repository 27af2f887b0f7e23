use axum::http::{Method, StatusCode};
use partnership_hub::roles::Role;

use crate::harness::TestApp;

/// Every route the application declares: the router's own table, so that a
/// new route is covered by these tests the moment it is added.
pub fn declared_routes() -> Vec<(Method, String)> {
    let routes: Vec<(Method, String)> =
        partnership_hub::router::route_table().into_iter().map(|(method, path)| (method, path.to_owned())).collect();
    assert!(routes.len() >= 15, "the route table has too few routes: {routes:?}");
    routes
}

/// Routes anyone may use without signing in.
// Signing out needs no sign-in: it ends whatever session there is.
// A calendar feed is read by calendar programs, which carry no session: its token is the key.
const PUBLIC: [&str; 7] = [
    "/login",
    "/logout",
    "/healthz",
    "/invitations/{token}",
    "/calendar/{token}",
    // The public decision register shows closed decisions that are not confidential (see tests/app/decisions.rs).
    "/public/{slug}/decisions",
    "/public/{slug}/decisions/{decision_id}",
];

#[tokio::test]
async fn no_route_but_the_public_ones_answers_without_a_session() {
    let app = TestApp::spawn().await;
    app.add_member("someone@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let ids = app.record_ids("swindon").await;
    for (method, pattern) in declared_routes() {
        if PUBLIC.contains(&pattern.as_str()) {
            continue;
        }
        let path = crate::paths::fill(&pattern, &ids);
        // A fresh visitor: a POST without a session is refused as a forgery.
        let mut stranger = app.browser();
        let page = stranger.request(method.clone(), &path, (method == Method::POST).then(String::new)).await;
        assert!(
            matches!(page.status, StatusCode::SEE_OTHER | StatusCode::FORBIDDEN | StatusCode::PERMANENT_REDIRECT),
            "{method} {path} answered {} without a session",
            page.status
        );
        if page.status == StatusCode::SEE_OTHER {
            assert!(page.location.as_deref().unwrap().starts_with("/login?next="), "{method} {path}");
        }
        // A visitor with a session and its form token, but not signed in.
        let mut visitor = app.browser();
        visitor.get("/login").await;
        let page = match method {
            Method::POST => visitor.post(&path, &[]).await,
            _ => visitor.get(&path).await,
        };
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{method} {path} must send a visitor to sign in");
        assert!(page.location.as_deref().unwrap().starts_with("/login?next="), "{method} {path}");
        assert!(!page.contains("Swindon"), "{method} {path} leaked partnership data");
    }
}

#[tokio::test]
async fn public_routes_answer_without_a_session() {
    let app = TestApp::spawn().await;
    let mut browser = app.browser();
    assert_eq!(browser.get("/login").await.status, StatusCode::OK);
    assert_eq!(browser.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(browser.get("/static/app.mjs").await.status, StatusCode::OK);
    assert_eq!(browser.get("/govuk/govuk-frontend.min.js").await.status, StatusCode::OK);
    assert_eq!(browser.get("/invitations/not-a-real-token").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forms_without_this_sessions_token_are_refused() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let fields = [("name", "Forged"), ("email", "forged@example.org"), ("roles", "viewer")];
    let missing = browser.post_raw("/p/swindon/people/new", &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.contains("This form has expired"));
    let mut wrong = vec![("csrf_token", "0000")];
    wrong.extend_from_slice(&fields);
    assert_eq!(browser.post_raw("/p/swindon/people/new", &wrong).await.status, StatusCode::FORBIDDEN);
    let count: i64 =
        sqlx::query_scalar("select count(*) from app_user where email = 'forged@example.org'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    let mut browser = app.browser();
    for path in ["/login", "/no-such-page", "/static/app.mjs", "/healthz"] {
        let page = browser.get(path).await;
        let header = |name: &str| page.headers.get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let csp = header("content-security-policy");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
    }
    let login = browser.get("/login").await;
    let cookie = login.headers.get("set-cookie").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let mut fresh = app.browser();
    let first = fresh.get("/login").await;
    let cookie = first.headers.get("set-cookie").map(|v| v.to_str().unwrap().to_owned()).unwrap_or(cookie);
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!first.body.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn unknown_addresses_get_a_proper_not_found_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    for path in [
        "/no-such-page",
        "/p/no-such-partnership/",
        "/p/swindon/people/not-a-uuid",
        "/p/swindon/people/00000000-0000-0000-0000-000000000000",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("Page not found"), "{path}");
        assert!(page.contains("govuk-template"), "{path} uses the site's layout");
    }
}

#[tokio::test]
async fn a_malformed_form_body_is_a_bad_request_page_not_a_crash() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/people/new").await;
    let page = browser.post("/p/swindon/people/new", &[("name", "A"), ("name", "B")]).await;
    assert!(page.status == StatusCode::BAD_REQUEST || page.status == StatusCode::UNPROCESSABLE_ENTITY, "{}", page.status);
    assert!(page.contains("govuk-template"));
}

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let app = TestApp::spawn().await;
    assert_eq!(app.browser().get("/healthz").await.status, StatusCode::OK);
    app.app_pool.close().await;
    assert_eq!(app.browser().get("/healthz").await.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn the_audit_log_cannot_be_altered_or_deleted_even_by_its_owner() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    app.signed_in("jo@swindon.example").await;
    let update = sqlx::query("update audit_log set action = 'nothing happened'").execute(&app.owner).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("delete from audit_log").execute(&app.owner).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let truncate = sqlx::query("truncate audit_log").execute(&app.owner).await;
    assert!(truncate.is_err());
    assert!(app.audit_actions().await.contains(&"sign_in".to_owned()));
}
