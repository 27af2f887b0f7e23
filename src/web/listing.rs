//! Lists people work with: a text search and filters that live in the
//! address (so a view can be bookmarked and shared), a sort by any column,
//! pages of a chosen size with the count, and the same view downloaded as CSV.
//!
//! A list's statement takes every filter as a parameter that may be empty
//! (`($3::uuid is null or a.group_id = $3)`); [`custom_plans`] has PostgreSQL
//! plan it for the values given, so the empty filters fold away and the
//! others reach their indexes.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use crate::calendar::{FinancialYear, today};

/// How many pages past the one shown a list counts (see [`View::count_to`]).
const COUNTED_PAGES: i64 = 5;

/// The lines a list's statement reads ([`View::reach`]) and how far it counts them.
#[derive(Clone, Copy, Debug)]
pub struct Reach {
    pub limit: i64,
    pub offset: i64,
    pub count_to: i64,
}

impl Reach {
    /// The count's `limit`: one more than the bound, which says there are more.
    pub fn count_limit(&self) -> i64 {
        self.count_to + 1
    }
}

/// The page sizes a person may choose; the first page shows [`DEFAULT_SIZE`].
pub const PAGE_SIZES: [i64; 4] = [25, 50, 100, 200];
pub const DEFAULT_SIZE: i64 = 50;
/// The most lines one CSV download holds (the view's count says when there are more).
pub const EXPORT_LIMIT: i64 = 10_000;

/// What every list's address may carry besides its own filters:
/// `?q=…&sort=…&order=desc&page=2&size=100`. Flattened into each list's query.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub size: String,
}

/// A column a list may be sorted by: its key in the address and its heading.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    pub key: &'static str,
    pub heading: &'static str,
}

