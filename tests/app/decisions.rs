//! Online decisions, with Warwickshire's rule: quorum of the council (or
//! education), the ICB and the police; consensus first, then a recorded
//! simple-majority vote with the council, ICB, police and education one vote each.

use axum::http::StatusCode;
use chrono::{Datelike, Duration, Utc};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

const COUNCIL: &str = "Warwickshire County Council";
const ICB: &str = "Coventry and Warwickshire Integrated Care Board";
const POLICE: &str = "Warwickshire Police";
const EDUCATION: &str = "Education (local authority and education providers)";

struct Partners {
    app: TestApp,
    bm: Browser,
    council: Browser,
    icb: Browser,
    police: Browser,
    education: Browser,
}

/// A member of a Warwickshire organisation with the given roles.
async fn member_of(app: &TestApp, email: &str, organisation: &str, roles: &[Role]) -> Uuid {
    let membership = app.add_member(email, "warwickshire", roles).await;
    sqlx::query("update membership set organisation_id = (select id from organisation where partnership_id = membership.partnership_id and name = $2) where id = $1")
        .bind(membership)
        .bind(organisation)
        .execute(&app.owner)
        .await
        .unwrap();
    membership
}

async fn warwickshire() -> Partners {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    for (email, org) in [
        ("dsp-council@w.example", COUNCIL),
        ("dsp-icb@w.example", ICB),
        ("dsp-police@w.example", POLICE),
        ("dsp-education@w.example", EDUCATION),
    ] {
        member_of(&app, email, org, &[Role::DelegatedSafeguardingPartner]).await;
    }
    Partners {
        bm: app.signed_in("bm@warwickshire.example").await,
        council: app.signed_in("dsp-council@w.example").await,
        icb: app.signed_in("dsp-icb@w.example").await,
        police: app.signed_in("dsp-police@w.example").await,
        education: app.signed_in("dsp-education@w.example").await,
        app,
    }
}

/// Raise a decision for the Delegated Safeguarding Partners Group, closing in a fortnight.
async fn raise(p: &mut Partners, title: &str, confidential: bool) -> Uuid {
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await.to_string();
    let id = Uuid::new_v4();
    let day = (Utc::now() + Duration::days(14)).date_naive();
    let (d, m, y) = (day.day().to_string(), day.month().to_string(), day.year().to_string());
    let id_text = id.to_string();
    let mut fields = vec![
        ("decision_id", id_text.as_str()),
        ("group_id", group.as_str()),
        ("title", title),
        ("question", "Do the partners agree?"),
        ("background", "Set out in the paper."),
        ("deadline_day", d.as_str()),
        ("deadline_month", m.as_str()),
        ("deadline_year", y.as_str()),
        ("deadline_time", "17:00"),
    ];
    if confidential {
        fields.push(("confidential", "yes"));
    }
    let page = p.bm.post("/p/warwickshire/decisions", &fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    id
}

async fn respond(browser: &mut Browser, decision: Uuid, position: &str, seen: &str) -> crate::harness::Page {
    browser
        .post(&format!("/p/warwickshire/decisions/{decision}/respond"), &[("position", position), ("comment", ""), ("seen_version", seen)])
        .await
}

async fn outcome(app: &TestApp, decision: Uuid) -> Option<String> {
    sqlx::query_scalar("select outcome from decision where id = $1").bind(decision).fetch_one(&app.owner).await.unwrap()
}

async fn pass_deadline(app: &TestApp, decision: Uuid) {
    sqlx::query("update decision set closes_at = now() - interval '1 second' where id = $1")
        .bind(decision)
        .execute(&app.owner)
        .await
        .unwrap();
}

async fn call_vote(p: &mut Partners, decision: Uuid) -> crate::harness::Page {
    let day = (Utc::now() + Duration::days(7)).date_naive();
    let (d, m, y) = (day.day().to_string(), day.month().to_string(), day.year().to_string());
    p.bm.post(
        &format!("/p/warwickshire/decisions/{decision}/vote"),
        &[("deadline_day", &d), ("deadline_month", &m), ("deadline_year", &y), ("deadline_time", "12:00")],
    )
    .await
}

#[tokio::test]
async fn every_partner_agreeing_carries_the_decision_by_consensus_and_locks_it() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Adopt the new threshold document", false).await;
    // Every delegated partner is told, once.
    let told: i64 =
        sqlx::query_scalar("select count(*) from outbox where dedupe_key like 'decision-raised:%'").fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(told, 4);
    for b in [&mut p.council, &mut p.icb, &mut p.police] {
        assert_eq!(respond(b, decision, "agree", "0").await.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(outcome(&p.app, decision).await, None, "education has not responded and the deadline is ahead");
    let last = respond(&mut p.education, decision, "agree", "0").await;
    assert_eq!(last.status, StatusCode::SEE_OTHER);
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("carried_consensus"));
    let page = p.bm.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("Outcome: Carried by consensus"), "{}", page.body);
    assert!(page.contains("when every partner had responded"));
    // The database refuses to change a closed decision, whoever asks.
    let mut tx = partnership_hub::db::begin_tenant(&p.app.app_pool, p.app.partnership_id("warwickshire").await, None).await.unwrap();
    let changed = sqlx::query("update decision set outcome = 'not_carried' where id = $1").bind(decision).execute(&mut *tx).await;
    assert!(changed.is_err(), "a locked outcome was changed");
    drop(tx);
    let audit = p.app.audit_actions().await;
    assert_eq!(audit.iter().filter(|a| *a == "decision.responded").count(), 4);
    assert!(audit.contains(&"decision.raised".to_owned()) && audit.contains(&"decision.closed".to_owned()));
}

