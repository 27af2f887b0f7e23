//! Self-assessment rounds: a Section 11 round from opening to accepted
//! returns (one late, one challenged), the dashboard's counts, the next due
//! dates from the interval setting, a submitted return locked by the
//! database, and a return kept from another agency's contact.

use axum::http::StatusCode;
use chrono::{Datelike, Days, Months, NaiveDate};
use partnership_hub::calendar::{long_date, today};
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::{Browser, Page, TestApp};

async fn post(browser: &mut Browser, path: &str, fields: &[(String, String)]) -> Page {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(path, &pairs).await
}

fn date_fields(prefix: &str, day: NaiveDate) -> Vec<(String, String)> {
    vec![
        (format!("{prefix}_day"), day.day().to_string()),
        (format!("{prefix}_month"), day.month().to_string()),
        (format!("{prefix}_year"), day.year().to_string()),
    ]
}

/// Text as the pages write it.
fn html(text: &str) -> String {
    text.replace('&', "&#38;").replace('\'', "&#39;")
}

struct Agency {
    id: Uuid,
    name: String,
}

/// Two of Swindon's organisations as relevant agencies, each with a person linked to it.
async fn agencies(app: &TestApp) -> (Agency, Agency) {
    let pid = app.partnership_id("swindon").await;
    let found: Vec<(Uuid, String)> =
        sqlx::query_as("select id, name from organisation where partnership_id = $1 and not is_statutory_partner order by name limit 2")
            .bind(pid)
            .fetch_all(&app.owner)
            .await
            .unwrap();
    sqlx::query("update organisation set is_relevant_agency = (id = any($2)), last_section11_on = null where partnership_id = $1")
        .bind(pid)
        .bind(found.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .execute(&app.owner)
        .await
        .unwrap();
    for ((id, _), email) in found.iter().zip(["first@agency.example", "second@agency.example"]) {
        let membership = app.add_member(email, "swindon", &[Role::GroupMember]).await;
        sqlx::query("update membership set organisation_id = $2 where id = $1")
            .bind(membership)
            .bind(id)
            .execute(&app.owner)
            .await
            .unwrap();
    }
    let mut found = found.into_iter().map(|(id, name)| Agency { id, name });
    (found.next().unwrap(), found.next().unwrap())
}

/// The return of an organisation in the only round.
async fn return_of(app: &TestApp, organisation: Uuid) -> String {
    let id: Uuid = sqlx::query_scalar("select id from round_return where organisation_id = $1")
        .bind(organisation)
        .fetch_one(&app.owner)
        .await
        .unwrap();
    format!("/p/swindon/assurance/returns/{id}")
}

/// The round's standards' ids, in order.
async fn standards(app: &TestApp) -> Vec<Uuid> {
    sqlx::query_scalar("select id from round_standard order by position").fetch_all(&app.owner).await.unwrap()
}

/// Every standard rated as given (green if the list is short), with evidence.
fn ratings(standards: &[Uuid], given: &[&str], intent: &str) -> Vec<(String, String)> {
    let mut fields = vec![("intent".to_owned(), intent.to_owned()), ("summary".to_owned(), "We are broadly compliant".to_owned())];
    for (i, s) in standards.iter().enumerate() {
        fields.push((format!("rating_{s}"), given.get(i).copied().unwrap_or("green").to_owned()));
        fields.push((format!("evidence_{s}"), format!("Evidence for standard {}", i + 1)));
    }
    fields
}

#[tokio::test]
async fn a_section_11_round_from_opening_to_accepted_returns() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("dsp@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    let (first, second) = agencies(&app).await;
    let mut bm = app.signed_in("bm@swindon.example").await;

    // The form starts from the eight Section 11 standards and the relevant agencies.
    let form = bm.get("/p/swindon/assurance/rounds/new?kind=section11").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("Senior management commitment") && form.contains("The voice of the child is heard and acted on"));
    assert_eq!(form.body.matches(" checked>").count(), 2, "the two relevant agencies are ticked");
    let standards_text = partnership_hub::assurance::SECTION_11_STANDARDS.join("\n");
    let mut fields = vec![
        ("kind".to_owned(), "section11".to_owned()),
        ("title".to_owned(), "Section 11 self-assessment 2026".to_owned()),
        ("standards".to_owned(), standards_text),
        ("organisations".to_owned(), first.id.to_string()),
        ("organisations".to_owned(), second.id.to_string()),
    ];
    fields.extend(date_fields("due", today() + Days::new(14)));
    let mut without = fields.clone();
    without.retain(|(k, _)| k != "organisations");
    let refused = post(&mut bm, "/p/swindon/assurance/rounds/new", &without).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose the organisations taking part") && refused.contains("Section 11 self-assessment 2026"));
    let opened = post(&mut bm, "/p/swindon/assurance/rounds/new", &fields).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let round = opened.location.unwrap();
    assert_eq!(post(&mut bm, "/p/swindon/assurance/rounds/new", &fields).await.location.unwrap(), round, "sent twice, one round");
    let counted: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from assurance_round), (select count(*) from round_standard), (select count(*) from round_return where contact_membership_id is not null)",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(counted, (1, 8, 2), "one round, its eight standards, a return for each agency with its contact");
    let told: i64 = sqlx::query_scalar("select count(*) from outbox where subject like 'Section 11 self-assessment 2026%'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(told, 2, "each contact is told");

    let standards = standards(&app).await;
    let (first_return, second_return) = (return_of(&app, first.id).await, return_of(&app, second.id).await);

    // The first agency's contact sees their return waiting, saves part of it and finishes it later.
    let mut contact = app.signed_in("first@agency.example").await;
    let home = contact.get("/p/swindon/").await;
    assert!(home.contains(&format!("Complete {}&#39;s return: Section 11 self-assessment 2026", html(&first.name))), "{}", home.body);
    let part = vec![
        ("intent".to_owned(), "save".to_owned()),
        (format!("rating_{}", standards[0]), "amber".to_owned()),
        (format!("evidence_{}", standards[0]), "The board reviews safeguarding twice a year".to_owned()),
    ];
    assert_eq!(post(&mut contact, &first_return, &part).await.status, StatusCode::SEE_OTHER);
    let page = contact.get(&first_return).await;
    assert!(
        page.contains("Return saved")
            && page.contains("The board reviews safeguarding twice a year")
            && page.contains("Started, not submitted")
    );
    // Submitting it unfinished says what is missing, keeping what was typed.
    let mut unfinished = part.clone();
    unfinished[0].1 = "submit".to_owned();
    unfinished.push((format!("evidence_{}", standards[1]), "Typed and kept".to_owned()));
    let missing = post(&mut contact, &first_return, &unfinished).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.contains("Choose a rating of standard 2") && missing.contains("Typed and kept") && missing.contains("govuk-error-summary")
    );
    // Another agency's return is not there for them, nor in the round's list.
    assert_eq!(contact.get(&second_return).await.status, StatusCode::NOT_FOUND);
    let dashboard = contact.get(&round).await;
    assert!(dashboard.contains(&html(&first.name)) && !dashboard.contains(&html(&second.name)), "{}", dashboard.body);
    // Submitted: locked, in the product and in the database.
    let mut given = vec!["amber"];
    given.resize(standards.len(), "green");
    assert_eq!(post(&mut contact, &first_return, &ratings(&standards, &given, "submit")).await.status, StatusCode::SEE_OTHER);
    let again = post(&mut contact, &first_return, &ratings(&standards, &["red"], "save")).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(contact.get(&first_return).await.contains("it no longer changes"));
    let first_id = Uuid::parse_str(first_return.rsplit('/').next().unwrap()).unwrap();
    assert!(sqlx::query("update return_rating set rating = 'red' where return_id = $1").bind(first_id).execute(&app.owner).await.is_err());
    assert!(sqlx::query("update round_return set summary = 'changed' where id = $1").bind(first_id).execute(&app.owner).await.is_err());
    assert!(sqlx::query("delete from return_rating where return_id = $1").bind(first_id).execute(&app.owner).await.is_err());

    // The second agency is late: the business manager sees it overdue.
    sqlx::query("update assurance_round set opened_on = current_date - 30, due_on = current_date - 1").execute(&app.owner).await.unwrap();
    let late = bm.get(&round).await;
    assert!(late.contains("1 overdue"), "{}", late.body);
    assert!(bm.get("/p/swindon/").await.contains("Section 11 self-assessment 2026: 1 return is overdue"));
    let mut second_contact = app.signed_in("second@agency.example").await;
    assert_eq!(second_contact.get(&first_return).await.status, StatusCode::NOT_FOUND);
    let submitted = post(&mut second_contact, &second_return, &ratings(&standards, &["green", "red"], "submit")).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER);

    // The business unit challenges the first agency's rating; it cannot accept until the agency answers.
    let challenge = vec![
        ("standard".to_owned(), standards[0].to_string()),
        ("challenge".to_owned(), "Which minutes show the board's reviews?".to_owned()),
    ];
    assert_eq!(post(&mut bm, &format!("{first_return}/challenges"), &challenge).await.status, StatusCode::SEE_OTHER);
    post(&mut bm, &format!("{first_return}/challenges"), &challenge).await;
    assert_eq!(sqlx::query_scalar::<_, i64>("select count(*) from return_challenge").fetch_one(&app.owner).await.unwrap(), 1);
    post(&mut bm, &format!("{first_return}/accept"), &[]).await;
    assert!(bm.get(&first_return).await.contains("challenge(s) still wait for an answer"));
    assert!(contact.get("/p/swindon/").await.contains("Answer 1 challenge on"));
    let challenge_id: Uuid = sqlx::query_scalar("select id from return_challenge").fetch_one(&app.owner).await.unwrap();
    let answered = post(
        &mut contact,
        &format!("{first_return}/challenges/{challenge_id}"),
        &[("answer".into(), "The March and September minutes".into())],
    )
    .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    let page = contact.get(&first_return).await;
    assert!(page.contains("Which minutes show the board&#39;s reviews?") && page.contains("The March and September minutes"));
    for path in [&first_return, &second_return] {
        assert_eq!(post(&mut bm, &format!("{path}/accept"), &[]).await.status, StatusCode::SEE_OTHER);
    }

    // The dashboard: both accepted, the ratings per standard, and each agency's next one two years on.
    let dashboard = bm.get(&round).await;
    assert!(dashboard.contains("2 returns: 2 accepted, 0 submitted and awaiting review, 0 started, 0 not started"), "{}", dashboard.body);
    assert!(
        dashboard.contains(
            "1. Senior management commitment to safeguarding and promoting the welfare of children: Green 1, Amber 1, Red 0, N/A 0"
        )
    );
    assert!(dashboard.contains("2. Clear lines of accountability for safeguarding: Green 1, Amber 0, Red 1, N/A 0"));
    let next = long_date(today().checked_add_months(Months::new(24)).unwrap());
    assert_eq!(dashboard.body.matches(&next).count(), 2, "each agency's next Section 11 is due two years on: {}", dashboard.body);
    let recorded: Vec<Option<NaiveDate>> =
        sqlx::query_scalar("select last_section11_on from organisation where id = any($1) order by name")
            .bind(vec![first.id, second.id])
            .fetch_all(&app.owner)
            .await
            .unwrap();
    assert_eq!(recorded, vec![Some(today()), Some(today())]);
    // A delegated partner reads both returns.
    let mut dsp = app.signed_in("dsp@swindon.example").await;
    assert!(dsp.get(&second_return).await.contains("Evidence for standard 2"));

    let audit = app.audit_actions().await;
    for action in [
        "assurance_round.opened",
        "round_return.saved",
        "round_return.submitted",
        "round_return.challenged",
        "round_return.answered",
        "round_return.accepted",
    ] {
        assert!(audit.contains(&action.to_owned()), "{action} audited");
    }
    assert_eq!(audit.iter().filter(|a| *a == "round_return.accepted").count(), 2);
}

