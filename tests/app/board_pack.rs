//! The board pack: papers attached to agenda items, the agenda to print with
//! its timings and each item's papers, and one PDF of the agenda followed by
//! the PDF papers in agenda order with bookmarks; declarations of interest
//! on the meeting, its minutes and the person's own page.

use axum::http::StatusCode;
use lopdf::content::{Content, Operation};
use lopdf::{Document, Object, Stream, dictionary};
use partnership_hub::calendar;
use partnership_hub::roles::Role;
use uuid::Uuid;

use crate::harness::TestApp;

/// A PDF of `pages` pages, each saying `text` and its number, as another program would make it.
fn pdf(text: &str, pages: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" });
    // The size and fonts are inherited from the page tree, as many producers write them.
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids = Vec::new();
    for n in 1..=pages {
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 24.into()]),
                Operation::new("Td", vec![72.into(), 700.into()]),
                Operation::new("Tj", vec![Object::string_literal(format!("{text} page {n}"))]),
                Operation::new("ET", vec![]),
            ],
        };
        let content = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
        kids.push(Object::Reference(doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

/// An OpenDocument text file, as far as its content says (what a paper that is not a PDF is judged by).
fn odt() -> Vec<u8> {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(&[0; 22]);
    bytes.extend_from_slice(&[8, 0, 0, 0]);
    bytes.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
    bytes.extend_from_slice(&[0; 64]);
    bytes
}

/// A meeting of the executive 15 working days ahead at 10:00, a delegated partner with a seat on it, and a viewer without.
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
    // Two items on the agenda, the annual report first for 20 minutes, then the budget for 30.
    for (title, purpose) in [("Pooled budget 2027 to 2028", "decision"), ("Annual report", "information")] {
        bm.get(&meeting).await;
        let added = bm.post(&format!("{meeting}/items"), &[("title", title), ("purpose", purpose), ("presenter", "Sam Business")]).await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
    }
    let item = |title: &'static str| {
        let pool = app.owner.clone();
        async move { sqlx::query_scalar::<_, Uuid>("select id from agenda_item where title = $1").bind(title).fetch_one(&pool).await.unwrap() }
    };
    let (budget, report) = (item("Pooled budget 2027 to 2028").await, item("Annual report").await);
    bm.get(&meeting).await;
    let ordered = bm
        .post(
            &format!("{meeting}/agenda"),
            &[
                (&format!("position_{report}"), "1"),
                (&format!("minutes_{report}"), "20"),
                (&format!("position_{budget}"), "2"),
                (&format!("minutes_{budget}"), "30"),
            ],
        )
        .await;
    assert_eq!(ordered.status, StatusCode::SEE_OTHER);
    (app, meeting, budget)
}

