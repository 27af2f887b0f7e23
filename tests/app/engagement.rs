//! Engagement: an activity recorded with children and young people, its
//! findings and what was done about them, an action through the shared
//! owner, its report on a group's next agenda, and the quarterly view that
//! flags a quarter without the views the partnership seeks every quarter.

use axum::http::StatusCode;
use chrono::Datelike;
use partnership_hub::calendar::{FinancialYear, today, working_days_after};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

async fn ok(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let page = browser.post(path, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
    page.location.unwrap()
}

#[tokio::test]
async fn an_activity_with_its_findings_actions_and_report_and_the_quarter_it_fills() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let owner = app.add_member("lead@warwickshire.example", "warwickshire", &[Role::GroupMember]).await;
    let mut bm = app.signed_in("bm@warwickshire.example").await;

    // Warwickshire seeks the views of children and young people, and of parents and carers, every quarter.
    ok(&mut bm, "/p/warwickshire/engagement/settings", &[("every_quarter", "children"), ("every_quarter", "parents_carers")]).await;
    let page = bm.get("/p/warwickshire/engagement").await;
    let grid = page.body.split("Quarter by quarter</h2>").nth(1).unwrap().split("Activities</h2>").next().unwrap().to_owned();
    assert!(grid.contains("Children and young people") && grid.contains("Parents and carers") && grid.contains("Sought every quarter"));
    assert!(grid.contains("Not yet"), "the quarter under way has had none yet");

    let home = bm.get("/p/warwickshire/").await;
    assert!(
        home.contains("Seek the views of children and young people this quarter")
            && home.contains("Seek the views of parents and carers this quarter")
    );

    // A future date, a missing count: refused with the text kept.
    let later = today() + chrono::Days::new(3);
    let (d, m, y) = (later.day().to_string(), later.month().to_string(), later.year().to_string());
    let page = bm
        .post(
            "/p/warwickshire/engagement",
            &[
                ("voice", "children"),
                ("title", "Youth forum"),
                ("held_day", &d),
                ("held_month", &m),
                ("held_year", &y),
                ("findings", "kept text"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("record an activity once it has been held")
            && page.contains("Enter how many took part")
            && page.contains("kept text")
    );

    let day = today();
    let (d, m, y) = (day.day().to_string(), day.month().to_string(), day.year().to_string());
    let form = [
        ("voice", "children"),
        ("title", "Youth forum: feeling safe online"),
        ("method", "Group session"),
        ("held_day", &d),
        ("held_month", &m),
        ("held_year", &y),
        ("participants", "18"),
        ("findings", "They do not know who to tell when something online frightens them"),
    ];
    let activity = ok(&mut bm, "/p/warwickshire/engagement", &form).await;
    assert_eq!(ok(&mut bm, "/p/warwickshire/engagement", &form).await, activity, "sent twice, recorded once");
    let page = bm.get("/p/warwickshire/engagement").await;
    assert!(page.contains("E1: Youth forum: feeling safe online"));
    let grid = page.body.split("Quarter by quarter</h2>").nth(1).unwrap().split("Activities</h2>").next().unwrap().to_owned();
    assert!(grid.contains("1 activity, 18 took part"), "{grid}");

    let home = bm.get("/p/warwickshire/").await;
    assert!(
        !home.contains("Seek the views of children and young people") && home.contains("Seek the views of parents and carers this quarter")
    );

    // What was done about it, and an action through the shared owner.
    ok(
        &mut bm,
        &activity,
        &[
            ("findings", "They do not know who to tell when something online frightens them"),
            ("what_we_did", "Schools now give every pupil a card naming who to tell"),
        ],
    )
    .await;
    let due = today() + chrono::Days::new(30);
    ok(
        &mut bm,
        &format!("{activity}/actions"),
        &[
            ("action_description", "Brief designated safeguarding leads on the card"),
            ("action_owner", &owner.to_string()),
            ("action_due_day", &due.day().to_string()),
            ("action_due_month", &due.month().to_string()),
            ("action_due_year", &due.year().to_string()),
        ],
    )
    .await;
    let engagement: Uuid =
        sqlx::query_scalar("select id from engagement where number = 1 and title like 'Youth forum%'").fetch_one(&app.owner).await.unwrap();
    let actions: i64 = sqlx::query_scalar("select count(*) from action_point where engagement_id = $1")
        .bind(engagement)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(actions, 1);

    // Reported to the executive: on the agenda of its next meeting; once.
    let executive = app.group_id("warwickshire", "Warwickshire Safeguarding Children Executive Partnership").await;
    sqlx::query(
        "insert into meeting (partnership_id, id, group_id, starts_at, ends_at)
         select partnership_id, gen_random_uuid(), id, $2::date + time '10:00', $2::date + time '12:00' from partnership_group where id = $1",
    )
    .bind(executive)
    .bind(working_days_after(today(), 15))
    .execute(&app.owner)
    .await
    .unwrap();
    let refused = bm.post(&format!("{activity}/report"), &[("report_group", "")]).await;
    assert!(refused.contains("Choose the group to report to"));
    ok(&mut bm, &format!("{activity}/report"), &[("report_group", &executive.to_string())]).await;
    ok(&mut bm, &format!("{activity}/report"), &[("report_group", &executive.to_string())]).await;
    let items: i64 =
        sqlx::query_scalar("select count(*) from agenda_item where title = 'What we heard: Youth forum: feeling safe online (E1)'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(items, 1);
    let page = bm.get(&activity).await;
    assert!(
        page.contains("Schools now give every pupil a card")
            && page.contains("Brief designated safeguarding leads on the card")
            && page.contains("To the Warwickshire Safeguarding Children Executive Partnership")
    );

    // A quarter of last year without the views sought every quarter is flagged.
    let last_year = FinancialYear::containing(today()).previous().label();
    let page = bm.get(&format!("/p/warwickshire/engagement?year={last_year}")).await;
    assert!(page.contains("govuk-tag--red\">None"), "a past quarter without children's views is flagged");

    let actions = app.audit_actions().await;
    for action in ["engagement.every_quarter", "engagement.recorded", "engagement.outcome", "engagement.reported", "action.set"] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the audit log");
    }
}