#[tokio::test]
async fn improvement_actions_and_evidence_stay_with_the_return() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let (first, second) = agencies(&app).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let mut fields = vec![
        ("kind".to_owned(), "local".to_owned()),
        ("title".to_owned(), "Neglect self-assessment".to_owned()),
        ("standards".to_owned(), "Neglect strategy is known to staff\nThe graded care profile is used".to_owned()),
        ("organisations".to_owned(), first.id.to_string()),
        ("organisations".to_owned(), second.id.to_string()),
    ];
    fields.extend(date_fields("due", today() + Days::new(30)));
    let round = post(&mut bm, "/p/swindon/assurance/rounds/new", &fields).await.location.unwrap();
    let first_return = return_of(&app, first.id).await;
    let mut contact = app.signed_in("first@agency.example").await;
    let owner: Uuid =
        sqlx::query_scalar("select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'first@agency.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    let mut action = vec![
        ("action_description".to_owned(), "Train every team leader in the graded care profile".to_owned()),
        ("action_owner".to_owned(), owner.to_string()),
    ];
    action.extend(date_fields("action_due", today() + Days::new(60)));
    for _ in 0..2 {
        assert_eq!(post(&mut contact, &format!("{first_return}/actions"), &action).await.status, StatusCode::SEE_OTHER);
    }
    let action_id: Uuid =
        sqlx::query_scalar("select id from action_point where round_return_id is not null").fetch_one(&app.owner).await.unwrap();
    assert!(contact.get(&first_return).await.contains("Train every team leader"));
    assert!(bm.get(&round).await.contains("Train every team leader"), "the round's dashboard lists the actions");
    // The other agency's contact sees neither the return nor its action.
    let mut other = app.signed_in("second@agency.example").await;
    assert_eq!(other.get(&format!("/p/swindon/actions/{action_id}")).await.status, StatusCode::NOT_FOUND);
    assert!(!other.get(&round).await.contains("Train every team leader"));

    // Evidence files through the papers owner: kept with the return, read by those who read it.
    let uploaded =
        contact.upload(&format!("{first_return}/papers"), &[("paper_title", "Training plan")], ("plan.pdf", b"%PDF-1.4\n%%EOF\n")).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let paper: Uuid = sqlx::query_scalar("select id from paper where round_return_id is not null").fetch_one(&app.owner).await.unwrap();
    let download = format!("{first_return}/papers/{paper}");
    assert_eq!(contact.get(&download).await.status, StatusCode::OK);
    assert_eq!(bm.get(&download).await.status, StatusCode::OK);
    assert_eq!(other.get(&download).await.status, StatusCode::NOT_FOUND);
    // A file that is not a document is refused, with a message on the page.
    let refused = contact.upload(&format!("{first_return}/papers"), &[("paper_title", "Script")], ("run.exe", b"MZ\x90\x00binary")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("govuk-error-summary"));
}

