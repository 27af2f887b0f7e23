//! "What needs you now": each person's home page opens with the work
//! waiting for them, soonest first, each line linking to where it is done;
//! the list of partnerships gathers it from all of them.

use axum::http::StatusCode;
use partnership_hub::calendar::{self, today, working_days_after};
use partnership_hub::roles::Role;

use crate::harness::{Page, TestApp};
use crate::meetings::add_meeting;

/// Where on the page a line linking to `href` says `text`.
fn line_at(page: &Page, href: &str, text: &str) -> usize {
    let link = format!("href=\"{href}\"");
    page.body
        .match_indices(&link)
        .map(|(at, _)| at)
        .find(|at| page.body[*at..].split("</a>").next().is_some_and(|a| a.contains(text)))
        .unwrap_or_else(|| panic!("no line linking to {href} says {text:?}:\n{}", page.body))
}

#[tokio::test]
async fn a_business_manager_sees_deadlines_late_requests_and_overdue_work_soonest_first_each_linked_to_where_it_is_done() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let member = app.add_member("police@warwickshire.example", "warwickshire", &[Role::GroupMember]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    app.seat(member, dspg, "Linked member", Some("Warwickshire Police")).await;
    let mut manager = app.signed_in("bm@warwickshire.example").await;
    // Warwickshire closes agendas 10 working days before a meeting and circulates papers 5 before.
    let near = add_meeting(&mut manager, "warwickshire", dspg, working_days_after(today(), 3)).await;
    let far = add_meeting(&mut manager, "warwickshire", dspg, working_days_after(today(), 12)).await;
    let beyond = add_meeting(&mut manager, "warwickshire", dspg, working_days_after(today(), 40)).await;
    let mut police = app.signed_in("police@warwickshire.example").await;
    assert_eq!(
        police.post(&format!("{near}/items"), &[("title", "Urgent case"), ("purpose", "decision")]).await.status,
        StatusCode::SEE_OTHER
    );

    let home = manager.get("/p/warwickshire/").await;
    assert_eq!(home.status, StatusCode::OK);
    let near_papers = line_at(&home, &near, "Circulate the papers for Delegated Safeguarding Partners Group");
    let far_cutoff = line_at(&home, &far, "Agenda closes for Delegated Safeguarding Partners Group");
    let late = line_at(&home, &format!("{near}#agenda"), "Decide the late agenda request \u{201c}Urgent case\u{201d}");
    let far_papers = line_at(&home, &far, "Circulate the papers for Delegated Safeguarding Partners Group");
    // Papers for the meeting in three working days were due two days ago; the far meeting's agenda closes in two.
    assert!(home.body[near_papers..far_cutoff].contains("Overdue"), "papers not circulated in time are overdue");
    assert!(near_papers < far_cutoff && far_cutoff < late && late < far_papers, "soonest first");
    let needs = &home.body[..home.body.find("Your next meetings").expect("the next meetings follow")];
    assert!(!needs.contains(&format!("href=\"{beyond}\"")), "a meeting beyond the next ten working days has nothing due yet");
    let cutoff = calendar::working_days_before(working_days_after(today(), 12), 10);
    assert!(
        home.body[far_cutoff..].split("</li>").next().unwrap().contains(&cutoff.format("Due %a %-d %b").to_string()),
        "the day it is due"
    );

    // Circulating the near meeting's pack takes its line away.
    sqlx::query("update meeting set pack_circulated_at = now() where id = $1::uuid")
        .bind(near.rsplit('/').next().unwrap())
        .execute(&app.owner)
        .await
        .unwrap();
    let after = manager.get("/p/warwickshire/").await;
    assert_eq!(after.body.matches("Circulate the papers for").count(), home.body.matches("Circulate the papers for").count() - 1);

    // The member sees their own meeting with its papers, and none of the business manager's lines.
    let theirs = police.get("/p/warwickshire/").await;
    line_at(&theirs, &near, "Delegated Safeguarding Partners Group meets at 10:00");
    assert!(
        !theirs.contains("Agenda closes") && !theirs.contains("Circulate the papers") && !theirs.contains("Decide the late agenda request")
    );
}

