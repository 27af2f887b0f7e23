use axum::http::StatusCode;
use partnership_hub::calendar;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

async fn setup() -> (TestApp, String, Uuid) {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let nurse = app.add_member("nurse@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    app.add_member("reader@swindon.example", "swindon", &[Role::Viewer]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    app.seat(nurse, executive, "Executive Nurse (linked)", None).await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    let day = calendar::working_days_after(calendar::today(), 15);
    let meeting = bm.add_meeting(executive, day).await;
    (app, meeting, executive)
}

#[tokio::test]
async fn a_member_of_the_group_uploads_a_paper_and_the_group_downloads_it() {
    let (app, meeting, _) = setup().await;
    let mut nurse = app.signed_in("nurse@swindon.example").await;
    nurse.get(&meeting).await;
    let uploaded =
        nurse.upload(&format!("{meeting}/papers"), &[("paper_title", "Health performance report")], ("Q2 report.pdf", PDF)).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let again = nurse.upload(&format!("{meeting}/papers"), &[("paper_title", "Health performance report")], ("Q2 report.pdf", PDF)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let (id, sha, size): (Uuid, String, i64) =
        sqlx::query_as("select id, sha256, size_bytes from paper").fetch_one(&app.owner).await.unwrap();
    assert_eq!(size, PDF.len() as i64);
    assert_eq!(sha.len(), 64);
    let count: i64 = sqlx::query_scalar("select count(*) from paper").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 1, "uploading the same file twice keeps one paper");

    let mut bm = app.signed_in("bm@swindon.example").await;
    let page = bm.get(&meeting).await;
    assert!(page.contains("Health performance report"));
    let download = bm.get(&format!("{meeting}/papers/{id}")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.headers["content-type"], "application/pdf");
    assert_eq!(download.headers["content-disposition"], "attachment; filename=\"Q2 report.pdf\"");
    assert_eq!(download.headers["x-content-type-options"], "nosniff");
    assert_eq!(download.bytes, PDF);
    assert_eq!(app.audit_actions().await.iter().filter(|a| *a == "paper.uploaded").count(), 1);

    // Someone outside the group neither sees nor downloads it.
    let mut reader = app.signed_in("reader@swindon.example").await;
    let page = reader.get(&meeting).await;
    assert!(!page.contains("Health performance report"));
    assert_eq!(reader.get(&format!("{meeting}/papers/{id}")).await.status, StatusCode::NOT_FOUND);
    // Refused as if the papers were not there (need-to-know: a 404, not a 403 that admits them).
    assert_eq!(reader.upload(&format!("{meeting}/papers"), &[], ("x.pdf", PDF)).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn files_are_judged_by_their_content_and_size() {
    let (app, meeting, _) = setup().await;
    let mut bm = app.signed_in("bm@swindon.example").await;
    bm.get(&meeting).await;
    let disguised =
        bm.upload(&format!("{meeting}/papers"), &[("paper_title", "Looks like a PDF")], ("report.pdf", b"<script>alert(1)</script>")).await;
    assert_eq!(disguised.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(disguised.contains("The file must be a PDF, Word, Excel, PowerPoint or OpenDocument file"));
    let empty = bm.upload(&format!("{meeting}/papers"), &[], ("nothing.pdf", b"")).await;
    assert!(empty.contains("Choose a file to upload"));
    let mut big = PDF.to_vec();
    big.resize(21 * 1024 * 1024, b' ');
    let too_big = bm.upload(&format!("{meeting}/papers"), &[("paper_title", "Huge")], ("huge.pdf", &big)).await;
    assert!(too_big.status == StatusCode::UNPROCESSABLE_ENTITY || too_big.status == StatusCode::PAYLOAD_TOO_LARGE, "{}", too_big.status);
    let count: i64 = sqlx::query_scalar("select count(*) from paper").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 0, "nothing half-saved");
    // An upload without this session's token is refused before the body is read.
    bm.use_token("not-this-sessions-token");
    let forged = bm.upload(&format!("{meeting}/papers"), &[], ("x.pdf", PDF)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let count: i64 = sqlx::query_scalar("select count(*) from paper").fetch_one(&app.owner).await.unwrap();
    assert_eq!(count, 0);
}
