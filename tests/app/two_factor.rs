//! Two-factor sign-in: setting it up, signing in with a code or a recovery
//! code, replay and rate limits, who must have it, and a business manager's reset.

use axum::http::StatusCode;
use partnership_hub::auth::two_factor::{code_at, current_code, decoded};
use partnership_hub::roles::Role;

use crate::harness::{Browser, PASSWORD, TestApp};

/// Set up two-factor sign-in as a signed-in person would; answers the secret and the recovery codes shown.
async fn set_up(browser: &mut Browser) -> (Vec<u8>, Vec<String>) {
    let page = browser.get("/account/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("<svg"), "the QR code is drawn on the page");
    let key = page.body.split("<code class=\"hub-break-words\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let secret = decoded(&key).expect("the manual key is the secret");
    let wrong = browser.post("/account/two-factor", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("Enter the 6-digit code"));
    let done = browser.post("/account/two-factor", &[("code", &current_code(&secret))]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let codes: Vec<String> = done.body.split("<li><code>").skip(1).map(|c| c.split('<').next().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    (secret, codes)
}

async fn password_step(app: &TestApp, email: &str) -> Browser {
    let mut browser = app.browser();
    let page = browser.sign_in(email, PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/login/code"), "the code comes after the password");
    browser.get("/login/code").await;
    browser
}

#[tokio::test]
async fn a_person_sets_up_two_factor_and_signs_in_with_a_code_or_a_recovery_code_once_each() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut jo = app.signed_in("jo@swindon.example").await;
    assert!(jo.get("/p/swindon/").await.contains("Set up two-factor sign-in"), "the home page asks for it");
    let (secret, codes) = set_up(&mut jo).await;
    assert!(!jo.get("/p/swindon/").await.contains("Set up two-factor sign-in"), "and asks no more once it is set up");
    let stored: Vec<String> = sqlx::query_scalar("select code_hash from recovery_code").fetch_all(&app.owner).await.unwrap();
    assert_eq!(stored.len(), 10);
    assert!(codes.iter().all(|c| !stored.contains(c) && !stored.iter().any(|s| s.contains(&c.replace('-', "")))), "stored hashed");
    assert!(app.audit_actions().await.contains(&"two_factor.enabled".to_owned()));

    // The password alone signs nobody in.
    let mut browser = password_step(&app, "jo@swindon.example").await;
    assert_eq!(browser.get("/p/swindon/").await.status, StatusCode::SEE_OTHER);
    browser.get("/login/code").await;
    let wrong = browser.post("/login/code", &[("code", "123456")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The setup used this time step's code; the app's next one (still within the allowed drift) signs in.
    let next_step = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 30;
    let code = code_at(&secret, next_step);
    let right = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    assert_eq!(browser.get("/p/swindon/").await.status, StatusCode::OK);

    // The same code cannot be used again, even within its thirty seconds.
    let mut replay = password_step(&app, "jo@swindon.example").await;
    assert_eq!(replay.post("/login/code", &[("code", &code)]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A recovery code works once, however it is typed.
    let typed = format!(" {} ", codes[0].to_uppercase());
    assert_eq!(replay.post("/login/code", &[("code", &typed)]).await.status, StatusCode::SEE_OTHER);
    let mut again = password_step(&app, "jo@swindon.example").await;
    assert_eq!(again.post("/login/code", &[("code", &codes[0])]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(again.post("/login/code", &[("code", &codes[1])]).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn wrong_codes_are_limited_like_wrong_passwords() {
    let app = TestApp::spawn().await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut jo = app.signed_in("jo@swindon.example").await;
    let (secret, _) = set_up(&mut jo).await;
    let mut browser = password_step(&app, "jo@swindon.example").await;
    for _ in 0..5 {
        assert_eq!(browser.post("/login/code", &[("code", "999999")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let next_step = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 30;
    let limited = browser.post("/login/code", &[("code", &code_at(&secret, next_step))]).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "even the right code waits once the limit is reached");
    assert!(limited.contains("too many attempts"));
}

#[tokio::test]
async fn business_managers_and_administrators_must_set_it_up_when_the_service_requires_it() {
    let app = TestApp::spawn_with(|config| config.two_factor_required = true).await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    for path in ["/", "/p/swindon/", "/p/swindon/people"] {
        assert_eq!(bm.get(path).await.location.as_deref(), Some("/account/two-factor"), "{path}");
    }
    let page = bm.get("/account/two-factor").await;
    assert!(page.contains("Your role needs two-factor sign-in"));
    set_up(&mut bm).await;
    assert_eq!(bm.get("/p/swindon/people").await.status, StatusCode::OK);

    // A viewer need not, until the partnership asks it of everyone.
    let mut jo = app.signed_in("jo@swindon.example").await;
    assert_eq!(jo.get("/p/swindon/").await.status, StatusCode::OK);
    bm.get("/p/swindon/people").await;
    assert_eq!(bm.post("/p/swindon/people/sign-in", &[("two_factor_required", "yes")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(jo.get("/p/swindon/").await.location.as_deref(), Some("/account/two-factor"));
    assert!(app.audit_actions().await.contains(&"partnership.sign_in_changed".to_owned()));
}

#[tokio::test]
async fn a_business_manager_resets_a_members_second_factor_and_the_member_is_told() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let jo_membership = app.add_member("jo@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut jo = app.signed_in("jo@swindon.example").await;
    set_up(&mut jo).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let page = bm.get(&format!("/p/swindon/people/{jo_membership}")).await;
    assert!(page.contains("Reset two-factor sign-in"));
    let reset = bm.post(&format!("/p/swindon/people/{jo_membership}/two-factor/reset"), &[]).await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"two_factor.reset".to_owned()));
    let told: i64 = sqlx::query_scalar("select count(*) from outbox where to_email = 'jo@swindon.example' and subject like '%two-factor%'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(told, 1);
    // Jo signs in with the password alone again, and may set it up anew.
    let mut browser = app.browser();
    assert_eq!(browser.sign_in("jo@swindon.example", PASSWORD).await.location.as_deref(), Some("/"));
    // Nobody else's business manager can reset it.
    let other = app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let _ = other;
    let mut intruder = app.signed_in("bm@warwickshire.example").await;
    intruder.get("/p/warwickshire/people").await;
    assert_eq!(intruder.post(&format!("/p/warwickshire/people/{jo_membership}/two-factor/reset"), &[]).await.status, StatusCode::NOT_FOUND);
}
