use axum::http::StatusCode;
use chrono::{Datelike, Duration, NaiveDate};
use partnership_hub::calendar;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

fn date_fields(day: NaiveDate) -> [(&'static str, String); 3] {
    [("date_day", day.day().to_string()), ("date_month", day.month().to_string()), ("date_year", day.year().to_string())]
}

fn form<'a>(date: &'a [(&'static str, String); 3], rest: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields: Vec<(&str, &str)> = date.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.extend_from_slice(rest);
    fields
}

/// A meeting of the group on `day`, added through the form; answers its page's path.
pub(crate) async fn add_meeting(browser: &mut crate::harness::Browser, slug: &str, group: Uuid, day: NaiveDate) -> String {
    let path = format!("/p/{slug}/groups/{group}/meetings/new");
    browser.get(&path).await;
    let date = date_fields(day);
    let page = browser.post(&path, &form(&date, &[("start_time", "10:00"), ("end_time", "12:00"), ("location", "Shire Hall")])).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    page.location.unwrap()
}

#[tokio::test]
async fn a_business_manager_plans_a_years_meetings_on_working_days_once() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let path = format!("/p/swindon/groups/{executive}/meetings/plan");
    assert!(browser.get(&path).await.contains("meets 8 times a year"));
    // The next financial year, from its second Tuesday in April.
    let year = calendar::FinancialYear::containing(calendar::today()).next();
    let first = calendar::next_working_day_from(year.starts_on() + Duration::days(13));
    let date = date_fields(first);
    let fields = form(&date, &[("start_time", "14:00"), ("end_time", "16:00"), ("location", "Civic Offices")]);
    let planned = browser.post(&path, &fields).await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.body);
    let days: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("select starts_at from meeting where group_id = $1 order by starts_at")
            .bind(executive)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(days.len(), partnership_hub::meetings::plan_dates(first, 8).len());
    assert!(days.len() >= 7);
    for at in &days {
        let day = partnership_hub::calendar::uk_date(*at);
        assert!(calendar::is_working_day(day), "{day} is a working day");
        assert!(day < year.next().starts_on());
        assert_eq!(
            at.with_timezone(&chrono_tz::Europe::London).format("%H:%M").to_string(),
            "14:00",
            "UK time kept across the clock change"
        );
    }
    // Planning again adds nothing.
    assert_eq!(browser.post(&path, &fields).await.status, StatusCode::SEE_OTHER);
    let again: i64 =
        sqlx::query_scalar("select count(*) from meeting where group_id = $1").bind(executive).fetch_one(&app.owner).await.unwrap();
    assert_eq!(again as usize, days.len());
    let list = browser.get("/p/swindon/meetings").await;
    assert!(list.contains("Swindon Safeguarding Executive"));
    assert!(list.contains("Civic Offices"));
    let planned_audit: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'meetings.planned'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(planned_audit, 2);
}

#[tokio::test]
async fn bad_meeting_details_are_explained() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let focus = app.group_id("swindon", "Priority Focus Groups").await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    browser.get("/p/swindon/meetings").await;
    let past = date_fields(calendar::today() - Duration::days(3));
    let future = date_fields(calendar::working_days_after(calendar::today(), 30));
    let saturday = {
        let mut d = calendar::today() + Duration::days(20);
        while d.weekday() != chrono::Weekday::Sat {
            d += Duration::days(1);
        }
        date_fields(d)
    };
    let plan = format!("/p/swindon/groups/{delivery}/meetings/plan");
    let one = format!("/p/swindon/groups/{delivery}/meetings/new");
    // (where, what is sent, what the page must say)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (&plan, form(&past, &[("start_time", "10:00"), ("end_time", "12:00")]), "must be today or in the future"),
        (&one, form(&future, &[("start_time", "12:00"), ("end_time", "10:00")]), "End time must be after the start time"),
        (&one, form(&future, &[("start_time", "noon"), ("end_time", "13:00")]), "24-hour clock"),
        (
            &one,
            form(&future, &[("start_time", "10:00"), ("end_time", "11:00"), ("online_link", "javascript:alert(1)")]),
            "starting https://",
        ),
        (&one, vec![("start_time", "10:00"), ("end_time", "11:00")], "Enter the date"),
        (&one, form(&saturday, &[("start_time", "10:00"), ("end_time", "11:00")]), "must be a working day"),
    ];
    for (path, fields, message) in cases {
        let page = browser.post(path, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path} {fields:?}");
        assert!(page.contains(message), "{path} {fields:?} should say {message:?}");
    }
    let as_required = browser
        .post(&format!("/p/swindon/groups/{focus}/meetings/plan"), &form(&future, &[("start_time", "10:00"), ("end_time", "11:00")]))
        .await;
    assert!(as_required.contains("meets as required"));
    let count: i64 = sqlx::query_scalar("select count(*) from meeting").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 0, "nothing half-saved");
}