#[tokio::test]
async fn without_consensus_the_chair_calls_a_vote_and_a_majority_carries_it() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Commission a thematic review", false).await;
    // No vote can be called while nobody disagrees.
    assert_eq!(call_vote(&mut p, decision).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    respond(&mut p.council, decision, "agree", "0").await;
    respond(&mut p.icb, decision, "agree", "0").await;
    respond(&mut p.police, decision, "disagree", "0").await;
    respond(&mut p.education, decision, "agree", "0").await;
    assert_eq!(outcome(&p.app, decision).await, None, "no consensus: it stays open for a vote or the deadline");
    assert_eq!(call_vote(&mut p, decision).await.status, StatusCode::SEE_OTHER);
    let page = p.police.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("Your vote for Warwickshire Police"), "{}", page.body);
    assert!(page.contains("Before the vote: seeking consensus"));
    // A consensus-stage response cannot be slipped in now.
    respond(&mut p.council, decision, "agree", "0").await;
    respond(&mut p.icb, decision, "agree", "0").await;
    respond(&mut p.police, decision, "disagree", "0").await;
    assert_eq!(outcome(&p.app, decision).await, None);
    respond(&mut p.education, decision, "agree", "0").await;
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("carried_majority"));
    let tally: (i32, i32, i32) = sqlx::query_as("select agree_count, disagree_count, abstain_count from decision where id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(tally, (3, 1, 0));
    let page = p.bm.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("3 for, 1 against, 0 abstaining: carried by a simple majority of the votes cast"), "{}", page.body);
    assert!(p.app.audit_actions().await.contains(&"decision.vote_called".to_owned()));
}

#[tokio::test]
async fn a_tied_vote_is_not_carried() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Change the chair rotation", false).await;
    respond(&mut p.police, decision, "disagree", "0").await;
    assert_eq!(call_vote(&mut p, decision).await.status, StatusCode::SEE_OTHER);
    respond(&mut p.council, decision, "agree", "0").await;
    respond(&mut p.icb, decision, "disagree", "0").await;
    respond(&mut p.police, decision, "disagree", "0").await;
    respond(&mut p.education, decision, "agree", "0").await;
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("not_carried"));
    let note: String =
        sqlx::query_scalar("select outcome_note from decision where id = $1").bind(decision).fetch_one(&p.app.owner).await.unwrap();
    assert!(note.contains("a tie is not carried"), "{note}");
}

#[tokio::test]
async fn without_the_police_there_is_no_quorum_at_the_deadline() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Approve the annual report", false).await;
    respond(&mut p.council, decision, "agree", "0").await;
    respond(&mut p.icb, decision, "agree", "0").await;
    respond(&mut p.education, decision, "agree", "0").await;
    assert_eq!(outcome(&p.app, decision).await, None);
    pass_deadline(&p.app, decision).await;
    // Opening the register settles what is due.
    assert!(p.bm.get("/p/warwickshire/decisions").await.contains("No quorum"));
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("no_quorum"));
    let note: String =
        sqlx::query_scalar("select outcome_note from decision where id = $1").bind(decision).fetch_one(&p.app.owner).await.unwrap();
    assert!(note.contains("no response from Warwickshire Police"), "{note}");
}

