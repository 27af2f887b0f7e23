use axum::http::StatusCode;
use chrono::Datelike;
use partnership_hub::calendar;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

#[tokio::test]
async fn minutes_go_from_draft_to_published_and_confidential_passages_never_leak() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let nurse = app.add_member("nurse@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    app.add_member("reader@swindon.example", "swindon", &[Role::Viewer]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    app.seat(nurse, executive, "Executive Nurse (linked)", None).await;

    let mut bm = app.signed_in("bm@swindon.example").await;
    let meeting = bm.add_meeting(executive, calendar::working_days_after(calendar::today(), 15)).await;
    let later = bm.add_meeting(executive, calendar::working_days_after(calendar::today(), 40)).await;
    bm.post(&format!("{meeting}/items"), &[("title", "Case review update"), ("purpose", "discussion")]).await;
    let item: Uuid = sqlx::query_scalar("select id from agenda_item").fetch_one(&app.owner).await.unwrap();
    bm.post(&format!("{meeting}/items/{item}/decide"), &[("decision", "accept")]).await;

    let minutes = format!("{meeting}/minutes");
    assert!(bm.get(&minutes).await.contains("Start the minutes"));
    bm.post(&format!("{minutes}/start"), &[]).await;
    bm.post(&format!("{minutes}/start"), &[]).await;
    let sections: Vec<(Uuid, String)> =
        sqlx::query_as("select id, heading from minute_section order by position").fetch_all(&app.owner).await.unwrap();
    assert_eq!(sections.len(), 1, "one section per agenda item, once");
    assert_eq!(sections[0].1, "Case review update");
    bm.post(&format!("{minutes}/sections"), &[("heading", "Any other business")]).await;
    let sections: Vec<(Uuid, String)> =
        sqlx::query_as("select id, heading from minute_section order by position").fetch_all(&app.owner).await.unwrap();
    let (case, aob) = (sections[0].0, sections[1].0);
    let saved = bm
        .post(
            &minutes,
            &[
                (&format!("body_{case}"), "Child A: SECRET DETAIL of the case."),
                (&format!("confidential_{case}"), "yes"),
                (&format!("body_{aob}"), "The chair thanked members."),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let due = calendar::working_days_after(calendar::today(), 20);
    let action = bm
        .post(
            &format!("{minutes}/actions"),
            &[
                ("section_id", &aob.to_string()),
                ("description", "Circulate the thank-you letter"),
                ("owner", &nurse.to_string()),
                ("due_day", &due.day().to_string()),
                ("due_month", &due.month().to_string()),
                ("due_year", &due.year().to_string()),
            ],
        )
        .await;
    assert_eq!(action.status, StatusCode::SEE_OTHER, "{}", action.body);
    let bad_action = bm.post(&format!("{minutes}/actions"), &[("section_id", &aob.to_string()), ("description", ""), ("owner", "")]).await;
    assert_eq!(bad_action.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_action.contains("Select who owns the action") && bad_action.contains("Enter the due date"));

    // The draft is the business manager's until circulated.
    let mut nurse_browser = app.signed_in("nurse@swindon.example").await;
    assert_eq!(nurse_browser.get(&minutes).await.status, StatusCode::NOT_FOUND);
    bm.post(&format!("{minutes}/circulate"), &[]).await;
    let draft = nurse_browser.get(&minutes).await;
    assert_eq!(draft.status, StatusCode::OK);
    assert!(draft.contains("SECRET DETAIL"), "members of the group read the full draft");
    assert!(
        nurse_browser.post(&format!("{minutes}/comments"), &[("body", "Please add my apologies.")]).await.status == StatusCode::SEE_OTHER
    );
    let mail: i64 =
        sqlx::query_scalar("select count(*) from outbox where subject like 'Draft minutes%'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(mail, 1, "the group's member was told");

    // Someone not in the group sees nothing until publication, and then not the confidential passage.
    let mut reader = app.signed_in("reader@swindon.example").await;
    assert_eq!(reader.get(&minutes).await.status, StatusCode::NOT_FOUND);
    assert_eq!(reader.post(&format!("{minutes}/comments"), &[("body", "Me too")]).await.status, StatusCode::FORBIDDEN);

    // Approval needs a later meeting of the group.
    let not_later = bm.post(&format!("{minutes}/approve"), &[("approved_at_meeting_id", meeting.rsplit('/').next().unwrap())]).await;
    assert_eq!(not_later.status, StatusCode::UNPROCESSABLE_ENTITY);
    let later_id = later.rsplit('/').next().unwrap().to_string();
    assert_eq!(bm.post(&format!("{minutes}/approve"), &[("approved_at_meeting_id", &later_id)]).await.status, StatusCode::SEE_OTHER);
    let locked = bm.post(&minutes, &[(&format!("body_{aob}"), "Changed after approval")]).await;
    assert_eq!(locked.status, StatusCode::SEE_OTHER);
    let body: String = sqlx::query_scalar("select body from minute_section where id = $1").bind(aob).fetch_one(&app.owner).await.unwrap();
    assert_eq!(body, "The chair thanked members.", "approved minutes are not changed");
    bm.post(&format!("{minutes}/publish"), &[]).await;
    bm.post(&format!("{minutes}/publish"), &[]).await;

    let published = reader.get(&format!("{minutes}/published")).await;
    assert_eq!(published.status, StatusCode::OK);
    assert!(published.contains("The chair thanked members."));
    assert!(published.contains("Any other business"));
    assert!(!published.contains("SECRET DETAIL"), "confidential passages are left out");
    assert!(!published.contains("Case review update"), "not even their heading");
    assert!(published.contains("Attendance"));
    let redirected = reader.get(&minutes).await;
    assert_eq!(redirected.status, StatusCode::SEE_OTHER, "others are sent to the published version");
    let statuses: Vec<String> =
        sqlx::query_scalar("select after->>'status' from audit_log where action = 'minutes.status_changed' order by id")
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(statuses, ["circulated", "approved", "published"]);
}

#[tokio::test]
async fn an_action_from_the_minutes_is_on_its_owners_home_page_until_done() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    app.add_member("someone@swindon.example", "swindon", &[Role::GroupMember]).await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let swindon = app.partnership_id("swindon").await;
    let (overdue, later) = (Uuid::new_v4(), Uuid::new_v4());
    for (id, text, due) in [(overdue, "Send the audit report", "2026-01-31"), (later, "Book the training venue", "2099-01-31")] {
        sqlx::query("insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, group_id) values ($1, $2, $3, $4, 'Owner', $5::date, $6)")
            .bind(swindon).bind(id).bind(text).bind(owner).bind(due).bind(delivery)
            .execute(&app.owner).await.unwrap();
    }
    let mut browser = app.signed_in("owner@swindon.example").await;
    let home = browser.get("/p/swindon/").await;
    assert!(home.contains("What needs you now"));
    let row = &home.body[home.body.find("Send the audit report").unwrap()..];
    assert!(row[..600].contains("Your action") && row[..600].contains("Overdue"), "{}", &row[..600]);
    let later = &home.body[home.body.find("Book the training venue").expect("every open action of theirs is listed")..];
    assert!(!later[..600].contains("Overdue"), "an action due later is not overdue");
    assert!(home.body.find("Send the audit report") < home.body.find("Book the training venue"), "soonest first");
    let group = browser.get(&format!("/p/swindon/groups/{delivery}")).await;
    assert!(group.contains("Book the training venue"));

    let mut someone = app.signed_in("someone@swindon.example").await;
    assert_eq!(someone.post(&format!("/p/swindon/actions/{overdue}"), &[("status", "complete")]).await.status, StatusCode::FORBIDDEN);
    browser.get("/p/swindon/actions").await;
    assert_eq!(browser.post(&format!("/p/swindon/actions/{overdue}"), &[("status", "complete")]).await.status, StatusCode::SEE_OTHER);
    let home = browser.get("/p/swindon/").await;
    assert!(!home.contains("Send the audit report</li>") && !home.contains("Send the audit report, due"));
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'action.status_changed'").fetch_one(&app.owner).await.unwrap();
    assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("not_started"), Some("complete")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_action_added_from_the_minutes_twice_by_a_double_click_is_one_action() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let meeting = bm.add_meeting(executive, calendar::working_days_after(calendar::today(), 15)).await;
    let minutes = format!("{meeting}/minutes");
    bm.post(&format!("{minutes}/start"), &[]).await;
    bm.post(&format!("{minutes}/sections"), &[("heading", "Any other business")]).await;
    let section: Uuid = sqlx::query_scalar("select id from minute_section").fetch_one(&app.owner).await.unwrap();
    let due = calendar::working_days_after(calendar::today(), 20);
    let (section, owner, d, m, y) =
        (section.to_string(), owner.to_string(), due.day().to_string(), due.month().to_string(), due.year().to_string());
    let mut clicks = Vec::new();
    for _ in 0..2 {
        let (mut bm, path) = (bm.clone(), format!("{minutes}/actions"));
        let fields = [
            ("section_id", section.clone()),
            ("description", "Circulate the thank-you letter".to_owned()),
            ("owner", owner.clone()),
            ("due_day", d.clone()),
            ("due_month", m.clone()),
            ("due_year", y.clone()),
        ];
        clicks.push(tokio::spawn(async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            bm.post(&path, &fields).await.status
        }));
    }
    for click in clicks {
        assert_eq!(click.await.unwrap(), StatusCode::SEE_OTHER);
    }
    let actions: i64 = sqlx::query_scalar("select count(*) from action_point").fetch_one(&app.owner).await.unwrap();
    assert_eq!(actions, 1, "a double click sets one action");
    let audited = app.audit_actions().await.iter().filter(|a| *a == "action.set").count();
    assert_eq!(audited, 1, "and audits it once");
}

#[tokio::test]
async fn the_action_tracker_lists_everyones_open_actions_a_page_at_a_time_soonest_due_first() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    let swindon = app.partnership_id("swindon").await;
    // 230 open actions due one a day from the first of March, and a done one that is listed only when asked for.
    sqlx::query(
        "insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on)
         select $1, gen_random_uuid(), 'Action number ' || lpad(n::text, 3, '0'), $2, 'Owner', date '2099-03-01' + n
         from generate_series(1, 230) n",
    )
    .bind(swindon)
    .bind(owner)
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query("insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on, status) values ($1, gen_random_uuid(), 'Long finished', $2, 'Owner', date '2099-01-01', 'complete')")
        .bind(swindon).bind(owner).execute(&app.owner).await.unwrap();
    let mut bm = app.signed_in("bm@swindon.example").await;

    let first = bm.get("/p/swindon/actions").await;
    assert!(first.contains("Showing 1 to 50 of 230 actions."), "{}", first.body);
    assert!(first.contains("Action number 001") && first.contains("Action number 050"));
    assert!(!first.contains("Action number 051") && !first.contains("Long finished"));
    assert!(first.contains("href=\"/p/swindon/actions?sort=due&#38;order=asc&#38;page=2\""), "a link to the next page: {}", first.body);
    assert!(first.contains("aria-label=\"Page 5\""), "and to the last");

    let third = bm.get("/p/swindon/actions?size=100&page=3").await;
    assert!(third.contains("Showing 201 to 230 of 230 actions."), "{}", third.body);
    assert!(third.contains("Action number 230") && !third.contains("Action number 200"));

    // Nonsense asks for the first page of the usual size; a page past the end says so and offers the first.
    assert!(bm.get("/p/swindon/actions?page=-5&size=7").await.contains("Showing 1 to 50 of 230 actions."));
    assert!(bm.get("/p/swindon/actions?page=abc").await.contains("Showing 1 to 50 of 230 actions."));
    let past = bm.get("/p/swindon/actions?page=99").await;
    assert_eq!(past.status, StatusCode::OK);
    assert!(past.contains("There is no page 99 of these actions.") && past.contains("Go to the first page"), "{}", past.body);

    // Complete actions are there when asked for.
    assert!(bm.get("/p/swindon/actions?status=complete").await.contains("Long finished"));

    // The owner sees their own, with no choice of owner, whatever the address asks.
    sqlx::query("insert into action_point (partnership_id, id, description, owner_name, due_on) values ($1, gen_random_uuid(), 'Someone else''s', 'Someone', date '2099-03-02')")
        .bind(swindon).execute(&app.owner).await.unwrap();
    assert!(bm.get("/p/swindon/actions").await.contains("Someone else&#39;s"));
    let mut owner_browser = app.signed_in("owner@swindon.example").await;
    let own = owner_browser.get("/p/swindon/actions?size=200&page=2&owner=").await;
    assert!(own.contains("Action number 230") && own.contains("Showing 201 to 230 of 230 actions."), "{}", own.body);
    assert!(!own.contains("name=\"owner\"") && !own.contains("Someone else"));
}

