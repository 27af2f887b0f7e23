//! What a page may keep between views, and when it must read again.
//!
//! A page that draws on every area of a partnership (the home page's "what
//! needs you now") costs more to read than the rest together, and reads the
//! same until someone writes. So it may keep its reading here, for one
//! partnership, until any record of that partnership changes:
//!
//! - every write statement on a partnership's tables notifies `hub_changed`
//!   (a trigger, migration 53), delivered at commit to every instance, which
//!   moves that partnership's generation on (or every partnership's, for a
//!   write made outside one);
//! - this instance's own writes move it on as soon as their response is made
//!   ([`Changes::note_write`]), so the page after a form never waits for the
//!   notice;
//! - nothing is kept while the notices are not being heard (before the
//!   listener is connected, or after it lost its connection: everything is
//!   dropped then), and nothing is kept longer than [`KEEP_FOR`], for what
//!   changes with the clock alone (a deadline passing).
//!
//! A reading is kept under the generation seen *before* it was read: a write
//! committed while it was being read moves the generation on, so the reading
//! is never served.

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The channel the trigger notifies.
pub const CHANNEL: &str = "hub_changed";
/// The longest a reading is kept, changes or none.
pub const KEEP_FOR: Duration = Duration::from_secs(60);
/// Readings kept at most; past it, all are dropped (each is a few kilobytes).
const MOST_KEPT: usize = 20_000;

#[derive(Default)]
pub struct Changes {
    listening: AtomicBool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Moves on for a change in every partnership.
    epoch: u64,
    generations: HashMap<Uuid, u64>,
    /// The partnerships kept readings belong to, by the slug their addresses carry.
    slugs: HashMap<String, Uuid>,
    kept: HashMap<(Uuid, String), Kept>,
}

struct Kept {
    seen: Seen,
    /// When its reading began.
    at: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Seen {
    epoch: u64,
    generation: u64,
}

/// Where a partnership's records stood when a reading began.
pub struct Mark {
    partnership: Uuid,
    seen: Seen,
    at: Instant,
}

impl State {
    fn seen(&self, partnership: Uuid) -> Seen {
        Seen { epoch: self.epoch, generation: self.generations.get(&partnership).copied().unwrap_or(0) }
    }

    fn changed(&mut self, partnership: Option<Uuid>) {
        match partnership {
            Some(id) => {
                *self.generations.entry(id).or_insert(0) += 1;
                self.kept.retain(|(kept_for, _), _| *kept_for != id);
            }
            None => {
                self.epoch += 1;
                self.kept.clear();
            }
        }
    }
}

impl Changes {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain counters behind: carry on with them.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What was kept under `key` for `partnership`, if nothing there has changed since.
    pub fn kept<T: Any + Send + Sync>(&self, partnership: Uuid, key: &str) -> Option<Arc<T>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state();
        let seen = state.seen(partnership);
        let kept = state.kept.get(&(partnership, key.to_owned()))?;
        if kept.seen != seen || kept.at.elapsed() >= KEEP_FOR {
            return None;
        }
        kept.value.clone().downcast::<T>().ok()
    }

