//! The structure chart, drawn on the server as SVG from the current groups,
//! with the same tree as nested list items for its text equivalent.

use std::collections::HashMap;
use svg::Document;
use svg::node::Text;
use svg::node::element::{Anchor, Definitions, Group as G, Line, Marker, Path, Rectangle, Text as TextEl, Title};
use uuid::Uuid;

use super::{BoardLink, Group, GroupKind};

const BOX_W: f64 = 180.0;
/// The least height of a box; boxes grow to hold the longest name in full.
const BOX_H_LEAST: f64 = 64.0;
const LINE_H: f64 = 17.0;
const GAP_X: f64 = 24.0;
const GAP_Y: f64 = 56.0;
const MARGIN: f64 = 16.0;
const LINE_CHARS: usize = 24;
const BRAND: &str = "#1d4f5c";

/// One group in the outline: its place in the tree for the nested list.
pub struct OutlineItem {
    pub group: Group,
    /// It has groups reporting to it: the template opens a nested list.
    pub opens: bool,
    /// How many nested lists close after it.
    pub closes: usize,
}

struct Tree<'a> {
    children: HashMap<Option<Uuid>, Vec<&'a Group>>,
}

impl<'a> Tree<'a> {
    fn new(groups: &'a [Group]) -> Self {
        let known: std::collections::HashSet<Uuid> = groups.iter().map(|g| g.id).collect();
        let mut children: HashMap<Option<Uuid>, Vec<&Group>> = HashMap::new();
        for g in groups {
            // A group whose parent is retired or missing is drawn as a root.
            let parent = g.reports_to_id.filter(|p| known.contains(p));
            children.entry(parent).or_default().push(g);
        }
        Tree { children }
    }
    fn under(&self, parent: Option<Uuid>) -> &[&'a Group] {
        self.children.get(&parent).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The groups depth first, for the text equivalent.
pub fn outline(groups: &[Group]) -> Vec<OutlineItem> {
    fn walk(tree: &Tree, parent: Option<Uuid>, out: &mut Vec<OutlineItem>) {
        let kids = tree.under(parent);
        for (i, g) in kids.iter().enumerate() {
            let opens = !tree.under(Some(g.id)).is_empty();
            out.push(OutlineItem { group: (*g).clone(), opens, closes: 0 });
            if opens {
                walk(tree, Some(g.id), out);
            }
            if i + 1 == kids.len() && parent.is_some() {
                out.last_mut().expect("pushed").closes += 1;
            }
        }
    }
    let tree = Tree::new(groups);
    let mut out = Vec::new();
    walk(&tree, None, &mut out);
    out
}

fn wrap(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= LINE_CHARS => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}

fn label(lines: &[String], cx: f64, top: f64, box_h: f64, fill: &str) -> TextEl {
    let line_h = LINE_H;
    let first = top + box_h / 2.0 - (lines.len() as f64 - 1.0) * line_h / 2.0 + 5.0;
    // Drawn at its own size (the chart scrolls rather than shrinks), so the text is 14 px on the page.
    let mut text = TextEl::new("")
        .set("x", cx)
        .set("text-anchor", "middle")
        .set("font-size", 14)
        .set("font-family", "Helvetica Neue, Helvetica, Arial, sans-serif")
        .set("fill", fill);
    for (i, line) in lines.iter().enumerate() {
        text = text.add(svg::node::element::TSpan::new("").set("x", cx).set("y", first + i as f64 * line_h).add(Text::new(line.clone())));
    }
    text
}

/// The chart as an SVG document, titled for assistive technology; each
/// group's box links to its page under `base` (`/p/<slug>`).
pub fn draw(partnership_name: &str, base: &str, groups: &[Group], links: &[BoardLink]) -> String {
    let tree = Tree::new(groups);
    // Every box as tall as the longest name needs, so no name is cut short.
    let most_lines = groups.iter().map(|g| wrap(&g.name).len()).chain(links.iter().map(|l| wrap(&l.board_name).len())).max().unwrap_or(1);
    let box_h = (most_lines as f64 * LINE_H + 22.0).max(BOX_H_LEAST);
    // Leaves take the next column; a parent sits above the middle of its children.
    let mut position: HashMap<Uuid, (f64, usize)> = HashMap::new();
    let mut next_column = 0.0;
    let mut depth_max = 0;
    fn place(tree: &Tree, g: &Group, depth: usize, next: &mut f64, pos: &mut HashMap<Uuid, (f64, usize)>, deepest: &mut usize) -> f64 {
        *deepest = (*deepest).max(depth);
        let kids = tree.under(Some(g.id));
        let column = if kids.is_empty() {
            let c = *next;
            *next += 1.0;
            c
        } else {
            let cols: Vec<f64> = kids.iter().map(|k| place(tree, k, depth + 1, next, pos, deepest)).collect();
            (cols[0] + cols[cols.len() - 1]) / 2.0
        };
        pos.insert(g.id, (column, depth));
        column
    }
    for root in tree.under(None) {
        place(&tree, root, 0, &mut next_column, &mut position, &mut depth_max);
    }
    let x_of = |column: f64| MARGIN + column * (BOX_W + GAP_X);
    let y_of = |depth: usize| MARGIN + depth as f64 * (box_h + GAP_Y);

    let links_column = next_column.max(1.0);
    let tree_width = x_of(links_column) - GAP_X + MARGIN;
    let width = if links.is_empty() { tree_width.max(BOX_W + 2.0 * MARGIN) } else { x_of(links_column + 0.25) + BOX_W + MARGIN };
    let links_height = MARGIN + links.len() as f64 * (box_h + 16.0) + MARGIN;
    let height = (y_of(depth_max + 1) - GAP_Y + MARGIN).max(links_height).max(box_h + 2.0 * MARGIN);

    let arrow = Marker::new()
        .set("id", "arrow")
        .set("viewBox", "0 0 10 10")
        .set("refX", 10)
        .set("refY", 5)
        .set("markerWidth", 7)
        .set("markerHeight", 7)
        .set("orient", "auto-start-reverse")
        .add(Path::new().set("d", "M 0 0 L 10 5 L 0 10 z").set("fill", "#505a5f"));
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width.ceil() as i64, height.ceil() as i64))
        .set("width", width.ceil() as i64)
        .set("class", "hub-chart hub-chart--structure")
        .set("role", "group")
        .set("aria-labelledby", "structure-chart-title")
        .add(Title::new("").set("id", "structure-chart-title").add(Text::new(format!(
            "Structure chart of {partnership_name}: {} groups, each linking to its page; the list below gives the same structure as text",
            groups.len()
        ))))
        .add(Definitions::new().add(arrow));

