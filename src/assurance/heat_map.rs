//! The charts of assurance, drawn on the server as SVG: the register's heat
//! map, a risk's score over time, a round's ratings and an indicator's trend. Each has a title and a description for screen readers, and the
//! page beside it holds the same numbers as a table.

use chrono::NaiveDate;
use svg::Document;
use svg::node::Text;
use svg::node::element::{Circle, Description, Line, Polyline, Rectangle, Text as TextEl, Title};

use super::{Band, IMPACT, LIKELIHOOD, Rating, Score};

const CELL: f64 = 64.0;
const LEFT: f64 = 120.0;
const BOTTOM: f64 = 70.0;
const INK: &str = "#0b0c0c";
const BRAND: &str = "#1d4f5c";

/// A row of the heat map's table: a likelihood, its word, and the count at each impact with its band.
#[derive(Debug)]
pub struct HeatRow {
    pub likelihood: i16,
    pub word: &'static str,
    pub cells: Vec<(i64, Band)>,
}

/// How many open risks sit at each point of the scale: `counts[likelihood - 1][impact - 1]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells(pub [[i64; 5]; 5]);

impl Cells {
    /// From the `group by likelihood, impact` counts.
    pub fn from_counts(counts: impl IntoIterator<Item = (i16, i16, i64)>) -> Cells {
        let mut cells = [[0; 5]; 5];
        for (likelihood, impact, n) in counts {
            if let (Ok(l @ 0..5), Ok(i @ 0..5)) = (usize::try_from(likelihood - 1), usize::try_from(impact - 1)) {
                cells[l][i] += n;
            }
        }
        Cells(cells)
    }

    pub fn at(&self, likelihood: i16, impact: i16) -> i64 {
        self.0[(likelihood - 1) as usize][(impact - 1) as usize]
    }

    /// The table's rows, most likely first.
    pub fn rows(&self) -> Vec<HeatRow> {
        (1..=5)
            .rev()
            .map(|l| HeatRow {
                likelihood: l,
                word: LIKELIHOOD[(l - 1) as usize],
                cells: (1..=5).map(|i| (self.at(l, i), Score::new(l, i).band())).collect(),
            })
            .collect()
    }

    pub fn total(&self) -> i64 {
        self.0.iter().flatten().sum()
    }
}

fn text(content: impl Into<String>, x: f64, y: f64, anchor: &str, size: u32) -> TextEl {
    TextEl::new(content.into()).set("x", x).set("y", y).set("text-anchor", anchor).set("font-size", size).set("fill", INK)
}

/// The 5 × 5 grid, likelihood up and impact across, each cell coloured by its band and holding its count.
pub fn heat_map(cells: &Cells) -> String {
    let width = LEFT + 5.0 * CELL + 10.0;
    let height = 5.0 * CELL + BOTTOM;
    let description = cells
        .rows()
        .into_iter()
        .flat_map(|row| {
            let l = row.likelihood;
            row.cells
                .into_iter()
                .enumerate()
                .filter(|(_, (n, _))| *n > 0)
                .map(move |(i, (n, _))| format!("likelihood {l}, impact {}: {n}", i + 1))
        })
        .collect::<Vec<_>>();
    let description =
        if description.is_empty() { "No open risks".to_owned() } else { format!("Open risks by score: {}", description.join("; ")) };
    let mut doc = Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", width)
        .set("height", height)
        .set("role", "img")
        .set("class", "hub-chart")
        .add(Title::new("Heat map of open risks"))
        .add(Description::new().add(Text::new(description)));
    for l in 1..=5i16 {
        let y = (5 - l) as f64 * CELL;
        doc = doc.add(text(format!("{l} {}", LIKELIHOOD[(l - 1) as usize]), LEFT - 8.0, y + CELL / 2.0 + 5.0, "end", 13));
        for i in 1..=5i16 {
            let x = LEFT + (i - 1) as f64 * CELL;
            let n = cells.at(l, i);
            doc = doc.add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", y)
                    .set("width", CELL)
                    .set("height", CELL)
                    .set("fill", Score::new(l, i).band().fill())
                    .set("stroke", "#ffffff")
                    .set("stroke-width", 2),
            );
            if n > 0 {
                doc = doc.add(text(n.to_string(), x + CELL / 2.0, y + CELL / 2.0 + 7.0, "middle", 20).set("font-weight", "bold"));
            }
        }
    }
    for i in 1..=5i16 {
        let x = LEFT + (i - 1) as f64 * CELL + CELL / 2.0;
        doc = doc.add(text(i.to_string(), x, 5.0 * CELL + 18.0, "middle", 13)).add(text(
            IMPACT[(i - 1) as usize],
            x,
            5.0 * CELL + 34.0,
            "middle",
            11,
        ));
    }
    doc = doc.add(text("Impact", LEFT + 2.5 * CELL, 5.0 * CELL + 58.0, "middle", 14)).add(text("Likelihood", 4.0, 14.0, "start", 14));
    doc.to_string()
}

