use axum::http::StatusCode;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

#[tokio::test]
async fn the_seeded_structure_says_what_the_partnerships_documents_say() {
    let app = TestApp::spawn().await;
    let groups: Vec<(String, String, Option<i32>)> = sqlx::query_as(
        "select p.slug, g.name, g.meetings_per_year from partnership_group g join partnership p on p.id = g.partnership_id order by p.slug, g.sort_order",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let of = |slug: &str| groups.iter().filter(|(s, _, _)| s == slug).map(|(_, n, m)| (n.as_str(), *m)).collect::<Vec<_>>();
    let swindon = of("swindon");
    assert_eq!(swindon[0], ("Swindon Safeguarding Executive", Some(8)), "the Executive meets 8 times a year");
    for subgroup in [
        "Delivery Group",
        "Workforce Development",
        "Practice Review Group",
        "Policies and Procedures",
        "Communication and Engagement",
        "Performance and Quality Assurance (Adults)",
        "Performance and Quality Assurance (Children)",
        "Swindon Safeguarding Adult Board",
        "Swindon Safeguarding Children Partnership",
    ] {
        assert!(swindon.contains(&(subgroup, Some(4))), "Swindon's {subgroup} meets four times a year");
    }
    assert!(swindon.contains(&("Priority Focus Groups", None)), "Priority Focus Groups meet as required");
    let warwickshire: Vec<&str> = of("warwickshire").into_iter().map(|(n, _)| n).collect();
    assert_eq!(warwickshire.len(), 10, "the ten groups of Warwickshire's section 26");
    for name in [
        "Safeguarding Review Group",
        "Assurance and Review Group",
        "Education Safeguarding Group",
        "Learning & Development Group",
        "Adolescent Safeguarding Group",
        "Families First Steering Subgroup",
        "Practice Priority Subgroup",
        "Delegated Safeguarding Partners Group",
    ] {
        assert!(warwickshire.contains(&name), "{name}");
    }
    let telford: Vec<&str> = of("telford-wrekin").into_iter().map(|(n, _)| n).collect();
    for name in [
        "Safeguarding Executive",
        "Neglect",
        "Domestic Abuse",
        "Exploitation",
        "Corporate Parenting Strategic Group",
        "Safeguarding Partnership",
    ] {
        assert!(telford.contains(&name), "{name}");
    }
    let agencies: Vec<(String, i64)> = sqlx::query_as(
        "select p.slug, count(*) from organisation o join partnership p on p.id = o.partnership_id where o.is_relevant_agency group by p.slug order by p.slug",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert!(agencies.contains(&("swindon".into(), 29)), "Swindon's member agencies: {agencies:?}");
    assert!(agencies.contains(&("warwickshire".into(), 21)), "Warwickshire's Appendix 1: {agencies:?}");
    let links: Vec<String> = sqlx::query_scalar(
        "select l.board_name from board_link l join partnership p on p.id = l.partnership_id where p.slug = 'telford-wrekin' order by 1",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(links, ["Health and Wellbeing Board", "Safer Telford and Wrekin Partnership"]);
}

#[tokio::test]
async fn loading_the_seed_again_adds_nothing_and_keeps_what_people_changed() {
    let app = TestApp::spawn().await;
    let count = || async {
        let n: i64 = sqlx::query_scalar("select (select count(*) from partnership_group) + (select count(*) from group_member) + (select count(*) from post_holder) + (select count(*) from organisation)")
            .fetch_one(&app.owner)
            .await
            .unwrap();
        n
    };
    let before = count().await;
    sqlx::query("update partnership_group set purpose = 'Changed by the business manager' where name = 'Delivery Group'")
        .execute(&app.owner)
        .await
        .unwrap();
    partnership_hub::seed::run(&app.owner, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed")).await.unwrap();
    assert_eq!(count().await, before);
    let purpose: String =
        sqlx::query_scalar("select purpose from partnership_group where name = 'Delivery Group'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(purpose, "Changed by the business manager");
}

#[tokio::test]
async fn every_member_sees_the_arrangements_and_a_chart_of_every_current_group() {
    let app = TestApp::spawn().await;
    app.add_member("viewer@warwickshire.example", "warwickshire", &[Role::Viewer]).await;
    let mut browser = app.signed_in("viewer@warwickshire.example").await;
    let page = browser.get("/p/warwickshire/structure").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Warwickshire County Council",
        "Coventry and Warwickshire Integrated Care Board",
        "Warwickshire Police",
        "Education (local authority and education providers)",
        "Chief Constable, Warwickshire Police",
        "Independent Scrutineer",
        "Quorum of 3",
        "yearly rotating basis",
        "Children",
    ] {
        assert!(page.contains(text), "the structure page says {text:?}");
    }
    // Education's two-year terms: who holds it now (2025/27) and who is next (2027/29).
    let education = &page.body[page.body.find("Education (local authority and education providers)").unwrap()..];
    let row = &education[..education.find("</tr>").unwrap()];
    assert!(row.contains("representative, 2025/27"), "current holder");
    assert!(row.contains("representative, 2027/29"), "next holder");
    assert!(!page.contains("Needs attention"), "a viewer is not given the business manager's to-do list");

    let svg = &page.body[page.body.find("<svg").unwrap()..page.body.find("</svg>").unwrap()];
    let groups: Vec<String> = sqlx::query_scalar(
        "select g.name from partnership_group g join partnership p on p.id = g.partnership_id where p.slug = 'warwickshire' and g.retired_on is null",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(svg.matches("<rect").count(), groups.len() + 4, "a box for every group and each of the four linked boards");
    assert!(svg.contains(&format!("{} groups", groups.len())));
    for name in &groups {
        let escaped = name.replace('&', "&#38;");
        assert!(page.contains(&format!(">{escaped}</a>")), "the text equivalent lists {name}");
        let first_word = name.split_whitespace().next().unwrap().replace('&', "&amp;");
        assert!(svg.contains(&first_word), "the chart draws {name}");
    }
}

#[tokio::test]
async fn a_business_manager_sees_what_needs_attention() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let swindon = app.partnership_id("swindon").await;
    sqlx::query("insert into partnership_group (partnership_id, id, name, kind, ends_on) values ($1, $2, 'Old task group', 'task_and_finish', '2024-03-31')")
        .bind(swindon)
        .bind(Uuid::new_v4())
        .execute(&app.owner)
        .await
        .unwrap();
    let mut browser = app.signed_in("bm@swindon.example").await;
    let page = browser.get("/p/swindon/structure").await;
    assert!(page.contains("Needs attention"));
    assert!(page.contains("Old task group: time-limited group past its end date (31 March 2024)"));
    assert!(page.contains("Delivery Group: no chair"));
    assert!(page.contains("Workforce Development: no terms of reference recorded"));
    assert!(page.contains("Swindon Safeguarding Executive: terms of reference were due for review on 1 April 2026"));
    assert!(page.contains("Chair of the Safeguarding Executive: nobody holds this post now"));
    assert!(page.contains("29 relevant agencies with a Section 11 self-assessment overdue"));
}

#[tokio::test]
async fn a_group_page_shows_purpose_terms_chair_and_members() {
    let app = TestApp::spawn().await;
    app.add_member("chair@swindon.example", "swindon", &[Role::GroupChair]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut browser = app.signed_in("chair@swindon.example").await;
    let page = browser.get(&format!("/p/swindon/groups/{executive}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "8 times a year",
        "Independent Chair",
        "Executive Nurse",
        "Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board",
        "Invited when needed",
        "Adopted",
        "1 April 2025",
        "Review due",
        "Delivery Group",
        "sets the budget",
    ] {
        assert!(page.contains(text), "{text}");
    }
    assert!(!page.contains("Change the group"), "only business managers change groups");
}

#[tokio::test]
async fn a_business_manager_adds_a_time_limited_group_with_a_chair_and_terms_and_it_is_audited() {
    let app = TestApp::spawn().await;
    app.add_member("bm@telford.example", "telford-wrekin", &[Role::BusinessManager]).await;
    let executive = app.group_id("telford-wrekin", "Safeguarding Executive").await;
    let mut browser = app.signed_in("bm@telford.example").await;
    browser.get("/p/telford-wrekin/groups/new").await;
    let created = browser
        .post(
            "/p/telford-wrekin/groups/new",
            &[
                ("name", "Child Sexual Abuse Task Group"),
                ("kind", "task_and_finish"),
                ("purpose", "Review the response to child sexual abuse."),
                ("meetings_per_year", "6"),
                ("reports_to", &executive.to_string()),
                ("ends_on_day", "31"),
                ("ends_on_month", "3"),
                ("ends_on_year", "2027"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let group_path = created.location.unwrap();
    let page = browser.get(&group_path).await;
    assert!(page.contains("Until 31 March 2027"));
    assert!(page.contains("Safeguarding Executive"));

    browser.get(&format!("{group_path}/members/new")).await;
    let seat = browser
        .post(
            &format!("{group_path}/members/new"),
            &[
                ("person_name", "Head of Public Protection"),
                ("role_in_group", "chair"),
                ("starts_on_day", "1"),
                ("starts_on_month", "1"),
                ("starts_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(seat.status, StatusCode::SEE_OTHER, "{}", seat.body);
    browser.get(&format!("{group_path}/terms/new")).await;
    let terms = browser
        .post(
            &format!("{group_path}/terms/new"),
            &[
                ("summary", "Purpose, membership, quorum."),
                ("adopted_on_day", "10"),
                ("adopted_on_month", "11"),
                ("adopted_on_year", "2026"),
            ],
        )
        .await;
    assert_eq!(terms.status, StatusCode::SEE_OTHER, "{}", terms.body);
    let page = browser.get(&group_path).await;
    assert!(page.contains("Head of Public Protection"));
    assert!(page.contains("10 November 2026"));
    assert!(page.contains("1 April 2027"), "review falls due at the start of the next financial year");
    let structure = browser.get("/p/telford-wrekin/structure").await;
    assert!(structure.contains("Child Sexual Abuse Task Group"));
    assert!(!structure.contains("Child Sexual Abuse Task Group: no chair"));

    let actions: Vec<(String, Option<serde_json::Value>)> =
        sqlx::query_as("select action, after from audit_log where action in ('group.created', 'group_member.added', 'terms_of_reference.adopted') order by id")
            .fetch_all(&app.owner)
            .await
            .unwrap();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(names, ["group.created", "group_member.added", "terms_of_reference.adopted"]);
    assert_eq!(actions[0].1.as_ref().unwrap()["ends_on"], "2027-03-31");

    // Changing and retiring keep before and after.
    let edit = format!("{group_path}/edit");
    browser.get(&edit).await;
    let changed = browser
        .post(
            &edit,
            &[("name", "CSA Task Group"), ("kind", "task_and_finish"), ("meetings_per_year", ""), ("reports_to", &executive.to_string())],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'group.updated'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["name"], "Child Sexual Abuse Task Group");
    assert_eq!(after["name"], "CSA Task Group");
    assert_eq!(after["meetings_per_year"], serde_json::Value::Null);
    let retired = browser.post(&format!("{group_path}/retire"), &[]).await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER);
    let structure = browser.get("/p/telford-wrekin/structure").await;
    assert!(structure.contains("CSA Task Group retired"), "the business manager is told");
    assert!(!structure.contains(">CSA Task Group</a>"), "a retired group leaves the list");
    let svg = &structure.body[structure.body.find("<svg").unwrap()..structure.body.find("</svg>").unwrap()];
    assert!(!svg.contains("CSA Task"), "a retired group leaves the chart");
    let kept = browser.get(&group_path).await;
    assert!(kept.contains("This group was retired"), "its record is kept");
}

#[tokio::test]
async fn a_group_with_groups_under_it_cannot_be_retired_or_made_to_report_to_its_own_subgroup() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/structure").await;
    let refused = browser.post(&format!("/p/swindon/groups/{delivery}/retire"), &[]).await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let page = browser.get(&format!("/p/swindon/groups/{delivery}")).await;
    assert!(page.contains("was not retired"));
    let cycle = browser
        .post(
            &format!("/p/swindon/groups/{executive}/edit"),
            &[("name", "Swindon Safeguarding Executive"), ("kind", "executive"), ("reports_to", &delivery.to_string())],
        )
        .await;
    assert_eq!(cycle.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(cycle.contains("Select an option from the list"));
}

#[tokio::test]
async fn bad_input_on_structure_forms_is_explained() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let warwickshire_org: Uuid =
        sqlx::query_scalar("select id from organisation where name = 'Warwickshire Police'").fetch_one(&app.owner).await.unwrap();
    let warwickshire_group = app.group_id("warwickshire", "Safeguarding Review Group").await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/structure").await;
    let long = "x".repeat(201);
    let (warwickshire_group, warwickshire_org) = (warwickshire_group.to_string(), warwickshire_org.to_string());
    // (where, what is sent, what the page must say)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        ("/p/swindon/groups/new".into(), vec![("name", ""), ("kind", "subgroup")], "Enter the group&#39;s name"),
        ("/p/swindon/groups/new".into(), vec![("name", &long), ("kind", "subgroup")], "200 characters or fewer"),
        ("/p/swindon/groups/new".into(), vec![("name", "X"), ("kind", "cabal")], "Select the kind of group"),
        (
            "/p/swindon/groups/new".into(),
            vec![("name", "X"), ("kind", "subgroup"), ("meetings_per_year", "99")],
            "whole number from 1 to 52",
        ),
        (
            "/p/swindon/groups/new".into(),
            vec![("name", "X"), ("kind", "subgroup"), ("ends_on_day", "31"), ("ends_on_month", "2"), ("ends_on_year", "2027")],
            "End date must be a real date",
        ),
        (
            "/p/swindon/groups/new".into(),
            vec![("name", "X"), ("kind", "subgroup"), ("reports_to", &warwickshire_group)],
            "Select an option from the list",
        ),
        ("/p/swindon/groups/new".into(), vec![("name", "Delivery Group"), ("kind", "subgroup")], "A group with this name already exists"),
        (
            format!("/p/swindon/groups/{delivery}/members/new"),
            vec![
                ("person_name", "X"),
                ("role_in_group", "member"),
                ("organisation_id", &warwickshire_org),
                ("starts_on_day", "1"),
                ("starts_on_month", "1"),
                ("starts_on_year", "2026"),
            ],
            "Select an option from the list",
        ),
        (
            format!("/p/swindon/groups/{delivery}/members/new"),
            vec![("person_name", "X"), ("role_in_group", "member")],
            "Enter the start date",
        ),
        (
            format!("/p/swindon/groups/{delivery}/terms/new"),
            vec![
                ("summary", "Text"),
                ("adopted_on_day", "1"),
                ("adopted_on_month", "4"),
                ("adopted_on_year", "2026"),
                ("review_due_on_day", "1"),
                ("review_due_on_month", "1"),
                ("review_due_on_year", "2026"),
            ],
            "Review date must be after the date adopted",
        ),
        (
            "/p/swindon/agencies/new".into(),
            vec![("name", "Agency"), ("sector", "health"), ("contact_email", "not-an-email")],
            "correct format",
        ),
        (
            "/p/swindon/agencies/new".into(),
            vec![("name", "Agency"), ("sector", "health"), ("section11_day", "1"), ("section11_month", "1"), ("section11_year", "2099")],
            "today or in the past",
        ),
        ("/p/swindon/agencies/new".into(), vec![("name", "NSPCC"), ("sector", "voluntary")], "already listed"),
        ("/p/swindon/structure/posts/new".into(), vec![("kind", "lead_partner"), ("title", "")], "Enter the post&#39;s title"),
        ("/p/swindon/structure/links/new".into(), vec![("board_name", "")], "Enter the board&#39;s name"),
        ("/p/swindon/structure/arrangements".into(), vec![("section11_interval_months", "0")], "whole number from 1 to 120"),
    ];
    let before: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(&app.owner).await.unwrap();
    for (path, fields, message) in cases {
        let page = browser.post(&path, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {fields:?}: {}", page.status);
        assert!(page.contains("There is a problem"), "{path} {fields:?}");
        assert!(page.contains(message), "{path} {fields:?} should say {message:?}");
    }
    let after: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before, after, "nothing was written");
}

#[tokio::test]
async fn the_next_holder_of_a_post_can_be_recorded_in_advance() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@warwickshire.example").await;
    browser.get("/p/warwickshire/structure/posts/new").await;
    let created = browser
        .post(
            "/p/warwickshire/structure/posts/new",
            &[("kind", "delegated_partner"), ("title", "Delegated safeguarding partner: Education"), ("notes", "Two-year terms")],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let post_path = created.location.unwrap();
    for (name, start, end) in
        [("Head teacher A", ("1", "9", "2025"), ("31", "8", "2027")), ("Head teacher B", ("1", "9", "2027"), ("31", "8", "2029"))]
    {
        let added = browser
            .post(
                &post_path,
                &[
                    ("holder_name", name),
                    ("starts_on_day", start.0),
                    ("starts_on_month", start.1),
                    ("starts_on_year", start.2),
                    ("ends_on_day", end.0),
                    ("ends_on_month", end.1),
                    ("ends_on_year", end.2),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    }
    let backwards = browser
        .post(
            &post_path,
            &[
                ("holder_name", "Backwards"),
                ("starts_on_day", "1"),
                ("starts_on_month", "9"),
                ("starts_on_year", "2029"),
                ("ends_on_day", "1"),
                ("ends_on_month", "9"),
                ("ends_on_year", "2028"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(backwards.contains("End date must be the same as or after the start date"));
    let page = browser.get(&post_path).await;
    let a = page.body.find("Head teacher A").unwrap();
    let b = page.body.find("Head teacher B").unwrap();
    assert!(page.body[a..b].contains("Current"));
    assert!(page.body[b..].contains("Next"));
    let holders: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'post_holder.added'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(holders, 2);
}

#[tokio::test]
async fn relevant_agencies_show_section_11_due_dates_and_the_overdue_list() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@warwickshire.example").await;
    let all = browser.get("/p/warwickshire/agencies").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.contains("21 agencies"));
    assert!(all.contains("Barnardo&#39;s"));
    let overdue_count = all.body.matches("govuk-tag--red\">Overdue").count();
    let overdue = browser.get("/p/warwickshire/agencies?overdue=1").await;
    assert_eq!(
        overdue.body.matches("<tr class=\"govuk-table__row\">").count() - 1,
        overdue_count,
        "one row per overdue agency (plus the header)"
    );
    assert!(overdue_count > 0 && overdue_count < 21);

    // Recording a new assessment takes the agency off the overdue list, and is audited.
    let fire: Uuid = sqlx::query_scalar("select id from organisation where name = 'Warwickshire Fire and Rescue Service'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let path = format!("/p/warwickshire/agencies/{fire}");
    assert!(browser.get(&path).await.contains("Warwickshire Fire and Rescue Service"));
    let today = partnership_hub::calendar::today();
    use chrono::Datelike;
    let saved = browser
        .post(
            &path,
            &[
                ("name", "Warwickshire Fire and Rescue Service"),
                ("sector", "other"),
                ("relevant_agency", "yes"),
                ("contact_name", "Safeguarding lead"),
                ("contact_email", "safeguarding@fire.example"),
                ("section11_day", &today.day().to_string()),
                ("section11_month", &today.month().to_string()),
                ("section11_year", &today.year().to_string()),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(browser.get("/p/warwickshire/agencies").await.contains("Warwickshire Fire and Rescue Service updated"));
    let overdue = browser.get("/p/warwickshire/agencies?overdue=1").await;
    assert!(!overdue.contains("Warwickshire Fire and Rescue Service"));
    let (before, after): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'organisation.updated'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["contact_name"], "");
    assert_eq!(after["contact_name"], "Safeguarding lead");
}

/// The statements the database ran to serve one page.
async fn statements_for_page(app: &TestApp, browser: &mut crate::harness::Browser, path: &str) -> i64 {
    let before = app.statements_run().await;
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    // The count itself is one statement, the same every time.
    app.statements_run().await - before
}

#[tokio::test]
async fn the_structure_page_runs_the_same_number_of_queries_however_many_groups() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/structure").await;
    let with_seeded_groups = statements_for_page(&app, &mut browser, "/p/swindon/structure").await;
    let swindon = app.partnership_id("swindon").await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    for n in 0..40 {
        let id = Uuid::new_v4();
        sqlx::query("insert into partnership_group (partnership_id, id, name, kind, reports_to_id, meetings_per_year) values ($1, $2, $3, 'subgroup', $4, 4)")
            .bind(swindon).bind(id).bind(format!("Extra group {n}")).bind(delivery)
            .execute(&app.owner).await.unwrap();
        sqlx::query(
            "insert into group_member (partnership_id, id, group_id, person_name, role_in_group) values ($1, $2, $3, 'A chair', 'chair')",
        )
        .bind(swindon)
        .bind(Uuid::new_v4())
        .bind(id)
        .execute(&app.owner)
        .await
        .unwrap();
        sqlx::query("insert into terms_of_reference (partnership_id, id, group_id, adopted_on, review_due_on) values ($1, $2, $3, '2026-04-01', '2027-04-01')")
            .bind(swindon).bind(Uuid::new_v4()).bind(id)
            .execute(&app.owner).await.unwrap();
    }
    let with_many_more = statements_for_page(&app, &mut browser, "/p/swindon/structure").await;
    assert_eq!(with_seeded_groups, with_many_more, "the structure page's queries do not grow with its groups");
    assert!(with_seeded_groups < 30, "{with_seeded_groups} statements for one page");
}

#[tokio::test]
async fn ending_a_seat_keeps_it_as_history_and_withdrawing_an_appointment_not_begun_is_audited() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let (seat, name): (Uuid, String) =
        sqlx::query_as("select id, person_name from group_member where group_id = $1 and role_in_group = 'member' limit 1")
            .bind(dspg)
            .fetch_one(&app.owner)
            .await
            .unwrap();
    let mut browser = app.signed_in("bm@warwickshire.example").await;
    browser.get(&format!("/p/warwickshire/groups/{dspg}")).await;
    let ended = browser.post(&format!("/p/warwickshire/groups/{dspg}/members/{seat}/end"), &[]).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let again = browser.post(&format!("/p/warwickshire/groups/{dspg}/members/{seat}/end"), &[]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "a second click does no harm");
    let page = browser.get(&format!("/p/warwickshire/groups/{dspg}")).await;
    assert!(page.contains(&name), "the seat stays as history");
    let ended_rows: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'group_member.ended'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(ended_rows, 1);

    // Education's 2027/29 representative has not begun: ending it withdraws the appointment.
    let (post, next): (Uuid, Uuid) = sqlx::query_as("select h.post_id, h.id from post_holder h where h.holder_name like '%2027/29%'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let page = browser.get(&format!("/p/warwickshire/structure/posts/{post}")).await;
    assert!(page.contains("Withdraw appointment of Education lead safeguarding partner representative, 2027/29"));
    let withdrawn = browser.post(&format!("/p/warwickshire/structure/posts/{post}/holders/{next}/end"), &[]).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    let before: serde_json::Value =
        sqlx::query_scalar("select before from audit_log where action = 'post_holder.withdrawn'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before["starts_on"], "2027-09-01");
    assert!(browser.get(&format!("/p/warwickshire/structure/posts/{post}")).await.contains("which had not begun, is withdrawn"));
    assert!(!browser.get("/p/warwickshire/structure").await.contains("2027/29"), "no longer shown as next");
}

#[tokio::test]
async fn the_demo_partners_and_group_member_take_their_organisations_seats_on_the_first_group() {
    let app = TestApp::spawn().await;
    let files = partnership_hub::seed::load_dir(&partnership_hub::seed::seed_dir()).unwrap();
    let seats_before: i64 = sqlx::query_scalar("select count(*) from group_member").fetch_one(&app.owner).await.unwrap();
    let accounts = std::env::temp_dir().join(format!("demo-accounts-{}.txt", Uuid::new_v4()));
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    // Twice, as `start` does on every run: nothing more is seated.
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    let seats_after: i64 = sqlx::query_scalar("select count(*) from group_member").fetch_one(&app.owner).await.unwrap();

    for slug in ["swindon", "warwickshire", "telford-wrekin", "windsor-maidenhead"] {
        for role in [Role::DelegatedSafeguardingPartner, Role::GroupMember] {
            let email = partnership_hub::seed::demo::email_for(role, slug);
            let seats: Vec<(i32, Option<Uuid>, Option<Uuid>)> = sqlx::query_as(
                "select g.sort_order, s.organisation_id, m.organisation_id from group_member s
                 join membership m on m.partnership_id = s.partnership_id and m.id = s.membership_id
                 join app_user u on u.id = m.user_id
                 join partnership_group g on g.partnership_id = s.partnership_id and g.id = s.group_id
                 where u.email = $1",
            )
            .bind(&email)
            .fetch_all(&app.owner)
            .await
            .unwrap();
            assert_eq!(seats.len(), 1, "{email} sits on one group: {seats:?}");
            let first: i32 = sqlx::query_scalar(
                "select min(sort_order) from partnership_group g join partnership p on p.id = g.partnership_id where p.slug = $1 and g.retired_on is null",
            )
            .bind(slug)
            .fetch_one(&app.owner)
            .await
            .unwrap();
            assert_eq!(seats[0].0, first, "{email} sits on the partnership's first group");
            assert_eq!(seats[0].1, seats[0].2, "{email} sits for their own organisation");
        }
    }
    // Where the seed gave the organisation a seat nobody held, the demo account took it rather than adding one.
    assert!(seats_after - seats_before < 12, "{} seats added for 12 demo accounts that sit", seats_after - seats_before);
    std::fs::remove_file(accounts).ok();
}

#[tokio::test]
async fn a_seat_is_linked_to_an_account_and_relinked_without_ending_it() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let jo = app.add_member("jo@swindon.example", "swindon", &[Role::GroupMember]).await;
    let sam = app.add_member("sam@swindon.example", "swindon", &[Role::GroupMember]).await;
    let (seat, group): (Uuid, Uuid) = sqlx::query_as(
        "select s.id, s.group_id from group_member s join partnership p on p.id = s.partnership_id
         where p.slug = 'swindon' and s.membership_id is null and s.ends_on is null order by s.person_name limit 1",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let mut bm = app.signed_in("bm@swindon.example").await;
    let path = format!("/p/swindon/groups/{group}/members/{seat}");
    let page = bm.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("The seat is not linked to an account."));

    assert_eq!(bm.post(&path, &[("membership_id", &jo.to_string())]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(bm.post(&path, &[("membership_id", &sam.to_string())]).await.status, StatusCode::SEE_OTHER);
    let (linked, ends_on): (Option<Uuid>, Option<chrono::NaiveDate>) =
        sqlx::query_as("select membership_id, ends_on from group_member where id = $1").bind(seat).fetch_one(&app.owner).await.unwrap();
    assert_eq!((linked, ends_on), (Some(sam), None), "re-linked, and the seat goes on");
    let group_page = bm.get(&format!("/p/swindon/groups/{group}")).await;
    assert!(group_page.contains("Account: Person sam"), "{}", group_page.body);
    let linked_entries = app.audit_actions().await.iter().filter(|a| *a == "group_member.linked").count();
    assert_eq!(linked_entries, 2);

    // Someone not of the partnership cannot be chosen; the form says so.
    let refused = bm.post(&path, &[("membership_id", &Uuid::new_v4().to_string())]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Select an option from the list"));
    // A second click with the same account records nothing more.
    bm.post(&path, &[("membership_id", &sam.to_string())]).await;
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "group_member.linked").count(), 2);
}

#[tokio::test]
async fn an_organisation_renamed_keeps_its_former_name_and_is_found_by_it() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@warwickshire.example").await;
    let fire: Uuid = sqlx::query_scalar("select id from organisation where name = 'Warwickshire Fire and Rescue Service'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    let renamed = bm
        .post(
            &format!("/p/warwickshire/agencies/{fire}"),
            &[("name", "Warwickshire Fire Service"), ("sector", "other"), ("relevant_agency", "yes")],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    let found = bm.get("/p/warwickshire/agencies?q=rescue").await;
    assert!(
        found.contains("Warwickshire Fire Service") && found.contains("formerly Warwickshire Fire and Rescue Service"),
        "{}",
        found.body
    );

    // The seed brings an organisation still under a name it has left up to date, keeping the old one.
    let swindon_icb = "Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board";
    sqlx::query("update organisation set name = 'Swindon Clinical Commissioning Group', former_names = '{}' where name = $1")
        .bind(swindon_icb)
        .execute(&app.owner)
        .await
        .unwrap();
    partnership_hub::seed::run(&app.owner, &partnership_hub::seed::seed_dir()).await.unwrap();
    let (count, former): (i64, Vec<String>) = sqlx::query_as(
        "select count(*), max(former_names::text)::text[] from organisation o join partnership p on p.id = o.partnership_id
         where p.slug = 'swindon' and o.sector = 'health' and (o.name = $1 or o.name like 'Swindon Clinical%')",
    )
    .bind(swindon_icb)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((count, former), (1, vec!["Swindon Clinical Commissioning Group".to_owned()]));
}
