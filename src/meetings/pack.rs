//! The board pack: the meeting's agenda as a page to print (items, timings,
//! presenters and each item's papers; the print stylesheet leaves out the
//! navigation and forms), and as one PDF: a cover and the agenda, then each
//! PDF paper in agenda order with bookmarks; papers that are not PDFs are
//! listed with a note. For those who may read the papers: the business unit
//! and the group's members.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

use super::ItemStatus;
use super::MeetingRow;
use super::interests::Declared;
use super::meeting::{ItemRow, filed_under, load_meeting, time_agenda};
use crate::calendar::{long_date, today, uk_date};
use crate::error::{AppError, Result};
use crate::papers::{Filed, Holder, Paper};
use crate::pdf::{Pack, Paragraph, Style};
use crate::tenant::Member;
use crate::web::{AppState, Layout};

/// The meeting with its agenda in order and timed, the papers and the standing declarations.
struct Agenda {
    meeting: MeetingRow,
    items: Vec<ItemRow>,
    papers: Vec<Filed>,
    declarations: Vec<Declared>,
}

impl Agenda {
    fn papers_for(&self, item: Option<Uuid>) -> Vec<&Filed> {
        self.papers.iter().filter(|f| filed_under(&f.paper, item, &self.items)).collect()
    }
}

async fn read_agenda(state: &AppState, member: &Member, meeting_id: &str) -> Result<Agenda> {
    let mut tx = member.begin(state).await?;
    let detail = load_meeting(&mut tx, member, meeting_id).await?;
    if !member.sits_on(detail.meeting.group_id) {
        return Err(AppError::NotFound);
    }
    let papers = crate::papers::filed(&mut tx, member.partnership.id, Holder::Meeting(detail.meeting.id)).await?;
    tx.commit().await?;
    let mut items: Vec<ItemRow> = detail.items.into_iter().filter(|i| i.status == ItemStatus::Accepted).collect();
    time_agenda(detail.meeting.starts_at, &mut items);
    Ok(Agenda { meeting: detail.meeting, items, papers, declarations: detail.declarations })
}

#[derive(Template, WebTemplate)]
#[template(path = "meetings/agenda.html")]
struct AgendaPage {
    layout: Layout,
    member: Member,
    meeting: MeetingRow,
    items: Vec<ItemRow>,
    item_papers: Vec<Vec<Paper>>,
    other_papers: Vec<Paper>,
    declarations: Vec<Declared>,
    pdf_papers: usize,
}

impl AgendaPage {
    fn declarations_for(&self, item: &Uuid) -> Vec<&Declared> {
        self.declarations.iter().filter(|d| d.agenda_item_id == *item).collect()
    }
}

/// The agenda as a page of its own, to read or print.
pub(crate) async fn agenda_page(
    State(state): State<AppState>,
    session: Session,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    let agenda = read_agenda(&state, &member, &meeting_id).await?;
    let item_papers = agenda.items.iter().map(|i| agenda.papers_for(Some(i.id)).into_iter().map(|f| f.paper.clone()).collect()).collect();
    let other_papers = agenda.papers_for(None).into_iter().map(|f| f.paper.clone()).collect();
    let pdf_papers = agenda.papers.iter().filter(|f| is_pdf(&f.paper)).count();
    let Agenda { meeting, items, declarations, .. } = agenda;
    Ok(AgendaPage {
        layout: member.layout(&session, "meetings").await?,
        member,
        meeting,
        items,
        item_papers,
        other_papers,
        declarations,
        pdf_papers,
    }
    .into_response())
}

fn is_pdf(paper: &Paper) -> bool {
    paper.content_type == "application/pdf"
}

/// The board pack as one PDF.
pub(crate) async fn board_pack(
    State(state): State<AppState>,
    member: Member,
    Path((_, meeting_id)): Path<(String, String)>,
) -> Result<Response> {
    let agenda = read_agenda(&state, &member, &meeting_id).await?;
    // Each PDF paper's bytes, read with no transaction open.
    let mut files = Vec::new();
    for filed in agenda.papers.iter().filter(|f| is_pdf(&f.paper)) {
        match crate::papers::read(&state.files, &filed.storage_key).await {
            Ok(bytes) => files.push((filed.paper.id, bytes)),
            // A file missing from storage is named in the pack as one that could not be read; the rest still come.
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e),
        }
    }
    let partnership = member.partnership.name.clone();
    let filename = format!("Board pack {} {}.pdf", agenda.meeting.group_name, uk_date(agenda.meeting.starts_at));
    let bytes = tokio::task::spawn_blocking(move || compose(&partnership, &agenda, files))
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("putting a board pack together")))?;
    Ok(crate::files::attachment(&filename, "application/pdf".to_owned(), bytes))
}

/// What the pack says of a paper that is not in it.
fn left_out(paper: &Paper, why: Option<&str>) -> String {
    match why {
        Some(why) => format!("{} ({}): not in this pack because {why}; download it from the meeting's page", paper.title, paper.describe()),
        None => {
            format!("{} ({}): not in this pack, as it is not a PDF; download it from the meeting's page", paper.title, paper.describe())
        }
    }
}

