//! The risk register: risks recorded and scored, the heat map's counts, every
//! review kept with its score, the trend, mitigating actions through the
//! actions owner, closing that keeps a risk, and the risks due for review on
//! their owner's and the business manager's home pages.

use axum::http::StatusCode;
use chrono::{Datelike, Days, NaiveDate};
use partnership_hub::calendar::today;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, Page, TestApp};

struct Setup {
    app: TestApp,
    owner: Uuid,
    group: Uuid,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    app.add_member("member@swindon.example", "swindon", &[Role::GroupMember]).await;
    let group = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    Setup { app, owner, group }
}

fn date_fields(prefix: &str, day: NaiveDate) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}_day"), day.day().to_string()),
        (format!("{prefix}_month"), day.month().to_string()),
        (format!("{prefix}_year"), day.year().to_string()),
    ]
}

async fn post(browser: &mut Browser, path: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

/// A risk's form: its scores before the controls, now and as a target, reviewed in a month.
fn risk_form(title: &str, owner: Uuid, group: Uuid, before: (i16, i16), now: (i16, i16), target: (i16, i16)) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("title", title.to_owned()),
        ("cause", "Workforce pressures".to_owned()),
        ("effect", "Practitioners miss the learning".to_owned()),
        ("category", "workforce".to_owned()),
        ("owner", owner.to_string()),
        ("group", group.to_string()),
        ("inherent_likelihood", before.0.to_string()),
        ("inherent_impact", before.1.to_string()),
        ("likelihood", now.0.to_string()),
        ("impact", now.1.to_string()),
        ("target_likelihood", target.0.to_string()),
        ("target_impact", target.1.to_string()),
        ("controls", "Quarterly report to the executive".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    fields.extend(date_fields("review", today() + Days::new(30)));
    fields
}

/// Record a risk through the form; its page's address.
async fn record(browser: &mut Browser, fields: &[(String, String)]) -> String {
    let page = post(browser, "/p/swindon/risks/new", fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location.unwrap()
}

fn review_form(likelihood: i16, impact: i16, note: &str, next: NaiveDate) -> Vec<(String, String)> {
    let mut fields = vec![
        ("likelihood".to_owned(), likelihood.to_string()),
        ("impact".to_owned(), impact.to_string()),
        ("note".to_owned(), note.to_owned()),
    ];
    fields.extend(date_fields("next_review", next));
    fields
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.owner).await.unwrap()
}

#[tokio::test]
async fn a_risk_is_recorded_scored_and_mapped() {
    let Setup { app, owner, group } = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let empty = bm.get("/p/swindon/risks").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.contains("No open risks") && empty.contains("No open risks</desc>"), "{}", empty.body);

    // Bad input comes back on the form, as typed, with the GOV.UK error summary.
    let mut wrong = risk_form("", owner, group, (4, 4), (3, 4), (2, 3));
    wrong.retain(|(k, _)| k != "likelihood");
    wrong.push(("likelihood".into(), "9".into()));
    let page = post(&mut bm, "/p/swindon/risks/new", &wrong).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("govuk-error-summary") && page.contains("Enter the risk&#39;s title"), "{}", page.body);
    assert!(page.contains("Select the likelihood now, with the controls"));
    assert!(page.contains("Workforce pressures"), "the cause typed is kept");
    let above = post(&mut bm, "/p/swindon/risks/new", &risk_form("Target above", owner, group, (2, 2), (2, 2), (3, 3))).await;
    assert_eq!(above.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(above.contains("The target score must not be above the score before the controls"));
    assert_eq!(count(&app, "select count(*) from risk").await, 0);

    // Three risks; the first sent twice is recorded once.
    let training = risk_form("Agencies do not release staff for training", owner, group, (4, 4), (3, 4), (2, 3));
    let first = record(&mut bm, &training).await;
    assert_eq!(record(&mut bm, &training).await, first, "a double submit leads to the risk already recorded");
    record(&mut bm, &risk_form("Rapid reviews miss the deadline", owner, group, (5, 5), (5, 5), (2, 5))).await;
    record(&mut bm, &risk_form("Newsletter goes out late", owner, group, (2, 2), (1, 2), (1, 1))).await;
    assert_eq!(count(&app, "select count(*) from risk").await, 3);
    assert_eq!(count(&app, "select count(*) from risk_review").await, 3, "each risk's recording is its first review");
    assert_eq!(count(&app, "select max(number)::bigint from risk").await, 3);

    let register = bm.get("/p/swindon/risks").await;
    assert_eq!(register.status, StatusCode::OK);
    let at = |text: &str| register.body.find(text).unwrap_or_else(|| panic!("{text} missing"));
    assert!(at("Rapid reviews miss the deadline") < at("Agencies do not release staff"), "highest score first");
    assert!(at("Agencies do not release staff") < at("Newsletter goes out late"));
    assert!(register.contains("25 Very high") && register.contains("12 High") && register.contains("2 Low"));
    // The heat map and its table hold the same counts.
    assert!(register.contains("likelihood 5, impact 5: 1; likelihood 3, impact 4: 1; likelihood 1, impact 2: 1"), "{}", register.body);
    assert!(register.contains("3 open risks"));

    let page = bm.get(&first).await;
    assert!(
        page.contains("12 High") && page.contains("12: possible × major") && page.contains("16 Very high") && page.contains("6 Medium")
    );
    assert!(page.contains("New"), "no review yet but its recording");
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "risk.recorded").count(), 3);

    // Everyone in the partnership reads the register; only the business unit records risks.
    let mut member = app.signed_in("member@swindon.example").await;
    assert_eq!(member.get("/p/swindon/risks").await.status, StatusCode::OK);
    assert_eq!(member.get(&first).await.status, StatusCode::OK);
    assert_eq!(member.get("/p/swindon/risks/new").await.status, StatusCode::FORBIDDEN);
    let refused = post(&mut member, "/p/swindon/risks/new", &risk_form("Mine", owner, group, (3, 3), (3, 3), (1, 1))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!member.get(&first).await.contains("Record the review"), "a member who does not own it does not review it");
}

