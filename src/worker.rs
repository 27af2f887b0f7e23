//! Background work that runs in every instance and is safe to run in several:
//! sending mail from the outbox, closing decisions past their deadline,
//! reminding partners, escalating overdue actions, and clearing expired
//! sessions. Each claims its work with row locks and dedupe keys, so two
//! instances never do the same thing twice.

use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tower_sessions::ExpiredDeletion;

use crate::config::Config;
use crate::outbox::{FolderTransport, SmtpTransport};

/// How often the governance sweep runs: deadlines are met within a minute even when nobody opens the record.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// The running background tasks; dropping them does not stop them, [`Workers::stop`] does.
pub struct Workers(Vec<JoinHandle<()>>);

impl Workers {
    pub fn stop(self) {
        self.0.iter().for_each(JoinHandle::abort);
    }
}

/// Start every background task.
pub fn start(pool: &PgPool, config: &Config) -> anyhow::Result<Workers> {
    let store = crate::auth::sessions::SessionRows::new(pool.clone());
    // Expired sessions are refused when read; this only keeps the table small. An error is logged and tried again next time.
    let sessions = tokio::spawn(async move {
        loop {
            if let Err(e) = store.delete_expired().await {
                tracing::error!(error = ?e, "deleting expired sessions");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });
    let mailer = match SmtpTransport::from_config(config)? {
        Some(smtp) => tokio::spawn(crate::outbox::run_worker(pool.clone(), Arc::new(smtp))),
        None => {
            tracing::info!(folder = %config.mail_dir.display(), "no SMTP_URL: outgoing mail is written to files in this folder");
            tokio::spawn(crate::outbox::run_worker(pool.clone(), Arc::new(FolderTransport { dir: config.mail_dir.clone() })))
        }
    };
    let sweep = tokio::spawn(sweep_forever(pool.clone()));
    Ok(Workers(vec![sessions, mailer, sweep]))
}

/// Close decisions past their deadline, send reminders, escalate overdue actions; then wait.
async fn sweep_forever(pool: PgPool) {
    loop {
        let today = crate::calendar::today();
        match crate::decisions::sweep(&pool, today).await {
            Ok(s) if s != crate::decisions::Swept::default() => {
                tracing::info!(closed = s.closed, reminders = s.reminders, "decisions swept")
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "decision sweep"),
        }
        match crate::actions::escalate_overdue(&pool, today).await {
            Ok(n) if n > 0 => tracing::info!(escalated = n, "overdue actions escalated"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "escalating overdue actions"),
        }
        tokio::time::sleep(SWEEP_EVERY).await;
    }
}