    // Lines of accountability: from each group up to the group it reports to.
    for g in groups {
        let (Some(&(col, depth)), Some(parent)) = (position.get(&g.id), g.reports_to_id.and_then(|p| position.get(&p))) else {
            continue;
        };
        let (px, pd) = *parent;
        let (x1, y1) = (x_of(col) + BOX_W / 2.0, y_of(depth));
        let (x2, y2) = (x_of(px) + BOX_W / 2.0, y_of(pd) + box_h);
        let mid = y1 - GAP_Y / 2.0;
        doc = doc.add(
            Path::new()
                .set("d", format!("M {x1} {y1} V {mid} H {x2} V {y2}"))
                .set("fill", "none")
                .set("stroke", "#505a5f")
                .set("stroke-width", 1.5)
                .set("marker-end", "url(#arrow)"),
        );
    }
    for g in groups {
        let Some(&(col, depth)) = position.get(&g.id) else { continue };
        let (x, y) = (x_of(col), y_of(depth));
        let executive = matches!(GroupKind::from_code(&g.kind), Some(GroupKind::Executive | GroupKind::Accountability));
        let mut rect = Rectangle::new()
            .set("x", x)
            .set("y", y)
            .set("width", BOX_W)
            .set("height", box_h)
            .set("rx", 4)
            .set("fill", if executive { BRAND } else { "#ffffff" })
            .set("stroke", BRAND)
            .set("stroke-width", 2);
        if g.is_time_limited() {
            rect = rect.set("stroke-dasharray", "6 4");
        }
        let text_fill = if executive { "#ffffff" } else { "#0b0c0c" };
        let drawn = G::new().add(rect).add(label(&wrap(&g.name), x + BOX_W / 2.0, y, box_h, text_fill));
        doc = doc.add(Anchor::new().set("href", format!("{base}/groups/{}", g.id)).set("class", "hub-chart__group").add(drawn));
    }
    // Other boards to the right, joined by a dotted line to the group that holds the link.
    for (i, link) in links.iter().enumerate() {
        let x = x_of(links_column + 0.25);
        let y = MARGIN + i as f64 * (box_h + 16.0);
        let rect = Rectangle::new()
            .set("x", x)
            .set("y", y)
            .set("width", BOX_W)
            .set("height", box_h)
            .set("rx", 18)
            .set("fill", "#f3f6f7")
            .set("stroke", "#505a5f")
            .set("stroke-width", 1.5)
            .set("stroke-dasharray", "2 3");
        doc = doc.add(G::new().add(rect).add(label(&wrap(&link.board_name), x + BOX_W / 2.0, y, box_h, "#0b0c0c")));
        if let Some(&(col, depth)) = link.group_id.and_then(|g| position.get(&g)) {
            doc = doc.add(
                Line::new()
                    .set("x1", x_of(col) + BOX_W)
                    .set("y1", y_of(depth) + box_h / 2.0)
                    .set("x2", x)
                    .set("y2", y + box_h / 2.0)
                    .set("stroke", "#505a5f")
                    .set("stroke-width", 1.5)
                    .set("stroke-dasharray", "2 3"),
            );
        }
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(name: &str, parent: Option<Uuid>) -> Group {
        Group {
            id: Uuid::new_v4(),
            name: name.into(),
            kind: "subgroup".into(),
            purpose: String::new(),
            meetings_per_year: Some(4),
            reports_to_id: parent,
            reports_to_name: None,
            ends_on: None,
            sort_order: 0,
            retired_on: None,
            chair_name: None,
            member_count: 0,
            terms_adopted_on: None,
            terms_review_due_on: None,
        }
    }

    #[test]
    fn the_outline_nests_groups_under_the_group_they_report_to() {
        let exec = group("Executive", None);
        let a = group("Delivery", Some(exec.id));
        let a1 = group("Workforce", Some(a.id));
        let b = group("Review", Some(exec.id));
        let items = outline(&[exec.clone(), a.clone(), a1.clone(), b.clone()]);
        let shape: Vec<(&str, bool, usize)> = items.iter().map(|i| (i.group.name.as_str(), i.opens, i.closes)).collect();
        assert_eq!(shape, [("Executive", true, 0), ("Delivery", true, 0), ("Workforce", false, 1), ("Review", false, 1)]);
    }

    #[test]
    fn the_chart_draws_every_group_and_escapes_names() {
        let exec = group("Executive <&> board", None);
        let sub = group("Neglect", Some(exec.id));
        let sub_id = sub.id;
        let svg = draw("Test & Partnership", "/p/test", &[exec, sub], &[]);
        assert!(svg.contains("Executive &lt;&amp;&gt;"));
        assert!(svg.contains("Neglect"));
        assert!(svg.contains("role=\"group\""));
        assert!(svg.contains(&format!("href=\"/p/test/groups/{}\"", sub_id)), "each box links to its group");
        assert_eq!(svg.matches("<rect").count(), 2);
        assert_eq!(svg.matches("marker-end").count(), 1, "one line of accountability");
    }

    #[test]
    fn long_names_wrap_in_full_and_their_boxes_grow_to_hold_them() {
        let name = "Warwickshire Safeguarding Children Executive Partnership with a very long name indeed";
        let lines = wrap(name);
        assert_eq!(lines.join(" "), name, "nothing is cut off");
        assert!(lines.iter().all(|l| l.chars().count() <= LINE_CHARS));
        let svg = draw("P", "/p/p", &[group(name, None)], &[]);
        let expected = format!("height=\"{}\"", lines.len() as f64 * LINE_H + 22.0);
        assert!(svg.contains(&expected), "{svg}");
    }
}
