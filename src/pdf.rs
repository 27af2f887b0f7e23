//! A PDF made of a few pages of our own text (a board pack's cover and
//! agenda) followed by other PDFs (its papers), with bookmarks. Merging and
//! the file format are `lopdf`'s; the text is set in Helvetica, one of the
//! fonts every PDF reader carries (so nothing is embedded), in the WinAnsi
//! encoding, and wrapped by the font's published widths.

use lopdf::content::{Content, Operation};
use lopdf::{Bookmark, Dictionary, Document, Object, ObjectId, Stream, dictionary};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN_X: f32 = 60.0;
const TOP: f32 = 70.0;
const BOTTOM: f32 = 60.0;

/// How a line of our own text is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    Title,
    Heading,
    Strong,
    Body,
    Small,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 24.0,
            Style::Heading => 16.0,
            Style::Strong | Style::Body => 11.0,
            Style::Small => 9.5,
        }
    }
    fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Heading | Style::Strong)
    }
}

/// A paragraph of our own text, wrapped to the page, `indent` points in.
#[derive(Clone, Debug)]
pub struct Paragraph {
    pub style: Style,
    pub indent: f32,
    pub text: String,
    /// Space before it, in points.
    pub space_before: f32,
}

impl Paragraph {
    pub fn new(style: Style, text: impl Into<String>) -> Self {
        let space_before = match style {
            Style::Title => 0.0,
            Style::Heading => 18.0,
            _ => 6.0,
        };
        Paragraph { style, indent: 0.0, text: text.into(), space_before }
    }
    pub fn indented(mut self, indent: f32) -> Self {
        self.indent = indent;
        self
    }
    pub fn tight(mut self) -> Self {
        self.space_before = 1.0;
        self
    }
}

/// Why a PDF could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("it is not a PDF we can read")]
    Unreadable,
    #[error("it is protected by a password")]
    Protected,
    #[error("it has no pages")]
    Empty,
}

/// A PDF being put together.
pub struct Pack {
    doc: Document,
    pages_id: ObjectId,
    kids: Vec<ObjectId>,
    resources_id: ObjectId,
}