#[tokio::test]
async fn the_demo_has_a_risk_register_a_round_a_data_set_and_an_audit_made_once() {
    let app = TestApp::spawn().await;
    let files = partnership_hub::seed::load_dir(&partnership_hub::seed::seed_dir()).unwrap();
    let accounts = std::env::temp_dir().join(format!("demo-accounts-{}.txt", Uuid::new_v4()));
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    partnership_hub::seed::demo::create(&app.owner, &files, &accounts).await.unwrap();
    let counted: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from risk k join partnership p on p.id = k.partnership_id where p.slug = 'swindon'),
                (select count(*) from risk_review k join partnership p on p.id = k.partnership_id where p.slug = 'swindon'),
                (select count(*) from assurance_round a join partnership p on p.id = a.partnership_id where p.slug = 'swindon'),
                (select count(*) from round_return r join partnership p on p.id = r.partnership_id where p.slug = 'swindon'
                   and r.status = 'submitted'),
                (select count(*) from round_standard s join partnership p on p.id = s.partnership_id where p.slug = 'swindon')",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!(counted, (6, 18, 1, 2, 8), "six risks reviewed three times, one round of eight standards with two returns in");
    let (indicators, audits): (i64, i64) = sqlx::query_as(
        "select (select count(*) from indicator i join partnership p on p.id = i.partnership_id where p.slug = 'swindon'),
                (select count(*) from case_audit a join partnership p on p.id = a.partnership_id where p.slug = 'swindon')",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((indicators, audits), (4, 1));
    let email = partnership_hub::seed::demo::email_for(Role::BusinessManager, "swindon");
    let password = std::fs::read_to_string(&accounts).unwrap().lines().next().unwrap().split_once(' ').unwrap().1.to_owned();
    let mut bm = app.browser();
    bm.sign_in(&email, &password).await;
    let register = bm.get("/p/swindon/risks").await;
    assert!(register.contains("Rapid reviews miss the 15 working-day deadline") && register.contains("Review overdue"));
    let rounds = bm.get("/p/swindon/assurance").await;
    assert!(rounds.contains("Section 11 self-assessment"), "{}", rounds.body);
    let data_set = bm.get("/p/swindon/performance").await;
    assert!(data_set.contains("Re-referrals within 12 months") && data_set.contains("Multi-agency training places filled"));
    assert!(!data_set.contains("No value yet"), "every demo indicator has values: {}", data_set.body);
    assert!(bm.get("/p/swindon/audits").await.contains("MA1: Neglect in children under five"));
    let home = bm.get("/p/swindon/").await;
    assert!(home.contains("to review and accept"), "{}", home.body);
}