/// How a list is being viewed: its search, filters, sort and page, and once
/// read, how many lines match. Templates draw the sortable headings, the
/// count, the pages and the download link from it.
#[derive(Clone, Debug)]
pub struct View {
    path: String,
    /// The search and the filters in force, in the order of the form, to carry into every link.
    filters: Vec<(&'static str, String)>,
    pub search: String,
    pub sort: &'static str,
    pub descending: bool,
    /// The sort and direction the list opens with: its first column, in its natural direction.
    opening: (&'static str, bool),
    pub page: i64,
    pub size: i64,
    pub total: i64,
    pub shown: usize,
    /// Whether the count stopped at its bound (a view is counted no further than [`View::count_to`]).
    pub more_than: bool,
    /// What to say of an unfiltered view with nothing in it, when "No … yet." would not be true.
    nothing: Option<&'static str>,
    /// What the list holds, one and many ("action", "actions"), for the count.
    pub noun: (&'static str, &'static str),
}

impl View {
    /// The view asked for at `path` (the list's address without its query):
    /// the sort must be one of `columns` (else the first, in its natural
    /// direction), the page at least 1, the size one of [`PAGE_SIZES`].
    pub fn new(path: String, noun: (&'static str, &'static str), query: &ListQuery, columns: &[Column], descending_first: &[&str]) -> View {
        let first = columns.first().map(|c| c.key).unwrap_or_default();
        let opening = (first, descending_first.contains(&first));
        let chosen = columns.iter().find(|c| c.key == query.sort).or(columns.first());
        let sort = chosen.map(|c| c.key).unwrap_or_default();
        let descending = match query.order.as_str() {
            "desc" => true,
            "asc" => false,
            _ => descending_first.contains(&sort),
        };
        let size = query.size.parse().ok().filter(|s| PAGE_SIZES.contains(s)).unwrap_or(DEFAULT_SIZE);
        let page = query.page.parse::<i64>().ok().filter(|p| *p >= 1).unwrap_or(1).min(EXPORT_LIMIT);
        let search = query.q.trim().chars().take(200).collect::<String>();
        let mut filters = Vec::new();
        if !search.is_empty() {
            filters.push(("q", search.clone()));
        }
        View { path, filters, search, sort, descending, opening, page, size, total: 0, shown: 0, more_than: false, nothing: None, noun }
    }

    /// A filter in force (nothing when empty), carried into every link of the view.
    pub fn filter(mut self, name: &'static str, value: impl Into<String>) -> View {
        let value = value.into();
        if !value.is_empty() {
            self.filters.push((name, value));
        }
        self
    }

    /// What an unfiltered view with nothing in it says ("No decisions taken yet.").
    pub fn when_empty(mut self, nothing: &'static str) -> View {
        self.nothing = Some(nothing);
        self
    }

    /// The text search as a case-insensitive `like` pattern (its own `%`, `_`
    /// and `\` taken literally), or "" when there is no search.
    pub fn pattern(&self) -> String {
        like_pattern(&self.search)
    }

    pub fn limit(&self) -> i64 {
        self.size
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.size
    }

    /// The count read with the lines (`count(*) over ()`: none when this page is past the end).
    pub fn counted(mut self, total: Option<i64>, shown: usize) -> View {
        self.total = total.unwrap_or(0);
        self.shown = shown;
        self
    }

    /// How far a list counts the lines its view holds: five pages past the one shown (beyond it the page says
    /// "more than" and offers the next pages as they are reached). Counting reads every line it counts, so a view
    /// of ten years of a large partnership would otherwise read every matching record to show twenty-five.
    pub fn count_to(&self) -> i64 {
        self.offset() + COUNTED_PAGES * self.limit()
    }

    /// What a list's statement reads of this view: its page and how far to count, or for a download
    /// (`whole`) every line up to [`EXPORT_LIMIT`] and no count.
    pub fn reach(&self, whole: bool) -> Reach {
        if whole {
            Reach { limit: EXPORT_LIMIT, offset: 0, count_to: 0 }
        } else {
            Reach { limit: self.limit(), offset: self.offset(), count_to: self.count_to() }
        }
    }

    /// The count of the view, read no further than [`View::count_to`] and one more ([`Reach::count_limit`]).
    pub fn counted_up_to(mut self, counted: i64, shown: usize) -> View {
        let bound = self.count_to();
        self.more_than = counted > bound;
        self.total = counted.min(bound);
        self.shown = shown;
        self
    }

    pub fn is_filtered(&self) -> bool {
        !self.filters.is_empty()
    }

    /// The list as it opens (on any page): no search or filter, sorted by its first column in its natural
    /// direction. A list may give this view a statement of its own, with nothing optional in it (see [`plans`]).
    pub fn as_it_opens(&self) -> bool {
        !self.is_filtered() && (self.sort, self.descending) == self.opening
    }

    pub fn pages(&self) -> i64 {
        ((self.total + self.size - 1) / self.size).max(1)
    }

    /// "Showing 51 to 100 of 230 actions", or what was found when nothing was.
    pub fn showing(&self) -> String {
        if self.shown == 0 {
            let many = self.noun.1;
            if self.page > 1 {
                return format!("There is no page {} of these {many}.", self.page);
            }
            return match (self.is_filtered(), self.nothing) {
                (true, _) => format!("No {many} match."),
                (false, Some(nothing)) => nothing.to_owned(),
                (false, None) => format!("No {many} yet."),
            };
        }
        let first = self.offset() + 1;
        let last = self.offset() + self.shown as i64;
        if first == 1 && last == self.total && !self.more_than {
            let noun = if self.total == 1 { self.noun.0 } else { self.noun.1 };
            return format!("{} {noun}.", self.total);
        }
        let more_than = if self.more_than { "more than " } else { "" };
        format!("Showing {first} to {last} of {more_than}{} {}.", self.total, self.noun.1)
    }

    fn href(&self, extra: &[(&str, String)], path: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.filters {
            query.append_pair(name, value);
        }
        for (name, value) in extra {
            query.append_pair(name, value);
        }
        let query = query.finish();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    }

    fn sort_pairs(&self) -> Vec<(&str, String)> {
        vec![("sort", self.sort.to_owned()), ("order", self.order().to_owned())]
    }

    fn order(&self) -> &'static str {
        if self.descending { "desc" } else { "asc" }
    }

    fn size_pair(&self) -> Option<(&str, String)> {
        (self.size != DEFAULT_SIZE).then(|| ("size", self.size.to_string()))
    }

    /// The address of a page of this view.
    pub fn page_href(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = *page.borrow();
        let mut extra = self.sort_pairs();
        extra.extend(self.size_pair());
        if page > 1 {
            extra.push(("page", page.to_string()));
        }
        self.href(&extra, &self.path)
    }

    /// The address that sorts by `key`: the other way round when it is already the sort.
    pub fn sort_href(&self, key: &str) -> String {
        let order = if key == self.sort && !self.descending { "desc" } else { "asc" };
        let mut extra = vec![("sort", key.to_owned()), ("order", order.to_owned())];
        extra.extend(self.size_pair());
        self.href(&extra, &self.path)
    }

    /// `aria-sort` for a column's heading.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        match (key == self.sort, self.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    /// The address of this view (all of it, not only this page) as CSV.
    pub fn csv_href(&self) -> String {
        self.href(&self.sort_pairs(), &format!("{}.csv", self.path))
    }

    /// The address of the list with no search or filter.
    pub fn clear_href(&self) -> &str {
        &self.path
    }

    /// The sort, as hidden fields of the filter form (which starts again at page 1).
    pub fn hidden_sort(&self) -> [(&'static str, &'static str); 2] {
        [("sort", self.sort), ("order", self.order())]
    }

    /// The page numbers to offer, with `None` for a gap: the first, the last,
    /// and those either side of this one (GOV.UK pagination).
    pub fn page_links(&self) -> Vec<Option<i64>> {
        let last = self.pages();
        let mut links = Vec::new();
        for n in 1..=last {
            if n == 1 || n == last || (n - self.page).abs() <= 1 {
                links.push(Some(n));
            } else if links.last() != Some(&None) {
                links.push(None);
            }
        }
        links
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages()
    }

    pub fn previous(&self) -> i64 {
        self.page - 1
    }

    pub fn next(&self) -> i64 {
        self.page + 1
    }

    /// The page sizes to choose from, as a select's (value, label).
    pub fn size_choices(&self) -> Vec<(String, String)> {
        PAGE_SIZES.iter().map(|s| (s.to_string(), format!("{s} a page"))).collect()
    }

    pub fn size_value(&self) -> String {
        self.size.to_string()
    }
}

/// The financial years a list may be filtered by: this one, the next, and the ten before.
pub fn year_choices() -> Vec<(String, String)> {
    let now = FinancialYear::containing(today());
    (now.start_year - 10..=now.start_year + 1)
        .rev()
        .map(|start_year| {
            let year = FinancialYear { start_year };
            (start_year.to_string(), year.label())
        })
        .collect()
}

/// The days a financial year filter spans (nothing for no filter or nonsense).
pub fn year_span(year: &str) -> (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>) {
    match year.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)) {
        Some(start_year) => {
            let year = FinancialYear { start_year };
            (Some(year.starts_on()), Some(year.next().starts_on()))
        }
        None => (None, None),
    }
}

