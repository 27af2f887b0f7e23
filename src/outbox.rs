//! Outgoing mail. A change writes its notifications to the `outbox` table in
//! the same transaction, so a rolled-back change sends nothing and a crash
//! loses nothing. A worker in the app sends them: each message is locked
//! (`FOR UPDATE SKIP LOCKED`, so several instances never take the same one),
//! handed to the mail server, and marked sent in that same transaction. If
//! the process dies before the server accepts a message, the lock goes with
//! it and the message is sent after restart; the one window for a second
//! copy is between the server accepting and the commit, milliseconds wide.
//!
//! With `SMTP_URL` set (e.g. `smtps://user:pass@smtp.example.org`) mail goes
//! through SMTP; without it each message is written to the log.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A message waiting in the outbox.
#[derive(Clone, Debug)]
pub struct Mail {
    pub id: i64,
    pub to_email: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
}

/// Queue a message in the caller's transaction. `dedupe_key` names the event
/// and recipient; queueing the same key again does nothing.
pub async fn enqueue(
    conn: &mut PgConnection,
    partnership_id: Option<Uuid>,
    to_email: &str,
    to_name: &str,
    subject: &str,
    body: &str,
    dedupe_key: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into outbox (partnership_id, to_email, to_name, subject, body, dedupe_key) values ($1, $2, $3, $4, $5, $6)
         on conflict (dedupe_key) do nothing",
        partnership_id,
        to_email,
        to_name,
        subject,
        body,
        dedupe_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where mail goes.
pub trait Transport: Send + Sync + 'static {
    fn send(&self, mail: &Mail) -> impl std::future::Future<Output = Result<(), String>> + Send;
}

/// For local use when no SMTP server is configured: each message is written,
/// whole, to a file of its own in `dir` (only the owner may read it), and the
/// log says only to whom and about what. A body never goes to the log: it may
/// hold an invitation's token, and its lines could pass for log lines.
pub struct FolderTransport {
    pub dir: std::path::PathBuf,
}

impl Transport for FolderTransport {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        let path = self.dir.join(format!("{:08}.txt", mail.id));
        let text = format!("To: {} <{}>\nSubject: {}\n\n{}", mail.to_name, mail.to_email, mail.subject, mail.body);
        write_private(&self.dir, &path, text.as_bytes()).map_err(|e| e.to_string())?;
        // Debug formatting escapes line breaks, so a subject cannot forge a log line.
        tracing::info!(to = ?mail.to_email, subject = ?mail.subject, file = %path.display(), "mail written to a file (no SMTP_URL)");
        Ok(())
    }
}

fn write_private(dir: &std::path::Path, path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

pub struct SmtpTransport {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpTransport {
    /// From `SMTP_URL` and `MAIL_FROM`; None when no SMTP server is set.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Option<Self>> {
        let Some(url) = config.smtp_url.as_deref() else { return Ok(None) };
        let from = &config.mail_from;
        Ok(Some(SmtpTransport {
            transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build(),
            from: from.parse().map_err(|e| anyhow::anyhow!("MAIL_FROM {from:?}: {e}"))?,
        }))
    }
}

impl Transport for SmtpTransport {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        let to: Mailbox = format!("{} <{}>", mail.to_name.replace(['<', '>', '"'], ""), mail.to_email)
            .parse()
            .or_else(|_| mail.to_email.parse())
            .map_err(|e| format!("bad recipient: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

/// Send what is due, at most `batch` messages; answers how many were sent.
pub async fn deliver_due<T: Transport>(pool: &PgPool, transport: &T, batch: i64) -> sqlx::Result<usize> {
    let mut sent = 0;
    for _ in 0..batch {
        let mut tx = pool.begin().await?;
        sqlx::query!(r#"select set_config('app.outbox_worker', 'on', true) as "on!""#).fetch_one(&mut *tx).await?;
        let Some(row) = sqlx::query!(
            "select id, to_email, to_name, subject, body, attempts from outbox
             where sent_at is null and next_attempt_at <= now()
             order by next_attempt_at, id limit 1
             for update skip locked"
        )
        .fetch_optional(&mut *tx)
        .await?
        else {
            break;
        };
        let mail = Mail { id: row.id, to_email: row.to_email, to_name: row.to_name, subject: row.subject, body: row.body };
        match transport.send(&mail).await {
            Ok(()) => {
                sqlx::query!("update outbox set sent_at = now(), attempts = attempts + 1, last_error = '' where id = $1", mail.id)
                    .execute(&mut *tx)
                    .await?;
                sent += 1;
            }
            Err(error) => {
                // Back off: 1, 2, 4 … minutes, at most a day.
                let delay_minutes = 2_i64.saturating_pow(row.attempts.clamp(0, 11) as u32).min(1440);
                tracing::warn!(id = mail.id, attempts = row.attempts + 1, %error, "mail not sent; will retry");
                sqlx::query!(
                    "update outbox set attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(mins => $3) where id = $1",
                    mail.id,
                    error.chars().take(1000).collect::<String>(),
                    delay_minutes as i32
                )
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(sent)
}

/// Run forever: deliver what is due every few seconds.
pub async fn run_worker<T: Transport>(pool: PgPool, transport: Arc<T>) {
    loop {
        match deliver_due(&pool, transport.as_ref(), 50).await {
            Ok(n) if n > 0 => tracing::info!(sent = n, "outbox delivered"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "outbox worker"),
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

#[cfg(test)]
mod folder_tests {
    use super::{FolderTransport, Mail, Transport};

    #[tokio::test]
    async fn mail_without_smtp_goes_to_a_private_file_not_the_log() {
        let dir = std::env::temp_dir().join(format!("hub-mail-{}", uuid::Uuid::new_v4()));
        let mail = Mail {
            id: 7,
            to_email: "jo@example.org".into(),
            to_name: "Jo".into(),
            subject: "You are invited".into(),
            body: "Accept: https://hub.example/invitations/SECRET-TOKEN".into(),
        };
        FolderTransport { dir: dir.clone() }.send(&mail).await.unwrap();
        let path = dir.join("00000007.txt");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("SECRET-TOKEN") && text.contains("Subject: You are invited"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
