//! Lists people work with: search, filters in the address, sort by a column,
//! pages with the count, and the same view as CSV (quoted, UTF-8, ISO dates,
//! formulas neutralised).

use axum::http::header;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Page, TestApp};

/// The rows of a CSV download, after checking it is one: UTF-8 with its byte-order mark.
fn csv_rows(page: &Page) -> Vec<Vec<String>> {
    assert_eq!(page.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(page.headers[header::CONTENT_DISPOSITION].to_str().unwrap().starts_with("attachment; filename="));
    assert!(page.bytes.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark, so spreadsheets read UTF-8");
    let text = std::str::from_utf8(&page.bytes[3..]).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

async fn add_action(app: &TestApp, slug: &str, description: &str, owner: &str, due: &str, group: Option<Uuid>) {
    let pid = app.partnership_id(slug).await;
    sqlx::query(
        "insert into action_point (partnership_id, id, description, owner_name, due_on, group_id)
         values ($1, gen_random_uuid(), $2, $3, $4::date, $5)",
    )
    .bind(pid)
    .bind(description)
    .bind(owner)
    .bind(due)
    .bind(group)
    .execute(&app.owner)
    .await
    .unwrap();
}

async fn first_group(app: &TestApp, slug: &str) -> (Uuid, String) {
    sqlx::query_as(
        "select g.id, g.name from partnership_group g join partnership p on p.id = g.partnership_id
         where p.slug = $1 and g.retired_on is null order by g.sort_order limit 1",
    )
    .bind(slug)
    .fetch_one(&app.owner)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_action_tracker_searches_filters_and_sorts_from_its_address() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let (group, _) = first_group(&app, "swindon").await;
    add_action(&app, "swindon", "Audit the 100% sample of referrals", "Asha Patel", "2099-05-01", Some(group)).await;
    add_action(&app, "swindon", "Audit 100 referrals", "Ben Jones", "2099-06-01", None).await;
    add_action(&app, "swindon", "Refresh the neglect strategy", "Carys Evans", "2098-07-01", Some(group)).await;
    let mut bm = app.signed_in("bm@swindon.example").await;

    // A search matches words anywhere, in any case; its own wildcards are taken literally.
    let found = bm.get("/p/swindon/actions?q=AUDIT").await;
    assert!(found.contains("Audit the 100% sample") && found.contains("Audit 100 referrals") && !found.contains("neglect strategy"));
    assert!(found.contains("2 actions."), "{}", found.body);
    let literal = bm.get("/p/swindon/actions?q=100%25").await;
    assert!(literal.contains("Audit the 100% sample") && !literal.contains("Audit 100 referrals"), "{}", literal.body);
    assert!(bm.get("/p/swindon/actions?q=asha").await.contains("Audit the 100% sample"), "the owner's name is searched too");

    // Filters by group and by the financial year an action is due in, kept in every link of the view.
    let grouped = bm.get(&format!("/p/swindon/actions?group={group}&year=2099")).await;
    assert!(grouped.contains("Audit the 100% sample") && !grouped.contains("neglect strategy") && !grouped.contains("Audit 100 referrals"));
    assert!(grouped.contains(&format!("/p/swindon/actions.csv?group={group}&#38;year=2099&#38;sort=due&#38;order=asc")));
    assert!(grouped.contains("Clear the search and filters"));

    // Sorted by owner, the other way round.
    let sorted = bm.get("/p/swindon/actions?sort=owner&order=desc").await;
    let (carys, asha) = (sorted.body.find("Carys Evans").unwrap(), sorted.body.find("Asha Patel").unwrap());
    assert!(carys < asha, "Carys before Asha when sorted by owner, descending");
    assert!(sorted.contains("aria-sort=\"descending\""));

    // Nothing found says so, with the way back.
    let none = bm.get("/p/swindon/actions?q=zzzz").await;
    assert!(none.contains("No actions match.") && none.contains("href=\"/p/swindon/actions\""));
}

#[tokio::test]
async fn the_action_tracker_downloads_what_it_shows_as_csv_that_no_spreadsheet_runs() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    add_action(&app, "swindon", "=HYPERLINK(\"http://evil.example\",\"Click\")", "Zoë \"Zee\" O'Neil, Jr", "2099-05-01", None).await;
    add_action(&app, "swindon", "Plain action\nover two lines", "Owner", "2099-06-01", None).await;
    add_action(&app, "swindon", "Not in this view", "Owner", "2097-06-01", None).await;
    let mut bm = app.signed_in("bm@swindon.example").await;

    let download = bm.get("/p/swindon/actions.csv?year=2099&size=25&page=9").await;
    let rows = csv_rows(&download);
    assert_eq!(rows[0], ["Action", "Owner", "Due", "Status", "Group", "From", "Reference"]);
    assert_eq!(rows.len(), 3, "the whole view, not the page asked for: {rows:?}");
    assert_eq!(rows[1][0], "'=HYPERLINK(\"http://evil.example\",\"Click\")", "a formula is neutralised");
    assert_eq!(rows[1][1], "Zoë \"Zee\" O'Neil, Jr", "quotes, commas and letters beyond ASCII survive");
    assert_eq!(rows[1][2], "2099-05-01", "dates in ISO form");
    assert_eq!(rows[2][0], "Plain action\nover two lines");
    assert!(rows.iter().all(|r| r[0] != "Not in this view"));
}

#[tokio::test]
async fn the_decision_register_filters_by_status_group_and_number_and_downloads_its_view() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let pid = app.partnership_id("swindon").await;
    let (group, group_name) = first_group(&app, "swindon").await;
    let raiser: Uuid =
        sqlx::query_scalar("select id from app_user where email = 'bm@swindon.example'").fetch_one(&app.owner).await.unwrap();
    for (number, title, outcome) in [
        (1, "Adopt the neglect strategy", Some("carried_consensus")),
        (2, "Fund a second scrutineer", Some("not_carried")),
        (3, "Approve the yearly report", None),
    ] {
        sqlx::query(
            "insert into decision (partnership_id, id, number, group_id, title, question, majority_vote, majority_of, reminder_working_days,
                                   closes_at, raised_by, outcome, outcome_at)
             values ($1, gen_random_uuid(), $2, $3, $4, 'Agree?', false, 'votes_cast', 2, now() + interval '5 days', $5, $6,
                     case when $6 is null then null else timestamptz '2026-05-01 12:00+01' end)",
        )
        .bind(pid)
        .bind(number)
        .bind(group)
        .bind(title)
        .bind(raiser)
        .bind(outcome)
        .execute(&app.owner)
        .await
        .unwrap();
    }
    let mut bm = app.signed_in("bm@swindon.example").await;

    // Decided by default, newest first; the open one is in its own list above.
    let register = bm.get("/p/swindon/decisions").await;
    assert!(register.contains("2 decisions."), "{}", register.body);
    let (second, first) = (register.body.rfind("D2: Fund").unwrap(), register.body.rfind("D1: Adopt").unwrap());
    assert!(second < first, "newest first");

    let carried = bm.get(&format!("/p/swindon/decisions?status=carried&group={group}&year=2026")).await;
    assert!(carried.contains("D1: Adopt") && !carried.contains("D2: Fund") && carried.contains("1 decision."), "{}", carried.body);
    let open = bm.get("/p/swindon/decisions?status=open").await;
    assert!(open.contains("1 decision.") && open.contains("Closes "));
    assert!(bm.get("/p/swindon/decisions?q=D2").await.contains("D2: Fund"), "a decision is found by its number");
    assert!(bm.get("/p/swindon/decisions?q=d2").await.contains("1 decision."));

    let rows = csv_rows(&bm.get("/p/swindon/decisions.csv?status=all&sort=number&order=asc").await);
    assert_eq!(rows[0][..5], ["Decision", "Title", "Taken by", "Confidential", "Status"]);
    assert_eq!(rows.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), ["D1", "D2", "D3"]);
    assert_eq!(rows[1][2], group_name);
    assert_eq!(rows[1][6], "2026-05-01", "the day decided, in ISO form");
    assert_eq!(rows[3][4], "Seeking consensus");
}

