//! Need-to-know inside one partnership: a confidential decision, a group's
//! agenda and papers, and draft minutes with their actions are seen only by
//! those the rules name. Walked over every route of the route table, for
//! every role that must not see them, with the real records' ids.

use axum::http::{Method, StatusCode};
use partnership_hub::roles::Role;
use std::collections::HashMap;
use uuid::Uuid;

use crate::harness::{Browser, Page, TestApp};
use crate::security::declared_routes;

const DECISION: &str = "Commission an LCSPR for Child H";
const DECISION_BACKGROUND: &str = "Child H was known to four agencies";
const AGENDA_ITEM: &str = "Rapid review: Child H";
const MEETING_PAPER: &str = "Child H chronology";
const DECISION_PAPER: &str = "Child H options appraisal";
const DRAFT_ACTION: &str = "Visit the school of Child H";
const DRAFT_SECTION: &str = "Child H: what the school knew";
const DECLARATION: &str = "Child H is known to my family";
/// A review's case: the child's name and what happened (the harness's review).
const CASE_NAME: &str = "Robin Example";
const CASE_FACTS: &str = "Found at home alone";
/// An agency's answer to the review's information request, and its chronology.
const AGENCY_SUMMARY: &str = "The health visitor saw Robin twice";
const CHRONOLOGY: &str = "Health chronology";
/// An agency's self-assessment return: for the business unit, the partners and the agency itself.
const RETURN_EVIDENCE: &str = "Safer recruitment checks missed two agency staff";
const RETURN_SUMMARY: &str = "Our own view: recruitment checks need tightening";
const RETURN_PAPER: &str = "Recruitment audit";
const SECRETS: [&str; 15] = [
    DECISION,
    DECISION_BACKGROUND,
    AGENDA_ITEM,
    MEETING_PAPER,
    DECISION_PAPER,
    DRAFT_ACTION,
    DRAFT_SECTION,
    DECLARATION,
    CASE_NAME,
    CASE_FACTS,
    AGENCY_SUMMARY,
    CHRONOLOGY,
    RETURN_EVIDENCE,
    RETURN_SUMMARY,
    RETURN_PAPER,
];

/// Placeholders naming a record that is confidential in this fixture.
const CONFIDENTIAL_IDS: [&str; 7] =
    ["{decision_id}", "{decision_paper_id}", "{item_id}", "{paper_id}", "{action_id}", "{declaration_id}", "{return_id}"];

/// Swindon's walker records, made confidential: the decision of the first
/// group, that group's meeting with its agenda item and paper, and an action
/// in the meeting's draft minutes owned by `owner`.
async fn confidential_records(app: &TestApp, owner: Uuid) -> HashMap<&'static str, String> {
    let ids = app.record_ids("swindon").await;
    let run = |sql: &'static str, id: &str| {
        let pool = app.owner.clone();
        let id = Uuid::parse_str(id).unwrap();
        async move { sqlx::query(sql).bind(id).execute(&pool).await.unwrap() }
    };
    run(
        "update decision set confidential = true, title = 'Commission an LCSPR for Child H', background = 'Child H was known to four agencies' where id = $1",
        &ids["decision_id"],
    )
    .await;
    run("update agenda_item set title = 'Rapid review: Child H' where id = $1", &ids["item_id"]).await;
    run("update paper set title = 'Child H chronology' where id = $1", &ids["paper_id"]).await;
    run("update paper set title = 'Child H options appraisal' where id = $1", &ids["decision_paper_id"]).await;
    run("update interest_declaration set nature = 'Child H is known to my family' where id = $1", &ids["declaration_id"]).await;
    let meeting = Uuid::parse_str(&ids["meeting_id"]).unwrap();
    sqlx::query("insert into minutes (partnership_id, meeting_id) select partnership_id, id from meeting where id = $1")
        .bind(meeting)
        .execute(&app.owner)
        .await
        .unwrap();
    let section = Uuid::new_v4();
    sqlx::query(
        "insert into minute_section (partnership_id, id, meeting_id, position, heading, body)
         select partnership_id, $2, id, 1, 'Child H: what the school knew', 'Notes' from meeting where id = $1",
    )
    .bind(meeting)
    .bind(section)
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query("update action_point set description = $2, owner_membership_id = $3, minute_section_id = $4 where id = $1")
        .bind(Uuid::parse_str(&ids["action_id"]).unwrap())
        .bind(DRAFT_ACTION)
        .bind(owner)
        .bind(section)
        .execute(&app.owner)
        .await
        .unwrap();
    ids
}

fn leaked(page: &Page) -> Vec<&'static str> {
    SECRETS.into_iter().filter(|s| page.contains(&s.replace('\'', "&#x27;")) || page.contains(s)).collect()
}

async fn visit(browser: &mut Browser, method: &Method, path: &str) -> Page {
    let fields = [("title", "A title"), ("body", "Some text"), ("position", "agree"), ("status", "complete"), ("decision", "accept")];
    match *method {
        Method::POST => browser.post(path, &fields).await,
        _ => browser.get(path).await,
    }
}