#[tokio::test]
async fn items_before_the_cut_off_are_proposed_and_after_it_are_late_requests() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let member = app.add_member("police@warwickshire.example", "warwickshire", &[Role::GroupMember]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    app.seat(member, dspg, "Linked member", Some("Warwickshire Police")).await;
    let mut manager = app.signed_in("bm@warwickshire.example").await;
    // One meeting well ahead of the cut-off, one inside it (3 working days away).
    let far = add_meeting(&mut manager, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 30)).await;
    let near = add_meeting(&mut manager, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 3)).await;

    let mut police = app.signed_in("police@warwickshire.example").await;
    let far_page = police.get(&far).await;
    assert!(far_page.contains("Submit an agenda item"));
    let cutoff = calendar::working_days_before(calendar::working_days_after(calendar::today(), 30), 10);
    assert!(far_page.contains(&calendar::long_date(cutoff)), "the cut-off is 10 working days before");
    let item = [("title", "Exploitation data"), ("purpose", "discussion"), ("presenter", "Detective Inspector")];
    assert_eq!(police.post(&format!("{far}/items"), &item).await.status, StatusCode::SEE_OTHER);
    assert_eq!(police.post(&format!("{far}/items"), &item).await.status, StatusCode::SEE_OTHER, "a double submit");
    let late = police.post(&format!("{near}/items"), &[("title", "Urgent case"), ("purpose", "decision")]).await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    let told: Vec<String> = sqlx::query_scalar("select to_email from outbox where subject = 'Late agenda item: Urgent case'")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert_eq!(told, ["bm@warwickshire.example"], "the business manager hears of the late request");
    let statuses: Vec<(String, String)> =
        sqlx::query_as("select title, status from agenda_item order by title").fetch_all(&app.owner).await.unwrap();
    assert_eq!(statuses, [("Exploitation data".to_owned(), "proposed".to_owned()), ("Urgent case".to_owned(), "late_request".to_owned())]);
    let empty = police.post(&format!("{far}/items"), &[("title", ""), ("purpose", "gossip")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Enter the item&#39;s title"));
    assert!(empty.contains("decision, discussion or information"));

    // The business manager decides: refusing needs a reason.
    let near_page = manager.get(&near).await;
    assert!(near_page.contains("Late request"));
    let item_id: Uuid = sqlx::query_scalar("select id from agenda_item where title = 'Urgent case'").fetch_one(&app.owner).await.unwrap();
    manager.post(&format!("{near}/items/{item_id}/decide"), &[("decision", "refuse"), ("reason", "")]).await;
    let still: String =
        sqlx::query_scalar("select status from agenda_item where id = $1").bind(item_id).fetch_one(&app.owner).await.unwrap();
    assert_eq!(still, "late_request");
    manager.post(&format!("{near}/items/{item_id}/decide"), &[("decision", "refuse"), ("reason", "Take it to the next meeting")]).await;
    let proposed_id: Uuid =
        sqlx::query_scalar("select id from agenda_item where title = 'Exploitation data'").fetch_one(&app.owner).await.unwrap();
    manager.post(&format!("{far}/items/{proposed_id}/decide"), &[("decision", "accept")]).await;
    let page = manager.get(&far).await;
    assert!(page.contains("1. Exploitation data"));
    let refused = manager.get(&near).await;
    assert!(refused.contains("Urgent case: Take it to the next meeting"));
    let actions: Vec<String> = sqlx::query_scalar("select action from audit_log where action like 'agenda_item.%' order by id")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert_eq!(actions, ["agenda_item.submitted", "agenda_item.submitted", "agenda_item.refused", "agenda_item.accepted"]);
}

#[tokio::test]
async fn only_members_of_the_group_and_business_managers_submit_items() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer, Role::GroupMember]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut manager = app.signed_in("bm@swindon.example").await;
    let meeting = add_meeting(&mut manager, "swindon", executive, calendar::working_days_after(calendar::today(), 25)).await;
    let mut outsider = app.signed_in("viewer@swindon.example").await;
    let page = outsider.get(&meeting).await;
    assert_eq!(page.status, StatusCode::OK, "members of the partnership can see the meeting");
    assert!(!page.contains("Submit an agenda item"));
    let refused = outsider.post(&format!("{meeting}/items"), &[("title", "Mine"), ("purpose", "information")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(outsider.post(&format!("{meeting}/attendance"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(outsider.get(&format!("/p/swindon/groups/{executive}/meetings/plan")).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn attendance_shows_whether_warwickshires_quorum_is_met_and_who_is_missing() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let police_member = app.add_member("dsp-police@warwickshire.example", "warwickshire", &[Role::DelegatedSafeguardingPartner]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    app.seat(police_member, dspg, "Linked member", Some("Warwickshire Police")).await;
    let mut manager = app.signed_in("bm@warwickshire.example").await;
    let meeting = add_meeting(&mut manager, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 12)).await;
    let before_any = manager.get(&meeting).await;
    assert!(
        !before_any.contains("Not quorate") && before_any.contains("Quorum: Quorum of 3"),
        "nothing to judge before attendance is recorded"
    );
    let seats: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
        "select s.id, s.person_name, o.sector from group_member s left join organisation o on o.id = s.organisation_id where s.group_id = $1",
    )
    .bind(dspg)
    .fetch_all(&app.owner)
    .await
    .unwrap();
    let seat_of = |sector: &str| seats.iter().find(|(_, _, s)| s.as_deref() == Some(sector)).map(|(id, _, _)| id.to_string()).unwrap();
    let linked = seats.iter().find(|(_, n, _)| n == "Linked member").unwrap().0.to_string();
    let police_seats: Vec<String> =
        seats.iter().filter(|(_, _, s)| s.as_deref() == Some("police")).map(|(id, _, _)| id.to_string()).collect();

    // The police's delegated partner sends apologies ahead, naming a deputy.
    let mut police = app.signed_in("dsp-police@warwickshire.example").await;
    police.get(&meeting).await;
    let own =
        police.post(&format!("{meeting}/attendance"), &[(&format!("status_{linked}"), "deputy"), (&format!("deputy_{linked}"), "")]).await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    let nothing: i64 = sqlx::query_scalar("select count(*) from attendance").fetch_one(&app.owner).await.unwrap();
    assert_eq!(nothing, 0, "a deputy must be named");
    let own = police
        .post(
            &format!("{meeting}/attendance"),
            &[(&format!("status_{linked}"), "apologies"), (&format!("status_{}", seat_of("local_authority")), "absent")],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER);
    let recorded: Vec<(Uuid, String)> =
        sqlx::query_as("select group_member_id, status from attendance").fetch_all(&app.owner).await.unwrap();
    assert_eq!(recorded.len(), 1, "a member records only their own attendance");

    // On the day: council, ICB and education present; the police not represented.
    let mut fields: Vec<(String, String)> = vec![
        (format!("status_{}", seat_of("local_authority")), "present".into()),
        (format!("status_{}", seat_of("health")), "present".into()),
        (format!("status_{}", seat_of("education")), "present".into()),
    ];
    for seat in &police_seats {
        fields.push((format!("status_{seat}"), "apologies".into()));
    }
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    manager.post(&format!("{meeting}/attendance"), &borrowed).await;
    let page = manager.get(&meeting).await;
    assert!(page.contains("Not quorate"));
    assert!(page.contains("Not represented: Warwickshire Police"));

    // A police deputy makes it quorate.
    let seat = &police_seats[0];
    manager
        .post(&format!("{meeting}/attendance"), &[(&format!("status_{seat}"), "deputy"), (&format!("deputy_{seat}"), "DCI Deputy")])
        .await;
    let page = manager.get(&meeting).await;
    assert!(page.contains("Quorate"), "{}", &page.body[page.body.find("Attendance").unwrap()..][..600]);
    assert!(page.contains("Apologies, deputy: DCI Deputy"));
    let audits: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'attendance.recorded'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(audits, 3);
}

#[tokio::test]
async fn a_cancelled_meeting_keeps_its_reason_and_cannot_be_changed() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let day = calendar::working_days_after(calendar::today(), 20);
    let meeting = add_meeting(&mut browser, "swindon", delivery, day).await;
    browser.get(&format!("{meeting}/edit")).await;
    let no_reason = browser.post(&format!("{meeting}/cancel"), &[("reason", " ")]).await;
    assert_eq!(no_reason.status, StatusCode::SEE_OTHER);
    assert!(browser.get(&meeting).await.contains("Not cancelled"));
    browser.post(&format!("{meeting}/cancel"), &[("reason", "Chair unavailable")]).await;
    browser.post(&format!("{meeting}/cancel"), &[("reason", "Chair unavailable")]).await;
    let page = browser.get(&meeting).await;
    assert!(page.contains("This meeting was cancelled: Chair unavailable"));
    let date = date_fields(day);
    let changed = browser.post(&format!("{meeting}/edit"), &form(&date, &[("start_time", "11:00"), ("end_time", "12:00")])).await;
    assert_eq!(changed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(changed.contains("cancelled and cannot be changed"));
    let cancellations: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'meeting.cancelled'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(cancellations, 1, "cancelling twice records one cancellation");
}

#[tokio::test]
async fn circulating_the_pack_late_is_flagged_against_the_rule() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let mut browser = app.signed_in("bm@warwickshire.example").await;
    let soon = add_meeting(&mut browser, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 3)).await;
    let later = add_meeting(&mut browser, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 8)).await;
    browser.get(&soon).await;
    browser.post(&format!("{soon}/circulate"), &[]).await;
    let page = browser.get(&soon).await;
    assert!(page.contains("later than the partnership&#39;s rule of 5"), "the flash warns");
    assert!(page.contains("3 working days before the meeting"));
    let page = browser.get(&soon).await;
    assert!(page.contains("Later than the rule"), "the meeting page keeps the warning");
    browser.post(&format!("{later}/circulate"), &[]).await;
    browser.post(&format!("{later}/circulate"), &[]).await;
    let page = browser.get(&later).await;
    assert!(page.contains("The pack was already circulated"));
    let page = browser.get(&later).await;
    assert!(page.contains("8 working days before the meeting"));
    assert!(!page.contains("Later than the rule"));
    let stamps: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'meeting.pack_circulated'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(stamps, 2);
}

#[tokio::test]
async fn a_member_sees_the_next_meetings_of_their_groups_on_their_home_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let member = app.add_member("nurse@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    let other = app.add_member("other@swindon.example", "swindon", &[Role::GroupMember]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    app.seat(member, executive, "Linked member", None).await;
    app.seat(other, delivery, "Linked member", None).await;
    let mut manager = app.signed_in("bm@swindon.example").await;
    add_meeting(&mut manager, "swindon", executive, calendar::working_days_after(calendar::today(), 15)).await;
    add_meeting(&mut manager, "swindon", delivery, calendar::working_days_after(calendar::today(), 16)).await;
    let mut nurse = app.signed_in("nurse@swindon.example").await;
    let home = nurse.get("/p/swindon/").await;
    assert!(home.contains("Your next meetings"));
    assert!(home.contains("Swindon Safeguarding Executive</a>"));
    assert!(!home.contains("Delivery Group</a>"), "only the groups they sit on");
    let home = manager.get("/p/swindon/").await;
    assert!(
        home.contains("Swindon Safeguarding Executive</a>") && home.contains("Delivery Group</a>"),
        "the business manager sees every group's"
    );
}

#[tokio::test]
async fn a_personal_calendar_feed_lists_my_groups_meetings_in_every_partnership_and_can_be_reset() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let in_swindon = app.add_member("scrutineer@example.org", "swindon", &[Role::IndependentScrutineer]).await;
    let in_warwickshire = app.add_member("scrutineer@example.org", "warwickshire", &[Role::IndependentScrutineer]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let delivery = app.group_id("swindon", "Delivery Group").await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    app.seat(in_swindon, executive, "Linked member", None).await;
    app.seat(in_warwickshire, dspg, "Linked member", None).await;
    let mut swindon = app.signed_in("bm@swindon.example").await;
    let exec_meeting = add_meeting(&mut swindon, "swindon", executive, calendar::working_days_after(calendar::today(), 15)).await;
    add_meeting(&mut swindon, "swindon", delivery, calendar::working_days_after(calendar::today(), 16)).await;
    let mut warwickshire = app.signed_in("bm@warwickshire.example").await;
    add_meeting(&mut warwickshire, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 17)).await;

    let mut scrutineer = app.signed_in("scrutineer@example.org").await;
    assert!(scrutineer.get("/account/calendar").await.contains("Create my calendar feed"));
    let made = scrutineer.post("/account/calendar", &[]).await;
    let start = made.body.find("/calendar/").expect("the feed address is shown");
    let path: String = made.body[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.')).collect();
    assert!(path.ends_with(".ics"));

    let mut calendar_program = app.browser();
    let feed = calendar_program.get(&path).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.headers["content-type"].to_str().unwrap().starts_with("text/calendar"));
    let parsed: icalendar::Calendar = feed.body.parse().expect("valid iCalendar");
    let summaries: Vec<String> = parsed
        .components
        .iter()
        .filter_map(|c| c.as_event())
        .filter_map(|e| icalendar::Component::get_summary(e).map(str::to_owned))
        .collect();
    assert_eq!(summaries.len(), 2, "{summaries:?}");
    assert!(summaries.iter().any(|s| s.starts_with("Swindon Safeguarding Executive")));
    assert!(summaries.iter().any(|s| s.starts_with("Delegated Safeguarding Partners Group")));
    assert!(!feed.contains("Delivery Group"), "only the groups they sit on");

    // Cancelling shows in the feed; resetting retires the old address.
    swindon.post(&format!("{exec_meeting}/cancel"), &[("reason", "Moved")]).await;
    assert!(calendar_program.get(&path).await.contains("STATUS:CANCELLED"));
    scrutineer.post("/account/calendar", &[]).await;
    assert_eq!(calendar_program.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(calendar_program.get("/calendar/not-a-token.ics").await.status, StatusCode::NOT_FOUND);

    let one = swindon.get(&format!("{exec_meeting}/ics")).await;
    assert_eq!(one.status, StatusCode::OK);
    let single: icalendar::Calendar = one.body.parse().expect("valid iCalendar");
    assert_eq!(single.components.iter().filter(|c| c.as_event().is_some()).count(), 1);
}

#[tokio::test]
async fn a_business_managers_own_item_goes_straight_on_the_agenda_even_after_the_cut_off() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let dspg = app.group_id("warwickshire", "Delegated Safeguarding Partners Group").await;
    let mut manager = app.signed_in("bm@warwickshire.example").await;
    let near = add_meeting(&mut manager, "warwickshire", dspg, calendar::working_days_after(calendar::today(), 3)).await;
    let added = manager.post(&format!("{near}/items"), &[("title", "Budget position"), ("purpose", "information")]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let (status, position, decided): (String, Option<i32>, bool) =
        sqlx::query_as("select status, position, decided_by is not null from agenda_item where title = 'Budget position'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!((status.as_str(), position, decided), ("accepted", Some(1), true), "on the agenda, at its end, decided by its author");
    let mails: i64 =
        sqlx::query_scalar("select count(*) from outbox where subject like 'Late agenda item%'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(mails, 0, "nobody is asked to decide it");
    assert!(manager.get(&near).await.contains("Budget position is on the agenda"));
}
