//! The pooled budget: two financial years set up through the forms, lines,
//! contributions, invoices, payments and spending, the position and the
//! balance carried from one year into the next worked out to the penny, the
//! 50/50 split, refusals with their messages (a date in another year, a
//! negative payment, too many decimal places), a double submit recording one
//! payment, and the partners asked to agree the contributions through the
//! decisions module.

use axum::http::StatusCode;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, Page, TestApp};

async fn post(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    browser.post(path, fields).await
}

async fn ok(browser: &mut Browser, path: &str, fields: &[(&str, &str)]) {
    let page = post(browser, path, fields).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{path}: {}", page.body);
}

async fn organisation(app: &TestApp, name: &str) -> String {
    let id: Uuid = sqlx::query_scalar("select id from organisation where name = $1").bind(name).fetch_one(&app.owner).await.unwrap();
    id.to_string()
}

async fn contribution(app: &TestApp, contributor: &str, year_start: &str) -> String {
    let id: Uuid = sqlx::query_scalar(
        "select k.id from contribution k join budget_year y on y.partnership_id = k.partnership_id and y.id = k.budget_year_id
         where k.contributor = $1 and y.starts_on = $2::date",
    )
    .bind(contributor)
    .bind(year_start)
    .fetch_one(&app.owner)
    .await
    .unwrap();
    id.to_string()
}

async fn line(app: &TestApp, name: &str) -> String {
    let id: Uuid = sqlx::query_scalar("select id from budget_line where name = $1").bind(name).fetch_one(&app.owner).await.unwrap();
    id.to_string()
}