impl Pack {
    pub fn new(title: &str) -> Self {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font = |doc: &mut Document, name: &str| {
            doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => name, "Encoding" => "WinAnsiEncoding",
            })
        };
        let regular = font(&mut doc, "Helvetica");
        let bold = font(&mut doc, "Helvetica-Bold");
        let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => regular, "F2" => bold } });
        let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string(title), "Producer" => "Partnership Hub" });
        doc.trailer.set("Info", info_id);
        Pack { doc, pages_id, kids: Vec::new(), resources_id }
    }

    /// Set paragraphs on as many pages as they need after the pages here; the first page's id, for a bookmark.
    pub fn text(&mut self, paragraphs: &[Paragraph]) -> ObjectId {
        self.text_at(self.kids.len(), paragraphs)
    }

    /// The same, before every page here (a cover that lists what follows it).
    pub fn text_first(&mut self, paragraphs: &[Paragraph]) -> ObjectId {
        self.text_at(0, paragraphs)
    }

    fn text_at(&mut self, mut at: usize, paragraphs: &[Paragraph]) -> ObjectId {
        let mut pages: Vec<Vec<Operation>> = vec![Vec::new()];
        let mut y = PAGE_H - TOP;
        for paragraph in paragraphs {
            let size = paragraph.style.size();
            let leading = size * 1.3;
            let width = PAGE_W - 2.0 * MARGIN_X - paragraph.indent;
            let lines = wrap(&paragraph.text, size, paragraph.style.bold(), width);
            y -= paragraph.space_before;
            for line in lines {
                if y - leading < BOTTOM {
                    pages.push(Vec::new());
                    y = PAGE_H - TOP;
                }
                y -= leading;
                let ops = pages.last_mut().expect("a page");
                ops.push(Operation::new("BT", vec![]));
                ops.push(Operation::new("Tf", vec![if paragraph.style.bold() { "F2" } else { "F1" }.into(), size.into()]));
                ops.push(Operation::new("Td", vec![(MARGIN_X + paragraph.indent).into(), y.into()]));
                ops.push(Operation::new("Tj", vec![Object::string_literal(win_ansi(&line))]));
                ops.push(Operation::new("ET", vec![]));
            }
        }
        let mut first = None;
        for operations in pages {
            let content = Content { operations }.encode().expect("our own operations encode");
            let content_id = self.doc.add_object(Stream::new(dictionary! {}, content));
            let page_id = self.doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => self.pages_id,
                "Contents" => content_id,
                "Resources" => self.resources_id,
                "MediaBox" => vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()],
            });
            self.kids.insert(at, page_id);
            at += 1;
            first.get_or_insert(page_id);
        }
        first.expect("at least one page")
    }

    /// Add another PDF's pages after those already here; its first page's id.
    pub fn append(&mut self, bytes: &[u8]) -> Result<ObjectId, AppendError> {
        let mut other = Document::load_mem(bytes).map_err(|error| match error {
            lopdf::Error::InvalidPassword | lopdf::Error::UnsupportedSecurityHandler(_) => AppendError::Protected,
            _ => AppendError::Unreadable,
        })?;
        if other.is_encrypted() {
            return Err(AppendError::Protected);
        }
        let page_ids: Vec<ObjectId> = other.get_pages().into_values().collect();
        if page_ids.is_empty() {
            return Err(AppendError::Empty);
        }
        // A page may inherit its size and resources from the tree above it, which is left behind.
        for &page_id in &page_ids {
            let page = standalone_page(&other, page_id).ok_or(AppendError::Unreadable)?;
            other.objects.insert(page_id, Object::Dictionary(page));
        }
        other.renumber_objects_with(self.doc.max_id + 1);
        let page_ids: Vec<ObjectId> = other.get_pages().into_values().collect();
        let first = page_ids[0];
        for (id, object) in other.objects {
            match object.type_name().unwrap_or(b"") {
                b"Catalog" | b"Pages" | b"Outlines" | b"Outline" => {}
                b"Page" => {
                    let mut page = object.as_dict().map_err(|_| AppendError::Unreadable)?.clone();
                    page.set("Parent", self.pages_id);
                    self.doc.objects.insert(id, Object::Dictionary(page));
                }
                _ => {
                    self.doc.objects.insert(id, object);
                }
            }
        }
        self.doc.max_id = self.doc.max_id.max(other.max_id);
        self.kids.extend(page_ids);
        Ok(first)
    }

    /// A bookmark to `page`, under `parent` if given; its id, to hang others under.
    pub fn bookmark(&mut self, title: &str, page: ObjectId, parent: Option<u32>) -> u32 {
        self.doc.add_bookmark(Bookmark::new(title.to_owned(), [0.0, 0.0, 0.0], 0, page), parent)
    }

    /// The finished file, opening with its bookmarks shown.
    pub fn finish(mut self) -> Vec<u8> {
        let pages = dictionary! {
            "Type" => "Pages",
            "Count" => self.kids.len() as i64,
            "Kids" => self.kids.iter().map(|&id| Object::Reference(id)).collect::<Vec<_>>(),
        };
        self.doc.objects.insert(self.pages_id, Object::Dictionary(pages));
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => self.pages_id, "PageMode" => "UseOutlines" };
        if let Some(outline) = self.doc.build_outline() {
            catalog.set("Outlines", outline);
        }
        let catalog_id = self.doc.add_object(catalog);
        self.doc.trailer.set("Root", catalog_id);
        self.doc.compress();
        let mut bytes = Vec::new();
        self.doc.save_to(&mut bytes).expect("writing to memory");
        bytes
    }
}