#[tokio::test]
async fn the_list_of_meetings_shows_those_to_come_and_past_ones_when_asked() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let pid = app.partnership_id("swindon").await;
    let (group, _) = first_group(&app, "swindon").await;
    for (starts, place) in
        [("2099-05-01 10:00+01", "Civic Offices"), ("2021-05-01 10:00+01", "Police HQ, Room 4"), ("2022-06-01 10:00+01", "Online only")]
    {
        sqlx::query(
            "insert into meeting (partnership_id, id, group_id, starts_at, ends_at, location)
             values ($1, gen_random_uuid(), $2, $3::timestamptz, $3::timestamptz + interval '2 hours', $4)",
        )
        .bind(pid)
        .bind(group)
        .bind(starts)
        .bind(place)
        .execute(&app.owner)
        .await
        .unwrap();
    }
    let mut bm = app.signed_in("bm@swindon.example").await;

    let coming = bm.get("/p/swindon/meetings").await;
    assert!(coming.contains("Civic Offices") && !coming.contains("Police HQ"), "{}", coming.body);
    let past = bm.get("/p/swindon/meetings?when=past").await;
    assert!(past.contains("Police HQ") && past.contains("Online only") && !past.contains("Civic Offices"));
    assert!(past.body.find("Online only").unwrap() < past.body.find("Police HQ").unwrap(), "past meetings newest first");
    let searched = bm.get("/p/swindon/meetings?when=all&q=police").await;
    assert!(searched.contains("Police HQ") && searched.contains("1 meeting."), "{}", searched.body);
    assert!(bm.get("/p/swindon/meetings?when=all&year=2021").await.contains("Police HQ"));
    assert!(!bm.get("/p/swindon/meetings?when=all&year=2022").await.contains("Police HQ"));

    let rows = csv_rows(&bm.get("/p/swindon/meetings.csv?when=past&q=police").await);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], "2021-05-01T10:00", "UK time, in ISO form");
    assert_eq!(rows[1][3], "Police HQ, Room 4");
}

