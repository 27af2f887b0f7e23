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
}