#[tokio::test]
async fn reviews_keep_the_history_and_move_the_trend() {
    let Setup { app, owner, group } = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let risk = record(&mut bm, &risk_form("Information is not shared in time", owner, group, (4, 5), (3, 4), (2, 4))).await;
    let reviews = format!("{risk}/reviews");

    // The owner reviews it: the score falls.
    let mut owner_browser = app.signed_in("owner@swindon.example").await;
    assert!(owner_browser.get(&risk).await.contains("Record the review"));
    let past = post(&mut owner_browser, &reviews, &review_form(2, 4, "Front door protocol agreed", today())).await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.contains("Next review date must be in the future") && past.contains("Front door protocol agreed"));
    let next = today() + Days::new(90);
    let fell = post(&mut owner_browser, &reviews, &review_form(2, 4, "Front door protocol agreed", next)).await;
    assert_eq!(fell.status, StatusCode::SEE_OTHER, "{}", fell.body);
    let page = owner_browser.get(&risk).await;
    assert!(page.contains("RR1 reviewed: score 8 (falling)") && page.contains("Falling"), "{}", page.body);
    // The same review sent twice is kept once.
    post(&mut owner_browser, &reviews, &review_form(2, 4, "Front door protocol agreed", next)).await;
    assert!(owner_browser.get(&risk).await.contains("That review was already recorded"));
    assert_eq!(count(&app, "select count(*) from risk_review").await, 2);
    assert_eq!(count(&app, "select (likelihood * impact)::bigint from risk").await, 8);
    assert_eq!(sqlx::query_scalar::<_, NaiveDate>("select review_on from risk").fetch_one(&app.owner).await.unwrap(), next);

    // The business manager finds it rising at the next.
    let rose = post(&mut bm, &reviews, &review_form(4, 4, "Two systems failed over the summer", next)).await;
    assert_eq!(rose.status, StatusCode::SEE_OTHER);
    let page = bm.get(&risk).await;
    assert!(page.contains("Rising") && page.contains("16 Very high"));
    // The history holds every review, oldest first, in the chart and its table.
    let history = &page.body[page.body.find("id=\"history\"").unwrap()..];
    let (a, b, c) = (
        history.find("Recorded on the register").unwrap(),
        history.find("Front door protocol agreed").unwrap(),
        history.find("Two systems failed").unwrap(),
    );
    assert!(a < b && b < c);
    assert!(page.contains("Score at each review: "), "the chart describes itself");
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "risk.reviewed").count(), 2);

    // Someone else may not review it; the history cannot be changed by the application.
    let mut member = app.signed_in("member@swindon.example").await;
    assert_eq!(post(&mut member, &reviews, &review_form(1, 1, "All fine", next)).await.status, StatusCode::FORBIDDEN);
    assert!(sqlx::query("update risk_review set note = 'rewritten'").execute(&app.app_pool).await.is_err());
    assert!(sqlx::query("delete from risk_review").execute(&app.app_pool).await.is_err());
    assert_eq!(count(&app, "select count(*) from risk_review").await, 3);
}