fn compose(partnership: &str, agenda: &Agenda, files: Vec<(Uuid, Vec<u8>)>) -> Vec<u8> {
    let meeting = &agenda.meeting;
    let title = format!("{}: board pack, {}", meeting.group_name, long_date(uk_date(meeting.starts_at)));
    let mut pack = Pack::new(&title);

    // The papers first, in agenda order, so that the agenda can say which could not go in; the cover goes before them.
    let mut order: Vec<&Paper> = agenda.items.iter().flat_map(|i| agenda.papers_for(Some(i.id))).map(|f| &f.paper).collect();
    let others = agenda.papers_for(None);
    order.extend(others.iter().map(|f| &f.paper));
    let mut placed: Vec<(Uuid, std::result::Result<lopdf::ObjectId, Option<String>>)> = Vec::new();
    for paper in order {
        let outcome = if !is_pdf(paper) {
            Err(None)
        } else {
            match files.iter().find(|(id, _)| *id == paper.id) {
                Some((_, bytes)) => pack.append(bytes).map_err(|e| Some(e.to_string())),
                None => Err(Some("its file could not be read".to_owned())),
            }
        };
        placed.push((paper.id, outcome));
    }
    drop(files);
    let place = |paper: &Paper| placed.iter().find(|(id, _)| *id == paper.id).map(|(_, p)| p.clone()).unwrap_or(Err(None));
    let paper_line = |paper: &Paper| match place(paper) {
        Ok(_) => format!("{} ({}): in this pack", paper.title, paper.describe()),
        Err(why) => left_out(paper, why.as_deref()),
    };

    let mut text = vec![
        Paragraph::new(Style::Small, partnership),
        Paragraph::new(Style::Title, format!("{}: board pack", meeting.group_name)),
        Paragraph::new(Style::Heading, meeting.when()),
    ];
    if meeting.is_cancelled() {
        text.push(Paragraph::new(Style::Strong, format!("This meeting was cancelled: {}", meeting.cancelled_reason)));
    }
    if !meeting.location.is_empty() {
        text.push(Paragraph::new(Style::Body, format!("Where: {}", meeting.location)));
    }
    if !meeting.online_link.is_empty() {
        text.push(Paragraph::new(Style::Body, "Online: the link to join is on the meeting's page").tight());
    }
    text.push(Paragraph::new(
        Style::Body,
        match meeting.pack_circulated_at {
            Some(at) => format!("Agenda and papers circulated on {}.", long_date(uk_date(at))),
            None => "The agenda and papers have not been circulated yet: this is a working copy.".to_owned(),
        },
    ));
    text.push(Paragraph::new(
        Style::Small,
        format!(
            "For the members of the {} and the partnership's business unit. Do not forward. Made on {}.",
            meeting.group_name,
            long_date(today())
        ),
    ));

    text.push(Paragraph::new(Style::Heading, "Agenda"));
    if agenda.items.is_empty() {
        text.push(Paragraph::new(Style::Body, "No items on the agenda yet."));
    }
    for (n, item) in agenda.items.iter().enumerate() {
        let mut heading = Paragraph::new(Style::Strong, format!("{}. {}", n + 1, item.title));
        heading.space_before = 10.0;
        text.push(heading);
        let mut about = Vec::new();
        if !item.starts.is_empty() {
            about.push(if item.duration().is_empty() { item.starts.clone() } else { format!("{}, {}", item.starts, item.duration()) });
        }
        about.push(item.purpose_label().to_owned());
        if !item.presenter.is_empty() {
            about.push(format!("presented by {}", item.presenter));
        }
        text.push(Paragraph::new(Style::Small, about.join("; ")).indented(18.0).tight());
        if !item.summary.is_empty() {
            text.push(Paragraph::new(Style::Body, item.summary.clone()).indented(18.0).tight());
        }
        for filed in agenda.papers_for(Some(item.id)) {
            text.push(Paragraph::new(Style::Body, format!("Paper: {}", paper_line(&filed.paper))).indented(18.0).tight());
        }
        for declared in agenda.declarations.iter().filter(|d| d.agenda_item_id == item.id) {
            let line = format!("Interest declared by {}: {}", declared.person_name, declared.nature);
            text.push(Paragraph::new(Style::Small, line).indented(18.0).tight());
        }
    }
    if !others.is_empty() {
        text.push(Paragraph::new(Style::Heading, "Other papers"));
        for filed in &others {
            text.push(Paragraph::new(Style::Body, paper_line(&filed.paper)).tight());
        }
    }
    text.push(Paragraph::new(Style::Heading, "Declarations of interest"));
    text.push(Paragraph::new(
        Style::Body,
        "Members declare any interest in an item before the meeting on its page, or at the start of the meeting; the minutes record them.",
    ));
    let cover = pack.text_first(&text);

    // Bookmarks: the cover, then each item with its papers, then the other papers.
    pack.bookmark("Cover and agenda", cover, None);
    let under_heading = |pack: &mut Pack, heading: String, papers: Vec<&Filed>| {
        let mut parent = None;
        for filed in papers {
            if let Ok(first) = place(&filed.paper) {
                let under = *parent.get_or_insert_with(|| pack.bookmark(&heading, first, None));
                pack.bookmark(&filed.paper.title, first, Some(under));
            }
        }
    };
    for (n, item) in agenda.items.iter().enumerate() {
        under_heading(&mut pack, format!("{}. {}", n + 1, item.title), agenda.papers_for(Some(item.id)));
    }
    under_heading(&mut pack, "Other papers".to_owned(), others);
    pack.finish()
}