#[tokio::test]
async fn a_multi_agency_audit_is_graded_reported_to_its_group_and_kept() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    app.add_member("member@swindon.example", "swindon", &[Role::GroupMember]).await;
    let (first, second) = agencies(&app).await;
    let group = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let meeting = bm.add_meeting(group, partnership_hub::calendar::working_days_after(today(), 20)).await;

    let mut fields = vec![
        ("theme".to_owned(), "Neglect in children under five".to_owned()),
        ("group".to_owned(), group.to_string()),
        ("scope".to_owned(), "Six cases open to early help in the last year".to_owned()),
        ("organisations".to_owned(), first.id.to_string()),
        ("organisations".to_owned(), second.id.to_string()),
    ];
    fields.extend(date_fields("started", today()));
    let mut blank = fields.clone();
    blank[0].1 = " ".to_owned();
    let refused = post(&mut bm, "/p/swindon/audits/new", &blank).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Enter the audit&#39;s theme") && refused.contains("Six cases open to early help"));
    let audit = post(&mut bm, "/p/swindon/audits/new", &fields).await.location.unwrap();
    assert_eq!(post(&mut bm, "/p/swindon/audits/new", &fields).await.location.unwrap(), audit, "sent twice, one audit");
    assert!(bm.get("/p/swindon/").await.contains("Finish and report MA1: Neglect in children under five"));

    // The sample: pseudonymised references, each once.
    for reference in ["Case A", "Case B", "case a"] {
        let added = post(
            &mut bm,
            &format!("{audit}/cases"),
            &[("reference".into(), reference.into()), ("summary".into(), "Under five; early help".into())],
        )
        .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(sqlx::query_scalar::<_, i64>("select count(*) from case_audit_case").fetch_one(&app.owner).await.unwrap(), 2);

    // Not reported until every agency and the whole are graded.
    let early = post(&mut bm, &format!("{audit}/report"), &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.contains("Give the overall grade before reporting the audit") && early.contains("Grade every agency before reporting"));
    let findings = vec![
        (format!("grade_{}", first.id), "good".to_owned()),
        (format!("findings_{}", first.id), "Thorough chronologies".to_owned()),
        (format!("grade_{}", second.id), "sideways".to_owned()),
        (format!("findings_{}", second.id), "Home visits were missed".to_owned()),
        ("overall_grade".to_owned(), "requires_improvement".to_owned()),
        ("overall_findings".to_owned(), "Neglect was seen late".to_owned()),
        ("learning".to_owned(), "Use the graded care profile at every early help assessment".to_owned()),
    ];
    let wrong = post(&mut bm, &audit, &findings).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains(&format!("Choose a grade for {}", html(&second.name))) && wrong.contains("Home visits were missed"));
    let mut findings = findings;
    findings[2].1 = "inadequate".to_owned();
    assert_eq!(post(&mut bm, &audit, &findings).await.status, StatusCode::SEE_OTHER);
    let mut action = vec![
        ("action_description".to_owned(), "Train early help workers in the graded care profile".to_owned()),
        (
            "action_owner".to_owned(),
            sqlx::query_scalar::<_, Uuid>(
                "select m.id from membership m join app_user u on u.id = m.user_id where u.email = 'bm@swindon.example'",
            )
            .fetch_one(&app.owner)
            .await
            .unwrap()
            .to_string(),
        ),
    ];
    action.extend(date_fields("action_due", today() + Days::new(90)));
    assert_eq!(post(&mut bm, &format!("{audit}/actions"), &action).await.status, StatusCode::SEE_OTHER);

    // Reported: on the commissioning group's next meeting, and kept as it was.
    let reported = post(&mut bm, &format!("{audit}/report"), &[]).await;
    assert_eq!(reported.status, StatusCode::SEE_OTHER);
    let page = bm.get(&audit).await;
    assert!(page.contains("MA1 reported: on the agenda of the Swindon Safeguarding Executive"), "{}", page.body);
    assert!(page.contains("Requires improvement") && page.contains("Inadequate") && page.contains("Train early help workers"));
    assert!(bm.get(&meeting).await.contains("Multi-agency audit MA1: Neglect in children under five"));
    assert_eq!(post(&mut bm, &format!("{audit}/report"), &[]).await.status, StatusCode::SEE_OTHER, "reporting twice does no harm");
    let items: i64 = sqlx::query_scalar("select count(*) from agenda_item where title like 'Multi-agency audit MA1%'")
        .fetch_one(&app.owner)
        .await
        .unwrap();
    assert_eq!(items, 1);
    let late = post(&mut bm, &audit, &findings).await;
    assert_eq!(late.status, StatusCode::SEE_OTHER);
    assert!(bm.get(&audit).await.contains("it is kept as reported"));
    assert!(sqlx::query("update case_audit_agency set grade = 'outstanding'").execute(&app.owner).await.is_err());
    assert!(sqlx::query("update case_audit set learning = 'rewritten'").execute(&app.owner).await.is_err());
    assert!(!bm.get("/p/swindon/").await.contains("Finish and report MA1"));

    // Members read it; only the business unit runs it.
    let mut member = app.signed_in("member@swindon.example").await;
    assert!(member.get(&audit).await.contains("Neglect was seen late"));
    assert!(member.get("/p/swindon/audits").await.contains("MA1: Neglect in children under five"));
    assert_eq!(post(&mut member, "/p/swindon/audits/new", &fields).await.status, StatusCode::FORBIDDEN);
    let audited = app.audit_actions().await;
    for action in ["case_audit.started", "case_audit.case_added", "case_audit.findings_saved", "case_audit.reported", "action.set"] {
        assert!(audited.contains(&action.to_owned()), "{action} audited");
    }
}