#[tokio::test]
async fn two_years_carry_forward_to_the_penny_with_the_split_and_the_partners_agreement() {
    let app = TestApp::spawn().await;
    app.add_member("bm@warwickshire.example", "warwickshire", &[Role::BusinessManager]).await;
    app.add_member("viewer@warwickshire.example", "warwickshire", &[Role::Viewer]).await;
    let mut bm = app.signed_in("bm@warwickshire.example").await;

    // Until this year's budget is set up, the business manager is told so.
    let this_year = partnership_hub::calendar::FinancialYear::containing(partnership_hub::calendar::today()).label();
    assert!(bm.get("/p/warwickshire/").await.contains(&format!("Set up the pooled budget for {this_year}")));

    // Warwickshire splits its budget equally between the children's partnership and the adults' board.
    ok(&mut bm, "/p/warwickshire/budget/split", &[("children_share", "50")]).await;
    ok(&mut bm, "/p/warwickshire/budget", &[("year", "2025-26")]).await;
    ok(&mut bm, "/p/warwickshire/budget", &[("year", "2025-26")]).await;
    ok(&mut bm, "/p/warwickshire/budget", &[("year", "2026-27")]).await;
    let years: i64 = sqlx::query_scalar("select count(*) from budget_year").fetch_one(&app.owner).await.unwrap();
    assert_eq!(years, 2, "setting a year up twice sets up one");
    let refused = post(&mut bm, "/p/warwickshire/budget", &[("year", "2015-16")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose a financial year from"));

    let y1 = "/p/warwickshire/budget/2025-26";
    ok(&mut bm, &format!("{y1}/lines"), &[("line_category", "staffing"), ("line_name", "Business unit"), ("line_amount", "£400,000.00")])
        .await;
    ok(&mut bm, &format!("{y1}/lines"), &[("line_category", "training"), ("line_name", "Training offer"), ("line_amount", "104,628")])
        .await;
    let decimals =
        post(&mut bm, &format!("{y1}/lines"), &[("line_category", "other"), ("line_name", "Sundries"), ("line_amount", "10.005")]).await;
    assert_eq!(decimals.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(decimals.contains("The amount budgeted can have at most two decimal places"));
    assert!(decimals.contains("value=\"Sundries\""), "what was typed is kept");

    let council = organisation(&app, "Warwickshire County Council").await;
    let police = organisation(&app, "Warwickshire Police").await;
    ok(
        &mut bm,
        &format!("{y1}/contributions"),
        &[("contributor", &council), ("contribution_form", "cash"), ("contribution_amount", "300000.01")],
    )
    .await;
    ok(
        &mut bm,
        &format!("{y1}/contributions"),
        &[("contributor", &police), ("contribution_form", "cash"), ("contribution_amount", "150000")],
    )
    .await;
    ok(
        &mut bm,
        &format!("{y1}/contributions"),
        &[
            ("contributor", "other"),
            ("contributor_name", "North Warwickshire Borough Council"),
            ("contribution_form", "in_kind"),
            ("contribution_amount", "5000"),
            ("contribution_description", "Meeting rooms"),
        ],
    )
    .await;
    let twice = post(
        &mut bm,
        &format!("{y1}/contributions"),
        &[("contributor", &police), ("contribution_form", "cash"), ("contribution_amount", "1")],
    )
    .await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.contains("Warwickshire Police&#39;s contribution to 2025-26 is already recorded"), "{}", twice.body);

    // A payment: dated in the year, never negative; the same form sent twice records one.
    let council_contribution = contribution(&app, "Warwickshire County Council", "2025-04-01").await;
    let key = Uuid::new_v4().to_string();
    let payment = |day: &'static str, month: &'static str, year: &'static str, amount: &'static str| {
        vec![
            ("key", key.clone()),
            ("entry_contribution", council_contribution.clone()),
            ("entry_kind", "payment".to_owned()),
            ("entry_day", day.to_owned()),
            ("entry_month", month.to_owned()),
            ("entry_year", year.to_owned()),
            ("entry_amount", amount.to_owned()),
        ]
    };
    let as_pairs = |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let wrong_year = as_pairs(&payment("3", "5", "2026", "1000"));
    let wrong_year: Vec<(&str, &str)> = wrong_year.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = post(&mut bm, &format!("{y1}/entries"), &wrong_year).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The payment is dated 3 May 2026, in 2026-27"), "{}", page.body);
    let negative = as_pairs(&payment("3", "5", "2025", "-10"));
    let negative: Vec<(&str, &str)> = negative.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = post(&mut bm, &format!("{y1}/entries"), &negative).await;
    assert!(page.contains("The payment must not be negative"));
    let good = as_pairs(&payment("3", "5", "2025", "300,000.01"));
    let good: Vec<(&str, &str)> = good.iter().map(|(k, v)| (*k, v.as_str())).collect();
    ok(&mut bm, &format!("{y1}/entries"), &good).await;
    ok(&mut bm, &format!("{y1}/entries"), &good).await;
    let payments: i64 = sqlx::query_scalar("select count(*) from contribution_entry").fetch_one(&app.owner).await.unwrap();
    assert_eq!(payments, 1, "a double submit records one payment");
    let in_kind = contribution(&app, "North Warwickshire Borough Council", "2025-04-01").await;
    let page = post(
        &mut bm,
        &format!("{y1}/entries"),
        &[
            ("entry_contribution", &in_kind),
            ("entry_kind", "invoice"),
            ("entry_day", "1"),
            ("entry_month", "6"),
            ("entry_year", "2025"),
            ("entry_amount", "5"),
        ],
    )
    .await;
    assert!(page.contains("Choose the cash contribution it is for"), "no invoice for an in-kind contribution");

    // Spending: 2025-26 spends £420,000.50 of £450,000.01 cash agreed, so £29,999.51 is carried forward.
    let business_unit = line(&app, "Business unit").await;
    let training = line(&app, "Training offer").await;
    for (line, day, month, year, amount, arrangements) in [
        (&business_unit, "30", "9", "2025", "390000.00", "shared"),
        (&training, "1", "3", "2026", "20000.50", "children"),
        (&training, "2", "3", "2026", "10000", "adults"),
    ] {
        let key = Uuid::new_v4().to_string();
        ok(
            &mut bm,
            &format!("{y1}/spending"),
            &[
                ("key", &key),
                ("spend_line", line),
                ("spend_day", day),
                ("spend_month", month),
                ("spend_year", year),
                ("spend_description", "Spending"),
                ("spend_amount", amount),
                ("spend_arrangements", arrangements),
            ],
        )
        .await;
    }
    let outside = post(
        &mut bm,
        &format!("{y1}/spending"),
        &[
            ("spend_line", &training),
            ("spend_day", "1"),
            ("spend_month", "4"),
            ("spend_year", "2026"),
            ("spend_description", "Late"),
            ("spend_amount", "1"),
        ],
    )
    .await;
    assert!(outside.contains("1 April 2026 is in 2026-27: give a date from 1 April 2025 to 31 March 2026"), "{}", outside.body);

    let year_one = bm.get(y1).await;
    assert_eq!(year_one.status, StatusCode::OK);
    for figure in [
        "£504,628.00", // the budget
        "£450,000.01", // cash agreed
        "£420,000.50", // spent
        "£84,627.50",  // under budget
        "£29,999.51",  // carried forward
        "£300,000.01 received",
        "£150,000.00 still to come",
        "£5,000.00 (valued; not cash to spend)",
        "Split: 50% children, 50% adults",
        "£252,314.00", // each side's budget
        "£225,000.00", // the children's cash (rounded down) …
        "£225,000.01", // … and the adults', the rest
        "£215,000.50", // children: £20,000.50 of theirs and half of £390,000 shared
        "£205,000.00", // adults: £10,000 and the other half
    ] {
        assert!(year_one.contains(figure), "2025-26 shows {figure}");
    }

    // 2026-27 brings forward what 2025-26 did not spend.
    let y2 = "/p/warwickshire/budget/2026-27";
    ok(&mut bm, &format!("{y2}/lines"), &[("line_category", "scrutiny"), ("line_name", "Independent scrutiny"), ("line_amount", "30000")])
        .await;
    ok(
        &mut bm,
        &format!("{y2}/contributions"),
        &[("contributor", &council), ("contribution_form", "cash"), ("contribution_amount", "20000")],
    )
    .await;
    let scrutiny = line(&app, "Independent scrutiny").await;
    ok(
        &mut bm,
        &format!("{y2}/spending"),
        &[
            ("key", &Uuid::new_v4().to_string()),
            ("spend_line", &scrutiny),
            ("spend_day", "1"),
            ("spend_month", "5"),
            ("spend_year", "2026"),
            ("spend_description", "Scrutineer, first quarter"),
            ("spend_amount", "7500.25"),
        ],
    )
    .await;
    let year_two = bm.get(y2).await;
    assert!(year_two.contains("£29,999.51"), "brought forward");
    assert!(year_two.contains("£49,999.51"), "available: brought forward and the cash agreed");
    assert!(year_two.contains("£42,499.26"), "carried forward into 2027-28");
    assert!(!bm.get("/p/warwickshire/").await.contains("Set up the pooled budget"), "this year is set up");
    let all = bm.get("/p/warwickshire/budget").await;
    assert!(all.contains("2025-26") && all.contains("2026-27") && all.contains("£42,499.26"));

    // Anyone in the partnership may read the budget; only the business unit changes it.
    let mut viewer = app.signed_in("viewer@warwickshire.example").await;
    assert!(viewer.get(y1).await.contains("£29,999.51"));
    assert!(!viewer.get(y1).await.contains("Record a contribution"));
    let refused =
        post(&mut viewer, &format!("{y2}/lines"), &[("line_category", "other"), ("line_name", "Mine"), ("line_amount", "1")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // The lead partners agree the contributions through the decisions module: once.
    ok(&mut bm, &format!("{y1}/agreement"), &[]).await;
    ok(&mut bm, &format!("{y1}/agreement"), &[]).await;
    let (decisions, title): (i64, String) =
        sqlx::query_as("select count(*), min(title) from decision where title like 'Contributions to the pooled budget%'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!((decisions, title.as_str()), (1, "Contributions to the pooled budget for 2025-26"));
    let page = bm.get(y1).await;
    assert!(page.contains("Waiting for the partners&#39; responses"));

    let actions = app.audit_actions().await;
    for action in [
        "budget.split",
        "budget.year_set_up",
        "budget.line_added",
        "budget.contribution_added",
        "budget.entry_added",
        "budget.spent",
        "budget.agreement_asked",
        "decision.raised",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the audit log");
    }
    // Money is never a float: every amount column is a bigint of pennies.
    let floats: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.columns where table_name in ('budget_line', 'contribution', 'contribution_entry', 'expenditure')
           and column_name like '%pennies' and data_type <> 'bigint'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(floats, 0);
}

#[tokio::test]
async fn a_year_not_set_up_or_misnamed_is_not_a_page() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    assert_eq!(bm.get("/p/swindon/budget/2025-26").await.status, StatusCode::NOT_FOUND);
    ok(&mut bm, "/p/swindon/budget", &[("year", "2025-26")]).await;
    assert_eq!(bm.get("/p/swindon/budget/2025-26").await.status, StatusCode::OK);
    assert_eq!(bm.get("/p/swindon/budget/2025%2F26").await.status, StatusCode::NOT_FOUND);
    assert_eq!(bm.get("/p/swindon/budget/2025-27").await.status, StatusCode::NOT_FOUND);
    let split = post(&mut bm, "/p/swindon/budget/split", &[("children_share", "150")]).await;
    assert_eq!(split.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(split.contains("whole number from 0 to 100"));
}

#[tokio::test]
async fn the_demo_has_warwickshires_budget_a_training_offer_engagement_and_a_library_made_once() {
    let app = TestApp::spawn().await;
    let files = partnership_hub::seed::load_dir(&partnership_hub::seed::seed_dir()).unwrap();
    let accounts = std::env::temp_dir().join(format!("demo-accounts-{}.txt", Uuid::new_v4()));
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    let counted: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from budget_year k join partnership p on p.id = k.partnership_id where p.slug = 'warwickshire'),
                (select count(*) from course k join partnership p on p.id = k.partnership_id where p.slug = 'warwickshire'),
                (select count(*) from training_session k join partnership p on p.id = k.partnership_id where p.slug = 'warwickshire'),
                (select count(*) from library_document k join partnership p on p.id = k.partnership_id where p.slug = 'warwickshire'),
                (select count(*) from engagement k join partnership p on p.id = k.partnership_id where p.slug = 'warwickshire')",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(counted, (2, 3, 9, 3, 3), "two years, three courses of three sessions, three documents, three activities");
    let email = partnership_hub::seed::demo::email_for(Role::BusinessManager, "warwickshire");
    let password = std::fs::read_to_string(&accounts).unwrap().lines().next().unwrap().split_once(' ').unwrap().1.to_owned();
    let mut bm = app.browser();
    bm.sign_in(&email, &password).await;
    let this_year = partnership_hub::calendar::FinancialYear::containing(partnership_hub::calendar::today()).label();
    let year = bm.get(&format!("/p/warwickshire/budget/{this_year}")).await;
    assert!(year.contains("£504,628.00") && year.contains("Split: 50% children, 50% adults"), "{}", year.body);
    assert!(bm.get("/p/warwickshire/training").await.contains("Child exploitation"));
    assert!(bm.get("/p/warwickshire/engagement").await.contains("Youth council: feeling safe online"));
    assert!(bm.get("/p/warwickshire/library").await.contains("Spectrum of Support"));
}