#[tokio::test]
async fn mitigating_actions_go_through_the_actions_owner() {
    let Setup { app, owner, group } = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let risk = record(&mut bm, &risk_form("The pooled budget falls short", owner, group, (3, 4), (3, 4), (2, 3))).await;
    let mut owner_browser = app.signed_in("owner@swindon.example").await;
    let mut action = vec![
        ("action_description".to_owned(), "Agree next year's contributions by January".to_owned()),
        ("action_owner".to_owned(), owner.to_string()),
    ];
    action.extend(date_fields("action_due", today() + Days::new(45)));
    let missing = post(&mut owner_browser, &format!("{risk}/actions"), &action[..1]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.contains("Choose who owns the action") && missing.contains("Agree next year"));
    for _ in 0..2 {
        assert_eq!(post(&mut owner_browser, &format!("{risk}/actions"), &action).await.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(count(&app, "select count(*) from action_point where risk_id is not null").await, 1, "a double submit sets one");
    assert!(owner_browser.get(&risk).await.contains("Agree next year&#39;s contributions by January"));
    assert!(owner_browser.get("/p/swindon/actions").await.contains("Agree next year&#39;s contributions"), "and it is on the tracker");
    assert!(app.audit_actions().await.contains(&"action.set".to_owned()));
    let mut member = app.signed_in("member@swindon.example").await;
    assert_eq!(post(&mut member, &format!("{risk}/actions"), &action).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_closed_risk_is_kept() {
    let Setup { app, owner, group } = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let risk = record(&mut bm, &risk_form("The scrutineer post falls vacant", owner, group, (3, 4), (1, 4), (1, 4))).await;
    let close = format!("{risk}/close");
    let without = post(&mut bm, &close, &[("closed_reason".into(), " ".into())]).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without.contains("Enter the reason for closing the risk"));
    let reason = vec![("closed_reason".to_owned(), "A new scrutineer was appointed for three years".to_owned())];
    assert_eq!(post(&mut bm, &close, &reason).await.status, StatusCode::SEE_OTHER);
    let again = post(&mut bm, &close, &reason).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "closing twice does no harm");
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "risk.closed").count(), 1);

    let open = bm.get("/p/swindon/risks").await;
    assert!(!open.contains("The scrutineer post falls vacant") && open.contains("1 closed risk"));
    let closed = bm.get("/p/swindon/risks?status=closed").await;
    assert!(closed.contains("The scrutineer post falls vacant"));
    let page = bm.get(&risk).await;
    assert!(page.contains("Closed on") && page.contains("A new scrutineer was appointed") && !page.contains("Record the review"));

    // Nothing changes it now: the forms say so, and the database refuses.
    let late = post(&mut bm, &format!("{risk}/reviews"), &review_form(2, 2, "Late", today() + Days::new(9))).await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "select count(*) from risk_review").await, 1);
    assert!(sqlx::query("update risk set title = 'Changed'").execute(&app.owner).await.is_err());
}

#[tokio::test]
async fn changing_a_risk_is_audited_and_leaves_the_score_to_reviews() {
    let Setup { app, owner, group } = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let risk = record(&mut bm, &risk_form("Schools do not complete audits", owner, group, (3, 3), (3, 3), (2, 2))).await;
    let edit = bm.get(&format!("{risk}/edit")).await;
    assert_eq!(edit.status, StatusCode::OK);
    assert!(edit.contains("value=\"Schools do not complete audits\""));
    // The score now comes from reviews: the form's score is not taken.
    let changed = risk_form("Schools do not complete their Section 175 audits", owner, group, (4, 3), (1, 1), (1, 2));
    assert_eq!(post(&mut bm, &format!("{risk}/edit"), &changed).await.status, StatusCode::SEE_OTHER);
    let (title, score, inherent): (String, i16, i16) =
        sqlx::query_as("select title, likelihood * impact, inherent_likelihood * inherent_impact from risk")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!((title.as_str(), score, inherent), ("Schools do not complete their Section 175 audits", 9, 12));
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'risk.updated'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["title"], "Schools do not complete audits");
    assert_eq!(after["inherent_score"], 12);
    // Another open risk's title is refused, as typed.
    record(&mut bm, &risk_form("Rapid reviews run late", owner, group, (3, 3), (3, 3), (2, 2))).await;
    let clash = post(&mut bm, &format!("{risk}/edit"), &risk_form("rapid reviews run late", owner, group, (3, 3), (3, 3), (2, 2))).await;
    assert_eq!(clash.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(clash.contains("Another open risk has that title"));
    let mut member = app.signed_in("member@swindon.example").await;
    assert_eq!(member.get(&format!("{risk}/edit")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn risks_due_for_review_need_their_owner_and_the_business_manager() {
    let Setup { app, owner, group } = setup().await;
    let bm_membership: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'bm@swindon.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    let mut bm = app.signed_in("bm@swindon.example").await;
    record(&mut bm, &risk_form("Owned by the partner", owner, group, (3, 4), (3, 4), (2, 3))).await;
    for n in 1..=3 {
        record(&mut bm, &risk_form(&format!("Business unit risk {n}"), bm_membership, group, (3, 4), (3, 4), (2, 3))).await;
    }
    // Not yet due: nobody is asked.
    let mut owner_browser = app.signed_in("owner@swindon.example").await;
    assert!(!owner_browser.get("/p/swindon/").await.contains("Review RR1"));
    sqlx::query("update risk set review_on = current_date - 3").execute(&app.owner).await.unwrap();
    let home = owner_browser.get("/p/swindon/").await;
    assert!(home.contains("Review RR1: Owned by the partner") && home.contains("Overdue"), "{}", home.body);
    assert!(!home.contains("Business unit risk"), "an owner is asked about their own");
    // Four alike make one line for the business manager.
    let home = bm.get("/p/swindon/").await;
    assert!(home.contains("Review 4 risks on the register"), "{}", home.body);
    let mut member = app.signed_in("member@swindon.example").await;
    assert!(!member.get("/p/swindon/").await.contains("risks on the register"));
    // The register flags them.
    let due = bm.get("/p/swindon/risks?due=1").await;
    assert!(due.contains("4 past their review date") && due.body.matches("Review overdue").count() == 4);
}
