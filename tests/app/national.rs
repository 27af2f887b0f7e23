//! The national-scale generator run small, and every page against what it
//! makes: so the generator and the pages cannot drift apart, and no page's
//! statements grow with the data.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use partnership_hub::roles::Role;
use partnership_hub::seed::national::{self, Scale};
use uuid::Uuid;

use crate::harness::{Browser, PASSWORD, TestApp};
use crate::security::declared_routes;

/// The most statements any page view runs: BEGIN, the one statement that
/// finds the session, the person, the partnership and what they may see,
/// the page's reads, COMMIT.
const MOST_STATEMENTS: i64 = 6;

/// Pages the walk leaves out, and why.
const NOT_WALKED: [&str; 9] = [
    // Downloads: the generator records papers and report files but writes no file to storage.
    "/papers/{paper_id}",
    "/papers/{decision_paper_id}",
    "/papers/{request_paper_id}",
    "/papers/{return_paper_id}",
    "/library/{document_id}/versions/{version}",
    "/file",
    // Reached with a token from a mail or a calendar program; their own tests cover them.
    "/invitations/{token}",
    "/calendar/{token}",
    "/training/{token}",
];

/// The lists with a search, their filters, a sort and a later page: a view's
/// statements do not grow with the data either.
const LIST_VIEWS: [&str; 20] = [
    "/p/{slug}/audit?q=the&person={group_id}&kind=decision&action=decision.raised&from=1/4/2025&to=31/3/2026&order=asc&page=2&size=25",
    "/p/{slug}/audit?kind=meeting&page=3",
    "/p/{slug}/audit.csv?kind=account",
    "/p/{slug}/scrutiny/recommendations?q=the&organisation={organisation_id}&group={group_id}&response=overdue&year=2025&sort=addressee&order=desc&page=2&size=25",
    "/p/{slug}/scrutiny/recommendations.csv?response=awaiting&sort=response",
    "/p/{slug}/people?q=person&organisation={organisation_id}&role=group_member&sign_in=no_two_factor&sort=organisation&order=desc&page=2&size=25",
    "/p/{slug}/people.csv?sign_in=invited",
    "/p/{slug}/agencies?q=a&sector=health&group={group_id}&overdue=1&sort=due&order=desc&page=2&size=25",
    "/p/{slug}/agencies.csv?overdue=1",
    "/p/{slug}/actions?q=review&status=all&owner=me&group={group_id}&year=2025&sort=owner&order=desc&page=2&size=25",
    "/p/{slug}/actions.csv?q=the&status=overdue&sort=status",
    "/p/{slug}/decisions?q=the&status=carried&group={group_id}&year=2025&sort=title&order=desc&page=2&size=25",
    "/p/{slug}/decisions.csv?status=all&sort=status",
    "/p/{slug}/meetings?q=board&when=past&group={group_id}&year=2025&sort=place&page=2&size=25",
    "/p/{slug}/meetings.csv?when=all&sort=group&order=desc",
    "/p/{slug}/risks?status=closed&category=workforce",
    "/p/{slug}/risks?due=1&category=statutory",
    "/p/{slug}/training?year=2024-25",
    "/p/{slug}/engagement?year=2024-25",
    "/p/{slug}/budget/2024-25",
];

/// A generated partnership's records of every kind a route names, and its business manager (given every role) signed in.
struct Generated {
    ids: HashMap<&'static str, String>,
    business_manager: Browser,
}

