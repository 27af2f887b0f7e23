//! Long lists shown a page at a time, newest first: keyset pagination, so a
//! page costs the same at the first entry as at the thousandth.

use serde::Deserialize;

/// How many lines a page of a long list shows.
pub const PAGE_SIZE: i64 = 50;

/// `?before=K`: the page of lines whose key comes before K (none: the newest).
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pub before: Option<i64>,
}

impl PageQuery {
    /// The key to read before: the given one, or past every key there is.
    pub fn before(&self) -> i64 {
        self.before.unwrap_or(i64::MAX)
    }

    /// Whether this is the first page (the newest lines).
    pub fn is_first(&self) -> bool {
        self.before.is_none()
    }
}

/// One page of a list: its lines, where the next page begins, and how many there are in all.
#[derive(Debug)]
pub struct Paged<T> {
    pub lines: Vec<T>,
    /// The key the next (older) page reads before; none on the last page.
    pub next_before: Option<i64>,
    pub total: i64,
    /// Whether this is the first page (the newest lines).
    pub first: bool,
}

impl<T> Paged<T> {
    /// The page `query` asked for, from a statement that read one line more
    /// than a page (so that a next page is known without counting again).
    pub fn from_lines(query: &PageQuery, mut lines: Vec<T>, total: i64, key: impl Fn(&T) -> i64) -> Paged<T> {
        let more = lines.len() as i64 > PAGE_SIZE;
        lines.truncate(PAGE_SIZE as usize);
        let next_before = if more { lines.last().map(key) } else { None };
        Paged { lines, next_before, total, first: query.is_first() }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// `?shown=N`: how much of a list to show, for lists shown from their start
/// with a link to more (the action tracker, the people of a partnership).
#[derive(Debug, Default, Deserialize)]
pub struct ShownQuery {
    #[serde(default)]
    pub shown: Option<i64>,
}

impl ShownQuery {
    /// How many lines to read: `step` at first, more when asked, never more than a hundred steps.
    pub fn limit(&self, step: i64) -> i64 {
        self.shown.unwrap_or(step).clamp(step, 100 * step)
    }

    /// What the "show more" link asks for, when `total` is more than `shown` lines.
    pub fn more(&self, step: i64, shown: usize, total: i64) -> Option<i64> {
        (total > shown as i64).then_some(self.limit(step) + step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_read_one_line_long_knows_there_is_another() {
        let lines: Vec<i64> = (0..=PAGE_SIZE).rev().collect();
        let paged = Paged::from_lines(&PageQuery::default(), lines, 500, |n| *n);
        assert_eq!(paged.lines.len() as i64, PAGE_SIZE);
        assert_eq!(paged.next_before, Some(1));
        assert!(paged.first);
        let last = Paged::from_lines(&PageQuery { before: Some(4) }, vec![3_i64, 2, 1], 3, |n| *n);
        assert_eq!((last.lines.len(), last.next_before, last.first), (3, None, false));
        let empty = Paged::<i64>::from_lines(&PageQuery { before: Some(1) }, Vec::new(), 0, |n| *n);
        assert!(empty.is_empty() && empty.next_before.is_none());
    }

    #[test]
    fn a_list_shown_from_its_start_grows_by_steps_within_bounds() {
        let asked = |shown| ShownQuery { shown };
        assert_eq!(asked(None).limit(100), 100);
        assert_eq!(asked(Some(-5)).limit(100), 100);
        assert_eq!(asked(Some(300)).limit(100), 300);
        assert_eq!(asked(Some(i64::MAX)).limit(100), 10_000);
        assert_eq!(asked(None).more(100, 100, 230), Some(200));
        assert_eq!(asked(Some(200)).more(100, 200, 230), Some(300));
        assert_eq!(asked(Some(300)).more(100, 230, 230), None);
    }
}
