//! Reviews: a notification's clocks, the children's path from notification
//! to a published practice review (and to a decision not to publish), a
//! safeguarding adult review with its section 44 condition, the case kept to
//! those entitled, every reading of it audited, and the pseudonym everywhere
//! else.

use axum::http::StatusCode;
use chrono::Datelike;
use partnership_hub::calendar::{long_date, today, working_days_after, working_days_before};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, TestApp};

const CHILD_NAME: &str = "Jordan Example-Smith";

async fn setup() -> (TestApp, Uuid) {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let reviewer = app.add_member("reviewer@swindon.example", "swindon", &[Role::GroupMember]).await;
    let other = app.add_member("other@swindon.example", "swindon", &[Role::GroupMember]).await;
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    app.add_member("dsp@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    let group = app.group_id("swindon", "Practice Review Group").await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    app.seat(reviewer, group, "Review Group Member", None).await;
    app.seat(other, executive, "Executive Member", None).await;
    (app, group)
}

fn date_fields(prefix: &str, day: chrono::NaiveDate) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}_day"), day.day().to_string()),
        (format!("{prefix}_month"), day.month().to_string()),
        (format!("{prefix}_year"), day.year().to_string()),
    ]
}

async fn post(browser: &mut Browser, path: &str, fields: Vec<(String, String)>) -> crate::harness::Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

/// Record a notification through the form; the review's address.
async fn notify(
    browser: &mut Browser,
    group: Uuid,
    kind: &str,
    pseudonym: &str,
    aware: chrono::NaiveDate,
    extra: Vec<(String, String)>,
) -> String {
    let form = browser.get("/p/swindon/reviews/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let id = form.body.split("name=\"review_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut fields = vec![
        ("review_id".to_owned(), id),
        ("kind".to_owned(), kind.to_owned()),
        ("pseudonym".to_owned(), pseudonym.to_owned()),
        ("group_id".to_owned(), group.to_string()),
    ];
    fields.extend(date_fields("aware", aware));
    fields.extend(extra);
    if kind == "child" && !fields.iter().any(|(k, _)| k == "notification_ground") {
        // A child's notification says why it is notifiable; without it the form comes back, as typed.
        let without = post(browser, "/p/swindon/reviews/new", fields.clone()).await;
        assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(without.contains("Select why the incident is notified") && without.contains(&format!("value=\"{pseudonym}\"")));
        fields.push(("notification_ground".to_owned(), "abuse_harmed".to_owned()));
    }
    let page = post(browser, "/p/swindon/reviews/new", fields.clone()).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    // The same form sent twice records one review.
    assert_eq!(post(browser, "/p/swindon/reviews/new", fields).await.status, StatusCode::SEE_OTHER);
    page.location.unwrap()
}

async fn step(browser: &mut Browser, review: &str, stage: &str, extra: &[(&str, &str)]) -> crate::harness::Page {
    let mut fields = vec![("stage".to_owned(), stage.to_owned())];
    fields.extend(date_fields("on", today()));
    fields.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    post(browser, &format!("{review}/stage"), fields).await
}