#[tokio::test]
async fn every_route_hides_confidential_records_from_those_who_do_not_need_them() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let viewer = app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    let elsewhere_member = app.add_member("member@swindon.example", "swindon", &[Role::GroupMember]).await;
    let elsewhere_chair = app.add_member("chair@swindon.example", "swindon", &[Role::GroupChair]).await;
    app.add_member("scrutineer@swindon.example", "swindon", &[Role::IndependentScrutineer]).await;
    let board_member = app.add_member("board@swindon.example", "swindon", &[Role::GroupMember]).await;
    let dsp = app.add_member("dsp@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    // The draft action is the viewer's own: still not theirs to see until the minutes are circulated.
    let ids = confidential_records(&app, viewer).await;
    let pid = app.partnership_id("swindon").await;
    let body = Uuid::parse_str(&ids["group_id"]).unwrap();
    let other_group: Uuid =
        sqlx::query_scalar("select id from partnership_group where partnership_id = $1 and id <> $2 order by sort_order limit 1")
            .bind(pid)
            .bind(body)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    app.seat(elsewhere_member, other_group, "Elsewhere Member", None).await;
    app.seat(elsewhere_chair, other_group, "Elsewhere Chair", None).await;
    app.seat(board_member, body, "Board Member", None).await;
    // The declaration is the board member's, whom the group's business is for; no outsider declared it.
    sqlx::query("update interest_declaration set membership_id = $2 where partnership_id = $1")
        .bind(pid)
        .bind(board_member)
        .execute(&app.owner)
        .await
        .unwrap();
    sqlx::query("update partnership set confidential_to_scrutineers = false where id = $1").bind(pid).execute(&app.owner).await.unwrap();
    // The walker's deputy nomination goes to the delegated partner, not to whichever member came first.
    sqlx::query("update decision_deputy set membership_id = $2 where partnership_id = $1")
        .bind(pid)
        .bind(dsp)
        .execute(&app.owner)
        .await
        .unwrap();

    let mut absent = ids.clone();
    for key in ["decision_id", "decision_paper_id", "item_id", "paper_id", "action_id", "declaration_id", "return_id"] {
        absent.insert(key, Uuid::new_v4().to_string());
    }
    let routes: Vec<_> = declared_routes().into_iter().filter(|(_, p)| p.starts_with("/p/{slug}")).collect();
    let mut refused = 0;
    for email in ["viewer@swindon.example", "member@swindon.example", "chair@swindon.example", "scrutineer@swindon.example"] {
        let mut outsider = app.signed_in(email).await;
        outsider.get("/p/swindon/").await;
        for (method, pattern) in &routes {
            let path = crate::paths::fill(pattern, &ids);
            let page = visit(&mut outsider, method, &path).await;
            assert!(leaked(&page).is_empty(), "{email}: {method} {path} showed {:?}", leaked(&page));
            // A review's page is for every member (its pseudonym, stage and clock); its case is not.
            let names_a_secret = CONFIDENTIAL_IDS.iter().any(|p| pattern.contains(p))
                || (pattern.contains("/minutes") && !pattern.ends_with("/published"))
                || pattern.ends_with("/reviews/{review_id}/case")
                || pattern.ends_with("/reviews/{review_id}/people")
                || pattern.ends_with("/reviews/{review_id}/rapid-review.pdf")
                || pattern.ends_with("/reviews/{review_id}/requests")
                || pattern.ends_with("/reviews/{review_id}/requests/new")
                || pattern.ends_with("/reviews/{review_id}/remove-details")
                || pattern.contains("/requests/{request_id}");
            if !names_a_secret {
                continue;
            }
            // Refused as if the record did not exist: 404, or the same refusal a made-up id gets.
            if page.status != StatusCode::NOT_FOUND {
                let made_up = visit(&mut outsider, method, &crate::paths::fill(pattern, &absent)).await;
                assert!(
                    page.status == StatusCode::FORBIDDEN && made_up.status == StatusCode::FORBIDDEN,
                    "{email}: {method} {path} answered {} (a made-up id: {})",
                    page.status,
                    made_up.status
                );
            }
            refused += 1;
        }
    }
    assert!(refused >= 4 * 23, "only {refused} refusals were checked");

    // Nothing the outsiders did changed a confidential record.
    let (stage, responses): (String, i64) = sqlx::query_as(
        "select d.stage, (select count(*) from decision_response r where r.decision_id = d.id) from decision d where d.id = $1",
    )
    .bind(Uuid::parse_str(&ids["decision_id"]).unwrap())
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((stage.as_str(), responses), ("consensus", 0));

    // Those the rules name do see them.
    let mut bm = app.signed_in("bm@swindon.example").await;
    let page = bm.get(&format!("/p/swindon/decisions/{}", ids["decision_id"])).await;
    assert!(page.contains(DECISION) && page.contains(DECISION_BACKGROUND));
    assert!(bm.get(&format!("/p/swindon/meetings/{}", ids["meeting_id"])).await.contains(AGENDA_ITEM));
    assert!(bm.get(&format!("/p/swindon/meetings/{}/minutes", ids["meeting_id"])).await.contains(DRAFT_ACTION));
    let mut board = app.signed_in("board@swindon.example").await;
    assert!(board.get("/p/swindon/decisions").await.contains(DECISION), "the body's members see its confidential decision");
    let meeting = board.get(&format!("/p/swindon/meetings/{}", ids["meeting_id"])).await;
    assert!(meeting.contains(AGENDA_ITEM) && meeting.contains(MEETING_PAPER));
    assert_eq!(board.get(&format!("/p/swindon/meetings/{}/minutes", ids["meeting_id"])).await.status, StatusCode::NOT_FOUND);
    assert!(!board.get("/p/swindon/actions").await.contains(DRAFT_ACTION), "draft minutes' actions are the business unit's");
    let mut dsp = app.signed_in("dsp@swindon.example").await;
    assert!(dsp.get("/p/swindon/decisions").await.contains(DECISION), "a delegated partner sees the confidential decision");
    assert!(
        !dsp.get(&format!("/p/swindon/meetings/{}", ids["meeting_id"])).await.contains(AGENDA_ITEM),
        "but not the agenda of a group they do not sit on"
    );

    // The scrutineers read confidential decisions when the partnership says so.
    sqlx::query("update partnership set confidential_to_scrutineers = true where id = $1").bind(pid).execute(&app.owner).await.unwrap();
    let mut scrutineer = app.signed_in("scrutineer@swindon.example").await;
    assert!(scrutineer.get(&format!("/p/swindon/decisions/{}", ids["decision_id"])).await.contains(DECISION));

    // Once the minutes are circulated, the action's owner and the group's members see the action; outsiders still do not.
    sqlx::query("update minutes set status = 'circulated' where meeting_id = $1")
        .bind(Uuid::parse_str(&ids["meeting_id"]).unwrap())
        .execute(&app.owner)
        .await
        .unwrap();
    let mut owner = app.signed_in("viewer@swindon.example").await;
    assert!(owner.get("/p/swindon/").await.contains(DRAFT_ACTION), "the owner sees their action once circulated");
    assert!(
        board.get(&format!("/p/swindon/meetings/{}/minutes", ids["meeting_id"])).await.contains(DRAFT_ACTION),
        "the group reads the circulated minutes"
    );
    let mut member = app.signed_in("member@swindon.example").await;
    assert_eq!(member.get(&format!("/p/swindon/actions/{}", ids["action_id"])).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mail_about_a_confidential_decision_reaches_only_those_who_may_read_it() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    let ids = confidential_records(&app, app.add_member("owner@swindon.example", "swindon", &[Role::Viewer]).await).await;
    let dsp = app.add_member("dsp@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    sqlx::query("update membership set organisation_id = (select id from organisation o where o.partnership_id = membership.partnership_id and o.is_statutory_partner limit 1) where id = $1")
        .bind(dsp)
        .execute(&app.owner)
        .await
        .unwrap();
    // The walker's deputy nomination goes to the delegated partner, not to whichever member came first.
    sqlx::query("update decision_deputy set membership_id = $1").bind(dsp).execute(&app.owner).await.unwrap();
    let day = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    let (d, m, y) = (day.format("%d").to_string(), day.format("%m").to_string(), day.format("%Y").to_string());
    let mut bm = app.signed_in("bm@swindon.example").await;
    bm.get("/p/swindon/decisions/new").await;
    let raised = bm
        .post(
            "/p/swindon/decisions",
            &[
                ("decision_id", &Uuid::new_v4().to_string()),
                ("group_id", &ids["group_id"]),
                ("title", "Commission an LCSPR for Child J"),
                ("question", "Do we commission it?"),
                ("deadline_day", &d),
                ("deadline_month", &m),
                ("deadline_year", &y),
                ("deadline_time", "17:00"),
                ("confidential", "yes"),
            ],
        )
        .await;
    assert_eq!(raised.status, StatusCode::SEE_OTHER, "{}", raised.body);
    let mails: Vec<(String, String, String)> =
        sqlx::query_as("select to_email, subject, body from outbox").fetch_all(&app.owner).await.unwrap();
    assert!(
        mails.iter().any(|(to, s, b)| to == "dsp@swindon.example" && (s.contains("Child J") || b.contains("Child J"))),
        "the delegated partner was told: {mails:?}"
    );
    for (to, subject, body) in &mails {
        if to == "viewer@swindon.example" || to == "owner@swindon.example" {
            assert!(!subject.contains("Child") && !body.contains("Child"), "{to} was mailed a confidential title");
        }
    }
    // Nor the viewer's home page, the register or its count.
    let mut viewer = app.signed_in("viewer@swindon.example").await;
    for path in ["/p/swindon/", "/p/swindon/decisions"] {
        assert!(!viewer.get(path).await.contains("Child J"), "{path}");
    }
}