/// A page with what it inherits from the page tree written on it.
fn standalone_page(doc: &Document, page_id: ObjectId) -> Option<Dictionary> {
    let mut page = doc.get_dictionary(page_id).ok()?.clone();
    for key in ["MediaBox", "CropBox", "Resources", "Rotate"] {
        if page.has(key.as_bytes()) {
            continue;
        }
        let mut node = page.get(b"Parent").and_then(Object::as_reference).ok();
        // A tree deeper than this is broken or hostile.
        for _ in 0..32 {
            let Some(id) = node else { break };
            let Ok(parent) = doc.get_dictionary(id) else { break };
            if let Ok(value) = parent.get(key.as_bytes()) {
                page.set(key, value.clone());
                break;
            }
            node = parent.get(b"Parent").and_then(Object::as_reference).ok();
        }
    }
    if !page.has(b"MediaBox") {
        page.set("MediaBox", vec![0.into(), 0.into(), PAGE_W.into(), PAGE_H.into()]);
    }
    Some(page)
}

/// Text in the WinAnsi encoding; what it cannot hold becomes '?'.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '\t' => b' ',
            _ => b'?',
        })
        .collect()
}

/// Helvetica's widths (thousandths of the size) for the printable ASCII characters.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 to ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ to O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P to _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` to o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p to ~
];

fn width_of(text: &str, size: f32, bold: bool) -> f32 {
    let thousandths: u32 = text.chars().map(|c| if (' '..='~').contains(&c) { u32::from(HELVETICA[c as usize - 32]) } else { 600 }).sum();
    // Bold is a little wider than regular; the difference is kept on the safe side.
    let widen = if bold { 1.1 } else { 1.0 };
    thousandths as f32 / 1000.0 * size * widen
}

/// Lines no wider than `width`; a word too long for a line is broken.
fn wrap(text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for source_line in text.lines() {
        let mut line = String::new();
        for word in source_line.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if width_of(&candidate, size, bold) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if width_of(&line, size, bold) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_page_pdf(words: &str) -> Vec<u8> {
        let mut pack = Pack::new("Paper");
        pack.text(&[Paragraph::new(Style::Body, words)]);
        pack.finish()
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let text =
            "The delegated safeguarding partners agree the rapid review’s recommendation: a local child safeguarding practice review";
        let lines = wrap(text, 11.0, false, 200.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width_of(l, 11.0, false) <= 200.0));
        assert_eq!(lines.join(" "), text);
        let long = wrap(&"x".repeat(300), 11.0, false, 100.0);
        assert!(long.len() > 1 && long.iter().all(|l| width_of(l, 11.0, false) <= 100.0));
    }

    #[test]
    fn text_outside_win_ansi_becomes_a_question_mark() {
        assert_eq!(win_ansi("£5 – ‘café’ 🙂"), b"\xa35 \x96 \x91caf\xe9\x92 ?".to_vec());
    }

    #[test]
    fn a_pack_holds_its_own_pages_then_the_papers_with_bookmarks() {
        let mut pack = Pack::new("Board pack");
        let first = pack.append(&one_page_pdf("First paper")).expect("a PDF");
        let second = pack.append(&one_page_pdf("Second paper")).expect("a PDF");
        assert!(matches!(pack.append(b"not a pdf"), Err(AppendError::Unreadable)));
        let long: Vec<Paragraph> = (0..50).map(|i| Paragraph::new(Style::Body, format!("Agenda line {i}"))).collect();
        let cover = pack.text_first(&long);
        let agenda = pack.bookmark("Cover and agenda", cover, None);
        pack.bookmark("1. First paper", first, Some(agenda));
        pack.bookmark("2. Second paper – Größe", second, None);
        let bytes = pack.finish();

        let reopened = Document::load_mem(&bytes).expect("the pack opens");
        let pages = reopened.get_pages();
        assert_eq!(pages.len(), 4, "two pages of agenda, then one page of each paper");
        assert!(reopened.extract_text(&[3]).unwrap().contains("First paper"));
        assert!(reopened.extract_text(&[4]).unwrap().contains("Second paper"));
        let toc = reopened.get_toc().expect("bookmarks");
        let titles: Vec<(String, u32)> = toc.toc.iter().map(|t| (t.title.clone(), t.page as u32)).collect();
        assert_eq!(titles, vec![("Cover and agenda".into(), 1), ("1. First paper".into(), 3), ("2. Second paper – Größe".into(), 4)]);
    }
}
