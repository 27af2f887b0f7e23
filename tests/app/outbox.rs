use axum::http::StatusCode;
use partnership_hub::outbox::{self, Mail, Transport};
use partnership_hub::roles::Role;
use std::sync::{Arc, Mutex};

use crate::harness::TestApp;

/// Accepts mail into a list, and optionally panics at the nth message, as a crash would.
struct Recording {
    accepted: Arc<Mutex<Vec<i64>>>,
    crash_at: Option<usize>,
    seen: Mutex<usize>,
}

impl Recording {
    fn new(accepted: Arc<Mutex<Vec<i64>>>, crash_at: Option<usize>) -> Self {
        Recording { accepted, crash_at, seen: Mutex::new(0) }
    }
}

impl Transport for Recording {
    async fn send(&self, mail: &Mail) -> Result<(), String> {
        let n = {
            let mut seen = self.seen.lock().unwrap();
            *seen += 1;
            *seen
        };
        if self.crash_at == Some(n) {
            panic!("the process dies before the mail server accepts message {}", mail.id);
        }
        tokio::task::yield_now().await;
        self.accepted.lock().unwrap().push(mail.id);
        Ok(())
    }
}

struct Refusing;

impl Transport for Refusing {
    async fn send(&self, _: &Mail) -> Result<(), String> {
        Err("451 try again later".into())
    }
}

async fn queue(app: &TestApp, n: usize) {
    for i in 0..n {
        sqlx::query("insert into outbox (to_email, subject, body, dedupe_key) values ($1, 'Test', 'Body', $2)")
            .bind(format!("person{i}@example.org"))
            .bind(format!("test:{i}"))
            .execute(&app.owner)
            .await
            .unwrap();
    }
}

fn assert_each_once(accepted: &[i64], expected: usize) {
    let mut ids = accepted.to_vec();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, ids.len(), "a message was sent twice: {accepted:?}");
    assert_eq!(ids.len(), expected, "every message was sent");
}

#[tokio::test]
async fn two_instances_delivering_at_once_send_each_message_once() {
    let app = TestApp::spawn().await;
    queue(&app, 40).await;
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let (a, b) = (Recording::new(accepted.clone(), None), Recording::new(accepted.clone(), None));
    let (pool_a, pool_b) = (app.app_pool.clone(), app.app_pool.clone());
    let (ra, rb) = tokio::join!(outbox::deliver_due(&pool_a, &a, 100), outbox::deliver_due(&pool_b, &b, 100));
    assert_eq!(ra.unwrap() + rb.unwrap(), 40);
    assert_each_once(&accepted.lock().unwrap(), 40);
    let unsent: i64 = sqlx::query_scalar("select count(*) from outbox where sent_at is null").fetch_one(&app.owner).await.unwrap();
    assert_eq!(unsent, 0);
}

#[tokio::test]
async fn mail_is_delivered_exactly_once_across_a_crash_and_restart() {
    let app = TestApp::spawn().await;
    queue(&app, 12).await;
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let crashing = Recording::new(accepted.clone(), Some(5));
    let pool = app.app_pool.clone();
    let crashed = tokio::spawn(async move { outbox::deliver_due(&pool, &crashing, 100).await }).await;
    assert!(crashed.is_err(), "the worker died mid-way");
    assert_eq!(accepted.lock().unwrap().len(), 4, "four were sent before the crash");

    // A dead process's connections close, and its row locks go with them. Here
    // the task's connection went back to the pool with its rollback pending
    // until next used: use every pooled connection once, at once.
    let mut held = Vec::new();
    for _ in 0..app.app_pool.options().get_max_connections() {
        let mut conn = app.app_pool.acquire().await.unwrap();
        sqlx::Connection::ping(&mut *conn).await.unwrap();
        held.push(conn);
    }
    drop(held);

    // The restarted worker sends the rest, including the one that was in flight.
    let restarted = Recording::new(accepted.clone(), None);
    assert_eq!(outbox::deliver_due(&app.app_pool, &restarted, 100).await.unwrap(), 8);
    assert_each_once(&accepted.lock().unwrap(), 12);
}

#[tokio::test]
async fn a_refused_message_is_retried_later_not_at_once() {
    let app = TestApp::spawn().await;
    queue(&app, 1).await;
    assert_eq!(outbox::deliver_due(&app.app_pool, &Refusing, 10).await.unwrap(), 0);
    let (attempts, error, later): (i32, String, bool) =
        sqlx::query_as("select attempts, last_error, next_attempt_at > now() from outbox").fetch_one(&app.owner).await.unwrap();
    assert_eq!((attempts, error.as_str(), later), (1, "451 try again later", true));
    let accepted = Arc::new(Mutex::new(Vec::new()));
    assert_eq!(outbox::deliver_due(&app.app_pool, &Recording::new(accepted.clone(), None), 10).await.unwrap(), 0, "not due yet");
}

#[tokio::test]
async fn changes_queue_their_mail_in_the_same_transaction_once() {
    let app = TestApp::spawn().await;
    app.add_member("bm@swindon.example", "swindon", &[Role::BusinessManager]).await;
    let nurse = app.add_member("nurse@swindon.example", "swindon", &[Role::DelegatedSafeguardingPartner]).await;
    let executive = app.group_id("swindon", "Swindon Safeguarding Executive").await;
    app.seat(nurse, executive, "Executive Nurse", None).await;
    let mut browser = app.signed_in("bm@swindon.example").await;

    // A new person gets their invitation by mail.
    browser.get("/p/swindon/people/new").await;
    browser.post("/p/swindon/people/new", &[("name", "New Person"), ("email", "new@swindon.example"), ("roles", "viewer")]).await;
    let invitation: String =
        sqlx::query_scalar("select body from outbox where to_email = 'new@swindon.example'").fetch_one(&app.owner).await.unwrap();
    assert!(invitation.contains("/invitations/"), "{invitation}");

    // Circulating papers and cancelling tell the group's members once each, however often clicked.
    let day = partnership_hub::calendar::working_days_after(partnership_hub::calendar::today(), 15);
    let meeting = browser.add_meeting(executive, day).await;
    for _ in 0..2 {
        browser.post(&format!("{meeting}/circulate"), &[]).await;
        browser.post(&format!("{meeting}/cancel"), &[("reason", "No quorum expected")]).await;
    }
    let to_nurse: Vec<String> = sqlx::query_scalar("select subject from outbox where to_email = 'nurse@swindon.example' order by id")
        .fetch_all(&app.owner)
        .await
        .unwrap();
    assert_eq!(to_nurse.len(), 2, "{to_nurse:?}");
    assert!(to_nurse[0].starts_with("Papers: Swindon Safeguarding Executive"));
    assert!(to_nurse[1].starts_with("Cancelled: Swindon Safeguarding Executive"));

    // A change refused for bad input queues nothing.
    let before: i64 = sqlx::query_scalar("select count(*) from outbox").fetch_one(&app.owner).await.unwrap();
    let bad = browser.post("/p/swindon/people/new", &[("name", "No Email"), ("email", "nope"), ("roles", "viewer")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let after: i64 = sqlx::query_scalar("select count(*) from outbox").fetch_one(&app.owner).await.unwrap();
    assert_eq!(before, after);
}