#[tokio::test]
async fn the_board_pack_holds_the_agenda_then_each_pdf_paper_in_agenda_order_with_bookmarks() {
    let (app, meeting, budget) = setup().await;
    let report: Uuid = sqlx::query_scalar("select id from agenda_item where title = 'Annual report'").fetch_one(&app.owner).await.unwrap();
    let mut nurse = app.signed_in("nurse@swindon.example").await;
    nurse.get(&meeting).await;
    // Uploaded in the opposite order to the agenda's, so the pack's order is the agenda's, not the upload's.
    let budget_id = budget.to_string();
    let options = pdf("Budget options", 2);
    let up = nurse
        .upload(&format!("{meeting}/papers"), &[("paper_title", "Budget options"), ("agenda_item", &budget_id)], ("options.pdf", &options))
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let report_id = report.to_string();
    let draft = pdf("Annual report draft", 1);
    let up = nurse
        .upload(&format!("{meeting}/papers"), &[("paper_title", "Annual report draft"), ("agenda_item", &report_id)], ("draft.pdf", &draft))
        .await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    let up = nurse.upload(&format!("{meeting}/papers"), &[("paper_title", "Risk register")], ("risks.odt", &odt())).await;
    assert_eq!(up.status, StatusCode::SEE_OTHER, "{}", up.body);
    // An item that is not on this meeting's agenda is refused on the form.
    let elsewhere = Uuid::new_v4().to_string();
    let refused = nurse
        .upload(&format!("{meeting}/papers"), &[("paper_title", "Stray"), ("agenda_item", &elsewhere)], ("stray.pdf", &pdf("Stray", 1)))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose an item on the agenda, or no item"));
    let attached: Vec<(String, Option<Uuid>)> =
        sqlx::query_as("select title, agenda_item_id from paper order by title").fetch_all(&app.owner).await.unwrap();
    assert_eq!(
        attached,
        vec![("Annual report draft".into(), Some(report)), ("Budget options".into(), Some(budget)), ("Risk register".into(), None)]
    );

    // The meeting page lists each item's papers with it, and its start.
    let page = nurse.get(&meeting).await;
    assert!(page.contains("Budget options") && page.contains("10:20") && page.contains("Papers for no one item"));

    // The agenda to print: items in order with their times, presenters and papers.
    let agenda = nurse.get(&format!("{meeting}/agenda")).await;
    assert_eq!(agenda.status, StatusCode::OK);
    let (first, second) = (agenda.body.find("1. Annual report").unwrap(), agenda.body.find("2. Pooled budget 2027 to 2028").unwrap());
    assert!(first < second);
    assert!(agenda.contains("10:00, 20 minutes; For information; presented by Sam Business"));
    assert!(agenda.contains("10:20, 30 minutes; For decision"));
    assert!(agenda.body[second..].contains("Budget options"));
    assert!(agenda.contains("Other papers") && agenda.contains("Risk register"));

    // The pack: the cover and agenda, then the report's draft, then the budget's options.
    let pack = nurse.get(&format!("{meeting}/pack.pdf")).await;
    assert_eq!(pack.status, StatusCode::OK);
    assert_eq!(pack.headers["content-type"], "application/pdf");
    assert_eq!(pack.headers["cache-control"], "private, no-store");
    assert!(
        pack.headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"Board pack Swindon Safeguarding Executive")
    );
    let doc = Document::load_mem(&pack.bytes).expect("the pack is a PDF");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 4, "one page of cover and agenda, one of the draft, two of the options");
    // The text as read, lines joined (a long title wraps).
    let cover = doc.extract_text(&[1]).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(cover.contains("Swindon Safeguarding Executive: board pack"), "{cover}");
    assert!(cover.contains("1. Annual report") && cover.contains("2. Pooled budget 2027 to 2028"));
    assert!(cover.contains("Risk register") && cover.contains("not in this pack, as it is not a PDF"), "{cover}");
    assert!(doc.extract_text(&[2]).unwrap().contains("Annual report draft page 1"));
    assert!(doc.extract_text(&[3]).unwrap().contains("Budget options page 1"));
    assert!(doc.extract_text(&[4]).unwrap().contains("Budget options page 2"));
    let toc: Vec<(usize, String, usize)> = doc.get_toc().unwrap().toc.into_iter().map(|t| (t.level, t.title, t.page)).collect();
    assert_eq!(
        toc,
        vec![
            (1, "Cover and agenda".into(), 1),
            (1, "1. Annual report".into(), 2),
            (2, "Annual report draft".into(), 2),
            (1, "2. Pooled budget 2027 to 2028".into(), 3),
            (2, "Budget options".into(), 3),
        ]
    );

    // Someone outside the group has neither the agenda nor the pack.
    let mut reader = app.signed_in("reader@swindon.example").await;
    assert_eq!(reader.get(&format!("{meeting}/agenda")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(reader.get(&format!("{meeting}/pack.pdf")).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_declare_interests_which_the_meeting_its_minutes_and_their_own_page_record() {
    let (app, meeting, budget) = setup().await;
    let budget = budget.to_string();
    let mut nurse = app.signed_in("nurse@swindon.example").await;
    let form = format!("{meeting}/interests/new");
    assert_eq!(nurse.get(&form).await.status, StatusCode::OK);
    // Nothing chosen, nothing said: both explained on the form.
    let empty = nurse.post(&form, &[("agenda_item", ""), ("nature", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Select the agenda item you have an interest in") && empty.contains("Enter the nature of your interest"));
    // The nature typed is kept when the item was forgotten.
    let half = nurse.post(&form, &[("agenda_item", ""), ("nature", "My partner chairs a provider")]).await;
    assert!(half.contains("My partner chairs a provider"));
    let nature = "My partner chairs the board of a provider the budget funds";
    let declared = nurse.post(&form, &[("agenda_item", &budget), ("nature", nature)]).await;
    assert_eq!(declared.status, StatusCode::SEE_OTHER);
    let again = nurse.post(&form, &[("agenda_item", &budget), ("nature", nature)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "a double submit does no harm");
    let standing: i64 =
        sqlx::query_scalar("select count(*) from interest_declaration where withdrawn_at is null").fetch_one(&app.owner).await.unwrap();
    assert_eq!(standing, 1);

    // The meeting page, the agenda and the minutes record it; the business unit sees it too.
    let known_as: String =
        sqlx::query_scalar("select known_as from membership m join app_user u on u.id = m.user_id where u.email = 'nurse@swindon.example'")
            .fetch_one(&app.owner)
            .await
            .unwrap();
    let sentence = format!("{known_as} declared an interest in Pooled budget 2027 to 2028: {nature}");
    assert!(nurse.get(&meeting).await.contains(&sentence));
    let mut bm = app.signed_in("bm@swindon.example").await;
    bm.get(&meeting).await;
    bm.post(&format!("{meeting}/minutes/start"), &[]).await;
    assert!(bm.get(&format!("{meeting}/minutes")).await.contains(&sentence));
    assert!(bm.get(&format!("{meeting}/agenda")).await.contains(&format!("Interest declared by {known_as}: {nature}")));

    // Someone outside the group sees none of it and cannot declare.
    let mut reader = app.signed_in("reader@swindon.example").await;
    assert!(!reader.get(&meeting).await.contains(nature));
    assert_eq!(reader.get(&form).await.status, StatusCode::NOT_FOUND);

    // Their own page lists it; withdrawn (a mistake), it stays there marked so and leaves the meeting's list.
    let own = nurse.get("/p/swindon/interests").await;
    assert!(own.contains(nature) && own.contains("Pooled budget 2027 to 2028"));
    let id: Uuid = sqlx::query_scalar("select id from interest_declaration").fetch_one(&app.owner).await.unwrap();
    nurse.get(&meeting).await;
    assert_eq!(reader.post(&format!("{meeting}/interests/{id}/withdraw"), &[]).await.status, StatusCode::NOT_FOUND);
    let withdrawn = nurse.post(&format!("{meeting}/interests/{id}/withdraw"), &[]).await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    let twice = nurse.post(&format!("{meeting}/interests/{id}/withdraw"), &[]).await;
    assert_eq!(twice.status, StatusCode::SEE_OTHER);
    assert!(!nurse.get(&meeting).await.contains(&sentence));
    assert!(nurse.get("/p/swindon/interests").await.contains("Withdrawn"));

    // The business unit records one made at the table for the member who made it.
    let nurse_membership: Uuid = sqlx::query_scalar("select membership_id from interest_declaration").fetch_one(&app.owner).await.unwrap();
    bm.get(&form).await;
    let recorded =
        bm.post(&form, &[("person", &nurse_membership.to_string()), ("agenda_item", &budget), ("nature", "Declared at the table")]).await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER);
    let (who, by_bm): (Uuid, bool) = sqlx::query_as(
        "select d.membership_id, d.recorded_by = (select id from app_user where email = 'bm@swindon.example')
         from interest_declaration d where d.withdrawn_at is null",
    )
    .fetch_one(&app.owner)
    .await
    .unwrap();
    assert_eq!((who, by_bm), (nurse_membership, true));
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "interest.declared").count(), 2);
    assert_eq!(actions.iter().filter(|a| *a == "interest.withdrawn").count(), 1);
}