#[tokio::test]
async fn a_business_managers_home_page_has_their_own_actions_and_the_most_overdue_of_everyones() {
    let app = TestApp::spawn().await;
    let bm = app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    let swindon = app.partnership_id("swindon").await;
    let insert = "insert into action_point (partnership_id, id, description, owner_membership_id, owner_name, due_on)
                  select $1, gen_random_uuid(), $3 || lpad(n::text, 2, '0'), $2, 'Someone', $4::date + n from generate_series(1, $5) n";
    // 25 of someone else's, overdue since January 2026 (Overdue 01 the most); 2 of the manager's own due long after.
    sqlx::query(insert).bind(swindon).bind(owner).bind("Overdue ").bind("2026-01-01").bind(25).execute(&app.owner).await.unwrap();
    sqlx::query(insert).bind(swindon).bind(bm).bind("Mine later ").bind("2099-01-01").bind(2).execute(&app.owner).await.unwrap();
    let mut browser = app.signed_in("bm@swindon.example").await;
    let home = browser.get("/p/swindon/").await;
    assert!(home.contains("Mine later 01") && home.contains("Mine later 02"), "{}", home.body);
    // How many are overdue, naming the most overdue, linked to the tracker.
    let at = home.body.find("25 actions are overdue").expect("the overdue actions are counted");
    assert!(home.body[at..at + 400].contains("The most overdue: Overdue 01 (Someone)"), "{}", &home.body[at..at + 400]);
    assert!(!home.contains("Overdue 02") && !home.contains("Overdue 25"), "one line, not one each");
    assert!(home.body[at - 200..at].contains("href=\"/p/swindon/actions?status=overdue\""), "it links to the tracker's overdue actions");
}

