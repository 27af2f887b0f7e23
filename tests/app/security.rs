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
const PUBLIC: [&str; 16] = [
    // The footer's pages: the accessibility statement, the privacy notice and the cookies.
    "/accessibility",
    "/privacy",
    "/cookies",
    "/login",
    // The second step of signing in: it answers only a session that gave the right password.
    "/login/code",
    "/logout",
    "/healthz",
    "/invitations/{token}",
    "/calendar/{token}",
    // A training session's link for its participants: the key is the way in (see tests/app/training.rs).
    "/training/{token}",
    "/training/{token}/attendance",
    "/training/{token}/evaluation",
    "/training/{token}/follow-up",
    // The public decision register shows closed decisions that are not confidential (see tests/app/decisions.rs).
    "/public/{slug}/decisions",
    "/public/{slug}/decisions/{decision_id}",
    // Published reviews: the pseudonym, the date and the learning (see tests/app/reviews.rs).
    "/public/{slug}/reviews",
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
    // The footer's pages, linked from every page, signed in or not.
    let login = browser.get("/login").await;
    for (path, heading) in
        [("/accessibility", "Accessibility statement for Partnership Hub"), ("/privacy", "Privacy notice"), ("/cookies", "Cookies")]
    {
        assert!(login.contains(&format!("href=\"{path}\"")), "the footer links {path}");
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.contains(&format!("<h1 class=\"govuk-heading-l\">{heading}</h1>")), "{path}");
    }
    assert!(browser.get("/cookies").await.contains("hub_session"), "the cookies page names the cookies we set");
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

#[tokio::test]
async fn anonymous_visitors_store_no_session_however_many_they_are() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let sessions =
        || async { sqlx::query_scalar::<_, i64>("select count(*) from tower_sessions.session").fetch_one(&app.owner).await.unwrap() };
    for n in 0..200 {
        let mut visitor = app.browser();
        assert_eq!(visitor.get("/login").await.status, StatusCode::OK);
        if n % 20 == 0 {
            visitor.get("/invitations/not-a-real-token").await;
            visitor.get("/public/swindon/decisions").await;
            // A wrong password is a visit too.
            visitor.post("/login", &[("email", "nobody@example.org"), ("password", "wrong"), ("next", "/")]).await;
        }
    }
    assert_eq!(sessions().await, 0, "a flood of anonymous visits stores nothing");
    // The sign-in form still works, and signing in is what stores a session.
    app.signed_in("jo@swindon.example").await;
    assert_eq!(sessions().await, 1);
}

#[tokio::test]
async fn a_form_token_seen_before_signing_in_is_refused_after_it() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.browser();
    let login = browser.get("/login").await;
    let before = login.body.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed_in = browser.post("/login", &[("email", "bm@swindon.example"), ("password", crate::harness::PASSWORD), ("next", "/")]).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    browser.use_token(&before);
    let forged = browser.post("/p/swindon/people/new", &[("name", "Planted"), ("email", "planted@example.org"), ("roles", "viewer")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "the visitor's token does not survive signing in");
    let page = browser.get("/p/swindon/people/new").await;
    assert!(!page.contains(&before), "the signed-in session has a token of its own");
}

#[tokio::test]
async fn next_cannot_leave_the_site_or_break_the_redirect() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    for next in ["/\t/evil.example", "/ /evil.example", "/\\evil.example", "/p/\r\nSet-Cookie: a=b", "/p/\0"] {
        let mut browser = app.browser();
        browser.get("/login").await;
        let page = browser.post("/login", &[("email", "jo@swindon.example"), ("password", crate::harness::PASSWORD), ("next", next)]).await;
        assert!(page.status.is_client_error() || page.location.as_deref() == Some("/"), "{next:?}: {} {:?}", page.status, page.location);
        assert!(page.status.is_client_error() || page.status == StatusCode::SEE_OTHER, "{next:?}");
        if page.status.is_client_error() {
            assert!(page.contains("govuk-template"), "{next:?} is refused with the product's page");
        }
    }
    // The sign-in page drops such a `next` too.
    let page = app.browser().get("/login?next=/%09/evil.example").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.contains("evil.example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_five_simultaneous_wrong_passwords_get_at_most_five_checks() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut browsers = Vec::new();
    for _ in 0..25 {
        let mut browser = app.browser();
        browser.get("/login").await;
        browsers.push(browser);
    }
    let mut guesses = tokio::task::JoinSet::new();
    for mut browser in browsers {
        guesses.spawn(async move {
            browser.post("/login", &[("email", "jo@swindon.example"), ("password", "guess"), ("next", "/")]).await.status
        });
    }
    let statuses = guesses.join_all().await;
    let checked = app.audit_actions().await.iter().filter(|a| *a == "sign_in.failed").count();
    assert!(checked <= 5, "{checked} passwords were checked");
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 25 - checked, "{statuses:?}");
}

#[tokio::test]
async fn control_characters_and_odd_addresses_get_the_products_pages_not_500s() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut visitor = app.browser();
    for path in ["/public/%00/decisions", "/public/swindon%0A/decisions", "/login/%FF"] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("govuk-template"), "{path}");
    }
    let mut bm = app.signed_in("bm@swindon.example").await;
    for path in ["/p/%00/", "/p/swindon/people/%00", "/p/swindon/meetings/%0D%0A"] {
        let page = bm.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("govuk-template"), "{path}");
    }
    // A repeated query parameter, and a NUL in one.
    for path in ["/p/swindon/agencies?overdue=a&overdue=b", "/login?next=/a&next=/b", "/p/swindon/agencies?overdue=%00"] {
        let page = bm.get(path).await;
        assert!(page.status.is_success() || page.status == StatusCode::BAD_REQUEST, "{path}: {}", page.status);
        assert!(page.contains("govuk-template"), "{path} answers with the product's page");
    }
    // A NUL byte in a free-text field, and a line break in a single-line one.
    bm.get("/p/swindon/groups/new").await;
    let page = bm.post("/p/swindon/groups/new", &[("name", "Child\0H group"), ("purpose", "x")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.contains("govuk-template"));
    bm.get("/p/swindon/groups/new").await;
    let page = bm.post("/p/swindon/groups/new", &[("name", "Two\r\nlines")]).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must be on one line"));
}

#[tokio::test]
async fn signed_in_pages_are_never_stored_by_the_browser() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    for path in ["/", "/p/swindon/", "/p/swindon/people", "/p/swindon/decisions", "/no-such-page"] {
        let page = bm.get(path).await;
        assert_eq!(page.headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
}
