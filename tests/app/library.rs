//! The library: a thresholds document added, its versions uploaded through
//! the papers owner with their approval (by a group, then by a decision),
//! downloads of each version, its review date falling due and showing on
//! "what needs you now", and each group's terms of reference listed from the
//! structure's records rather than copied.

use axum::http::StatusCode;
use chrono::Datelike;
use partnership_hub::calendar::today;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

const PDF_ONE: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PDF_TWO: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Version 2 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

#[tokio::test]
async fn a_document_with_its_versions_approvals_and_review_date() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let owner = app.add_member("owner@swindon.example", "swindon", &[Role::GroupMember]).await;
    app.add_member("viewer@swindon.example", "swindon", &[Role::Viewer]).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;

    let review = today() + chrono::Days::new(200);
    let (d, m, y) = (review.day().to_string(), review.month().to_string(), review.year().to_string());
    let details = [
        ("kind", "thresholds"),
        ("title", "The Right Help at the Right Time"),
        ("owner", &owner.to_string()),
        ("group", &executive.to_string()),
        ("review_day", &d),
        ("review_month", &m),
        ("review_year", &y),
        ("published", "yes"),
    ];
    let missing = bm.post("/p/swindon/library", &[("title", "Kept title")]).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        missing.contains("Choose what kind of document it is")
            && missing.contains("Choose who owns the document")
            && missing.contains("Kept title")
    );
    let page = bm.post("/p/swindon/library", &details).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let document = page.location.unwrap();
    assert_eq!(bm.post("/p/swindon/library", &details).await.location.unwrap(), document, "added twice, one document");

    // Version 1, approved by the executive; the same file again is not a new version.
    let approved = today() - chrono::Days::new(10);
    let (ad, am, ay) = (approved.day().to_string(), approved.month().to_string(), approved.year().to_string());
    let version_fields = [
        ("changes", "First published version"),
        ("approved_by", executive.to_string().leak() as &str),
        ("approved_day", &ad),
        ("approved_month", &am),
        ("approved_year", &ay),
        ("review_day", &d),
        ("review_month", &m),
        ("review_year", &y),
    ];
    let page = bm.upload_as(&format!("{document}/versions"), &version_fields, "file", ("thresholds.pdf", PDF_ONE)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = bm.upload_as(&format!("{document}/versions"), &version_fields, "file", ("thresholds.pdf", PDF_ONE)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // A text file, and an approval date with no one approving: refused, with what was typed kept.
    let page = bm
        .upload_as(
            &format!("{document}/versions"),
            &[
                ("changes", "Kept changes"),
                ("approved_day", &ad),
                ("approved_month", &am),
                ("approved_year", &ay),
                ("review_day", &d),
                ("review_month", &m),
                ("review_year", &y),
            ],
            "file",
            ("notes.txt", b"plain words"),
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("The file must be a PDF")
            && page.contains("Say which group approved it, or the decision that did")
            && page.contains("Kept changes")
    );

    // Version 2, approved by the partners' decision D1000.
    let two = [
        ("changes", "Adds exploitation outside the home"),
        ("decision", "D1000"),
        ("approved_day", &ad),
        ("approved_month", &am),
        ("approved_year", &ay),
        ("review_day", &d),
        ("review_month", &m),
        ("review_year", &y),
    ];
    sqlx::query(
        "insert into decision (partnership_id, id, number, group_id, title, question, majority_vote, majority_of, reminder_working_days, closes_at, raised_by)
         select m.partnership_id, gen_random_uuid(), 1000, $1, 'Thresholds document', 'Agree it?', true, 'votes_cast', 2, now() + interval '10 days', m.user_id
         from membership m join partnership p on p.id = m.partnership_id where p.slug = 'swindon' limit 1",
    )
    .bind(executive)
    .execute(&app.owner)
    .await
    .unwrap();
    let page = bm.upload_as(&format!("{document}/versions"), &two, "file", ("thresholds-v2.pdf", PDF_TWO)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let versions: i64 = sqlx::query_scalar("select count(*) from library_version").fetch_one(&app.owner).await.unwrap();
    assert_eq!(versions, 2, "the same file twice is one version");

    let mut viewer = app.signed_in("viewer@swindon.example").await;
    let page = viewer.get(&document).await;
    assert!(
        page.contains("Version 2")
            && page.contains("Approved by decision D1000")
            && page.contains("Approved by the Swindon Safeguarding Executive")
    );
    assert!(page.contains("Adds exploitation outside the home") && !page.contains("Upload a new version"));
    let one = viewer.get(&format!("{document}/versions/1")).await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.bytes, PDF_ONE);
    assert_eq!(viewer.get(&format!("{document}/versions/2")).await.bytes, PDF_TWO);
    assert_eq!(viewer.get(&format!("{document}/versions/3")).await.status, StatusCode::NOT_FOUND);

    // The shelf: the document by kind, and each group's terms of reference from the structure.
    let shelf = viewer.get("/p/swindon/library").await;
    assert!(shelf.contains("Thresholds document") && shelf.contains("The Right Help at the Right Time") && shelf.contains("Published"));
    assert!(shelf.contains("Terms of reference") && shelf.contains(&format!("/p/swindon/groups/{executive}")));
    let copies: i64 =
        sqlx::query_scalar("select count(*) from library_document where kind = 'other' and title ilike '%terms of reference%'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    assert_eq!(copies, 0);

    // The review date falls due: flagged on the shelf and on the owner's and the business manager's home pages.
    let id = Uuid::parse_str(document.rsplit('/').next().unwrap()).unwrap();
    sqlx::query("update library_document set review_on = current_date - 1 where id = $1").bind(id).execute(&app.owner).await.unwrap();
    assert!(viewer.get("/p/swindon/library").await.contains("Overdue"));
    // ("Review …" is the line of "what needs you now"; the home page's latest changes name the document too.)
    let home = bm.get("/p/swindon/").await;
    assert!(home.contains("Review The Right Help at the Right Time"), "the business manager is told the review is overdue");
    let mut owner_browser = app.signed_in("owner@swindon.example").await;
    assert!(owner_browser.get("/p/swindon/").await.contains("Review The Right Help at the Right Time"), "so is its owner");
    assert!(!viewer.get("/p/swindon/").await.contains("Review The Right Help at the Right Time"), "not someone else");

    // Details change, audited.
    let mut changed: Vec<(&str, &str)> = details.to_vec();
    changed[1] = ("title", "The Right Help at the Right Time (2027)");
    let page = bm.post(&document, &changed).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Withdrawn: off the shelf and the reminders, its versions kept.
    assert_eq!(bm.post(&format!("{document}/withdraw"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(bm.get("/p/swindon/library").await.contains("withdrawn from the library"));
    assert!(!viewer.get("/p/swindon/library").await.contains("The Right Help at the Right Time"));
    assert!(!bm.get("/p/swindon/").await.contains("Review The Right Help at the Right Time"));
    let page = viewer.get(&document).await;
    assert!(page.contains("Withdrawn") && page.contains("Version 2"));
    assert_eq!(viewer.get(&format!("{document}/versions/1")).await.bytes, PDF_ONE);

    let actions = app.audit_actions().await;
    for action in ["library.added", "library.version", "library.changed", "library.withdrawn", "paper.uploaded"] {
        assert!(actions.iter().any(|a| a == action), "{action} is in the audit log");
    }
}