#[tokio::test]
async fn a_nominated_deputy_responds_for_their_organisation_and_nobody_else_can() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Agree the training offer", false).await;
    let deputy = member_of(&p.app, "deputy-icb@w.example", ICB, &[Role::Deputy]).await;
    let police_officer = member_of(&p.app, "officer@w.example", POLICE, &[Role::Deputy]).await;
    member_of(&p.app, "scrutineer@w.example", "Warwickshire County Council", &[Role::IndependentScrutineer]).await;
    let mut deputy_browser = p.app.signed_in("deputy-icb@w.example").await;

    // Not yet nominated: refused at the URL, told why on the page, and not asked on the home page.
    assert!(!deputy_browser.get("/p/warwickshire/").await.contains("Agree the training offer"));
    assert_eq!(respond(&mut deputy_browser, decision, "agree", "0").await.status, StatusCode::FORBIDDEN);
    assert!(deputy_browser.get(&format!("/p/warwickshire/decisions/{decision}")).await.contains("you have not been nominated"));

    // The ICB's delegated partner cannot nominate someone from the police.
    let refused = p
        .icb
        .post(
            "/p/warwickshire/deputies",
            &[("membership_id", &police_officer.to_string()), ("scope", "decision"), ("decision_id", &decision.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose a colleague from your organisation"));
    let nominated = p
        .icb
        .post(
            "/p/warwickshire/deputies",
            &[("membership_id", &deputy.to_string()), ("scope", "decision"), ("decision_id", &decision.to_string())],
        )
        .await;
    assert_eq!(nominated.status, StatusCode::SEE_OTHER, "{}", nominated.body);

    let home = deputy_browser.get("/p/warwickshire/").await;
    assert!(
        home.contains(": Agree the training offer") && home.contains("Your response is awaited"),
        "the decision is on the deputy's home page"
    );
    assert_eq!(respond(&mut deputy_browser, decision, "agree", "0").await.status, StatusCode::SEE_OTHER);
    let recorded_by: String = sqlx::query_scalar(
        "select u.email from decision_response r join app_user u on u.id = r.recorded_by join organisation o on o.id = r.organisation_id where r.decision_id = $1 and o.name = $2",
    )
    .bind(decision)
    .bind(ICB)
    .fetch_one(&p.app.owner)
    .await
    .unwrap();
    assert_eq!(recorded_by, "deputy-icb@w.example");

    // Another organisation's deputy and a scrutineer are refused on the page and at the URL.
    let mut officer = p.app.signed_in("officer@w.example").await;
    assert_eq!(respond(&mut officer, decision, "disagree", "0").await.status, StatusCode::FORBIDDEN);
    let mut scrutineer = p.app.signed_in("scrutineer@w.example").await;
    let page = scrutineer.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("Only each statutory partner&#39;s delegated safeguarding partner"));
    assert!(!page.contains("Send your response"));
    assert_eq!(respond(&mut scrutineer, decision, "agree", "0").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        scrutineer.post("/p/warwickshire/deputies", &[("membership_id", &deputy.to_string()), ("scope", "period")]).await.status,
        StatusCode::FORBIDDEN
    );
    let responses: i64 = sqlx::query_scalar("select count(*) from decision_response where decision_id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(responses, 1);

    // Once the nomination is revoked, the deputy can no longer respond.
    let nomination: Uuid =
        sqlx::query_scalar("select id from decision_deputy where membership_id = $1").bind(deputy).fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(p.icb.post(&format!("/p/warwickshire/deputies/{nomination}/revoke"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(respond(&mut deputy_browser, decision, "disagree", "1").await.status, StatusCode::FORBIDDEN);
    let audit = p.app.audit_actions().await;
    assert!(audit.contains(&"deputy.nominated".to_owned()) && audit.contains(&"deputy.revoked".to_owned()));
}

#[tokio::test]
async fn the_business_manager_records_a_response_on_a_partners_behalf_with_evidence() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Sign the information sharing agreement", false).await;
    let police: Uuid =
        sqlx::query_scalar("select id from organisation where name = $1").bind(POLICE).fetch_one(&p.app.owner).await.unwrap();
    let path = format!("/p/warwickshire/decisions/{decision}/proxy/{police}");
    assert_eq!(p.bm.get(&path).await.status, StatusCode::OK);
    let missing = p.bm.post(&path, &[("position", "agree"), ("comment", ""), ("evidence", " "), ("seen_version", "0")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.contains("Enter how the partner gave this response"), "{}", missing.body);
    let saved = p
        .bm
        .post(&path, &[("position", "agree"), ("comment", "Content"), ("evidence", "Agreed by email on 3 December"), ("seen_version", "0")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let page = p.police.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("On the partner's behalf: Agreed by email on 3 December"), "{}", page.body);
    assert!(page.contains("Person bm"));
    // Delegated partners cannot record for others.
    assert_eq!(p.council.get(&path).await.status, StatusCode::FORBIDDEN);
    assert!(p.app.audit_actions().await.contains(&"decision.response_recorded_on_behalf".to_owned()));
}

#[tokio::test]
async fn a_response_can_be_changed_until_the_decision_closes_and_every_version_is_kept() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Fund the exploitation hub", false).await;
    assert_eq!(respond(&mut p.police, decision, "agree", "0").await.status, StatusCode::SEE_OTHER);
    // A double click sends the same thing again: nothing changes.
    assert_eq!(respond(&mut p.police, decision, "agree", "0").await.status, StatusCode::SEE_OTHER);
    assert_eq!(respond(&mut p.police, decision, "disagree", "1").await.status, StatusCode::SEE_OTHER);
    let (position, version): (String, i32) = sqlx::query_as("select position, version from decision_response where decision_id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!((position.as_str(), version), ("disagree", 2));
    let history: Vec<String> = sqlx::query_scalar("select position from decision_response_history where decision_id = $1 order by id")
        .bind(decision)
        .fetch_all(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(history, ["agree", "disagree"]);
    assert!(p.bm.get(&format!("/p/warwickshire/decisions/{decision}")).await.contains("(change 1)"));

    // After the deadline: refused with a message, and the database refuses too.
    pass_deadline(&p.app, decision).await;
    let late = respond(&mut p.police, decision, "agree", "2").await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.contains("responses can no longer be given"), "{}", late.body);
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("no_quorum"));
    let mut tx = partnership_hub::db::begin_tenant(&p.app.app_pool, p.app.partnership_id("warwickshire").await, None).await.unwrap();
    let sneaked = sqlx::query("update decision_response set position = 'agree', version = version + 1 where decision_id = $1")
        .bind(decision)
        .execute(&mut *tx)
        .await;
    assert!(sneaked.is_err(), "a response was changed after the decision closed");
    drop(tx);
    let history_rows: i64 = sqlx::query_scalar("select count(*) from decision_response_history where decision_id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(history_rows, 2);
}

#[tokio::test]
async fn a_stale_page_does_not_overwrite_a_colleagues_newer_response() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Agree the escalation protocol", false).await;
    let deputy = member_of(&p.app, "deputy-police@w.example", POLICE, &[Role::Deputy]).await;
    p.police
        .post(
            "/p/warwickshire/deputies",
            &[("membership_id", &deputy.to_string()), ("scope", "decision"), ("decision_id", &decision.to_string())],
        )
        .await;
    let mut deputy_browser = p.app.signed_in("deputy-police@w.example").await;
    assert_eq!(respond(&mut deputy_browser, decision, "disagree", "0").await.status, StatusCode::SEE_OTHER);
    // The delegated partner's page was loaded before the deputy responded.
    let stale = respond(&mut p.police, decision, "agree", "0").await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.contains("Person deputy-police recorded your organisation&#39;s response (Disagree)"), "{}", stale.body);
    let position: String = sqlx::query_scalar("select position from decision_response where decision_id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(position, "disagree");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_submissions_for_one_organisation_leave_exactly_one_response() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Adopt the neglect strategy", false).await;
    let deputy = member_of(&p.app, "deputy-icb@w.example", ICB, &[Role::Deputy]).await;
    p.icb
        .post(
            "/p/warwickshire/deputies",
            &[("membership_id", &deputy.to_string()), ("scope", "decision"), ("decision_id", &decision.to_string())],
        )
        .await;
    let deputy_browser = p.app.signed_in("deputy-icb@w.example").await;
    // Two people of the ICB, each with the form open (nothing seen yet), submitting 25 times each at once.
    let mut tasks = Vec::new();
    for i in 0..50 {
        let mut browser = if i % 2 == 0 { p.icb.clone() } else { deputy_browser.clone() };
        tasks.push(tokio::spawn(async move {
            let comment = format!("Submission {i}");
            let position = if i % 3 == 0 { "disagree" } else { "agree" };
            browser
                .post(
                    &format!("/p/warwickshire/decisions/{decision}/respond"),
                    &[("position", position), ("comment", &comment), ("seen_version", "0")],
                )
                .await
        }));
    }
    let mut saved = 0;
    for task in tasks {
        let page = task.await.unwrap();
        match page.status {
            StatusCode::SEE_OTHER => saved += 1,
            StatusCode::UNPROCESSABLE_ENTITY => assert!(page.contains("while you had this page open"), "{}", page.body),
            other => panic!("a submission answered {other}: {}", page.body),
        }
    }
    assert_eq!(saved, 1, "exactly one submission was taken; the others were told why");
    let rows: Vec<(i32,)> = sqlx::query_as("select version from decision_response where decision_id = $1")
        .bind(decision)
        .fetch_all(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(rows, [(1,)]);
    let history: i64 = sqlx::query_scalar("select count(*) from decision_response_history where decision_id = $1")
        .bind(decision)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(history, 1);
    let audited = p.app.audit_actions().await.iter().filter(|a| *a == "decision.responded").count();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_withdrawn_decision_keeps_its_history_and_takes_no_more_responses() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Merge two subgroups", false).await;
    respond(&mut p.council, decision, "agree", "0").await;
    let no_reason = p.bm.post(&format!("/p/warwickshire/decisions/{decision}/withdraw"), &[("reason", "")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.contains("Enter the reason for withdrawing the decision"));
    // A delegated partner who did not raise it cannot withdraw it.
    assert_eq!(
        p.icb.post(&format!("/p/warwickshire/decisions/{decision}/withdraw"), &[("reason", "No")]).await.status,
        StatusCode::FORBIDDEN
    );
    let withdrawn =
        p.bm.post(&format!("/p/warwickshire/decisions/{decision}/withdraw"), &[("reason", "Superseded by the new structure")]).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    assert_eq!(outcome(&p.app, decision).await.as_deref(), Some("withdrawn"));
    assert_eq!(respond(&mut p.icb, decision, "agree", "0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = p.icb.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    assert!(page.contains("Outcome: Withdrawn") && page.contains("Superseded by the new structure"));
    assert!(page.contains("Warwickshire County Council"), "the council's response is still shown");
    let again = p.bm.post(&format!("/p/warwickshire/decisions/{decision}/withdraw"), &[("reason", "Twice")]).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.contains("has already closed (withdrawn): its outcome cannot change"));
}

#[tokio::test]
async fn the_register_lists_every_decision_and_the_public_one_only_closed_open_ones() {
    let mut p = warwickshire().await;
    let public = raise(&mut p, "Publish the annual report", false).await;
    let secret = raise(&mut p, "Respond to the rapid review", true).await;
    let open = raise(&mut p, "Agree next year's budget", false).await;
    for d in [public, secret] {
        for b in [&mut p.council, &mut p.icb, &mut p.police, &mut p.education] {
            respond(b, d, "agree", "0").await;
        }
    }
    let register = p.police.get("/p/warwickshire/decisions").await;
    assert!(
        register.contains("D1: Publish the annual report")
            && register.contains("D2: Respond to the rapid review")
            && register.contains("D3: Agree next year")
    );
    let mut stranger = p.app.browser();
    let listed = stranger.get("/public/warwickshire/decisions").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(listed.contains("Publish the annual report") && listed.contains("Carried by consensus"));
    assert!(!listed.contains("rapid review"), "a confidential decision is not public");
    assert!(!listed.contains("budget"), "an open decision is not public");
    assert_eq!(stranger.get(&format!("/public/warwickshire/decisions/{public}")).await.status, StatusCode::OK);
    assert_eq!(stranger.get(&format!("/public/warwickshire/decisions/{secret}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(stranger.get(&format!("/public/warwickshire/decisions/{open}")).await.status, StatusCode::NOT_FOUND);
    // Another partnership's address does not reach Warwickshire's decision.
    assert_eq!(stranger.get(&format!("/public/swindon/decisions/{public}")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn delegated_partners_see_what_awaits_them_in_every_partnership() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Agree the neglect toolkit", false).await;
    // The ICB's delegated partner also serves Swindon, where a decision awaits them too.
    let swindon_membership = p.app.add_member("dsp-icb@w.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    sqlx::query("update membership set organisation_id = (select id from organisation where partnership_id = membership.partnership_id and is_statutory_partner and sector = 'health' limit 1) where id = $1")
        .bind(swindon_membership)
        .execute(&p.app.owner)
        .await
        .unwrap();
    p.app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut swindon_bm = p.app.signed_in("bm@swindon.example").await;
    let group: Uuid = sqlx::query_scalar("select g.id from partnership_group g join partnership p on p.id = g.partnership_id where p.slug = 'swindon' and g.kind = 'executive' limit 1")
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    let day = (Utc::now() + Duration::days(10)).date_naive();
    let swindon_decision = Uuid::new_v4().to_string();
    let raised = swindon_bm
        .post(
            "/p/swindon/decisions",
            &[
                ("decision_id", &swindon_decision),
                ("group_id", &group.to_string()),
                ("title", "Swindon pooled budget"),
                ("question", "Agree?"),
                ("deadline_day", &day.day().to_string()),
                ("deadline_month", &day.month().to_string()),
                ("deadline_year", &day.year().to_string()),
                ("deadline_time", "12:00"),
            ],
        )
        .await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER, "{}", raised.body);
    let home = p.icb.get("/").await;
    assert!(home.contains("Agree the neglect toolkit") && home.contains("Swindon pooled budget"), "{}", home.body);
    respond(&mut p.icb, decision, "agree", "0").await;
    let home = p.icb.get("/").await;
    assert!(!home.contains("Agree the neglect toolkit"), "answered decisions no longer wait");
    assert!(home.contains("Swindon pooled budget"));
}

#[tokio::test]
async fn bad_input_and_double_submits_when_raising_are_handled() {
    let mut p = warwickshire().await;
    let id = Uuid::new_v4().to_string();
    let page =
        p.bm.post(
            "/p/warwickshire/decisions",
            &[
                ("decision_id", &id),
                ("group_id", ""),
                ("title", ""),
                ("question", ""),
                ("deadline_day", "31"),
                ("deadline_month", "2"),
                ("deadline_year", "2027"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in ["Choose the group that takes the decision", "Enter the title", "Deadline must be a real date"] {
        assert!(page.contains(message), "missing {message:?}: {}", page.body);
    }
    let past =
        p.bm.post(
            "/p/warwickshire/decisions",
            &[
                ("decision_id", &id),
                ("group_id", &p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await.to_string()),
                ("title", "T"),
                ("question", "Q"),
                ("deadline_day", "1"),
                ("deadline_month", "1"),
                ("deadline_year", "2020"),
            ],
        )
        .await;
    assert!(past.contains("Deadline must be in the future"));
    let count: i64 = sqlx::query_scalar("select count(*) from decision").fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(count, 0, "nothing half-saved");
    // The same form submitted twice raises one decision.
    let first = raise(&mut p, "Once only", false).await;
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await.to_string();
    let day = (Utc::now() + Duration::days(14)).date_naive();
    let again =
        p.bm.post(
            "/p/warwickshire/decisions",
            &[
                ("decision_id", &first.to_string()),
                ("group_id", &group),
                ("title", "Once only"),
                ("question", "Q"),
                ("deadline_day", &day.day().to_string()),
                ("deadline_month", &day.month().to_string()),
                ("deadline_year", &day.year().to_string()),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let count: i64 = sqlx::query_scalar("select count(*) from decision").fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(count, 1);
    // Delegated partners do not raise decisions unless they chair the body.
    assert_eq!(p.council.get("/p/warwickshire/decisions/new").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn partners_who_have_not_responded_are_reminded_once_before_the_deadline() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Agree the audit programme", false).await;
    respond(&mut p.council, decision, "agree", "0").await;
    let closes: chrono::DateTime<Utc> =
        sqlx::query_scalar("select closes_at from decision where id = $1").bind(decision).fetch_one(&p.app.owner).await.unwrap();
    let early = partnership_hub::decisions::sweep(&p.app.app_pool, closes.date_naive() - Duration::days(10)).await.unwrap();
    assert_eq!(early.reminders, 0, "too early to remind");
    let due = partnership_hub::decisions::sweep(&p.app.app_pool, closes.date_naive()).await.unwrap();
    assert_eq!(due.reminders, 3, "the ICB, police and education, not the council");
    let again = partnership_hub::decisions::sweep(&p.app.app_pool, closes.date_naive()).await.unwrap();
    assert_eq!(again.reminders, 0, "each partner is reminded once");
    pass_deadline(&p.app, decision).await;
    let closed = partnership_hub::decisions::sweep(&p.app.app_pool, closes.date_naive()).await.unwrap();
    assert_eq!(closed.closed, 1, "the sweep closes what is past its deadline without anyone opening it");
    let outcome_mail: i64 =
        sqlx::query_scalar("select count(*) from outbox where dedupe_key like 'decision-outcome:%'").fetch_one(&p.app.owner).await.unwrap();
    assert!(outcome_mail >= 4, "partners and whoever raised it hear the outcome");
}

#[tokio::test]
async fn a_decision_taken_at_a_meeting_appears_in_its_minutes() {
    let mut p = warwickshire().await;
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let meeting = Uuid::new_v4();
    sqlx::query("insert into meeting (partnership_id, id, group_id, starts_at, ends_at) select partnership_id, $1, id, now() + interval '3 days', now() + interval '3 days 2 hours' from partnership_group where id = $2")
        .bind(meeting)
        .bind(group)
        .execute(&p.app.owner)
        .await
        .unwrap();
    let id = Uuid::new_v4().to_string();
    let day = (Utc::now() + Duration::days(14)).date_naive();
    let raised =
        p.bm.post(
            "/p/warwickshire/decisions",
            &[
                ("decision_id", &id),
                ("group_id", &group.to_string()),
                ("title", "Agreed at the meeting"),
                ("question", "Q"),
                ("deadline_day", &day.day().to_string()),
                ("deadline_month", &day.month().to_string()),
                ("deadline_year", &day.year().to_string()),
                ("meeting_id", &meeting.to_string()),
            ],
        )
        .await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER, "{}", raised.body);
    assert_eq!(p.bm.post(&format!("/p/warwickshire/meetings/{meeting}/minutes/start"), &[]).await.status, StatusCode::SEE_OTHER);
    let minutes = p.bm.get(&format!("/p/warwickshire/meetings/{meeting}/minutes")).await;
    assert!(minutes.contains("Agreed at the meeting"), "{}", minutes.body);
    let warning = "before the meeting this decision belongs to";
    assert!(!p.bm.get(&format!("/p/warwickshire/decisions/{id}")).await.contains(warning), "it closes after its meeting");

    // A deadline before the meeting it belongs to is allowed, and said.
    let early = Uuid::new_v4().to_string();
    let tomorrow = (Utc::now() + Duration::days(1)).date_naive();
    let raised =
        p.bm.post(
            "/p/warwickshire/decisions",
            &[
                ("decision_id", &early),
                ("group_id", &group.to_string()),
                ("title", "Closes before the meeting"),
                ("question", "Q"),
                ("deadline_day", &tomorrow.day().to_string()),
                ("deadline_month", &tomorrow.month().to_string()),
                ("deadline_year", &tomorrow.year().to_string()),
                ("meeting_id", &meeting.to_string()),
            ],
        )
        .await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER, "{}", raised.body);
    let page = p.police.get(&format!("/p/warwickshire/decisions/{early}")).await;
    assert!(page.contains(warning) && page.contains("govuk-warning-text"), "{}", page.body);
}

#[tokio::test]
async fn each_body_has_its_own_rules_and_a_decision_keeps_the_rules_it_was_raised_under() {
    let mut p = warwickshire().await;
    let before = raise(&mut p, "Raised under the old rules", false).await;
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await.to_string();
    let page = p.bm.get(&format!("/p/warwickshire/decisions/rules?group={group}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Warwickshire County Council or Education"), "the seeded quorum: {}", page.body);
    let bad =
        p.bm.post(
            "/p/warwickshire/decisions/rules",
            &[("group_id", &group), ("majority_vote", "yes"), ("majority_of", "all_voters"), ("reminder_working_days", "many")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("a whole number from 0 to 20"));
    let saved =
        p.bm.post(
            "/p/warwickshire/decisions/rules",
            &[
                ("group_id", &group),
                ("quorum_1", "local_authority"),
                ("quorum_2", "police"),
                ("majority_vote", "yes"),
                ("majority_of", "all_voters"),
                ("reminder_working_days", "3"),
                ("description", "Agreed by the partners"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let after = raise(&mut p, "Raised under the new rules", false).await;
    let rules: Vec<(Vec<String>, String, i32)> =
        sqlx::query_as("select quorum_sectors, majority_of, reminder_working_days from decision where id = any($1) order by number")
            .bind(vec![before, after])
            .fetch_all(&p.app.owner)
            .await
            .unwrap();
    assert_eq!(
        rules[0],
        (vec!["local_authority|education".to_owned(), "health".to_owned(), "police".to_owned()], "votes_cast".to_owned(), 2)
    );
    assert_eq!(rules[1], (vec!["local_authority".to_owned(), "police".to_owned()], "all_voters".to_owned(), 3));
    // Other groups keep the partnership's default quorum.
    let other = p.app.group_id("warwickshire", "Safeguarding Review Group").await;
    let quorum: Vec<String> = sqlx::query_scalar("select required_sectors from quorum_rule where group_id is null and partnership_id = (select partnership_id from partnership_group where id = $1)")
        .bind(other)
        .fetch_one(&p.app.owner)
        .await
        .unwrap();
    assert_eq!(quorum.len(), 3);
    // Only the business manager changes the rules.
    let refused = p
        .council
        .post(
            "/p/warwickshire/decisions/rules",
            &[("group_id", &group), ("majority_vote", "no"), ("majority_of", "votes_cast"), ("reminder_working_days", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(p.app.audit_actions().await.contains(&"decision_rules.changed".to_owned()));
}

#[tokio::test]
async fn the_rotating_chair_raises_and_calls_a_vote_and_a_deputy_for_a_period_responds() {
    let mut p = warwickshire().await;
    // Warwickshire's delegated partners chair in rotation: this year the council's.
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let council: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'dsp-council@w.example'")
            .fetch_one(&p.app.owner)
            .await
            .unwrap();
    p.app.seat(council, group, "Council delegated partner", Some(COUNCIL)).await;
    sqlx::query("update group_member set role_in_group = 'chair' where membership_id = $1")
        .bind(council)
        .execute(&p.app.owner)
        .await
        .unwrap();
    let form = p.council.get("/p/warwickshire/decisions/new").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.contains("Delegated Safeguarding Partners Group") && !form.contains("Safeguarding Review Group"),
        "only the group they chair"
    );
    // The chair raises it as the business manager would.
    std::mem::swap(&mut p.bm, &mut p.council);
    let decision = raise(&mut p, "Extend the scrutineer's tenure", false).await;
    std::mem::swap(&mut p.bm, &mut p.council);

    // The police delegated partner is on leave: a colleague deputises for a period.
    let deputy = member_of(&p.app, "deputy-police@w.example", POLICE, &[Role::Deputy]).await;
    let today = Utc::now().date_naive();
    let until = today + Duration::days(30);
    let nominated = p
        .police
        .post(
            "/p/warwickshire/deputies",
            &[
                ("membership_id", &deputy.to_string()),
                ("scope", "period"),
                ("starts_day", &today.day().to_string()),
                ("starts_month", &today.month().to_string()),
                ("starts_year", &today.year().to_string()),
                ("ends_day", &until.day().to_string()),
                ("ends_month", &until.month().to_string()),
                ("ends_year", &until.year().to_string()),
            ],
        )
        .await;
    assert_eq!(nominated.status, StatusCode::SEE_OTHER, "{}", nominated.body);
    let mut deputy_browser = p.app.signed_in("deputy-police@w.example").await;
    assert_eq!(respond(&mut deputy_browser, decision, "disagree", "0").await.status, StatusCode::SEE_OTHER);

    // The chair (not only the business manager) calls the vote.
    let day = (Utc::now() + Duration::days(7)).date_naive();
    let called = p
        .council
        .post(
            &format!("/p/warwickshire/decisions/{decision}/vote"),
            &[
                ("deadline_day", &day.day().to_string()),
                ("deadline_month", &day.month().to_string()),
                ("deadline_year", &day.year().to_string()),
                ("deadline_time", "12:00"),
            ],
        )
        .await;
    assert_eq!(called.status, StatusCode::SEE_OTHER, "{}", called.body);
    // Another delegated partner, who does not chair the group, cannot.
    let refused = p.icb.post(&format!("/p/warwickshire/decisions/{decision}/vote"), &[("deadline_day", "1")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let stage: String =
        sqlx::query_scalar("select stage from decision where id = $1").bind(decision).fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(stage, "vote");
}

/// The statements the database ran to serve one page: the fewer of two
/// views, since on a loaded machine a statement of the request before may
/// finish inside a window (it can add to a count, never take from it).
async fn statements_for(app: &TestApp, browser: &mut Browser, path: &str) -> i64 {
    let mut counts = Vec::new();
    for _ in 0..2 {
        let before = app.statements_run().await;
        assert_eq!(browser.get(path).await.status, StatusCode::OK, "{path}");
        counts.push(app.statements_run().await - before);
    }
    counts.into_iter().min().unwrap_or_default()
}

#[tokio::test]
async fn the_register_and_the_rules_run_the_same_number_of_queries_however_many_decisions_and_groups() {
    let mut p = warwickshire().await;
    raise(&mut p, "The first decision", false).await;
    p.bm.get("/p/warwickshire/decisions").await;
    let register = statements_for(&p.app, &mut p.bm, "/p/warwickshire/decisions").await;
    let rules = statements_for(&p.app, &mut p.bm, "/p/warwickshire/decisions/rules").await;
    for n in 0..12 {
        raise(&mut p, &format!("Decision {n}"), n % 2 == 0).await;
    }
    let pid = p.app.partnership_id("warwickshire").await;
    for n in 0..15 {
        sqlx::query("insert into partnership_group (partnership_id, id, name, kind) values ($1, $2, $3, 'subgroup')")
            .bind(pid)
            .bind(Uuid::new_v4())
            .bind(format!("Extra group {n}"))
            .execute(&p.app.owner)
            .await
            .unwrap();
    }
    // As before the first count: the message left by the last decision raised is shown (and the session written) first.
    p.bm.get("/p/warwickshire/decisions").await;
    assert_eq!(statements_for(&p.app, &mut p.bm, "/p/warwickshire/decisions").await, register);
    assert_eq!(statements_for(&p.app, &mut p.bm, "/p/warwickshire/decisions/rules").await, rules);
}

#[tokio::test]
async fn reading_the_public_register_stores_no_session() {
    let app = TestApp::spawn().await;
    let before: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session").fetch_one(&app.owner).await.unwrap();
    let mut visitor = app.browser();
    let page = visitor.get("/public/warwickshire/decisions").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers.get(axum::http::header::SET_COOKIE).is_none(), "no cookie for a reader of the public register");
    let after: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session").fetch_one(&app.owner).await.unwrap();
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_raise_form_sent_twice_at_once_raises_one_decision() {
    let p = warwickshire().await;
    let group = p.app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await.to_string();
    let id = Uuid::new_v4().to_string();
    let day = (Utc::now() + Duration::days(14)).date_naive();
    let (d, m, y) = (day.day().to_string(), day.month().to_string(), day.year().to_string());
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let (mut bm, group, id, d, m, y) = (p.bm.clone(), group.clone(), id.clone(), d.clone(), m.clone(), y.clone());
        tasks.push(tokio::spawn(async move {
            bm.post(
                "/p/warwickshire/decisions",
                &[
                    ("decision_id", &id),
                    ("group_id", &group),
                    ("title", "Twice"),
                    ("question", "Q"),
                    ("deadline_day", &d),
                    ("deadline_month", &m),
                    ("deadline_year", &y),
                ],
            )
            .await
            .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let count: i64 = sqlx::query_scalar("select count(*) from decision").fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_tampered_response_form_is_a_bad_request_not_a_silent_page() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Tampered", false).await;
    assert_eq!(respond(&mut p.police, decision, "agree", "not a number").await.status, StatusCode::BAD_REQUEST);
    let responses: i64 = sqlx::query_scalar("select count(*) from decision_response").fetch_one(&p.app.owner).await.unwrap();
    assert_eq!(responses, 0);
}

#[tokio::test]
async fn a_response_and_the_page_after_it_run_in_one_transaction_each() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "One transaction", false).await;
    p.police.get(&format!("/p/warwickshire/decisions/{decision}")).await;
    let before = p.app.transactions_begun().await;
    let posted = respond(&mut p.police, decision, "agree", "0").await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    assert_eq!(p.police.get(&posted.location.unwrap()).await.status, StatusCode::OK);
    assert_eq!(p.app.transactions_begun().await - before, 2, "one for the response, one for the page it leads to");
    // A form shown again with its errors reads in the transaction that checked it.
    let before = p.app.transactions_begun().await;
    assert_eq!(respond(&mut p.council, decision, "", "0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p.app.transactions_begun().await - before, 1);
}

#[tokio::test]
async fn a_confidential_decision_is_on_the_home_pages_of_those_it_names_labelled_and_on_nobody_elses() {
    let mut p = warwickshire().await;
    let decision = raise(&mut p, "Respond to the rapid review", true).await;
    p.app.add_member("viewer@w.example", "warwickshire", &[Role::Viewer]).await;
    let mut viewer = p.app.signed_in("viewer@w.example").await;
    let manager = p.bm.get("/p/warwickshire/").await;
    let police = p.police.get("/p/warwickshire/").await;
    for (who, page, says) in [
        ("the business manager", &manager, "D1: Respond to the rapid review"),
        ("a delegated partner", &police, "Respond to D1: Respond to the rapid review"),
    ] {
        let at = page.body.find(says).unwrap_or_else(|| panic!("{who} is not told of it:\n{}", page.body));
        let line = page.body[at..].split("</li>").next().unwrap();
        assert!(line.contains("Confidential") && line.contains("working days left"), "{who}: {line}");
    }
    assert!(manager.contains("Consensus: 0 of 4 partners responded"), "the business manager sees how far it has got");
    assert_eq!(respond(&mut p.police, decision, "agree", "0").await.status, StatusCode::SEE_OTHER);
    assert!(!p.police.get("/p/warwickshire/").await.contains("Respond to D1"), "answered, it no longer waits for them");
    assert!(p.bm.get("/p/warwickshire/").await.contains("Consensus: 1 of 4 partners responded"));
    let home = viewer.get("/p/warwickshire/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.contains("rapid review") && !home.contains("D1:"), "someone it does not name sees no title");
}