    /// Taken before reading what is to be kept; `None` while changes cannot be heard (keep nothing).
    pub fn mark(&self, partnership: Uuid) -> Option<Mark> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        Some(Mark { partnership, seen: self.state().seen(partnership), at: Instant::now() })
    }

    /// Keep a reading begun at `mark`, unless the partnership changed meanwhile. It is not served after [`KEEP_FOR`].
    pub fn keep<T: Any + Send + Sync>(&self, mark: Mark, slug: &str, key: String, value: Arc<T>) {
        let mut state = self.state();
        if state.seen(mark.partnership) != mark.seen || !self.listening.load(Ordering::Acquire) {
            return;
        }
        if state.kept.len() >= MOST_KEPT {
            // Mostly readings past their time: start again rather than sweep.
            state.kept.clear();
        }
        state.slugs.insert(slug.to_owned(), mark.partnership);
        state.kept.insert((mark.partnership, key), Kept { seen: mark.seen, at: mark.at, value });
    }

    /// The partnership whose address carries `slug`, if a page of it was read here since the notices were first heard.
    pub fn partnership_of(&self, slug: &str) -> Option<Uuid> {
        self.state().slugs.get(slug).copied()
    }

    /// Learn which partnership `slug` names, so that a reading of it can be marked before it is read.
    pub fn learn_slug(&self, slug: &str, partnership: Uuid) {
        let mut state = self.state();
        if state.slugs.get(slug) != Some(&partnership) {
            state.slugs.insert(slug.to_owned(), partnership);
        }
    }

    /// Something changed in `partnership` (`None`: perhaps in any).
    pub fn changed(&self, partnership: Option<Uuid>) {
        self.state().changed(partnership);
    }

    /// This instance wrote: a form posted under `/p/{slug}/`, or (`None`) anywhere else.
    pub fn note_write(&self, slug: Option<&str>) {
        let mut state = self.state();
        match slug {
            Some(slug) => {
                // A partnership none of whose pages are kept has nothing to drop.
                if let Some(id) = state.slugs.get(slug).copied() {
                    state.changed(Some(id));
                }
            }
            None => state.changed(None),
        }
    }

    /// Hear the notices for as long as the process runs, reconnecting when the connection is lost.
    pub fn listen(self: &Arc<Self>, pool: PgPool) -> tokio::task::JoinHandle<()> {
        let changes = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match changes.hear(&pool).await {
                    Ok(()) => tracing::warn!("lost the connection for change notices; reconnecting"),
                    Err(error) => tracing::warn!(%error, "cannot hear change notices; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    }

    async fn hear(&self, pool: &PgPool) -> sqlx::Result<()> {
        let result = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(CHANNEL).await?;
            // Whatever was kept before now was kept unheard.
            self.changed(None);
            self.listening.store(true, Ordering::Release);
            while let Some(notice) = listener.try_recv().await? {
                self.changed(notice.payload().parse().ok());
            }
            Ok(())
        }
        .await;
        self.listening.store(false, Ordering::Release);
        self.changed(None);
        result
    }

    /// Whether notices are being heard (and so readings kept).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heard() -> Arc<Changes> {
        let changes = Changes::new();
        changes.listening.store(true, Ordering::Release);
        changes
    }

    #[tokio::test]
    async fn a_reading_is_served_until_its_partnership_changes() {
        let changes = heard();
        let (here, elsewhere) = (Uuid::new_v4(), Uuid::new_v4());
        let mark = changes.mark(here).unwrap();
        changes.keep(mark, "here", "home".into(), Arc::new(7_u32));
        assert_eq!(changes.kept::<u32>(here, "home").as_deref(), Some(&7));
        changes.changed(Some(elsewhere));
        assert_eq!(changes.kept::<u32>(here, "home").as_deref(), Some(&7), "another partnership's change keeps it");
        changes.changed(Some(here));
        assert_eq!(changes.kept::<u32>(here, "home"), None);
    }

    #[tokio::test]
    async fn a_reading_begun_before_a_change_is_not_kept() {
        let changes = heard();
        let here = Uuid::new_v4();
        let mark = changes.mark(here).unwrap();
        changes.changed(Some(here));
        changes.keep(mark, "here", "home".into(), Arc::new(7_u32));
        assert_eq!(changes.kept::<u32>(here, "home"), None);
    }

    #[tokio::test]
    async fn a_form_posted_under_the_slug_or_anywhere_else_drops_it() {
        let changes = heard();
        let here = Uuid::new_v4();
        changes.keep(changes.mark(here).unwrap(), "here", "home".into(), Arc::new(1_u32));
        changes.note_write(Some("elsewhere"));
        assert!(changes.kept::<u32>(here, "home").is_some());
        changes.note_write(Some("here"));
        assert!(changes.kept::<u32>(here, "home").is_none());
        changes.keep(changes.mark(here).unwrap(), "here", "home".into(), Arc::new(1_u32));
        changes.note_write(None);
        assert!(changes.kept::<u32>(here, "home").is_none());
    }

    #[tokio::test]
    async fn a_reading_is_not_served_past_its_time() {
        let changes = heard();
        let here = Uuid::new_v4();
        let mut mark = changes.mark(here).unwrap();
        mark.at = Instant::now().checked_sub(KEEP_FOR).unwrap();
        changes.keep(mark, "here", "home".into(), Arc::new(1_u32));
        assert!(changes.kept::<u32>(here, "home").is_none());
    }

    #[tokio::test]
    async fn nothing_is_kept_while_changes_are_not_heard() {
        let changes = Changes::new();
        let here = Uuid::new_v4();
        assert!(changes.mark(here).is_none());
        let heard = heard();
        heard.keep(heard.mark(here).unwrap(), "here", "home".into(), Arc::new(1_u32));
        heard.listening.store(false, Ordering::Release);
        assert!(heard.kept::<u32>(here, "home").is_none());
    }
}