/// A day typed into a filter: `27/3/2026`, `27 3 2026` or `2026-03-27`; nothing when empty.
pub fn parse_day(text: &str, what: &str) -> Result<Option<chrono::NaiveDate>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let iso = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d");
    let parts: Vec<&str> = text.split(['/', ' ', '.', '-']).filter(|p| !p.is_empty()).collect();
    let british = match parts.as_slice() {
        [d, m, y] if y.len() == 4 => format!("{d}/{m}/{y}"),
        _ => String::new(),
    };
    iso.or_else(|_| chrono::NaiveDate::parse_from_str(&british, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| format!("Enter {what} as a real date, for example 27/3/2026"))
}

/// Has PostgreSQL plan the rest of this transaction's statements for the
/// values they are given, not once for any values: a list's empty filters
/// then fold away and the rest use their indexes. One statement.
pub async fn custom_plans(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query_scalar!("select set_config('plan_cache_mode', 'force_custom_plan', true)").fetch_one(conn).await?;
    Ok(())
}

/// Plans for a list's view: kept (generic) for the list as it opens, with no
/// search or filter, where every row of the partnership is in it anyway and
/// planning would cost more than reading; for the values given once a search
/// or filter is in force, so the empty ones fold away and the rest use their
/// indexes. One statement.
pub async fn plans_for(conn: &mut PgConnection, view: &View) -> sqlx::Result<()> {
    plans(conn, !view.is_filtered()).await
}

