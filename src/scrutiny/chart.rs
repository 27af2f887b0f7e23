//! Horizontal bar charts drawn on the server as SVG. Each has a title and a
//! description for screen readers; the page shows the same counts as a table.

use svg::Document;
use svg::node::Text;
use svg::node::element::{Description, Rectangle, Text as TextEl, Title};

use super::Count;

const WIDTH: f64 = 560.0;
const LABEL_W: f64 = 190.0;
const BAR_H: f64 = 26.0;
const GAP: f64 = 10.0;
const BRAND: &str = "#1d4f5c";

pub fn bars(title: &str, counts: &[Count]) -> String {
    let max = counts.iter().map(|c| c.count).max().unwrap_or(0).max(1) as f64;
    let height = counts.len() as f64 * (BAR_H + GAP) + GAP;
    let description = counts.iter().map(|c| format!("{}: {}", c.label, c.count)).collect::<Vec<_>>().join("; ");
    let mut doc = Document::new()
        .set("viewBox", (0, 0, WIDTH, height))
        .set("width", WIDTH)
        .set("height", height)
        .set("role", "img")
        .set("class", "hub-chart")
        .add(Title::new(title))
        .add(Description::new().add(Text::new(description)));
    for (i, c) in counts.iter().enumerate() {
        let y = GAP + i as f64 * (BAR_H + GAP);
        let bar = (WIDTH - LABEL_W - 50.0) * c.count as f64 / max;
        doc = doc
            .add(
                TextEl::new(c.label)
                    .set("x", LABEL_W - 8.0)
                    .set("y", y + BAR_H * 0.68)
                    .set("text-anchor", "end")
                    .set("font-size", 15)
                    .set("fill", "#0b0c0c"),
            )
            .add(Rectangle::new().set("x", LABEL_W).set("y", y).set("width", bar.max(2.0)).set("height", BAR_H).set("fill", BRAND))
            .add(
                TextEl::new(c.count.to_string())
                    .set("x", LABEL_W + bar.max(2.0) + 6.0)
                    .set("y", y + BAR_H * 0.68)
                    .set("font-size", 15)
                    .set("fill", "#0b0c0c"),
            );
    }
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_names_itself_and_its_counts() {
        let svg = bars("Findings", &[Count { label: "Limited", count: 3 }, Count { label: "Substantial", count: 0 }]);
        assert!(svg.contains("<title>Findings</title>"));
        assert!(svg.contains("Limited: 3; Substantial: 0"));
        assert!(svg.contains("role=\"img\""));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars("<script>", &[Count { label: "A & B", count: 1 }]);
        assert!(!svg.contains("<script>"));
    }
}