/// A risk's score at each review, with its target as a dashed line.
pub fn history(reviews: &[(NaiveDate, i16)], target: i16) -> String {
    let description = reviews.iter().map(|(on, score)| format!("{}: {score}", on.format("%-d %b %Y"))).collect::<Vec<_>>().join("; ");
    let values: Vec<f64> = reviews.iter().map(|(_, score)| f64::from(*score)).collect();
    line_chart(Plot {
        title: "Score at each review".to_owned(),
        description: format!("Score at each review: {description}. Target {target}."),
        values: &values,
        target: Some(f64::from(target)),
        low: 0.0,
        high: 25.0,
        ticks: vec![0.0, 5.0, 10.0, 15.0, 20.0, 25.0],
        first: reviews.first().map(|(on, _)| on.format("%b %Y").to_string()),
        last: reviews.last().map(|(on, _)| on.format("%b %Y").to_string()),
    })
}

/// What a line chart draws: values evenly across, on a scale from `low` to `high` with grid lines at `ticks`,
/// the target dashed, and the first and last points named below.
struct Plot<'a> {
    title: String,
    description: String,
    values: &'a [f64],
    target: Option<f64>,
    low: f64,
    high: f64,
    ticks: Vec<f64>,
    first: Option<String>,
    last: Option<String>,
}

/// A line chart: a risk's score over its reviews, an indicator's value over its periods.
fn line_chart(plot: Plot<'_>) -> String {
    const WIDTH: f64 = 560.0;
    const HEIGHT: f64 = 240.0;
    const LEFT: f64 = 60.0;
    const PAD: f64 = 30.0;
    let plot_w = WIDTH - LEFT - PAD;
    let plot_h = HEIGHT - 2.0 * PAD;
    let span = plot.high - plot.low;
    let y_of = |v: f64| PAD + plot_h * (1.0 - (v - plot.low) / span);
    let n = plot.values.len();
    let x_of = |i: usize| if n < 2 { LEFT + plot_w / 2.0 } else { LEFT + plot_w * i as f64 / (n - 1) as f64 };
    let mut doc = Document::new()
        .set("viewBox", (0, 0, WIDTH, HEIGHT))
        .set("width", WIDTH)
        .set("height", HEIGHT)
        .set("role", "img")
        .set("class", "hub-chart")
        .add(Title::new(plot.title))
        .add(Description::new().add(Text::new(plot.description)));
    for v in plot.ticks {
        doc = doc
            .add(Line::new().set("x1", LEFT).set("x2", WIDTH - PAD).set("y1", y_of(v)).set("y2", y_of(v)).set("stroke", "#b1b4b6"))
            .add(text(super::figure(v), LEFT - 6.0, y_of(v) + 4.0, "end", 12));
    }
    if let Some(t) = plot.target {
        doc = doc.add(
            Line::new()
                .set("x1", LEFT)
                .set("x2", WIDTH - PAD)
                .set("y1", y_of(t))
                .set("y2", y_of(t))
                .set("stroke", INK)
                .set("stroke-dasharray", "6 4"),
        );
    }
    let coords: Vec<(f64, f64)> = plot.values.iter().enumerate().map(|(i, v)| (x_of(i), y_of(*v))).collect();
    if coords.len() > 1 {
        let path = coords.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
        doc = doc.add(Polyline::new().set("points", path).set("fill", "none").set("stroke", BRAND).set("stroke-width", 3));
    }
    for (x, y) in &coords {
        doc = doc.add(Circle::new().set("cx", *x).set("cy", *y).set("r", 4).set("fill", BRAND));
    }
    if let (Some(first), Some(last)) = (plot.first, plot.last) {
        doc = doc.add(text(first, LEFT, HEIGHT - 8.0, "start", 12)).add(text(last, WIDTH - PAD, HEIGHT - 8.0, "end", 12));
    }
    doc.to_string()
}