/// Plans kept ([`generic_plans`]) when `keep`: for a list's own statement for
/// the view as it opens, which has nothing optional in it and so one plan
/// that reads its index in order; otherwise for the values given
/// ([`custom_plans`]). One statement.
pub async fn plans(conn: &mut PgConnection, keep: bool) -> sqlx::Result<()> {
    if keep { generic_plans(conn).await } else { custom_plans(conn).await }
}

/// Has PostgreSQL plan the rest of this transaction's statements once and
/// keep the plan, where planning costs more than running (a statement that
/// reads a table under a policy naming many others) and the plan walks an
/// index in order whatever the values. One statement.
pub async fn generic_plans(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query_scalar!("select set_config('plan_cache_mode', 'force_generic_plan', true)").fetch_one(conn).await?;
    Ok(())
}

/// `text` as a `like` pattern matching it anywhere, its own wildcards taken literally; "" for nothing.
pub fn like_pattern(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        return String::new();
    }
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// A cell as a spreadsheet may safely open it: text starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return would be read as a formula, so it
/// gains a leading apostrophe (OWASP's advice for CSV injection).
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}").into() } else { cell.into() }
}

/// A CSV download: UTF-8 with a byte-order mark (so spreadsheets read it as
/// UTF-8), a heading row, every field quoted where it must be, every cell
/// neutralised.
pub fn csv_download(filename: &str, headings: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Response {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(b"\xEF\xBB\xBF".to_vec());
    let write = || -> csv::Result<()> {
        writer.write_record(headings)?;
        for row in rows {
            writer.write_record(row.iter().map(|cell| neutralise(cell).into_owned()))?;
        }
        writer.flush()?;
        Ok(())
    };
    // Writing to memory fails only if a row is ragged, which the callers' types rule out.
    if let Err(error) = write() {
        tracing::error!(%error, "a CSV download could not be written");
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let body = writer.into_inner().unwrap_or_default();
    let disposition = format!("attachment; filename=\"{filename}\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: [Column; 2] = [Column { key: "due", heading: "Due" }, Column { key: "owner", heading: "Owner" }];

    const ACTIONS: (&str, &str) = ("action", "actions");

    fn query(pairs: &str) -> ListQuery {
        serde_html_form::from_str(pairs).unwrap()
    }

    #[test]
    fn a_view_takes_only_the_sorts_sizes_and_pages_it_knows() {
        let view = View::new("/p/x/actions".into(), ACTIONS, &query("sort=drop+table&size=7&page=-3"), &COLUMNS, &[]);
        assert_eq!((view.sort, view.descending, view.size, view.page), ("due", false, DEFAULT_SIZE, 1));
        let view = View::new("/p/x/actions".into(), ACTIONS, &query("sort=owner&order=desc&size=200&page=3"), &COLUMNS, &[]);
        assert_eq!((view.sort, view.descending, view.size, view.offset()), ("owner", true, 200, 400));
    }

    #[test]
    fn a_view_is_as_it_opens_on_any_page_until_searched_filtered_or_sorted_otherwise() {
        let open = |pairs: &str, descending_first: &[&str]| {
            View::new("/p/x/actions".into(), ACTIONS, &query(pairs), &COLUMNS, descending_first).filter("group", "").as_it_opens()
        };
        assert!(open("", &[]));
        assert!(open("page=3&size=25&sort=due&order=asc", &[]));
        assert!(open("", &["due"]), "its first column in that column's natural direction");
        assert!(!open("order=asc", &["due"]));
        assert!(!open("sort=owner", &[]));
        assert!(!open("order=desc", &[]));
        assert!(!open("q=review", &[]));
        let filtered = View::new("/p/x/actions".into(), ACTIONS, &query(""), &COLUMNS, &[]).filter("group", "g1");
        assert!(!filtered.as_it_opens());
    }

    #[test]
    fn links_carry_the_filters_and_the_sort() {
        let view = View::new("/p/x/actions".into(), ACTIONS, &query("q=a%26b&sort=owner"), &COLUMNS, &[])
            .filter("group", "g1")
            .filter("owner", "")
            .counted(Some(120), 50);
        assert_eq!(view.page_href(2), "/p/x/actions?q=a%26b&group=g1&sort=owner&order=asc&page=2");
        assert_eq!(view.sort_href("owner"), "/p/x/actions?q=a%26b&group=g1&sort=owner&order=desc");
        assert_eq!(view.csv_href(), "/p/x/actions.csv?q=a%26b&group=g1&sort=owner&order=asc");
        assert_eq!(view.aria_sort("owner"), "ascending");
        assert_eq!(view.aria_sort("due"), "none");
        assert_eq!(view.showing(), "Showing 1 to 50 of 120 actions.");
        assert_eq!(view.page_links(), vec![Some(1), Some(2), Some(3)]);
    }

    #[test]
    fn long_lists_offer_the_pages_near_this_one() {
        let view = View::new("/p/x/a".into(), ACTIONS, &query("page=6&size=25"), &COLUMNS, &[]).counted(Some(500), 25);
        assert_eq!(view.page_links(), vec![Some(1), None, Some(5), Some(6), Some(7), None, Some(20)]);
        assert!(view.has_previous() && view.has_next());
    }

    #[test]
    fn a_long_view_is_counted_five_pages_past_this_one() {
        let view = View::new("/p/x/a".into(), ACTIONS, &query("page=3&size=25"), &COLUMNS, &[]);
        assert_eq!(view.count_to(), 50 + 125);
        // The statement counts with `limit count_to + 1`: one more than the bound says there are more.
        let more = view.clone().counted_up_to(176, 25);
        assert_eq!(more.showing(), "Showing 51 to 75 of more than 175 actions.");
        assert_eq!(more.pages(), 7);
        assert!(more.has_next());
        let all = view.counted_up_to(175, 25);
        assert_eq!(all.showing(), "Showing 51 to 75 of 175 actions.");
    }

    #[test]
    fn searches_match_their_own_wildcards_literally() {
        assert_eq!(like_pattern("  "), "");
        assert_eq!(like_pattern("50% of_x\\"), "%50\\% of\\_x\\\\%");
    }

    #[test]
    fn days_are_read_as_people_type_them() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 27);
        for typed in ["27/3/2026", "27 3 2026", "2026-03-27", " 27/03/2026 "] {
            assert_eq!(parse_day(typed, "the first day"), Ok(day), "{typed}");
        }
        assert_eq!(parse_day("", "the first day"), Ok(None));
        assert!(parse_day("31/2/2026", "the first day").unwrap_err().contains("the first day as a real date"));
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_neutralised() {
        for formula in ["=SUM(A1)", "+1", "-2+3", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(formula), format!("'{formula}"));
        }
        assert_eq!(neutralise("Plain text, with a comma"), "Plain text, with a comma");
    }
}