#[tokio::test]
async fn a_notification_runs_on_its_clocks_to_a_published_practice_review() {
    let (app, group) = setup().await;
    add_partners(&app).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    // Aware 12 working days ago, the Panel notified 3 working days later.
    let aware = working_days_before(today(), 12);
    let notified = working_days_after(aware, 3);
    let review = notify(&mut bm, group, "child", "Child J", aware, date_fields("notified", notified)).await;
    let count: i64 = sqlx::query_scalar("select count(*) from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 1, "a double submit records one review");

    let page = bm.get(&review).await;
    assert!(page.contains("R1: Child J"));
    assert!(page.contains("Abuse or neglect known or suspected, and the child was seriously harmed"), "why it was notified");
    let notify_due = working_days_after(aware, 5);
    assert!(
        page.contains(&format!("Notify the Panel by {}: done on {}, in time", long_date(notify_due), long_date(notified))),
        "{}",
        page.body
    );
    let rapid_due = working_days_after(aware, 15);
    assert!(page.contains(&format!("Send the rapid review to the Panel by {}", long_date(rapid_due))));
    // The partnership may start the rapid review's clock at the notification instead.
    assert_eq!(bm.get("/p/swindon/reviews/settings").await.status, StatusCode::OK);
    let too_short = bm
        .post(
            "/p/swindon/reviews/settings",
            &[
                ("clock_start", "notified"),
                ("rapid_review_working_days", "15"),
                ("notification_working_days", "5"),
                ("published_months", "6"),
                ("dhr_label", "Domestic homicide review"),
            ],
        )
        .await;
    assert_eq!(too_short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_short.contains("(at least 12) must be a whole number from 12 to 120"));
    let saved = bm
        .post(
            "/p/swindon/reviews/settings",
            &[
                ("clock_start", "notified"),
                ("rapid_review_working_days", "15"),
                ("notification_working_days", "5"),
                ("published_months", "12"),
                ("dhr_label", "Domestic homicide review"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(app.audit_actions().await.contains(&"review_settings.updated".to_owned()));
    assert!(
        bm.get(&review).await.contains(&format!("Send the rapid review to the Panel by {}", long_date(working_days_after(notified, 15))))
    );
    // A slip in the Panel's dates comes back on the form with everything typed kept.
    let slip = post(
        &mut bm,
        &format!("{review}/panel"),
        vec![
            ("notified_day".into(), "32".into()),
            ("notified_month".into(), "1".into()),
            ("notified_year".into(), "2027".into()),
            ("panel_reply".into(), "The Panel asks for the chronology".into()),
        ],
    )
    .await;
    assert_eq!(slip.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(slip.contains("The Panel asks for the chronology") && slip.contains("value=\"32\""));
    let dashboard = bm.get("/p/swindon/reviews").await;
    assert!(dashboard.contains("R1: Child J") && dashboard.contains("Send the rapid review to the Panel"));

    // The case: the child's name and what happened.
    let mut case = vec![
        ("subject1_full_name".to_owned(), CHILD_NAME.to_owned()),
        ("circumstances".to_owned(), "Admitted to hospital with injuries".to_owned()),
    ];
    case.extend(date_fields("subject1_birth", chrono::NaiveDate::from_ymd_opt(2021, 2, 3).unwrap()));
    assert_eq!(post(&mut bm, &format!("{review}/case"), case).await.status, StatusCode::SEE_OTHER);
    let read = bm.get(&format!("{review}/case")).await;
    assert!(read.contains(CHILD_NAME) && read.contains("Admitted to hospital with injuries"));

    // The rapid review, then the group's recommendation put to the partners as a decision.
    assert_eq!(step(&mut bm, &review, "rapid_review", &[]).await.status, StatusCode::SEE_OTHER);
    let missing = step(&mut bm, &review, "recommended", &[]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.contains("Select what the group recommends"));
    let recommended = step(
        &mut bm,
        &review,
        "recommended",
        &[("recommendation", "local_review"), ("recommendation_reason", "The criteria of regulation 11 are met")],
    )
    .await;
    assert_eq!(recommended.status, StatusCode::SEE_OTHER, "{}", recommended.body);
    let (title, confidential, background): (String, bool, String) =
        sqlx::query_as("select title, confidential, background from decision where title like 'R1 %'").fetch_one(&app.owner).await.unwrap();
    assert!(title.contains("Child J") && confidential);
    assert!(!title.contains(CHILD_NAME) && !background.contains(CHILD_NAME), "the decision names the pseudonym alone");
    assert!(bm.get(&review).await.contains("Decision D"));

    // While the partners decide, nobody records the outcome for them; their agreement commissions the review.
    let pre_empted = step(&mut bm, &review, "commissioned", &[]).await;
    assert_eq!(pre_empted.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pre_empted.contains("The partners are deciding (decision D"));
    let decision: Uuid = sqlx::query_scalar("select decision_id from review").fetch_one(&app.owner).await.unwrap();
    partners_agree(&app, decision, "Child J").await;
    let stage: String = sqlx::query_scalar("select stage from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!(stage, "commissioned");
    // A practice review moves through its stages to publication.
    assert_eq!(step(&mut bm, &review, "terms_agreed", &[]).await.status, StatusCode::SEE_OTHER);
    let no_name = step(&mut bm, &review, "reviewer_appointed", &[]).await;
    assert!(no_name.contains("Enter the lead reviewer"));
    assert_eq!(step(&mut bm, &review, "reviewer_appointed", &[("lead_reviewer", "Dr A Reviewer")]).await.status, StatusCode::SEE_OTHER);
    for stage in ["methodology_agreed", "involvement", "draft", "final_report"] {
        assert_eq!(step(&mut bm, &review, stage, &[]).await.status, StatusCode::SEE_OTHER, "{stage}");
    }
    // A stage out of order is refused as where the review stands, and writes nothing.
    let skipped = step(&mut bm, &review, "published", &[("learning_summary", "x")]).await;
    assert_eq!(skipped.status, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut bm, &review, "publication_decided", &[("publication", "publish")]).await.status, StatusCode::SEE_OTHER);
    // The delegated partners endorse the publication decision before the report goes out.
    let summary = "Agencies did not share what they knew about the family's move; the partners now share information at each transfer.";
    let early = step(&mut bm, &review, "published", &[("learning_summary", summary)]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.contains("have not endorsed the publication decision yet") && early.contains("the partners now share information"));
    let endorsement: Uuid = sqlx::query_scalar("select publication_decision_id from review").fetch_one(&app.owner).await.unwrap();
    let title: String =
        sqlx::query_scalar("select title from decision where id = $1").bind(endorsement).fetch_one(&app.owner).await.unwrap();
    assert_eq!(title, "R1 Child J: publication: publish");
    partners_agree(&app, endorsement, "Child J").await;
    assert!(bm.get(&review).await.contains("Endorsement: "));
    assert_eq!(step(&mut bm, &review, "published", &[("learning_summary", summary)]).await.status, StatusCode::SEE_OTHER);
    let stage: String = sqlx::query_scalar("select stage from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!(stage, "published");
    let events: i64 = sqlx::query_scalar("select count(*) from review_event").fetch_one(&app.owner).await.unwrap();
    assert_eq!(events, 12, "each stage reached once, from the notification");

    // The public page shows the learning under the pseudonym, to anyone.
    let public = app.browser().get("/public/swindon/reviews").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.contains("Child J: Child safeguarding practice review") && public.contains("the partners now share information"));
    assert!(!public.contains(CHILD_NAME));
    assert!(public.contains("govuk-exit-this-page") && public.contains("Exit this page"), "a quick way out for a reader who is not safe");

    // Every mail the review sent names the pseudonym, never the child.
    let bodies: Vec<String> = sqlx::query_scalar("select subject || ' ' || body from outbox").fetch_all(&app.owner).await.unwrap();
    assert!(bodies.iter().any(|b| b.contains("Child J")), "the group heard of the review");
    assert!(bodies.iter().all(|b| !b.contains(CHILD_NAME)));
    let actions = app.audit_actions().await;
    // Ten stages recorded by hand, and the commissioning by the partners' decision.
    assert!(actions.contains(&"review.recorded".to_owned()) && actions.iter().filter(|a| *a == "review.stage").count() == 11);
}

#[tokio::test]
async fn a_decision_not_to_publish_is_explained_and_never_reaches_the_public_page() {
    let (app, group) = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let review = notify(&mut bm, group, "learning", "Child K", working_days_before(today(), 30), vec![]).await;
    for stage in ["commissioned", "terms_agreed"] {
        step(&mut bm, &review, stage, &[]).await;
    }
    step(&mut bm, &review, "reviewer_appointed", &[("lead_reviewer", "Ms B Reviewer")]).await;
    for stage in ["methodology_agreed", "involvement", "draft", "final_report"] {
        step(&mut bm, &review, stage, &[]).await;
    }
    let unexplained = step(&mut bm, &review, "publication_decided", &[("publication", "not_publish")]).await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unexplained.contains("Enter the reason for the delay or for not publishing"));
    let reason = "Publishing would identify the surviving sibling";
    let decided = step(&mut bm, &review, "publication_decided", &[("publication", "not_publish"), ("publication_reason", reason)]).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    let page = bm.get(&review).await;
    assert!(page.contains(reason) && page.contains("Tell the Panel and the Secretary of State"));
    let not_published = step(&mut bm, &review, "published", &[("learning_summary", "x")]).await;
    assert_eq!(not_published.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_published.contains("The partners decided not to publish this report"));
    let future = post(&mut bm, &format!("{review}/told"), date_fields("told", working_days_after(today(), 2))).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(future.contains("The date must be today or in the past"));
    assert_eq!(post(&mut bm, &format!("{review}/told"), date_fields("told", today())).await.status, StatusCode::SEE_OTHER);
    let told: Option<chrono::NaiveDate> = sqlx::query_scalar("select publication_told_on from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!(told, Some(today()));
    assert!(app.audit_actions().await.contains(&"review.publication_told".to_owned()));
    assert_eq!(step(&mut bm, &review, "closed", &[]).await.status, StatusCode::SEE_OTHER);
    assert!(!app.browser().get("/public/swindon/reviews").await.contains("Child K"));
    assert!(!bm.get("/p/swindon/reviews").await.body.contains("R1: Child K</a>"), "a closed review leaves the open list");
}

#[tokio::test]
async fn a_safeguarding_adult_review_records_the_section_44_condition_and_why() {
    let (app, group) = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let form = bm.get("/p/swindon/reviews/new").await;
    let id = form.body.split("name=\"review_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let mut fields = vec![
        ("review_id".to_owned(), id),
        ("kind".to_owned(), "adult".to_owned()),
        ("pseudonym".to_owned(), "Adult B".to_owned()),
        ("group_id".to_owned(), group.to_string()),
    ];
    fields.extend(date_fields("aware", working_days_before(today(), 5)));
    let without = post(&mut bm, "/p/swindon/reviews/new", fields.clone()).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without.contains("Select which condition of section 44 the case meets"));
    assert!(without.contains("value=\"Adult B\""), "what was typed is kept");
    fields.push(("sar_condition".into(), "died".into()));
    let no_reason = post(&mut bm, "/p/swindon/reviews/new", fields.clone()).await;
    assert!(no_reason.contains("Enter why the case meets that condition"));
    fields.push(("sar_condition_reason".into(), "Agencies did not share concerns about self-neglect".into()));
    let recorded = post(&mut bm, "/p/swindon/reviews/new", fields).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    let (kind, condition): (String, String) = sqlx::query_as("select kind, sar_condition from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!((kind.as_str(), condition.as_str()), ("adult", "died"));
    let page = bm.get(&recorded.location.unwrap()).await;
    assert!(page.contains("Mandatory, s44(2)") && page.contains("Referred"));
}

#[tokio::test]
async fn only_those_entitled_read_a_case_and_every_reading_is_audited() {
    let (app, group) = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let review = notify(&mut bm, group, "child", "Child L", working_days_before(today(), 2), vec![]).await;
    let mut case =
        vec![("subject1_full_name".to_owned(), CHILD_NAME.to_owned()), ("circumstances".to_owned(), "Known to three agencies".to_owned())];
    case.extend(date_fields("subject1_birth", chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()));
    post(&mut bm, &format!("{review}/case"), case).await;

    // The clock is on the home page of the business unit and of the review group's members, by pseudonym.
    let due = "R1 Child L: notify the Panel";
    assert!(bm.get("/p/swindon/").await.contains(due));
    let mut reviewer = app.signed_in("reviewer@swindon.example").await;
    assert!(reviewer.get("/p/swindon/").await.contains(due));
    assert!(!app.signed_in("viewer@swindon.example").await.get("/p/swindon/").await.contains(due));

    // The review group's member reads it; the reading is in the log with who and which review.
    assert!(reviewer.get(&format!("{review}/case")).await.contains(CHILD_NAME));
    let readers: Vec<String> = sqlx::query_scalar(
        "select u.email from audit_log a join app_user u on u.id = a.actor_user_id where a.action = 'review_case.read' order by a.id",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(readers.last().map(String::as_str), Some("reviewer@swindon.example"));

    // A viewer, a member of another group and a delegated partner outside the group see the pseudonym, never the case.
    for email in ["viewer@swindon.example", "other@swindon.example", "dsp@swindon.example"] {
        let mut outsider = app.signed_in(email).await;
        let page = outsider.get(&review).await;
        assert_eq!(page.status, StatusCode::OK, "{email}");
        assert!(page.contains("Child L") && !page.contains(CHILD_NAME), "{email}");
        assert_eq!(outsider.get(&format!("{review}/case")).await.status, StatusCode::NOT_FOUND, "{email}");
        let mut fields = vec![("subject1_full_name".to_owned(), "Changed".to_owned())];
        fields.extend(date_fields("subject1_birth", chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()));
        assert_eq!(post(&mut outsider, &format!("{review}/case"), fields).await.status, StatusCode::NOT_FOUND, "{email}");
        assert!(!outsider.get("/p/swindon/reviews").await.contains(CHILD_NAME));
    }
    // Added to the review by name, the delegated partner reads it.
    let dsp: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'dsp@swindon.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    bm.get(&format!("{review}/case")).await;
    assert_eq!(
        post(&mut bm, &format!("{review}/people"), vec![("membership_id".into(), dsp.to_string())]).await.status,
        StatusCode::SEE_OTHER
    );
    let mut partner = app.signed_in("dsp@swindon.example").await;
    assert!(partner.get(&format!("{review}/case")).await.contains(CHILD_NAME));
    let name: String = sqlx::query_scalar("select full_name from review_subject").fetch_one(&app.owner).await.unwrap();
    assert_eq!(name, CHILD_NAME, "nobody outside changed the case");
}

#[tokio::test]
async fn the_seed_names_the_review_groups_and_the_demo_has_a_review_at_every_stage() {
    let app = TestApp::spawn().await;
    // Each partnership's own document names the group that runs its rapid reviews.
    let groups: Vec<(String, String)> = sqlx::query_as(
        "select p.slug, g.name from review_arrangement a join partnership p on p.id = a.partnership_id
         join partnership_group g on g.partnership_id = a.partnership_id and g.id = a.child_group_id order by p.slug",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert!(groups.contains(&("warwickshire".into(), "Safeguarding Review Group".into())), "{groups:?}");
    assert!(groups.contains(&("swindon".into(), "Practice Review Group".into())), "{groups:?}");
    let files = partnership_hub::seed::load_dir(&partnership_hub::seed::seed_dir()).unwrap();
    let accounts = std::env::temp_dir().join(format!("demo-accounts-{}.txt", Uuid::new_v4()));
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    let stages: Vec<String> = sqlx::query_scalar(
        "select v.stage from review v join partnership p on p.id = v.partnership_id where p.slug = 'swindon' order by v.number",
    )
    .fetch_all(&app.owner)
    .await
    .unwrap();
    assert_eq!(stages.len(), 13, "one review at each stage, made once however often the demo starts: {stages:?}");
    assert_eq!(stages.first().map(String::as_str), Some("notified"));
    assert_eq!(stages.last().map(String::as_str), Some("closed"));
    // The demo business manager sees them on the dashboard by their pseudonyms.
    let email = partnership_hub::seed::demo::email_for(Role::BusinessManager, "swindon");
    let password = std::fs::read_to_string(&accounts).unwrap().lines().next().unwrap().split_once(' ').unwrap().1.to_owned();
    let mut bm = app.browser();
    bm.sign_in(&email, &password).await;
    let dashboard = bm.get("/p/swindon/reviews").await;
    assert!(dashboard.contains("R1: Child A") && !dashboard.contains("Invented"), "names stay on the case pages");
    // The rapid review has asked two agencies (one answered), once however often the demo starts; the published review set actions.
    let (requests, answered, actions): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from review_request q join partnership p on p.id = q.partnership_id where p.slug = 'swindon'),
                (select count(*) from review_request q join partnership p on p.id = q.partnership_id where p.slug = 'swindon' and q.answered_at is not null),
                (select count(*) from action_point a join partnership p on p.id = a.partnership_id where p.slug = 'swindon' and a.review_id is not null)",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((requests, answered, actions), (2, 1, 2));
    let (findings, declined): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where not_implemented_reason <> '') from review_finding f
         join partnership p on p.id = f.partnership_id where p.slug = 'swindon'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((findings, declined), (3, 1));
    let mut partner = app.browser();
    partner.sign_in(&partnership_hub::seed::demo::email_for(Role::DelegatedSafeguardingPartner, "swindon"), &password).await;
    assert!(partner.get("/p/swindon/").await.contains("Information request due"), "the demo partner is asked about Child B");
    std::fs::remove_file(accounts).ok();
}

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

/// Swindon's three statutory partners' delegated partners, who decide for the partnership.
const PARTNERS: [(&str, &str); 3] = [
    ("dsp-council@s.example", "Swindon Borough Council"),
    ("dsp-icb@s.example", "Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board"),
    ("dsp-police@s.example", "Wiltshire Police"),
];

async fn add_partners(app: &TestApp) {
    for (email, org) in PARTNERS {
        member_of(app, email, org, &[Role::DelegatedSafeguardingPartner]).await;
    }
}

/// Each delegated partner agrees to the decision, seeing the pseudonym and never the child's name.
async fn partners_agree(app: &TestApp, decision: Uuid, pseudonym: &str) {
    for (email, _) in PARTNERS {
        let mut partner = app.signed_in(email).await;
        let page = partner.get(&format!("/p/swindon/decisions/{decision}")).await;
        assert!(page.contains(pseudonym) && !page.contains(CHILD_NAME), "{email}");
        let responded = partner
            .post(&format!("/p/swindon/decisions/{decision}/respond"), &[("position", "agree"), ("comment", ""), ("seen_version", "0")])
            .await;
        assert_eq!(responded.status, StatusCode::SEE_OTHER, "{email}");
    }
}

/// A Swindon member linked to an organisation.
async fn member_of(app: &TestApp, email: &str, organisation: &str, roles: &[Role]) -> Uuid {
    let membership = app.add_member(email, "swindon", roles).await;
    sqlx::query(
        "update membership set organisation_id = (select id from organisation where partnership_id = membership.partnership_id and name = $2) where id = $1",
    )
    .bind(membership)
    .bind(organisation)
    .execute(&app.owner)
    .await
    .unwrap();
    membership
}

#[tokio::test]
async fn the_workspace_asks_the_agencies_meets_follows_the_partners_decision_and_tracks_the_actions() {
    let (app, group) = setup().await;
    add_partners(&app).await;
    let nurse = member_of(&app, "nurse@s.example", PARTNERS[1].1, &[Role::Viewer]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let review = notify(&mut bm, group, "child", "Child M", working_days_before(today(), 3), vec![]).await;
    let mut case = vec![("subject1_full_name".to_owned(), CHILD_NAME.to_owned())];
    case.extend(date_fields("subject1_birth", chrono::NaiveDate::from_ymd_opt(2022, 4, 5).unwrap()));
    assert_eq!(post(&mut bm, &format!("{review}/case"), case).await.status, StatusCode::SEE_OTHER);

    // The rapid review meeting: a meeting of the review group, with the review on its agenda under the pseudonym.
    let meeting = bm.add_meeting(group, working_days_after(today(), 4)).await;
    let meeting_id = meeting.rsplit('/').next().unwrap().to_owned();
    let unchosen = post(&mut bm, &format!("{review}/meeting"), vec![("meeting_id".into(), "".into())]).await;
    assert_eq!(unchosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unchosen.contains("Choose a coming meeting of the Practice Review Group"));
    for _ in 0..2 {
        let chosen = post(&mut bm, &format!("{review}/meeting"), vec![("meeting_id".into(), meeting_id.clone())]).await;
        assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    }
    let agenda = bm.get(&meeting).await;
    assert!(agenda.contains("Rapid review: Child M (R1)") && !agenda.contains(CHILD_NAME), "on the agenda by pseudonym");
    let items: i64 =
        sqlx::query_scalar("select count(*) from agenda_item where title like '%Child M%'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(items, 1, "on the agenda once, however often it is sent");
    assert!(bm.get(&review).await.contains(&format!("/p/swindon/meetings/{meeting_id}")));
    let ics = bm.get(&format!("{meeting}/ics")).await;
    assert!(ics.contains("Practice Review Group") && !ics.contains(CHILD_NAME));

    // An information request to the health agency: its nurse is added to the review and mailed the pseudonym alone.
    let mut ask = vec![("membership_id".to_owned(), nurse.to_string())];
    ask.extend(date_fields("due", working_days_after(today(), 5)));
    let late = post(
        &mut bm,
        &format!("{review}/requests"),
        [vec![("membership_id".to_owned(), nurse.to_string())], date_fields("due", working_days_before(today(), 1))].concat(),
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(late.contains("must be today or in the future") && late.contains(&format!("value=\"{nurse}\" selected")));
    for _ in 0..2 {
        assert_eq!(post(&mut bm, &format!("{review}/requests"), ask.clone()).await.status, StatusCode::SEE_OTHER);
    }
    let request: Uuid = sqlx::query_scalar("select id from review_request").fetch_one(&app.owner).await.unwrap();
    let mail: String = sqlx::query_scalar("select subject || ' ' || body from outbox where to_email = 'nurse@s.example'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert!(mail.contains("Child M") && mail.contains(&format!("/requests/{request}")) && !mail.contains(CHILD_NAME));
    let mut health = app.signed_in("nurse@s.example").await;
    let home = health.get("/p/swindon/").await;
    assert!(home.contains("R1 Child M: ") && home.contains("Information request due"), "the request waits on their home page");
    assert!(health.get(&format!("{review}/case")).await.contains(CHILD_NAME), "the person asked reads the case");
    let answer = format!("{review}/requests/{request}");
    let empty = post(&mut health, &answer, vec![("summary".into(), "  ".into())]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Enter the summary of your agency"));
    let summary = "The health visitor saw the child twice in March";
    assert_eq!(post(&mut health, &answer, vec![("summary".into(), summary.into())]).await.status, StatusCode::SEE_OTHER);
    assert!(!health.get("/p/swindon/").await.contains("Information request due"), "answered, it leaves the home page");
    let uploaded = health.upload(&format!("{answer}/papers"), &[("paper_title", "Health chronology")], ("chronology.pdf", PDF)).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER);
    let page = bm.get(&answer).await;
    assert!(page.contains(summary) && page.contains("Health chronology"));
    let paper: Uuid = sqlx::query_scalar("select id from paper where review_request_id is not null").fetch_one(&app.owner).await.unwrap();
    let download = bm.get(&format!("{answer}/papers/{paper}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, PDF, "the file as uploaded, from storage");
    assert!(bm.get(&review).await.contains("Answered"));
    // The case shows each agency's account, and the rapid review report puts it all in the Panel's order.
    assert!(bm.get(&format!("{review}/case")).await.contains(summary));
    let report = bm.get(&format!("{review}/rapid-review.pdf")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.bytes.starts_with(b"%PDF-") && report.headers.get("content-type").is_some_and(|t| t == "application/pdf"));
    let downloads: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'review_case.read' and after->>'document' = 'rapid review report'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(downloads, 1, "downloading the report is reading the case");
    // Those who may not read the case get nothing of the agency's answer.
    for email in ["viewer@swindon.example", "other@swindon.example", "dsp@swindon.example"] {
        let mut outsider = app.signed_in(email).await;
        assert_eq!(outsider.get(&answer).await.status, StatusCode::NOT_FOUND, "{email}");
        assert_eq!(outsider.get(&format!("{answer}/papers/{paper}")).await.status, StatusCode::NOT_FOUND, "{email}");
        assert_eq!(post(&mut outsider, &answer, vec![("summary".into(), "x".into())]).await.status, StatusCode::NOT_FOUND, "{email}");
        assert!(!outsider.get(&review).await.contains(summary), "{email}");
    }
    let readings: i64 = sqlx::query_scalar(
        "select count(*) from audit_log a join app_user u on u.id = a.actor_user_id
         where a.action = 'review_case.read' and u.email = 'bm@swindon.example' and a.after ? 'request_id'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(readings, 2, "the business manager's reading of the answer and of the chronology");

    // The recommendation goes to the partners; their agreement commissions the review without anyone recording it.
    assert_eq!(step(&mut bm, &review, "rapid_review", &[]).await.status, StatusCode::SEE_OTHER);
    let recommended = step(
        &mut bm,
        &review,
        "recommended",
        &[("recommendation", "local_review"), ("recommendation_reason", "Regulation 11 criteria are met")],
    )
    .await;
    assert_eq!(recommended.status, StatusCode::SEE_OTHER);
    let decision: Uuid = sqlx::query_scalar("select decision_id from review").fetch_one(&app.owner).await.unwrap();
    partners_agree(&app, decision, "Child M").await;
    let (stage, commissioned): (String, Option<chrono::NaiveDate>) =
        sqlx::query_as("select stage, commissioned_on from review").fetch_one(&app.owner).await.unwrap();
    assert_eq!((stage.as_str(), commissioned), ("commissioned", Some(today())), "the decision moved the review on");
    let page = bm.get(&review).await;
    assert!(page.contains("Review commissioned") && page.contains("The partners agreed the recommendation: decision D"));
    let moved: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'review.stage' and actor_user_id is null and after->>'stage' = 'commissioned'",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(moved, 1, "the move is in the audit log, made by the decision");

    // The final report's recommendations: each implemented through actions, or not, with the reasons.
    for body in
        ["Agencies share the chronology at every transfer", "Commission a new IT system", "Agencies share the chronology at every transfer"]
    {
        assert_eq!(post(&mut bm, &format!("{review}/findings"), vec![("finding".into(), body.into())]).await.status, StatusCode::SEE_OTHER);
    }
    let blank = post(&mut bm, &format!("{review}/findings"), vec![("finding".into(), " ".into())]).await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.contains("Enter the recommendation"));
    let findings: Vec<(Uuid, i32)> =
        sqlx::query_as("select id, position from review_finding order by position").fetch_all(&app.owner).await.unwrap();
    assert_eq!(findings.iter().map(|f| f.1).collect::<Vec<_>>(), vec![1, 2], "a repeated recommendation is one");
    let (first, second) = (findings[0].0, findings[1].0);
    let unexplained = post(&mut bm, &format!("{review}/findings/{second}/not-implemented"), vec![]).await;
    assert_eq!(unexplained.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unexplained.contains("Enter the reasons") && unexplained.contains("id=\"not_implemented_reason\""));
    let reason = "A regional system is already being procured";
    let declined =
        post(&mut bm, &format!("{review}/findings/{second}/not-implemented"), vec![("not_implemented_reason".into(), reason.into())]).await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    assert!(bm.get(&review).await.contains(reason));

    // Learning becomes actions through the shared owner; one past its date goes to the delegated partners.
    let owner: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'reviewer@swindon.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    let for_declined = post(
        &mut bm,
        &format!("{review}/actions"),
        [
            vec![
                ("action_description".to_owned(), "Buy a system".to_owned()),
                ("action_owner".to_owned(), owner.to_string()),
                ("action_finding".to_owned(), second.to_string()),
            ],
            date_fields("action_due", working_days_after(today(), 20)),
        ]
        .concat(),
    )
    .await;
    assert_eq!(for_declined.status, StatusCode::UNPROCESSABLE_ENTITY, "a recommendation not to be implemented takes no action");
    let mut action = vec![
        ("action_description".to_owned(), "Share the multi-agency chronology template with every GP practice".to_owned()),
        ("action_owner".to_owned(), owner.to_string()),
        ("action_finding".to_owned(), first.to_string()),
    ];
    let unowned = post(&mut bm, &format!("{review}/actions"), vec![action[0].clone()]).await;
    assert_eq!(unowned.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unowned.contains("Choose who owns the action") && unowned.contains("every GP practice"));
    action.extend(date_fields("action_due", working_days_after(today(), 20)));
    for _ in 0..2 {
        assert_eq!(post(&mut bm, &format!("{review}/actions"), action.clone()).await.status, StatusCode::SEE_OTHER);
    }
    let (count, group_of, finding_of): (i64, Option<Uuid>, Option<Uuid>) = sqlx::query_as(
        "select count(*), min(group_id::text)::uuid, min(review_finding_id::text)::uuid from action_point where review_id is not null",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((count, group_of, finding_of), (1, Some(group), Some(first)), "one action, for the review group to track");
    let declined_again =
        post(&mut bm, &format!("{review}/findings/{first}/not-implemented"), vec![("not_implemented_reason".into(), "x".into())]).await;
    assert_eq!(declined_again.status, StatusCode::SEE_OTHER);
    let kept: String = sqlx::query_scalar("select not_implemented_reason from review_finding where id = $1")
        .bind(first)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(kept, "", "a recommendation with actions is being implemented");
    assert!(bm.get(&review).await.contains("every GP practice"));
    sqlx::query("update action_point set due_on = current_date - 1 where review_id is not null").execute(&app.owner).await.unwrap();
    assert_eq!(partnership_hub::actions::escalate_overdue(&app.owner, today()).await.unwrap(), 1);
    let told: Vec<String> =
        sqlx::query_scalar("select to_email from outbox where subject = 'An action is overdue'").fetch_all(&app.owner).await.unwrap();
    assert!(told.iter().any(|e| e == "dsp-police@s.example"), "escalated to the delegated partners: {told:?}");

    // Every mail the workspace sent names the pseudonym, never the child.
    let bodies: Vec<String> = sqlx::query_scalar("select subject || ' ' || body from outbox").fetch_all(&app.owner).await.unwrap();
    assert!(bodies.iter().all(|b| !b.contains(CHILD_NAME)));

    // Once closed and past the retention period, the personal details go and the pseudonymised record stays.
    let early = post(&mut bm, &format!("{review}/remove-details"), vec![]).await;
    assert_eq!(early.status, StatusCode::SEE_OTHER);
    let kept: i64 = sqlx::query_scalar("select count(*) from review_subject").fetch_one(&app.owner).await.unwrap();
    assert_eq!(kept, 1, "not before the review is closed and the period has passed");
    sqlx::query(
        "insert into review_arrangement (partnership_id, case_retention_years) select partnership_id, 2 from review
         on conflict (partnership_id) do update set case_retention_years = 2",
    )
    .execute(&app.owner)
    .await
    .unwrap();
    sqlx::query("update review set stage = 'closed', closed_on = current_date - interval '25 months'").execute(&app.owner).await.unwrap();
    assert!(bm.get(&review).await.contains("Remove the personal details"));
    assert_eq!(post(&mut bm, &format!("{review}/remove-details"), vec![]).await.status, StatusCode::SEE_OTHER);
    let (people, summaries, chronologies, removed): (i64, String, i64, Option<chrono::NaiveDate>) = sqlx::query_as(
        "select (select count(*) from review_subject), (select string_agg(summary, '') from review_request),
                (select count(*) from paper where review_request_id is not null), (select personal_details_removed_on from review)",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((people, summaries.as_str(), chronologies, removed), (0, "", 0, Some(today())));
    let page = bm.get(&review).await;
    assert!(page.contains("R1: Child M") && page.contains("Review commissioned") && page.contains("every GP practice"));
    assert!(app.audit_actions().await.contains(&"review_case.details_removed".to_owned()));
}