#[tokio::test]
async fn a_meeting_under_way_is_still_to_come_and_a_meeting_lasts_under_a_day() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let pid = app.partnership_id("swindon").await;
    let (group, _) = first_group(&app, "swindon").await;
    let insert = |starts: &'static str, ends: &'static str, place: &'static str| {
        sqlx::query(
            "insert into meeting (partnership_id, id, group_id, starts_at, ends_at, location)
             values ($1, gen_random_uuid(), $2, now() + $3::interval, now() + $4::interval, $5)",
        )
        .bind(pid)
        .bind(group)
        .bind(starts)
        .bind(ends)
        .bind(place)
    };
    // The lists read the meetings not yet over from 25 hours back by start; the database keeps that true.
    insert("-23 hours", "1 hour", "Long Day Hall").execute(&app.owner).await.unwrap();
    insert("-3 hours", "-1 hour", "Finished Room").execute(&app.owner).await.unwrap();
    let refused = insert("-30 hours", "1 hour", "Endless Room").execute(&app.owner).await.unwrap_err();
    assert!(refused.to_string().contains("meeting_within_a_day"), "{refused}");

    let mut bm = app.signed_in("bm@swindon.example").await;
    let coming = bm.get("/p/swindon/meetings").await;
    assert!(coming.contains("Long Day Hall") && !coming.contains("Finished Room"), "{}", coming.body);
    assert!(bm.get("/p/swindon/meetings?when=past").await.contains("Finished Room"));
}

#[tokio::test]
async fn a_long_list_is_counted_five_pages_past_the_one_shown() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let pid = app.partnership_id("swindon").await;
    let (group, _) = first_group(&app, "swindon").await;
    sqlx::query(
        "insert into meeting (partnership_id, id, group_id, starts_at, ends_at, location)
         select $1, gen_random_uuid(), $2, now() - make_interval(days => n), now() - make_interval(days => n) + interval '2 hours', 'Quarry Hall'
         from generate_series(1, 300) n",
    )
    .bind(pid)
    .bind(group)
    .execute(&app.owner)
    .await
    .unwrap();
    let mut bm = app.signed_in("bm@swindon.example").await;

    let first = bm.get("/p/swindon/meetings?when=past&q=quarry&size=25").await;
    assert!(first.contains("Showing 1 to 25 of more than 125 meetings."), "{}", first.body);
    // Five pages on, the count reaches further; from the eighth it reaches the end of the list.
    let further = bm.get("/p/swindon/meetings?when=past&q=quarry&size=25&page=5").await;
    assert!(further.contains("Showing 101 to 125 of more than 225 meetings."), "{}", further.body);
    let later = bm.get("/p/swindon/meetings?when=past&q=quarry&size=25&page=8").await;
    assert!(later.contains("Showing 176 to 200 of 300 meetings."), "{}", later.body);
    let last = bm.get("/p/swindon/meetings?when=past&q=quarry&size=25&page=12").await;
    assert!(last.contains("Showing 276 to 300 of 300 meetings."), "{}", last.body);
}

#[tokio::test]
async fn relevant_agencies_search_filter_by_sector_and_group_and_download() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@warwickshire.example").await;

    let searched = bm.get("/p/warwickshire/agencies?q=barnardo").await;
    assert!(searched.contains("Barnardo&#39;s") && searched.contains("1 agency."), "{}", searched.body);
    let voluntary = bm.get("/p/warwickshire/agencies?sector=voluntary").await;
    assert!(voluntary.contains("Barnardo&#39;s") && !voluntary.contains("Warwickshire Fire and Rescue Service"));
    let by_name_down = bm.get("/p/warwickshire/agencies?sort=name&order=desc").await;
    let names: Vec<&str> = by_name_down.body.split("<br><span class=\"govuk-body-s\">").collect();
    assert!(names.len() > 3, "the agencies are listed");

    let rows = csv_rows(&bm.get("/p/warwickshire/agencies.csv?sector=voluntary").await);
    assert_eq!(rows[0][..3], ["Agency", "Sector", "Contact"]);
    assert!(rows.iter().skip(1).all(|r| r[1] == "Voluntary and community"), "{rows:?}");
    assert!(rows.iter().any(|r| r[0] == "Barnardo's"));
}