async fn sign_in_generated(app: &TestApp, slug: &str) -> Generated {
    let pid = app.partnership_id(slug).await;
    let email = format!("person1@{slug}.example");
    let hash = partnership_hub::auth::password::hash(PASSWORD.into()).await.unwrap();
    sqlx::query("update app_user set password_hash = $1 where email = $2").bind(hash).bind(&email).execute(&app.owner).await.unwrap();
    // Every role, so that each page is one this person may use (a scrutineer's report form, a partner's response).
    sqlx::query(
        "insert into membership_role (partnership_id, membership_id, role)
         select m.partnership_id, m.id, r from membership m join app_user u on u.id = m.user_id, unnest($2::text[]) r
         where u.email = $1 on conflict do nothing",
    )
    .bind(&email)
    .bind(Role::ALL.iter().map(|r| r.code()).collect::<Vec<_>>())
    .execute(&app.owner)
    .await
    .unwrap();
    let one = |sql: &'static str| {
        let pool = app.owner.clone();
        async move {
            let id: Uuid = sqlx::query_scalar(sql).bind(pid).fetch_one(&pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
            id.to_string()
        }
    };
    let mut ids = HashMap::new();
    ids.insert("slug", slug.to_owned());
    ids.insert(
        "membership_id",
        one("select m.id from membership m join app_user u on u.id = m.user_id where m.partnership_id = $1 and u.email like 'person2@%'")
            .await,
    );
    ids.insert("group_id", one("select id from partnership_group where partnership_id = $1 and sort_order = 1").await);
    ids.insert("organisation_id", one("select id from organisation where partnership_id = $1 and name like '% Council'").await);
    ids.insert(
        "seat_id",
        one("select s.id from group_member s join partnership_group g on g.partnership_id = s.partnership_id and g.id = s.group_id
             where s.partnership_id = $1 and g.sort_order = 1 order by s.id limit 1")
        .await,
    );
    ids.insert("post_id", one("select post_id from post_holder where partnership_id = $1 order by starts_on, post_id limit 1").await);
    // The executive's last meeting with published minutes.
    ids.insert(
        "meeting_id",
        one("select m.id from meeting m join minutes n on n.partnership_id = m.partnership_id and n.meeting_id = m.id
             join partnership_group g on g.partnership_id = m.partnership_id and g.id = m.group_id
             where m.partnership_id = $1 and g.sort_order = 1 and n.status = 'published' order by m.starts_at desc limit 1")
        .await,
    );
    ids.insert("decision_id", one("select id from decision where partnership_id = $1 and outcome is null order by number limit 1").await);
    // The public register shows decisions made and not confidential.
    ids.insert(
        "public_decision_id",
        one("select id from decision where partnership_id = $1 and outcome is not null and not confidential order by number desc limit 1")
            .await,
    );
    // The report being written this quarter, made this person's, so that its draft pages open for them.
    let draft = one("select report_id from scrutiny_report_version where partnership_id = $1 and submitted_at is null limit 1").await;
    sqlx::query(
        "update scrutiny_report r set author_membership_id = m.id from membership m join app_user u on u.id = m.user_id
         where r.id = $1::uuid and m.partnership_id = r.partnership_id and u.email = $2",
    )
    .bind(&draft)
    .bind(&email)
    .execute(&app.owner)
    .await
    .unwrap();
    ids.insert(
        "finding_id",
        sqlx::query_scalar::<_, Uuid>("select id from scrutiny_finding where report_id = $1::uuid order by position limit 1")
            .bind(&draft)
            .fetch_one(&app.owner)
            .await
            .unwrap()
            .to_string(),
    );
    ids.insert("report_id", draft);
    ids.insert("version", "1".to_owned());
    ids.insert(
        "recommendation_id",
        one("select c.id from scrutiny_recommendation c join scrutiny_report_version v using (partnership_id, report_id, version)
             where c.partnership_id = $1 and v.submitted_at is not null order by v.submitted_at desc, c.id limit 1")
        .await,
    );
    ids.insert("review_id", one("select id from review where partnership_id = $1 and closed_on is null order by number limit 1").await);
    ids.insert("risk_id", one("select id from risk where partnership_id = $1 and closed_on is null order by number limit 1").await);
    ids.insert("round_id", one("select id from assurance_round where partnership_id = $1 order by number desc limit 1").await);
    ids.insert(
        "return_id",
        one("select r.id from round_return r join assurance_round a on a.partnership_id = r.partnership_id and a.id = r.round_id
             where r.partnership_id = $1 and r.status = 'submitted' order by a.number desc, r.id limit 1")
        .await,
    );
    ids.insert("challenge_id", one("select id from return_challenge where partnership_id = $1 order by challenged_at desc limit 1").await);
    ids.insert("audit_id", one("select id from case_audit where partnership_id = $1 order by number desc limit 1").await);
    ids.insert("indicator_id", one("select id from indicator where partnership_id = $1 order by name limit 1").await);
    let today = partnership_hub::calendar::today();
    ids.insert("year", partnership_hub::calendar::FinancialYear::containing(today).label());
    ids.insert(
        "quarter",
        format!(
            "{}-q{}",
            partnership_hub::calendar::FinancialYear::containing(today).label(),
            partnership_hub::calendar::FinancialYear::quarter_of(today)
        ),
    );
    ids.insert("course_id", one("select id from course where partnership_id = $1 order by title limit 1").await);
    ids.insert(
        "session_id",
        one("select id from training_session where partnership_id = $1 and starts_at < now() order by starts_at desc limit 1").await,
    );
    ids.insert("engagement_id", one("select id from engagement where partnership_id = $1 order by held_on desc limit 1").await);
    ids.insert("document_id", one("select id from library_document where partnership_id = $1 order by title limit 1").await);
    ids.insert(
        "review_finding_id",
        one("select f.id from review_finding f join review v on v.partnership_id = f.partnership_id and v.id = f.review_id
             where f.partnership_id = $1 order by v.closed_on is null desc, v.number, f.position limit 1")
        .await,
    );
    ids.insert(
        "request_id",
        one("select q.id from review_request q join review v on v.partnership_id = q.partnership_id and v.id = q.review_id
             where q.partnership_id = $1 and v.closed_on is null order by v.number, q.id limit 1")
        .await,
    );
    ids.insert(
        "action_id",
        one("select id from action_point where partnership_id = $1 and status <> 'complete' order by due_on, id limit 1").await,
    );
    let business_manager = app.signed_in(&email).await;
    Generated { ids, business_manager }
}

/// Every page a signed-in person reads (GET routes), filled with one partnership's records.
fn pages(ids: &HashMap<&'static str, String>) -> Vec<String> {
    declared_routes()
        .into_iter()
        .filter(|(method, pattern)| *method == Method::GET && !NOT_WALKED.iter().any(|left| pattern.contains(left)))
        .map(|(_, pattern)| match pattern.strip_prefix("/public/") {
            Some(_) => crate::paths::fill(&pattern.replace("{decision_id}", "{public_decision_id}"), ids),
            None => crate::paths::fill(&pattern, ids),
        })
        .chain(LIST_VIEWS.iter().map(|view| crate::paths::fill(view, ids)))
        .collect()
}

/// A page answers itself; the workspace's address without its slash sends the
/// browser to it with one, the sign-in pages send someone signed in on.
fn answered(path: &str, page: &crate::harness::Page) {
    let to_slash = page.status == StatusCode::PERMANENT_REDIRECT && page.location.as_deref() == Some(&format!("{path}/"));
    let signed_in_already = path.starts_with("/login") && page.status == StatusCode::SEE_OTHER;
    // Someone with one partnership is sent from the list of their partnerships to it.
    let to_their_partnership =
        path == "/" && page.status == StatusCode::SEE_OTHER && page.location.as_deref().is_some_and(|to| to.starts_with("/p/area-"));
    // The platform's pages are for its administrators, not a partnership's members.
    let platform = path.starts_with("/admin/") && page.status == StatusCode::FORBIDDEN;
    assert!(
        page.status == StatusCode::OK || to_slash || signed_in_already || platform || to_their_partnership,
        "{path} answered {}: {}",
        page.status,
        page.body
    );
}

/// The statements run since `before` (less those that count them), each as its first words, to say what a page ran.
async fn statements_since(app: &TestApp, before: &HashMap<String, i64>) -> String {
    let mut ran: Vec<String> = app
        .statements_by_text()
        .await
        .into_iter()
        .filter(|(text, calls)| *calls > before.get(text).copied().unwrap_or(0) && !text.contains("pg_stat_statements"))
        .map(|(text, _)| text.split_whitespace().take(12).collect::<Vec<_>>().join(" "))
        .collect();
    ran.sort();
    ran.join(" | ")
}

#[tokio::test]
async fn every_page_answers_for_generated_partnerships_and_runs_as_many_statements_in_the_largest_as_in_the_smallest() {
    let app = TestApp::spawn().await;
    let made = national::generate(&app.owner, Scale { partnerships: 4, years: 2 }, 2).await.unwrap();
    assert_eq!(made.partnerships, 4);
    assert!(made.meetings > 500 && made.decisions > 100 && made.actions > 1000 && made.audit_rows > 10_000, "{made:?}");

    // area-001 is made three times the usual size; find the smallest of the others.
    let smallest: String = sqlx::query_scalar(
        "select p.slug from partnership p where p.slug like 'area-%'
         order by (select count(*) from meeting m where m.partnership_id = p.id), p.slug limit 1",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let meetings = |slug: String| {
        let pool = app.owner.clone();
        async move {
            let n: i64 =
                sqlx::query_scalar("select count(*) from meeting m join partnership p on p.id = m.partnership_id where p.slug = $1")
                    .bind(slug)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            n
        }
    };
    let (large, small) = (meetings(national::slug(1)).await, meetings(smallest.clone()).await);
    assert!(large >= 2 * small, "area-001 holds {large} meetings and {smallest} {small}: not different enough to show flatness");

    let mut largest = sign_in_generated(&app, &national::slug(1)).await;
    let mut least = sign_in_generated(&app, &smallest).await;
    let mut walked = 0;
    let mut over = Vec::new();
    for (big_page, small_page) in pages(&largest.ids).into_iter().zip(pages(&least.ids)) {
        // Twice each, counting the second: the first view may show a message left by the last (and clear it).
        largest.business_manager.get(&big_page).await;
        let by_text = app.statements_by_text().await;
        let before = app.statements_run().await;
        let big = largest.business_manager.get(&big_page).await;
        // Less the statement that counts them.
        let big_statements = app.statements_run().await - before - 1;
        answered(&big_page, &big);

        least.business_manager.get(&small_page).await;
        let before = app.statements_run().await;
        let small = least.business_manager.get(&small_page).await;
        let small_statements = app.statements_run().await - before - 1;
        answered(&small_page, &small);

        assert_eq!(big_statements, small_statements, "{big_page} runs {big_statements} statements, {small_page} {small_statements}");
        if big_statements > MOST_STATEMENTS {
            over.push(format!("{big_page} ({big_statements}): {}", statements_since(&app, &by_text).await));
        }
        walked += 1;
    }
    assert!(walked >= 50, "only {walked} pages were walked");
    assert!(over.is_empty(), "pages running more than {MOST_STATEMENTS} statements:\n{}", over.join("\n"));
}

#[tokio::test]
async fn reading_pages_writes_nothing_to_the_database() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut browser = app.signed_in("bm@swindon.example").await;
    let mut ids = app.record_ids("swindon").await;
    ids.insert("public_decision_id", ids["decision_id"].clone());
    // A review's case page, its rapid review report and an agency's answer record each reading in the audit log, as the
    // need-to-know rules require (tests/app/reviews.rs).
    let walk: Vec<String> = pages(&ids)
        .into_iter()
        .filter(|p| {
            (p.starts_with("/p/swindon/") || p.starts_with("/public/")) && !p.ends_with("/case") && !p.ends_with("/rapid-review.pdf")
        })
        .filter(|p| !p.contains("/requests/"))
        .collect();
    // A first view of each, which may clear a message left for it (a write) or make the form token once.
    for page in &walk {
        browser.get(page).await;
    }
    let before = app.writes_run().await;
    for page in &walk {
        browser.get(page).await;
    }
    assert_eq!(app.writes_run().await - before, 0, "reading {} pages wrote to the database", walk.len());
    assert!(walk.len() >= 25, "only {} pages were read", walk.len());
    // The count sees a write: signing out deletes the session.
    let before = app.writes_run().await;
    assert_eq!(browser.post("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert!(app.writes_run().await > before, "signing out wrote nothing");
}

/// The decision numbers a register page lists (below its "Decision register" heading, if it has one), in order.
fn listed_numbers(page: &crate::harness::Page, prefix: &str) -> Vec<u32> {
    let register = page.body.split_once("Decision register</h2>").map_or(page.body.as_str(), |(_, after)| after);
    register
        .split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split_once("\">D").and_then(|(_, after)| after.split(':').next()).and_then(|n| n.parse().ok()))
        .collect()
}

/// The address of the next (older) page, if the page links to one.
fn older_link(page: &crate::harness::Page) -> Option<String> {
    let at = page.body.find("rel=\"next\"")?;
    let start = page.body[..at].rfind("href=\"")? + 6;
    let end = start + page.body[start..].find('"')?;
    Some(page.body[start..end].replace("&#x3f;", "?").replace("&#x3d;", "=").replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_registers_page_through_every_decision_once_and_stop_at_the_last() {
    let app = TestApp::spawn().await;
    national::generate(&app.owner, Scale { partnerships: 1, years: 2 }, 1).await.unwrap();
    let slug = national::slug(1);
    let mut generated = sign_in_generated(&app, &slug).await;
    let count = |sql: &'static str| {
        let (pool, slug) = (app.owner.clone(), slug.clone());
        async move {
            let n: i64 = sqlx::query_scalar(sql).bind(slug).fetch_one(&pool).await.unwrap();
            n as usize
        }
    };
    let decided =
        count("select count(*) from decision d join partnership p on p.id = d.partnership_id where p.slug = $1 and outcome is not null")
            .await;
    let public = count(
        "select count(*) from decision d join partnership p on p.id = d.partnership_id where p.slug = $1 and outcome is not null and not confidential",
    )
    .await;
    assert!(decided > 100 && public > 50, "{decided} decided, {public} public: too few to page");

    for (start, prefix, expected, browser) in [
        (format!("/p/{slug}/decisions"), format!("/p/{slug}/decisions/"), decided, Some(&mut generated.business_manager)),
        (format!("/public/{slug}/decisions"), format!("/public/{slug}/decisions/"), public, None),
    ] {
        let mut visitor = app.browser();
        let browser = browser.unwrap_or(&mut visitor);
        let mut seen: Vec<u32> = Vec::new();
        let mut next = Some(start.clone());
        let mut pages = 0;
        while let Some(path) = next {
            let page = browser.get(&path).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert!(page.contains(&format!("{expected} decisions")), "{path} does not say how many there are");
            let numbers = listed_numbers(&page, &prefix);
            assert!(numbers.len() <= 50, "{path} lists {} decisions", numbers.len());
            assert!(numbers.windows(2).all(|w| w[0] > w[1]), "{path}: newest first");
            assert!(numbers.iter().all(|n| !seen.contains(n)), "{path} repeats a decision of an earlier page");
            seen.extend(numbers);
            next = older_link(&page);
            pages += 1;
        }
        assert_eq!(seen.len(), expected, "{start}: every decision once");
        assert_eq!(pages, expected.div_ceil(50), "{start}: pages");
        if start.starts_with("/public/") {
            // Before the first decision there is nothing: an empty page, not an error.
            let past_the_end = browser.get(&format!("{start}?before=1")).await;
            assert_eq!(past_the_end.status, StatusCode::OK);
            assert!(listed_numbers(&past_the_end, &prefix).is_empty(), "{start}?before=1 lists decisions");
            assert!(older_link(&past_the_end).is_none());
            assert!(past_the_end.contains(&format!("{expected} decisions")), "the count stays on an empty page");
            // A key that is not a number is refused as unreadable, not a failure.
            assert_eq!(browser.get(&format!("{start}?before=yesterday")).await.status, StatusCode::BAD_REQUEST);
        } else {
            // The members' register is paged by number: past the last page there is nothing, and a way back.
            let past_the_end = browser.get(&format!("{start}?page=999")).await;
            assert_eq!(past_the_end.status, StatusCode::OK);
            assert!(listed_numbers(&past_the_end, &prefix).is_empty(), "{start}?page=999 lists decisions");
            assert!(older_link(&past_the_end).is_none());
            assert!(past_the_end.contains("There is no page 999 of these decisions."), "{}", past_the_end.body);
            // A page that is not a number is the first page.
            let nonsense = browser.get(&format!("{start}?page=yesterday")).await;
            assert!(nonsense.contains(&format!("Showing 1 to 50 of {expected} decisions.")));
        }
    }
}

#[tokio::test]
async fn public_pages_carry_an_entity_tag_and_answer_not_modified_when_it_matches() {
    let app = TestApp::spawn().await;
    national::generate(&app.owner, Scale { partnerships: 1, years: 1 }, 1).await.unwrap();
    let slug = national::slug(1);
    let decision: Uuid = sqlx::query_scalar(
        "select d.id from decision d join partnership p on p.id = d.partnership_id
         where p.slug = $1 and d.outcome is not null and not d.confidential order by d.number desc limit 1",
    )
    .bind(&slug)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    let mut visitor = app.browser();
    for path in [format!("/public/{slug}/decisions"), format!("/public/{slug}/decisions/{decision}")] {
        let first = visitor.get(&path).await;
        assert_eq!(first.status, StatusCode::OK);
        let tag = first.headers.get("etag").expect("an entity tag").to_str().unwrap().to_owned();
        assert_eq!(first.headers.get("cache-control").unwrap(), "public, no-cache", "{path}: kept, and checked each time");
        let held = visitor.get_with(&path, &[("if-none-match", &tag)]).await;
        assert_eq!(held.status, StatusCode::NOT_MODIFIED, "{path}");
        assert!(held.bytes.is_empty(), "a 304 has no body");
        let stale = visitor.get_with(&path, &[("if-none-match", "\"an-older-version\"")]).await;
        assert_eq!(stale.status, StatusCode::OK, "{path}: another version is sent whole");
    }
    // A new decision published changes the register, and so its tag.
    let register = format!("/public/{slug}/decisions");
    let before = visitor.get(&register).await.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    sqlx::query(
        "update decision set confidential = false where partnership_id = (select id from partnership where slug = $1) and outcome is null",
    )
    .bind(&slug)
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query(
        "update decision set closes_at = now() - interval '1 minute', outcome = 'carried_consensus', outcome_at = now(), outcome_note = 'Agreed.'
         where partnership_id = (select id from partnership where slug = $1) and outcome is null",
    )
    .bind(&slug)
    .execute(&app.owner)
    .await
    .unwrap();
    let after = visitor.get_with(&register, &[("if-none-match", &before)]).await;
    assert_eq!(after.status, StatusCode::OK, "the register changed: sent again");
    assert_ne!(after.headers.get("etag").unwrap().to_str().unwrap(), before);
}