#[tokio::test]
async fn every_button_of_the_minutes_keeps_and_saves_everything_typed_on_the_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let meeting = bm.add_meeting(executive, calendar::working_days_after(calendar::today(), 15)).await;
    let minutes = format!("{meeting}/minutes");
    bm.post(&format!("{minutes}/start"), &[]).await;
    bm.post(&format!("{minutes}/sections"), &[("heading", "Any other business")]).await;
    let section: Uuid = sqlx::query_scalar("select id from minute_section").fetch_one(&app.owner).await.unwrap();
    let due = calendar::working_days_after(calendar::today(), 20);
    let (body, confidential) = (format!("body_{section}"), format!("confidential_{section}"));
    let (section, owner, d, m, y) =
        (section.to_string(), owner.to_string(), due.day().to_string(), due.month().to_string(), due.year().to_string());
    let typed = |owner: &str, heading: &str| {
        vec![
            (body.clone(), "The chair thanked the partners.".to_owned()),
            (confidential.clone(), "yes".to_owned()),
            ("heading".to_owned(), heading.to_owned()),
            ("section_id".to_owned(), section.clone()),
            ("description".to_owned(), "Write to the partners".to_owned()),
            ("owner".to_owned(), owner.to_owned()),
            ("due_day".to_owned(), d.clone()),
            ("due_month".to_owned(), m.clone()),
            ("due_year".to_owned(), y.clone()),
        ]
    };
    let stored = || {
        let pool = app.owner.clone();
        async move {
            let (body, confidential): (String, bool) =
                sqlx::query_as("select body, confidential from minute_section where heading = 'Any other business'")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let actions: i64 = sqlx::query_scalar("select count(*) from action_point").fetch_one(&pool).await.unwrap();
            let sections: i64 = sqlx::query_scalar("select count(*) from minute_section").fetch_one(&pool).await.unwrap();
            (body, confidential, actions, sections)
        }
    };
    let post = |browser: &mut Browser, path: String, fields: Vec<(String, String)>| {
        let mut browser = browser.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            browser.post(&path, &fields).await
        }
    };

    // "Add section" with no heading: refused, and every field comes back as typed; nothing is written.
    let page = post(&mut bm, format!("{minutes}/sections"), typed("", "")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("section&#39;s heading"), "{}", page.body);
    assert!(page.contains(">The chair thanked the partners.</textarea>"), "the minute's text is kept");
    assert!(page.contains(&format!("name=\"{confidential}\" type=\"checkbox\" value=\"yes\" checked")), "its mark is kept");
    assert!(page.contains(">Write to the partners</textarea>"), "the action's text is kept");
    assert!(page.contains(&format!("value=\"{y}\"")), "its due date is kept");
    assert!(page.contains("Select who owns the action"), "the half-typed action is checked too");
    assert_eq!(stored().await, (String::new(), false, 0, 1), "nothing is written until all of it is right");

    // "Add action" with a heading typed as well: the action, the section and the minute's text are all saved.
    let page = post(&mut bm, format!("{minutes}/actions"), typed(&owner, "Date of next meeting")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(stored().await, ("The chair thanked the partners.".to_owned(), true, 1, 2));

    // Circulating saves what was typed since.
    let mut fields = vec![(body.clone(), "The chair thanked every partner.".to_owned())];
    fields.push(("heading".to_owned(), String::new()));
    let page = post(&mut bm, format!("{minutes}/circulate"), fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let (text, _, actions, _) = stored().await;
    assert_eq!((text.as_str(), actions), ("The chair thanked every partner.", 1));
    let status: String = sqlx::query_scalar("select status from minutes").fetch_one(&app.owner).await.unwrap();
    assert_eq!(status, "circulated");
}