#[tokio::test]
async fn the_data_set_takes_values_by_hand_and_by_file_and_shows_them_against_their_targets() {
    use partnership_hub::assurance::Frequency;
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let (first, second) = agencies(&app).await;
    let group = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let define = |name: &str, organisation: Uuid, frequency: &str, target: &str, better: &str| {
        vec![
            ("name".to_owned(), name.to_owned()),
            ("unit".to_owned(), "%".to_owned()),
            ("organisation".to_owned(), organisation.to_string()),
            ("frequency".to_owned(), frequency.to_owned()),
            ("target".to_owned(), target.to_owned()),
            ("better".to_owned(), better.to_owned()),
            ("amber_percent".to_owned(), "10".to_owned()),
            ("group".to_owned(), group.to_string()),
        ]
    };
    let wrong = post(&mut bm, "/p/swindon/performance/new", &define("Re-referrals", first.id, "quarterly", "lots", "lower")).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("The target must be a number") && wrong.contains("value=\"Re-referrals\""));
    let rereferrals =
        post(&mut bm, "/p/swindon/performance/new", &define("Re-referrals", first.id, "quarterly", "20", "lower")).await.location.unwrap();
    let again =
        post(&mut bm, "/p/swindon/performance/new", &define("re-referrals", first.id, "quarterly", "20", "lower")).await.location.unwrap();
    assert_eq!(again, rereferrals, "defined twice, one indicator");
    let conferences = post(&mut bm, "/p/swindon/performance/new", &define("Conferences on time", second.id, "monthly", "90", "higher"))
        .await
        .location
        .unwrap();

    // The first agency's contact is asked for their indicator's value, and enters it.
    let quarter = Frequency::Quarterly.last_complete(today());
    let mut contact = app.signed_in("first@agency.example").await;
    assert!(contact.get("/p/swindon/").await.contains(&format!("Enter Re-referrals for {}", Frequency::Quarterly.label_of(quarter))));
    let value = |period: NaiveDate, value: &str| vec![("period".to_owned(), period.to_string()), ("value".to_owned(), value.to_owned())];
    let bad = post(&mut contact, &format!("{rereferrals}/values"), &value(quarter, "about ten")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("Enter the value as a number") && bad.contains("about ten"));
    assert_eq!(post(&mut contact, &format!("{rereferrals}/values"), &value(quarter, "18")).await.status, StatusCode::SEE_OTHER);
    let page = contact.get(&rereferrals).await;
    assert!(page.contains("18%") && page.contains("Green"), "{}", page.body);
    assert!(!contact.get("/p/swindon/").await.contains("Enter Re-referrals"));
    // Another agency's indicator is not theirs to enter.
    let month = Frequency::Monthly.last_complete(today());
    assert_eq!(post(&mut contact, &format!("{conferences}/values"), &value(month, "90")).await.status, StatusCode::FORBIDDEN);

    // A file with a bad row changes nothing, and says which row and column.
    let count = || async { sqlx::query_scalar::<_, i64>("select count(*) from indicator_value").fetch_one(&app.owner).await.unwrap() };
    let before = count().await;
    // The file is for the quarter's last month: a quarterly indicator's value goes to the quarter holding it.
    let file_month = quarter.checked_add_months(Months::new(2)).unwrap();
    let month_field = [("month", file_month.to_string())];
    let fields: Vec<(&str, &str)> = month_field.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let file = "indicator,value,note\nRe-referrals,25,\nConferences on time,eighty-eight,\n";
    let refused = bm.upload_as("/p/swindon/performance/upload", &fields, "csv_file", ("values.csv", file.as_bytes())).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Row 3, column value: \u{201c}eighty-eight\u{201d} is not a number"), "{}", refused.body);
    assert_eq!(count().await, before, "nothing saved");
    let pdf = bm.upload_as("/p/swindon/performance/upload", &fields, "csv_file", ("values.pdf", b"%PDF-1.4\n%%EOF\n")).await;
    assert_eq!(pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pdf.contains("The file must be a CSV file"));
    let huge = vec![b'a'; 300 * 1024];
    let big = bm.upload_as("/p/swindon/performance/upload", &fields, "csv_file", ("values.csv", &huge)).await;
    assert_eq!(big.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(big.contains("The file must be 256 KB or smaller"));

    // The file put right: both saved, the quarter's value replaced, each against its target.
    let file = "Indicator,Value,Note\nRe-referrals,25,Two families returned\nConferences on time,88%,\n";
    let saved = bm.upload_as("/p/swindon/performance/upload", &fields, "csv_file", ("values.csv", file.as_bytes())).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(count().await, before + 1, "one new value, one replaced");
    let (was, now): (serde_json::Value, serde_json::Value) =
        sqlx::query_as("select before, after from audit_log where action = 'data_set.uploaded'").fetch_one(&app.owner).await.unwrap();
    assert_eq!(was["values"][0]["value"], 18.0);
    assert_eq!(now["values"].as_array().unwrap().len(), 2);
    let data_set = bm.get("/p/swindon/performance").await;
    assert!(data_set.contains("25%") && data_set.contains("88%") && data_set.contains("At most 20%") && data_set.contains("At least 90%"));
    let rows = bm.get(&rereferrals).await;
    assert!(rows.contains("Red") && rows.contains("Two families returned"), "25% against at most 20% is red");
    assert!(bm.get(&conferences).await.contains("Amber"), "88% against at least 90% is amber");

    // The data set goes among the papers of the group's next meeting.
    let meeting = bm.add_meeting(group, partnership_hub::calendar::working_days_after(today(), 15)).await;
    let added = post(&mut bm, "/p/swindon/performance/paper", &[("paper_group".into(), group.to_string())]).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert!(bm.get(&meeting).await.contains("Performance data set, "));
    let audited = app.audit_actions().await;
    for action in ["indicator.defined", "indicator.value_entered", "data_set.uploaded", "paper.uploaded"] {
        assert!(audited.contains(&action.to_owned()), "{action} audited");
    }
}