/// A self-assessment round's ratings: a bar a standard, split green, amber, red and not applicable, each part
/// labelled with its count; the standards are numbered, and the page's table names them in full.
pub fn ratings(standards: &[(String, [(Rating, i64); 4])]) -> String {
    const WIDTH: f64 = 560.0;
    const LABEL_W: f64 = 40.0;
    const BAR_H: f64 = 24.0;
    const GAP: f64 = 10.0;
    let height = standards.len() as f64 * (BAR_H + GAP) + GAP + 30.0;
    let description = standards
        .iter()
        .map(|(title, counts)| {
            let parts = counts.iter().map(|(rating, n)| format!("{} {n}", rating.short())).collect::<Vec<_>>().join(", ");
            format!("{title}: {parts}")
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut doc = Document::new()
        .set("viewBox", (0, 0, WIDTH, height))
        .set("width", WIDTH)
        .set("height", height)
        .set("role", "img")
        .set("class", "hub-chart")
        .add(Title::new("Ratings of each standard in the submitted returns"))
        .add(Description::new().add(Text::new(if description.is_empty() { "No standards".to_owned() } else { description })));
    let most = standards.iter().map(|(_, counts)| counts.iter().map(|(_, n)| n).sum::<i64>()).max().unwrap_or(0).max(1) as f64;
    for (i, (title, counts)) in standards.iter().enumerate() {
        let y = GAP + i as f64 * (BAR_H + GAP);
        let number = title.split('.').next().unwrap_or_default().to_owned();
        doc = doc.add(text(number, LABEL_W - 8.0, y + BAR_H * 0.7, "end", 14));
        let mut x = LABEL_W;
        for (rating, n) in counts.iter().filter(|(_, n)| *n > 0) {
            let w = (WIDTH - LABEL_W - 10.0) * *n as f64 / most;
            doc = doc
                .add(
                    Rectangle::new()
                        .set("x", x)
                        .set("y", y)
                        .set("width", w)
                        .set("height", BAR_H)
                        .set("fill", rating.fill())
                        .set("stroke", "#ffffff"),
                )
                .add(text(format!("{} {n}", rating.short()), x + 4.0, y + BAR_H * 0.7, "start", 12));
            x += w;
        }
    }
    let legend_y = height - 12.0;
    let mut x = LABEL_W;
    for rating in [Rating::Green, Rating::Amber, Rating::Red, Rating::NotApplicable] {
        doc = doc
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", legend_y - 11.0)
                    .set("width", 14)
                    .set("height", 14)
                    .set("fill", rating.fill())
                    .set("stroke", INK),
            )
            .add(text(rating.label(), x + 18.0, legend_y, "start", 12));
        x += 130.0;
    }
    doc.to_string()
}

/// An indicator's value at each period, with its target as a dashed line; the scale runs from nought (or the
/// lowest value, if below) to a little above the highest value or target.
pub fn trend(name: &str, points: &[(String, f64)], target: Option<f64>) -> String {
    let highest = points.iter().map(|(_, v)| *v).chain(target).fold(0.0_f64, f64::max);
    let lowest = points.iter().map(|(_, v)| *v).chain(target).fold(0.0_f64, f64::min);
    let span = if highest - lowest > 0.0 { (highest - lowest) * 1.1 } else { 1.0 };
    let described = points.iter().map(|(label, v)| format!("{label}: {}", super::figure(*v))).collect::<Vec<_>>().join("; ");
    let target_text = target.map(|t| format!(" Target {}.", super::figure(t))).unwrap_or_default();
    let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
    line_chart(Plot {
        title: format!("{name} over time"),
        description: if points.is_empty() { format!("No values yet.{target_text}") } else { format!("{described}.{target_text}") },
        values: &values,
        target,
        low: lowest,
        high: lowest + span,
        ticks: (0..=4).map(|step| lowest + span * f64::from(step) / 4.0).collect(),
        first: points.first().map(|(label, _)| label.clone()),
        last: points.last().map(|(label, _)| label.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_count_by_likelihood_and_impact() {
        let cells = Cells::from_counts([(3, 4, 2), (5, 5, 1), (1, 1, 3), (9, 1, 7)]);
        assert_eq!(cells.at(3, 4), 2);
        assert_eq!(cells.at(5, 5), 1);
        assert_eq!(cells.total(), 6, "a point off the scale is not counted");
        let rows = cells.rows();
        assert_eq!(rows[0].likelihood, 5, "most likely first");
        assert_eq!(rows[0].cells[4], (1, Band::VeryHigh));
        assert_eq!(rows[4].cells[0], (3, Band::Low));
    }

    #[test]
    fn the_heat_map_names_its_counts() {
        let svg = heat_map(&Cells::from_counts([(3, 4, 2)]));
        assert!(svg.contains("<title>Heat map of open risks</title>"));
        assert!(svg.contains("likelihood 3, impact 4: 2"));
        assert!(svg.contains("role=\"img\""));
        assert!(heat_map(&Cells::default()).contains("No open risks"));
    }

    #[test]
    fn the_ratings_chart_describes_each_standard() {
        let counts = [(Rating::Green, 2), (Rating::Amber, 1), (Rating::Red, 0), (Rating::NotApplicable, 0)];
        let svg = ratings(&[("1. Senior management commitment".to_owned(), counts)]);
        assert!(svg.contains("1. Senior management commitment: Green 2, Amber 1, Red 0, N/A 0"));
        assert!(svg.contains("<title>Ratings of each standard in the submitted returns</title>"));
    }

    #[test]
    fn the_trend_describes_each_period_and_the_target() {
        let svg = trend("Referrals", &[("April 2026".to_owned(), 120.0), ("May 2026".to_owned(), 98.5)], Some(100.0));
        assert!(svg.contains("April 2026: 120; May 2026: 98.5. Target 100."));
        assert!(svg.contains("<title>Referrals over time</title>"));
        assert!(trend("Empty", &[], None).contains("No values yet."));
    }

    #[test]
    fn the_history_describes_each_review() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 4, d).unwrap();
        let svg = history(&[(day(1), 16), (day(30), 12)], 6);
        assert!(svg.contains("1 Apr 2026: 16; 30 Apr 2026: 12. Target 6."));
        assert!(svg.contains("<polyline"));
    }
}
