//! The training offer: a needs analysis, a course and a session through the
//! forms, a booking, attendance and evaluation through the session's link by
//! someone with no account, a follow-up by a manager, attendance taken by the
//! business unit, the observer's notes, the quarter's figures checked, the
//! report taken to a meeting as a paper, and the link refused for another
//! session's forms and for anything else.

use axum::http::StatusCode;
use chrono::{Datelike, Duration, Utc};
use partnership_hub::calendar::{FinancialYear, today, uk_date};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

async fn ok(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> String {
    let page = browser.post(path, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
    page.location.unwrap()
}

/// A session of the course, moved to have started an hour ago (as if the day had come), with its link's key.
async fn session_now(app: &TestApp, course: &str) -> (Uuid, String) {
    sqlx::query_as(
        "update training_session s set starts_at = now() - interval '1 hour', ends_at = now() - interval '10 minutes'
         from course c where c.partnership_id = s.partnership_id and c.id = s.course_id and c.title = $1
         returning s.id, s.link_token",
    )
    .bind(course)
    .fetch_one(&app.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_session_from_booking_to_attendance_to_evaluation_with_the_quarters_figures() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("member@swindon.example", "swindon", &[Role::GroupMember]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;

    // The needs analysis: one need by agency and topic; sent twice, recorded once.
    let police: Uuid =
        sqlx::query_scalar("select id from organisation where name = 'Wiltshire Police'").fetch_one(&app.owner).await.unwrap();
    let year = FinancialYear::containing(today()).label();
    let need = [
        ("need_year", year.as_str()),
        ("need_organisation", &police.to_string()),
        ("need_topic", "Exploitation outside the home"),
        ("need_priority", "high"),
        ("need_staff", "120"),
    ];
    ok(&mut bm, "/p/swindon/training/needs", &need).await;
    ok(&mut bm, "/p/swindon/training/needs", &need).await;
    let page = bm.get("/p/swindon/training").await;
    assert!(page.contains("Exploitation outside the home") && page.contains("Wiltshire Police") && page.contains("120"));
    let needs: i64 = sqlx::query_scalar("select count(*) from training_need").fetch_one(&app.owner).await.unwrap();
    assert_eq!(needs, 1);

    // A commissioned course must name its provider.
    let page = bm
        .post(
            "/p/swindon/training/courses",
            &[("course_title", "Child exploitation"), ("course_level", "intermediate"), ("course_delivery", "commissioned")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Enter the provider a commissioned course is bought from"));
    assert!(page.contains("value=\"Child exploitation\""));
    let course = ok(
        &mut bm,
        "/p/swindon/training/courses",
        &[
            ("course_title", "Child exploitation"),
            ("course_level", "intermediate"),
            ("course_delivery", "commissioned"),
            ("course_provider", "Safer Futures Ltd"),
            ("course_audience", "Practitioners working with adolescents"),
        ],
    )
    .await;
    let day = today() + chrono::Days::new(7);
    let (d, m, y) = (day.day().to_string(), day.month().to_string(), day.year().to_string());
    let session_form = [
        ("session_day", d.as_str()),
        ("session_month", m.as_str()),
        ("session_year", y.as_str()),
        ("starts", "09:30"),
        ("ends", "12:30"),
        ("place", "Civic Offices, Swindon"),
        ("capacity", "2"),
    ];
    ok(&mut bm, &format!("{course}/sessions"), &session_form).await;
    ok(&mut bm, &format!("{course}/sessions"), &session_form).await;
    let sessions: i64 = sqlx::query_scalar("select count(*) from training_session").fetch_one(&app.owner).await.unwrap();
    assert_eq!(sessions, 1, "a session sent twice is planned once");
    let backwards = bm
        .post(
            &format!("{course}/sessions"),
            &[
                ("session_day", &d),
                ("session_month", &m),
                ("session_year", &y),
                ("starts", "14:00"),
                ("ends", "13:00"),
                ("online", "yes"),
                ("capacity", "10"),
            ],
        )
        .await;
    assert!(backwards.contains("End time must be after the start time"));

    let (session, token) = session_now(&app, "Child exploitation").await;
    let session_page = format!("/p/swindon/training/sessions/{session}");
    ok(
        &mut bm,
        &format!("{session_page}/bookings"),
        &[("participant_name", "Sam Social Worker"), ("email", "Sam@Swindon.example"), ("organisation", &police.to_string())],
    )
    .await;
    ok(
        &mut bm,
        &format!("{session_page}/bookings"),
        &[("participant_name", "Kim Nurse"), ("email", "kim@nhs.example"), ("agency", "Great Western Hospital")],
    )
    .await;
    let full = bm
        .post(
            &format!("{session_page}/bookings"),
            &[("participant_name", "Late Comer"), ("email", "late@x.example"), ("agency", "A school")],
        )
        .await;
    assert!(full.contains("The session is full: all 2 places are booked"));
    let page = bm.get(&session_page).await;
    assert!(page.contains(&format!("/training/{token}")), "the business unit sees the participants' link");

    // Through the link, with no account: Sam signs in as attending (booked), twice; an evaluation, sent twice, counts once.
    let mut participant = app.browser();
    let link = participant.get(&format!("/training/{token}")).await;
    assert_eq!(link.status, StatusCode::OK);
    assert!(link.contains("Child exploitation") && link.contains("Sign in as attending") && link.contains("Evaluate the session"));
    assert!(!link.contains("Sam Social Worker") && !link.contains("kim@nhs.example"), "the link shows no one's booking");
    let attend = [("participant_name", "Sam Social Worker"), ("email", "sam@swindon.example"), ("organisation", "")];
    let page = participant.post(&format!("/training/{token}/attendance"), &attend).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "an agency is needed: {}", page.body);
    let attend = [("participant_name", "Sam Social Worker"), ("email", "sam@swindon.example"), ("organisation", &police.to_string())];
    ok(&mut participant, &format!("/training/{token}/attendance"), &attend).await;
    ok(&mut participant, &format!("/training/{token}/attendance"), &attend).await;
    // Someone not booked cannot take a place in a full session.
    let walk_in = participant
        .post(
            &format!("/training/{token}/attendance"),
            &[("participant_name", "Walk In"), ("email", "walk@in.example"), ("agency", "A school")],
        )
        .await;
    assert!(walk_in.contains("The session is full and you are not booked on it"));
    let page = participant.get(&format!("/training/{token}")).await;
    let key = page.body.split("name=\"key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let evaluation = [
        ("key", key.as_str()),
        ("rating", "5"),
        ("confidence_before", "2"),
        ("confidence_after", "4"),
        ("comments", "I now know how to spot grooming"),
    ];
    ok(&mut participant, &format!("/training/{token}/evaluation"), &evaluation).await;
    ok(&mut participant, &format!("/training/{token}/evaluation"), &evaluation).await;
    let bad = participant.post(&format!("/training/{token}/evaluation"), &[("rating", "9"), ("comments", "kept")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("Choose how you rate the session") && bad.contains("kept"));
    ok(
        &mut participant,
        &format!("/training/{token}/evaluation"),
        &[("rating", "3"), ("confidence_before", "3"), ("confidence_after", "3")],
    )
    .await;
    // A manager's follow-up on practice.
    ok(
        &mut participant,
        &format!("/training/{token}/follow-up"),
        &[("respondent", "manager"), ("impact", "4"), ("difference", "Sam led two strategy discussions")],
    )
    .await;
    let (immediate, follow_ups): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where stage = 'immediate'), count(*) filter (where stage = 'follow_up') from training_evaluation where session_id = $1")
        .bind(session).fetch_one(&app.owner).await.unwrap();
    assert_eq!((immediate, follow_ups), (2, 1));

    // Kim's attendance is not yet taken: the business manager is told.
    assert!(bm.get("/p/swindon/").await.contains("Take attendance: Child exploitation"));
    // The business unit takes attendance: Kim did not come; Sam's mark from the link stays.
    let sam: Uuid =
        sqlx::query_scalar("select id from training_booking where email = 'sam@swindon.example'").fetch_one(&app.owner).await.unwrap();
    ok(&mut bm, &format!("{session_page}/attendance"), &[("attended", &sam.to_string())]).await;
    ok(
        &mut bm,
        &format!("{session_page}/observation"),
        &[("observation", "Good use of case studies; too long on theory"), ("observed_by", "Workforce development lead")],
    )
    .await;

    // The quarter's figures.
    let quarter = format!(
        "{}-q{}",
        FinancialYear::containing(uk_date(Utc::now() - Duration::hours(1))).label(),
        FinancialYear::quarter_of(uk_date(Utc::now() - Duration::hours(1)))
    );
    let report = bm.get(&format!("/p/swindon/training/reports/{quarter}")).await;
    assert_eq!(report.status, StatusCode::OK);
    for figure in [
        "1 (2 places)",
        "1 (50% of those booked)",
        "2, rated 4.0 of 5 on average",
        "1, impact 4.0 of 5 on average",
        "2.5 → 3.5",
        "I now know how to spot grooming",
        "Sam led two strategy discussions",
        "Good use of case studies",
    ] {
        assert!(report.contains(figure), "the report shows {figure}");
    }
    let agencies = report.body.split("By course</h2>").next().unwrap().split("Attendance by agency</h2>").nth(1).unwrap();
    assert!(agencies.contains("Wiltshire Police") && agencies.contains("Great Western Hospital"), "{agencies}");

    // The report goes to the workforce development group's next meeting as a paper.
    let group = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    bm.add_meeting(group, partnership_hub::calendar::working_days_after(today(), 15)).await;
    let to = ok(&mut bm, &format!("/p/swindon/training/reports/{quarter}/paper"), &[("paper_group", &group.to_string())]).await;
    assert!(to.starts_with("/p/swindon/meetings/"));
    let papers: i64 =
        sqlx::query_scalar("select count(*) from paper where title like 'Multi-agency training, Q%'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(papers, 1);

    // A member reads the figures but not who booked.
    let mut member = app.signed_in("member@swindon.example").await;
    let page = member.get(&session_page).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.contains("sam@swindon.example") && !page.contains(&token));

    // Cancelled: everyone booked is told by mail, once, and the link opens nothing.
    ok(&mut bm, &format!("{session_page}/cancel"), &[]).await;
    ok(&mut bm, &format!("{session_page}/cancel"), &[]).await;
    let told: Vec<String> =
        sqlx::query_scalar("select to_email from outbox where subject like 'Cancelled: Child exploitation%' order by to_email")
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(told, vec!["kim@nhs.example".to_owned(), "sam@swindon.example".to_owned()]);
    assert_eq!(participant.get(&format!("/training/{token}")).await.status, StatusCode::NOT_FOUND);
    assert!(bm.get(&session_page).await.contains("Cancelled"));

    let actions = app.audit_actions().await;
    for action in [
        "training.need_added",
        "training.course_added",
        "training.session_added",
        "training.booked",
        "training.attended",
        "training.evaluated",
        "training.followed_up",
        "training.attendance",
        "training.observed",
        "training.session_cancelled",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the audit log");
    }
}

#[tokio::test]
async fn a_sessions_link_opens_that_session_alone() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let swindon = app.record_ids("swindon").await;
    // Another partnership's session, a week ahead.
    sqlx::query(
        "with p as (select id from partnership where slug = 'warwickshire'),
              c as (insert into course (partnership_id, id, title, level, delivery) select p.id, gen_random_uuid(), 'Graded care profile', 'foundation', 'internal' from p returning partnership_id, id)
         insert into training_session (partnership_id, id, course_id, starts_at, ends_at, capacity, online, link_token)
         select c.partnership_id, gen_random_uuid(), c.id, now() + interval '7 days', now() + interval '7 days 2 hours', 10, true, repeat('ab', 32) from c",
    )
    .execute(&app.owner)
    .await
    .unwrap();
    let (one, token): (Uuid, String) = sqlx::query_as(
        "update training_session set starts_at = now() - interval '1 hour', ends_at = now() - interval '10 minutes'
         where partnership_id = (select id from partnership where slug = 'swindon') returning id, link_token",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let other: String = sqlx::query_scalar(
        "select link_token from training_session where partnership_id = (select id from partnership where slug = 'warwickshire')",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let mut visitor = app.browser();
    assert_eq!(visitor.get(&format!("/training/{token}")).await.status, StatusCode::OK);
    // A made-up key, a key of the wrong shape, or one altered by a character: nothing.
    for wrong in ["0".repeat(64), "not-a-key".to_owned(), format!("{}0", &token[..63]), token.to_uppercase()] {
        if wrong == token {
            continue;
        }
        assert_eq!(visitor.get(&format!("/training/{wrong}")).await.status, StatusCode::NOT_FOUND, "{wrong}");
    }
    // The other session's key opens the other session, whose forms are not yet open; this one's evaluation goes to this session only.
    let page = visitor.get(&format!("/training/{other}")).await;
    assert!(page.contains("You can sign in as attending from the day before the session"));
    assert_eq!(
        visitor
            .post(&format!("/training/{other}/evaluation"), &[("rating", "1"), ("confidence_before", "1"), ("confidence_after", "1")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    visitor.get(&format!("/training/{token}")).await;
    ok(&mut visitor, &format!("/training/{token}/evaluation"), &[("rating", "4"), ("confidence_before", "2"), ("confidence_after", "3")])
        .await;
    let (here, elsewhere): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where session_id = $1 and stage = 'immediate' and rating = 4 and comments = ''),
                count(*) filter (where session_id <> $1 and rating = 1) from training_evaluation",
    )
    .bind(one)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((here, elsewhere), (1, 0));
    // The key reaches nothing else: not the partnership's pages, not the session's page for members.
    let page = visitor.get(&format!("/p/swindon/training/sessions/{one}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "a member's page wants a sign-in");
    assert_eq!(visitor.get(&format!("/training/{token}/anything")).await.status, StatusCode::NOT_FOUND);
    // A cancelled session's link opens nothing.
    sqlx::query("update training_session set cancelled_at = now() where id = $1").bind(one).execute(&app.owner).await.unwrap();
    assert_eq!(visitor.get(&format!("/training/{token}")).await.status, StatusCode::NOT_FOUND);
    assert!(swindon.contains_key("session_id"));
}

#[tokio::test]
async fn a_course_lists_its_recent_sessions_and_each_earlier_year_on_asking() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    // A course run for six years: a session every year on 1 June, and one to come.
    let course: Uuid = sqlx::query_scalar(
        "with p as (select id from partnership where slug = 'swindon'),
              c as (insert into course (partnership_id, id, title, level, delivery)
                    select p.id, gen_random_uuid(), 'Neglect and the graded care profile', 'foundation', 'internal' from p
                    returning partnership_id, id),
              s as (insert into training_session (partnership_id, id, course_id, starts_at, ends_at, capacity, online, link_token)
                    select c.partnership_id, gen_random_uuid(), c.id, d, d + interval '3 hours', 20, true,
                           encode(sha256(convert_to(d::text, 'UTF8')), 'hex')
                    from c, unnest(array(select make_timestamptz(y, 6, 1, 9, 30, 0, 'Europe/London')
                                         from generate_series(extract(year from current_date)::int - 5, extract(year from current_date)::int) y)
                                   || (now() + interval '30 days')) d)
         select id from c",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let mut manager = app.signed_in("bm@swindon.example").await;
    let page = manager.get(&format!("/p/swindon/training/courses/{course}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let this_year = FinancialYear::containing(today());
    let since = this_year.previous().starts_on();
    assert!(page.body.contains(&format!("Sessions since {}", since.format("%-d %B %Y"))), "{}", page.body);
    let listed = page.body.matches("/p/swindon/training/sessions/").count();
    let expected =
        (0..=5).map(|back| chrono::NaiveDate::from_ymd_opt(today().year() - back, 6, 1).unwrap()).filter(|day| *day >= since).count() + 1;
    assert_eq!(listed, expected, "last year's, this year's and the one to come, no earlier");
    // Every year it ran is offered; an early one lists that year's session alone.
    let earliest = FinancialYear::containing(chrono::NaiveDate::from_ymd_opt(today().year() - 5, 6, 1).unwrap());
    let link = format!("?year={}#sessions", earliest.label());
    assert!(page.body.contains(&link), "{}", page.body);
    let year = manager.get(&format!("/p/swindon/training/courses/{course}?year={}", earliest.label())).await;
    assert_eq!(year.status, StatusCode::OK);
    assert!(year.body.contains(&format!("Sessions in {}", earliest.label())));
    assert_eq!(year.body.matches("/p/swindon/training/sessions/").count(), 1);
    assert!(year.body.contains(&format!("1 June {}", today().year() - 5)), "{}", year.body);
    // A year that is not one is the latest sessions, not an error.
    let odd = manager.get(&format!("/p/swindon/training/courses/{course}?year=last")).await;
    assert_eq!(odd.status, StatusCode::OK);
    assert!(odd.body.contains("Sessions since"));
}