#[tokio::test]
async fn a_scrutineer_is_asked_for_the_report_due_this_quarter_and_others_are_not() {
    let app = TestApp::spawn().await;
    app.add_member("scrutineer@swindon.example", "swindon", &[Role::IndependentScrutineer]).await;
    let mut scrutineer = app.signed_in("scrutineer@swindon.example").await;
    let (year, quarter) = partnership_hub::scrutiny::quarter_of(today());
    let home = scrutineer.get("/p/swindon/").await;
    let label = partnership_hub::calendar::FinancialYear { start_year: year }.label();
    line_at(&home, "/p/swindon/scrutiny/reports/new", &format!("Write your scrutiny report for quarter {quarter} of {label}"));
    // Someone with no part in scrutiny is not asked for one.
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    let viewer = app.signed_in("viewer@swindon.example").await.get("/p/swindon/").await;
    assert!(!viewer.contains("scrutiny report for quarter"));
    assert!(viewer.contains("What needs you now"));
}

#[tokio::test]
async fn the_list_of_partnerships_gathers_what_needs_a_person_from_each_and_the_home_page_runs_as_many_statements_for_three_as_for_one() {
    let app = TestApp::spawn().await;
    app.add_member("bm@example.org", "swindon", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@example.org").await;
    // Counted twice, the first view may clear a message.
    bm.get("/p/swindon/").await;
    let before = app.statements_run().await;
    assert_eq!(bm.get("/p/swindon/").await.status, StatusCode::OK);
    let with_one = app.statements_run().await - before - 1;

    app.add_member("bm@example.org", "warwickshire", &[Role::BusinessManager]).await;
    app.add_member("bm@example.org", "telford-wrekin", &[Role::BusinessManager, Role::IndependentScrutineer]).await;
    let before = app.statements_run().await;
    let home = bm.get("/p/swindon/").await;
    let with_three = app.statements_run().await - before - 1;
    assert_eq!(with_one, with_three, "the home page reads no more for more partnerships");
    assert!(with_three <= 6, "{with_three} statements");
    assert!(home.contains("Your other partnerships") && home.contains("What needs you in all your partnerships"));

    // The list of partnerships: lines from each, named by their partnership.
    let all = bm.get("/").await;
    assert_eq!(all.status, StatusCode::OK);
    let needs = &all.body[all.body.find("What needs you now").unwrap()..all.body.find("Go to a partnership").unwrap()];
    for name in [
        "Swindon Safeguarding Partnership",
        "Warwickshire Safeguarding Children Partnership",
        "Telford &#38; Wrekin Safeguarding Partnership",
    ] {
        assert!(needs.contains(name), "{name} is missing from:\n{}", all.body);
    }
    assert!(needs.contains("/p/telford-wrekin/scrutiny/reports/new"), "a scrutineer in Telford is asked for their report there");
    assert!(!needs.contains("/p/swindon/scrutiny/reports/new"), "and not where they are no scrutineer");
}

#[tokio::test]
async fn the_structures_gaps_on_the_home_page_are_those_the_structure_page_lists() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let structure = bm.get("/p/swindon/structure").await;
    let attention = structure.body.split("Needs attention").nth(1).expect("the seeded structure has gaps").split("</ul>").next().unwrap();
    let count = |says: &str| attention.matches(says).count();
    let home = bm.get("/p/swindon/").await;
    let needs = &home.body[home.body.find("What needs you now").unwrap()..home.body.find("Your place in the partnership").unwrap()];
    // Many alike are gathered into one line leading to the structure page; a few are listed one by one.
    for (says, one, many) in [
        (": no terms of reference recorded", ": record the terms of reference", "groups have no terms of reference recorded"),
        (": no chair", ": nobody chairs this group", "groups have nobody chairing them"),
        (": nobody holds this post now", ": nobody holds this post", "posts have nobody holding them"),
        (": terms of reference were due for review", ": review the terms of reference", "terms of reference are past their review date"),
    ] {
        let n = count(says);
        if n > 3 {
            assert!(needs.contains(&format!("{n} {many}")), "{n} {many}:\n{needs}");
        } else {
            assert_eq!(needs.matches(one).count(), n, "{one}:\n{needs}");
        }
    }
    assert!(count(": no chair") > 3, "the seed has groups without a chair to gather");
    let agencies = attention.split(" relevant agencies with a Section 11").next().unwrap().rsplit('>').next().unwrap().trim();
    assert!(needs.contains(&format!("{agencies} relevant agencies with a Section 11 self-assessment overdue")), "{agencies}:\n{needs}");
}