/// The texts one page of 25 lines holds, read by the owner in the list's own order (`$1` the partnership).
async fn page_of(app: &TestApp, ordered: &str, pid: Uuid, page: i64) -> Vec<String> {
    // From the line before the page (none before the first) to the line after it.
    let from = ((page - 1) * 25 - 1).max(0);
    sqlx::query_scalar(&format!("{ordered} limit 27 offset $2")).bind(pid).bind(from).fetch_all(&app.owner).await.unwrap()
}

/// Whether the page shows the 25 lines its list's order puts there, and neither the line before nor the line after.
fn shows_exactly(page: &Page, around: &[String], first_page: bool) {
    let (before, rest) = if first_page { (None, around) } else { (around.first(), &around[1..]) };
    let (lines, after) = if rest.len() > 25 { (&rest[..25], rest.get(25)) } else { (rest, None) };
    for line in lines {
        assert!(page.contains(line), "{line} is on the page: {}", page.body);
    }
    for outside in before.into_iter().chain(after) {
        assert!(!page.contains(outside), "{outside} is not on the page");
    }
}

#[tokio::test]
async fn each_list_as_it_opens_pages_in_its_own_order_to_its_last_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let pid = app.partnership_id("swindon").await;
    let (group, _) = first_group(&app, "swindon").await;
    let manager: Uuid =
        sqlx::query_scalar("select id from app_user where email = 'bm@swindon.example'").fetch_one(&app.owner).await.unwrap();
    // Seventy more of each, with names and dates that interleave with the seeded ones.
    sqlx::query(
        "with made as (insert into app_user (id, email, display_name)
                       select gen_random_uuid(), 'listed' || n || '@swindon.example', 'Listed ' || lpad(n::text, 3, '0') from generate_series(1, 70) n
                       returning id, display_name)
         insert into membership (partnership_id, id, user_id, job_title, known_as)
         select $1, gen_random_uuid(), id, 'Practitioner', chr(65 + (hashtext(display_name) & 15)) || ' ' || display_name from made",
    )
    .bind(pid)
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into action_point (partnership_id, id, description, owner_name, due_on, status)
         select $1, gen_random_uuid(), 'Listed action ' || lpad(n::text, 3, '0'), 'Listed owner', current_date + (n * 37 % 200) - 100,
                case when n % 7 = 0 then 'complete' else 'on_track' end
         from generate_series(1, 80) n",
    )
    .bind(pid)
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query(
        "insert into decision (partnership_id, id, number, group_id, title, question, majority_vote, majority_of, reminder_working_days,
                               closes_at, raised_by, outcome, outcome_at)
         select $1, gen_random_uuid(), 1000 + n, $2, 'Listed decision ' || lpad(n::text, 3, '0'), 'Agree?', false, 'votes_cast', 2,
                case when n % 5 = 0 then now() + interval '10 days' else now() - make_interval(days => n) end, $3,
                case when n % 5 = 0 then null else 'carried_consensus' end,
                case when n % 5 = 0 then null else now() - make_interval(days => n) end
         from generate_series(1, 80) n",
    )
    .bind(pid)
    .bind(group)
    .bind(manager)
    .execute(&app.owner)
    .await
    .unwrap();
    let mut bm = app.signed_in("bm@swindon.example").await;

    let lists = [
        (
            "/p/swindon/people",
            "select known_as from membership where partnership_id = $1 and removed_at is null order by known_as, id",
            "select count(*) from membership where partnership_id = $1 and removed_at is null",
        ),
        (
            "/p/swindon/actions",
            "select description from action_point where partnership_id = $1 and status <> 'complete' order by due_on, created_at, id",
            "select count(*) from action_point where partnership_id = $1 and status <> 'complete'",
        ),
        (
            "/p/swindon/decisions",
            "select title from decision where partnership_id = $1 and outcome is not null order by number desc",
            "select count(*) from decision where partnership_id = $1 and outcome is not null",
        ),
    ];
    for (address, ordered, counted) in lists {
        let total: i64 = sqlx::query_scalar(counted).bind(pid).fetch_one(&app.owner).await.unwrap();
        let last = (total + 24) / 25;
        assert!(last >= 3, "{address} has at least three pages");
        for page in [1, 2, last] {
            let shown = bm.get(&format!("{address}?size=25&page={page}")).await;
            let around = page_of(&app, ordered, pid, page).await;
            let first = (page - 1) * 25 + 1;
            let through = (page * 25).min(total);
            assert!(shown.contains(&format!("Showing {first} to {through} of {total}")), "{address} page {page}: {}", shown.body);
            shows_exactly(&shown, &around, page == 1);
        }
    }
}