#[tokio::test]
async fn the_count_of_people_without_a_second_factor_follows_each_setting_up_and_reset_in_every_partnership() {
    let app = TestApp::spawn().await;
    for (email, slug, role) in [
        ("bm@swindon.example", "swindon", Role::BusinessManager),
        ("bm@warwickshire.example", "warwickshire", Role::BusinessManager),
        ("jo@example.org", "swindon", Role::Viewer),
        ("jo@example.org", "warwickshire", Role::Viewer),
    ] {
        app.add_member(email, slug, &[role]).await;
    }
    let mut swindon = app.signed_in("bm@swindon.example").await;
    let mut warwickshire = app.signed_in("bm@warwickshire.example").await;
    let second_factor = |on: bool| {
        let pool = app.owner.clone();
        async move {
            sqlx::query("update app_user set totp_enabled_at = case when $1 then now() end where email = 'jo@example.org'")
                .bind(on)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    for (on, says) in [
        (None, "2 people sign in without a second factor"),
        (Some(true), "1 person signs in without a second factor"),
        (Some(false), "2 people sign in without a second factor"),
    ] {
        if let Some(on) = on {
            second_factor(on).await;
        }
        assert!(swindon.get("/p/swindon/").await.contains(says), "Swindon: {says}");
        assert!(warwickshire.get("/p/warwickshire/").await.contains(says), "Warwickshire: {says}");
    }
}

/// The home page's "What needs you now", without the banner a form leaves above it.
fn needs_of(page: &Page) -> &str {
    let from = page.body.find("What needs you now").expect("the home page lists what needs the person");
    let rest = &page.body[from..];
    &rest[..rest.find("<h2").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_home_page_kept_between_views_is_read_again_once_anything_in_its_partnership_changes() {
    let app = TestApp::spawn().await;
    // As a served instance: change notices heard, so the home page keeps its reading.
    app.listen().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let mut manager = app.signed_in("bm@warwickshire.example").await;
    let home = "/p/warwickshire/";
    let first = manager.get(home).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(!needs_of(&first).contains("Refresh the escalation policy"));

    // Viewed again with nothing changed: BEGIN, the statement that enters the partnership, and COMMIT.
    let before = app.statements_run().await;
    let again = manager.get(home).await;
    let ran = app.statements_run().await - before - 1;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(ran, 3, "the kept reading is served without reading the partnership's records again");
    assert_eq!(again.body, first.body, "the kept reading draws the same page");
    // A hard reload reads afresh.
    let before = app.statements_run().await;
    let reloaded = manager.get_with(home, &[("cache-control", "no-cache")]).await;
    assert_eq!(reloaded.body, first.body);
    assert!(app.statements_run().await - before - 1 > 3, "a hard reload reads the partnership's records again");

    // Written by someone else (another instance, an operator) in Warwickshire's records: the notice is heard at their
    // commit and the page reads afresh.
    let warwickshire = app.partnership_id("warwickshire").await;
    let mut tx = app.owner.begin().await.unwrap();
    sqlx::query("select set_config('app.partnership_id', $1, true)").bind(warwickshire.to_string()).execute(&mut *tx).await.unwrap();
    let action: uuid::Uuid = sqlx::query_scalar(
        "insert into action_point (partnership_id, id, description, owner_name, due_on)
         values ($1, gen_random_uuid(), 'Refresh the escalation policy', 'Business unit', current_date - 3650) returning id",
    )
    .bind(warwickshire)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut heard = false;
    for _ in 0..500 {
        if needs_of(&manager.get(home).await).contains("Refresh the escalation policy") {
            heard = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(heard, "the overdue action written elsewhere reached the home page");

    // Written through this instance: the page after the form is read afresh at once.
    let done = manager
        .post(
            &format!("/p/warwickshire/actions/{action}"),
            &[("status", "complete"), ("note", "Refreshed and circulated"), ("evidence", "")],
        )
        .await;
    assert!(done.status.is_redirection(), "{}", done.body);
    let after = manager.get(home).await;
    assert!(!needs_of(&after).contains("Refresh the escalation policy"), "the completed action left the home page at once");
}
