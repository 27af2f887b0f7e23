//! A fresh database per test, cloned from a migrated and seeded template,
//! and a cookie-keeping client that drives the router in process.
//!
//! The PostgreSQL server comes from `TEST_DATABASE_URL` (set by
//! `scripts/test`); without it, a private cluster is started under
//! `target/test-postgres` and left running for the next run.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use partnership_hub::AppState;
use partnership_hub::config::Config;
use partnership_hub::db::{self, Target};
use partnership_hub::roles::Role;
use sqlx::PgPool;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";

fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
            return url;
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-postgres");
        let cluster = db::cluster::LocalCluster::at(&dir, true).expect("test cluster");
        cluster.start().expect("starting the test cluster");
        cluster.url("postgres").expect("test cluster url")
    })
    .clone()
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{database}{query}")
}

/// The template every test database is copied from: migrated and seeded once
/// per test binary (an advisory lock serialises concurrent binaries).
async fn ensure_template(admin: &PgPool) {
    static READY: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let mut conn = admin.acquire().await.unwrap();
            sqlx::query("select pg_advisory_lock(424242)").execute(&mut *conn).await.unwrap();
            let fingerprint = template_fingerprint();
            let name = format!("hub_template_{fingerprint}");
            let exists: bool = sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(&name)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            if !exists {
                let building = format!("{name}_building");
                sqlx::query(&format!("drop database if exists {building}")).execute(&mut *conn).await.unwrap();
                sqlx::query(&format!("create database {building}")).execute(&mut *conn).await.unwrap();
                let pool = db::connect_owner(&Target::from_url(&with_database(&server_url(), &building)).unwrap()).await.unwrap();
                db::migrate(&pool).await.unwrap();
                sqlx::query("create extension if not exists pg_stat_statements").execute(&pool).await.unwrap();
                partnership_hub::seed::run(&pool, &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("seed")).await.unwrap();
                pool.close().await;
                sqlx::query(&format!("alter database {building} rename to {name}")).execute(&mut *conn).await.unwrap();
            }
            sqlx::query("select pg_advisory_unlock(424242)").execute(&mut *conn).await.unwrap();
        })
        .await;
}

/// Changes whenever a migration or seed file changes, so a stale template is
/// never used. Read once per run, so every test of the run agrees on it.
fn template_fingerprint() -> String {
    static FINGERPRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FINGERPRINT.get_or_init(read_fingerprint).clone()
}

fn read_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> =
        ["migrations", "seed"].iter().flat_map(|d| std::fs::read_dir(root.join(d)).unwrap().map(|e| e.unwrap().path())).collect();
    files.sort();
    let mut hasher = Sha256::new();
    for f in files {
        hasher.update(f.file_name().unwrap().as_encoded_bytes());
        hasher.update(std::fs::read(&f).unwrap());
    }
    hex::encode(&hasher.finalize()[..6])
}

pub struct TestApp {
    pub router: Router,
    /// The owner's pool: for fixtures and for checking what was written.
    pub owner: PgPool,
    /// The application's pool (role `hub_app`, bound by row-level security).
    pub app_pool: PgPool,
    /// What pages keep between views: nothing, unless [`TestApp::listen`] was called (as `serve` does).
    pub changes: Arc<partnership_hub::db::changes::Changes>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// As [`TestApp::spawn`], with settings changed from the tests' defaults.
    pub async fn spawn_with(settings: impl FnOnce(&mut Config)) -> TestApp {
        let admin_url = server_url();
        let admin = db::connect_owner(&Target::from_url(&admin_url).unwrap()).await.unwrap();
        ensure_template(&admin).await;
        let database = format!("test_{}", Uuid::new_v4().simple());
        sqlx::query(&format!("create database {database} template hub_template_{}", template_fingerprint())).execute(&admin).await.unwrap();
        admin.close().await;
        let target = Target::from_url(&with_database(&admin_url, &database)).unwrap();
        let owner = db::connect_owner(&target).await.unwrap();
        let app_pool = db::connect_app(&target, None, 5).await.unwrap();
        let mut config = Config::for_tests();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        config.static_dir = root.join("static");
        config.node_modules_dir = root.join("node_modules");
        settings(&mut config);
        let files = partnership_hub::files::local(&std::env::temp_dir().join("partnership-hub-test-files").join(&database)).unwrap();
        let changes = partnership_hub::db::changes::Changes::new();
        let router =
            partnership_hub::build_router(AppState { db: app_pool.clone(), config: Arc::new(config), files, changes: changes.clone() });
        TestApp { router, owner, app_pool, changes }
    }

    /// Hear change notices as a served instance does, so pages keep their readings; returns once heard.
    pub async fn listen(&self) {
        self.changes.listen(db::connect_listener(&self.app_pool));
        for _ in 0..500 {
            if self.changes.listening() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("change notices were not heard within five seconds");
    }

    pub async fn partnership_id(&self, slug: &str) -> Uuid {
        sqlx::query_scalar("select id from partnership where slug = $1").bind(slug).fetch_one(&self.owner).await.unwrap()
    }

    /// An account with [`PASSWORD`] and the given roles in a partnership; answers the membership id.
    pub async fn add_member(&self, email: &str, slug: &str, roles: &[Role]) -> Uuid {
        let hash = partnership_hub::auth::password::hash(PASSWORD.into()).await.unwrap();
        let user_id: Uuid = sqlx::query_scalar(
            "insert into app_user (id, email, display_name, password_hash) values ($1, $2, $3, $4)
             on conflict (email) do update set email = excluded.email returning id",
        )
        .bind(Uuid::new_v4())
        .bind(email)
        .bind(format!("Person {}", email.split('@').next().unwrap()))
        .bind(hash)
        .fetch_one(&self.owner)
        .await
        .unwrap();
        let partnership_id = self.partnership_id(slug).await;
        let membership_id = Uuid::new_v4();
        sqlx::query("insert into membership (partnership_id, id, user_id, job_title) values ($1, $2, $3, 'Test role')")
            .bind(partnership_id)
            .bind(membership_id)
            .bind(user_id)
            .execute(&self.owner)
            .await
            .unwrap();
        for role in roles {
            sqlx::query("insert into membership_role (partnership_id, membership_id, role) values ($1, $2, $3)")
                .bind(partnership_id)
                .bind(membership_id)
                .bind(role.code())
                .execute(&self.owner)
                .await
                .unwrap();
        }
        membership_id
    }

    /// Real ids of one partnership's records, to fill every `{placeholder}` of a route.
    pub async fn record_ids(&self, slug: &str) -> std::collections::HashMap<&'static str, String> {
        let pid = self.partnership_id(slug).await;
        let one = |sql: &'static str| {
            let pool = self.owner.clone();
            async move {
                let id: Uuid = sqlx::query_scalar(sql).bind(pid).fetch_one(&pool).await.unwrap();
                id.to_string()
            }
        };
        // Every partnership gets a board link here, so the link routes have a record to aim at.
        let group: Uuid = sqlx::query_scalar("select id from partnership_group where partnership_id = $1 order by sort_order limit 1")
            .bind(pid)
            .fetch_one(&self.owner)
            .await
            .unwrap();
        sqlx::query(
            "insert into board_link (partnership_id, id, board_name, group_id) values ($1, $2, 'Test board', $3) on conflict do nothing",
        )
        .bind(pid)
        .bind(Uuid::new_v4())
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        let mut ids = std::collections::HashMap::new();
        ids.insert("slug", slug.to_owned());
        ids.insert("membership_id", one("select id from membership where partnership_id = $1 limit 1").await);
        ids.insert("group_id", group.to_string());
        ids.insert("organisation_id", one("select id from organisation where partnership_id = $1 limit 1").await);
        ids.insert("link_id", one("select id from board_link where partnership_id = $1 limit 1").await);
        let (post, holder): (Uuid, Uuid) = sqlx::query_as("select post_id, id from post_holder where partnership_id = $1 limit 1")
            .bind(pid)
            .fetch_one(&self.owner)
            .await
            .unwrap();
        ids.insert("post_id", post.to_string());
        ids.insert("holder_id", holder.to_string());
        let seat: Uuid = sqlx::query_scalar("select id from group_member where partnership_id = $1 and group_id = $2 limit 1")
            .bind(pid)
            .bind(group)
            .fetch_one(&self.owner)
            .await
            .unwrap();
        ids.insert("seat_id", seat.to_string());
        // A meeting of that group, a month ahead, with one agenda item.
        let meeting = Uuid::new_v4();
        sqlx::query(
            "insert into meeting (partnership_id, id, group_id, starts_at, ends_at) values ($1, $2, $3, now() + interval '30 days', now() + interval '30 days 2 hours')",
        )
        .bind(pid)
        .bind(meeting)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        let item = Uuid::new_v4();
        sqlx::query("insert into agenda_item (partnership_id, id, meeting_id, title, purpose, status) values ($1, $2, $3, 'Budget', 'decision', 'proposed')")
            .bind(pid)
            .bind(item)
            .bind(meeting)
            .execute(&self.owner)
            .await
            .unwrap();
        let declaration = Uuid::new_v4();
        sqlx::query(
            "insert into interest_declaration (partnership_id, id, meeting_id, agenda_item_id, membership_id, nature)
             select $1, $2, $3, $4, id, 'Chairs the provider''s board' from membership where partnership_id = $1 order by id limit 1",
        )
        .bind(pid)
        .bind(declaration)
        .bind(meeting)
        .bind(item)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("declaration_id", declaration.to_string());
        // A review overseen by that group, with the child it concerns and the case.
        let review = Uuid::new_v4();
        sqlx::query(
            "insert into review (partnership_id, id, number, kind, stage, pseudonym, group_id, became_aware_on)
             values ($1, $2, 1, 'child', 'rapid_review', 'Child R', $3, current_date - 3)",
        )
        .bind(pid)
        .bind(review)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query(
            "insert into review_subject (partnership_id, id, review_id, position, full_name, date_of_birth)
             values ($1, gen_random_uuid(), $2, 1, 'Robin Example', date '2019-05-01')",
        )
        .bind(pid)
        .bind(review)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query("insert into review_case (partnership_id, review_id, circumstances) values ($1, $2, 'Found at home alone')")
            .bind(pid)
            .bind(review)
            .execute(&self.owner)
            .await
            .unwrap();
        ids.insert("review_id", review.to_string());
        // An agency asked for its involvement, with its answer and chronology: case information too.
        let request = Uuid::new_v4();
        sqlx::query(
            "insert into review_request (partnership_id, id, review_id, organisation_id, membership_id, due_on, summary)
             select $1, $2, $3, (select id from organisation where partnership_id = $1 order by name limit 1),
                    (select id from membership where partnership_id = $1 order by id limit 1), current_date + 5,
                    'The health visitor saw Robin twice'",
        )
        .bind(pid)
        .bind(request)
        .bind(review)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("request_id", request.to_string());
        let request_paper = Uuid::new_v4();
        sqlx::query(
            "insert into paper (partnership_id, id, review_request_id, title, filename, content_type, size_bytes, sha256, storage_key)
             values ($1, $2, $3, 'Health chronology', 'chronology.pdf', 'application/pdf', 10, repeat('b', 64), $4)",
        )
        .bind(pid)
        .bind(request_paper)
        .bind(request)
        .bind(format!("{pid}/papers/{request_paper}"))
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("request_paper_id", request_paper.to_string());
        let finding = Uuid::new_v4();
        sqlx::query("insert into review_finding (partnership_id, id, review_id, position, body) values ($1, $2, $3, 1, 'Share information at transfer')")
            .bind(pid)
            .bind(finding)
            .bind(review)
            .execute(&self.owner)
            .await
            .unwrap();
        ids.insert("review_finding_id", finding.to_string());
        // A Section 11 round with one standard, and the first agency's return to it (its evidence is the
        // agency's own: confidential to it, the business unit and the partners), submitted, with a
        // challenge to its rating and an evidence file.
        let round = Uuid::new_v4();
        let standard = Uuid::new_v4();
        let submitted = Uuid::new_v4();
        sqlx::query(
            "with a as (insert into assurance_round (partnership_id, id, number, kind, title, opened_on, due_on)
                        values ($1, $2, 1, 'section11', 'Section 11 self-assessment', current_date - 10, current_date + 20)),
                  s as (insert into round_standard (partnership_id, id, round_id, position, title)
                        values ($1, $3, $2, 1, 'Safer recruitment'))
             insert into round_return (partnership_id, id, round_id, organisation_id, summary)
             select $1, $4, $2, (select id from organisation where partnership_id = $1 order by name limit 1),
                    'Our own view: recruitment checks need tightening'",
        )
        .bind(pid)
        .bind(round)
        .bind(standard)
        .bind(submitted)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query(
            "insert into return_rating (partnership_id, return_id, standard_id, rating, evidence)
             values ($1, $2, $3, 'amber', 'Safer recruitment checks missed two agency staff')",
        )
        .bind(pid)
        .bind(submitted)
        .bind(standard)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query("update round_return set status = 'submitted', submitted_at = now() where partnership_id = $1 and id = $2")
            .bind(pid)
            .bind(submitted)
            .execute(&self.owner)
            .await
            .unwrap();
        let challenge = Uuid::new_v4();
        sqlx::query(
            "insert into return_challenge (partnership_id, id, return_id, standard_id, challenge)
             values ($1, $2, $3, $4, 'What evidence shows the checks are now made?')",
        )
        .bind(pid)
        .bind(challenge)
        .bind(submitted)
        .bind(standard)
        .execute(&self.owner)
        .await
        .unwrap();
        let return_paper = Uuid::new_v4();
        sqlx::query(
            "insert into paper (partnership_id, id, round_return_id, title, filename, content_type, size_bytes, sha256, storage_key)
             values ($1, $2, $3, 'Recruitment audit', 'recruitment.pdf', 'application/pdf', 10, repeat('c', 64), $4)",
        )
        .bind(pid)
        .bind(return_paper)
        .bind(submitted)
        .bind(format!("{pid}/papers/{return_paper}"))
        .execute(&self.owner)
        .await
        .unwrap();
        // A multi-agency audit commissioned by that group, in progress, with one agency and one case in its sample.
        let audit = Uuid::new_v4();
        sqlx::query(
            "with a as (insert into case_audit (partnership_id, id, number, theme, group_id, started_on)
                        values ($1, $2, 1, 'Neglect in children under five', $3, current_date - 5))
             insert into case_audit_agency (partnership_id, audit_id, organisation_id)
             select $1, $2, id from organisation where partnership_id = $1 order by name limit 1",
        )
        .bind(pid)
        .bind(audit)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query("insert into case_audit_case (partnership_id, id, audit_id, reference) values ($1, gen_random_uuid(), $2, 'Case A')")
            .bind(pid)
            .bind(audit)
            .execute(&self.owner)
            .await
            .unwrap();
        // An indicator of the data set, reviewed by that group, with a value.
        let indicator = Uuid::new_v4();
        sqlx::query(
            "with i as (insert into indicator (partnership_id, id, name, unit, frequency, target, group_id)
                        values ($1, $2, 'Re-referrals within 12 months', '%', 'quarterly', 20, $3))
             insert into indicator_value (partnership_id, indicator_id, period_start, value) values ($1, $2, date '2026-07-01', 18.5)",
        )
        .bind(pid)
        .bind(indicator)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("indicator_id", indicator.to_string());
        ids.insert("audit_id", audit.to_string());
        ids.insert("round_id", round.to_string());
        ids.insert("return_id", submitted.to_string());
        ids.insert("challenge_id", challenge.to_string());
        ids.insert("return_paper_id", return_paper.to_string());
        // A risk on the register, overseen by that group, with its first review.
        let risk = Uuid::new_v4();
        sqlx::query(
            "insert into risk (partnership_id, id, number, title, category, owner_membership_id, group_id, inherent_likelihood,
                               inherent_impact, likelihood, impact, target_likelihood, target_impact, review_on)
             select $1, $2, 1, 'Agencies do not release staff for training', 'workforce', id, $3, 4, 4, 3, 4, 2, 3, current_date + 60
             from membership where partnership_id = $1 order by id limit 1",
        )
        .bind(pid)
        .bind(risk)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query(
            "insert into risk_review (partnership_id, id, risk_id, reviewed_on, likelihood, impact, note)
             values ($1, gen_random_uuid(), $2, current_date, 3, 4, 'Recorded on the register')",
        )
        .bind(pid)
        .bind(risk)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("risk_id", risk.to_string());
        // This financial year's budget, with a line and a cash contribution.
        let year = partnership_hub::calendar::FinancialYear::containing(partnership_hub::calendar::today());
        sqlx::query(
            "with y as (insert into budget_year (partnership_id, id, starts_on) values ($1, gen_random_uuid(), $2) returning id),
                  l as (insert into budget_line (partnership_id, id, budget_year_id, category, name, amount_pennies)
                        select $1, gen_random_uuid(), y.id, 'staffing', 'Business unit', 4000000 from y)
             insert into contribution (partnership_id, id, budget_year_id, organisation_id, contributor, contributor_kind, form, amount_pennies)
             select $1, gen_random_uuid(), y.id, o.id, o.name, 'statutory_partner', 'cash', 2000000
             from y, (select id, name from organisation where partnership_id = $1 order by name limit 1) o",
        )
        .bind(pid)
        .bind(year.starts_on())
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("year", year.label());
        // A course with a session in a fortnight (its participants' link), one booking and one evaluation.
        let (course, training_session, token) = (Uuid::new_v4(), Uuid::new_v4(), format!("{0}{0}", pid.simple()));
        sqlx::query(
            "with c as (insert into course (partnership_id, id, title, level, delivery) values ($1, $2, 'Neglect: recognising it', 'foundation', 'internal')),
                  s as (insert into training_session (partnership_id, id, course_id, starts_at, ends_at, place, capacity, link_token)
                        values ($1, $3, $2, now() + interval '14 days', now() + interval '14 days 3 hours', 'Civic Offices', 20, $4)),
                  b as (insert into training_booking (partnership_id, id, session_id, participant_name, email, agency)
                        values ($1, gen_random_uuid(), $3, 'Pat Practitioner', 'pat@agency.example', 'A school'))
             insert into training_evaluation (partnership_id, id, session_id, stage, respondent, rating, comments)
             values ($1, gen_random_uuid(), $3, 'immediate', 'participant', 4, 'Clear and practical')",
        )
        .bind(pid)
        .bind(course)
        .bind(training_session)
        .bind(&token)
        .execute(&self.owner)
        .await
        .unwrap();
        // An engagement activity with children and young people, a month ago.
        let engagement = Uuid::new_v4();
        sqlx::query(
            "insert into engagement (partnership_id, id, number, voice, title, held_on, participants, findings)
             values ($1, $2, 1, 'children', 'Youth council: feeling safe', current_date - 30, 14, 'They want to know who to tell')",
        )
        .bind(pid)
        .bind(engagement)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("engagement_id", engagement.to_string());
        // A thresholds document in the library, its first version with its file, due for review in a year.
        let (document, library_version, library_paper) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        sqlx::query(
            "with d as (insert into library_document (partnership_id, id, kind, title, owner_membership_id, review_on)
                        select $1, $2, 'thresholds', 'The Right Help at the Right Time', id, current_date + 365
                        from membership where partnership_id = $1 order by id limit 1),
                  v as (insert into library_version (partnership_id, id, document_id, version, changes) values ($1, $3, $2, 1, 'First version'))
             insert into paper (partnership_id, id, library_version_id, title, filename, content_type, size_bytes, sha256, storage_key)
             values ($1, $4, $3, 'Thresholds, version 1', 'thresholds.pdf', 'application/pdf', 10, repeat('d', 64), $5)",
        )
        .bind(pid)
        .bind(document)
        .bind(library_version)
        .bind(library_paper)
        .bind(format!("{pid}/papers/{library_paper}"))
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("document_id", document.to_string());
        ids.insert("course_id", course.to_string());
        ids.insert("session_id", training_session.to_string());
        ids.insert(
            "quarter",
            format!("{}-q{}", year.label(), partnership_hub::calendar::FinancialYear::quarter_of(partnership_hub::calendar::today())),
        );
        let action = Uuid::new_v4();
        sqlx::query("insert into action_point (partnership_id, id, description, owner_name, due_on, meeting_id) values ($1, $2, 'Report back', 'Someone', current_date + 30, $3)")
            .bind(pid)
            .bind(action)
            .bind(meeting)
            .execute(&self.owner)
            .await
            .unwrap();
        ids.insert("action_id", action.to_string());
        let paper = Uuid::new_v4();
        sqlx::query(
            "insert into paper (partnership_id, id, meeting_id, title, filename, content_type, size_bytes, sha256, storage_key)
             values ($1, $2, $3, 'Budget paper', 'budget.pdf', 'application/pdf', 10, repeat('a', 64), $4)",
        )
        .bind(pid)
        .bind(paper)
        .bind(meeting)
        .bind(format!("{pid}/papers/{paper}"))
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("paper_id", paper.to_string());
        ids.insert("meeting_id", meeting.to_string());
        // An open decision of that group, with every statutory partner as a voter, a paper and a deputy.
        let decision = Uuid::new_v4();
        sqlx::query(
            "insert into decision (partnership_id, id, number, group_id, title, question, majority_vote, majority_of, reminder_working_days, closes_at, raised_by)
             select $1, $2, 1000, $3, 'Pooled budget', 'Agree the budget?', true, 'votes_cast', 2, now() + interval '10 days', m.user_id
             from membership m where m.partnership_id = $1 limit 1",
        )
        .bind(pid)
        .bind(decision)
        .bind(group)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query(
            "insert into decision_voter (partnership_id, decision_id, organisation_id, sector)
             select partnership_id, $2, id, sector from organisation where partnership_id = $1 and is_statutory_partner",
        )
        .bind(pid)
        .bind(decision)
        .execute(&self.owner)
        .await
        .unwrap();
        let decision_paper = Uuid::new_v4();
        sqlx::query(
            "insert into paper (partnership_id, id, decision_id, title, filename, content_type, size_bytes, sha256, storage_key)
             values ($1, $2, $3, 'Budget options', 'options.pdf', 'application/pdf', 10, repeat('b', 64), $4)",
        )
        .bind(pid)
        .bind(decision_paper)
        .bind(decision)
        .bind(format!("{pid}/papers/{decision_paper}"))
        .execute(&self.owner)
        .await
        .unwrap();
        let nomination = Uuid::new_v4();
        sqlx::query(
            "insert into decision_deputy (partnership_id, id, organisation_id, membership_id, decision_id, starts_on, nominated_by)
             select $1, $2, o.id, m.id, $3, current_date, m.user_id
             from membership m, organisation o where m.partnership_id = $1 and o.partnership_id = $1 and o.is_statutory_partner limit 1",
        )
        .bind(pid)
        .bind(nomination)
        .bind(decision)
        .execute(&self.owner)
        .await
        .unwrap();
        // A submitted scrutiny report with one finding and one recommendation.
        let report = Uuid::new_v4();
        let (finding, recommendation) = (Uuid::new_v4(), Uuid::new_v4());
        sqlx::query(
            "insert into scrutiny_report (partnership_id, id, author_membership_id, financial_year, quarter, title)
             select $1, $2, id, 2026, 2, 'Front door' from membership where partnership_id = $1 limit 1",
        )
        .bind(pid)
        .bind(report)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query("insert into scrutiny_report_version (partnership_id, report_id, version, summary, methods) values ($1, $2, 1, 'Summary', '{interviews}')")
            .bind(pid)
            .bind(report)
            .execute(&self.owner)
            .await
            .unwrap();
        sqlx::query("insert into scrutiny_finding (partnership_id, id, report_id, version, position, title, assurance) values ($1, $2, $3, 1, 1, 'Thresholds', 'limited')")
            .bind(pid)
            .bind(finding)
            .bind(report)
            .execute(&self.owner)
            .await
            .unwrap();
        sqlx::query(
            "insert into scrutiny_recommendation (partnership_id, id, finding_id, report_id, version, lineage_id, body, addressee_organisation_id)
             select $1, $2, $3, $4, 1, $2, 'Review thresholds', id from organisation where partnership_id = $1 and is_statutory_partner limit 1",
        )
        .bind(pid)
        .bind(recommendation)
        .bind(finding)
        .bind(report)
        .execute(&self.owner)
        .await
        .unwrap();
        sqlx::query(
            "update scrutiny_report_version set submitted_at = now(), responses_due_on = current_date + 28, filename = 'report.pdf',
                    content_type = 'application/pdf', size_bytes = 10, sha256 = repeat('c', 64), storage_key = $1::text || '/scrutiny/' || $2::text
             where partnership_id = $1 and report_id = $2",
        )
        .bind(pid)
        .bind(report)
        .execute(&self.owner)
        .await
        .unwrap();
        ids.insert("report_id", report.to_string());
        ids.insert("version", "1".to_owned());
        ids.insert("finding_id", finding.to_string());
        ids.insert("recommendation_id", recommendation.to_string());
        ids.insert("decision_id", decision.to_string());
        ids.insert("decision_paper_id", decision_paper.to_string());
        ids.insert("nomination_id", nomination.to_string());
        ids.insert("item_id", item.to_string());
        // Invitation links carry a token, not an id: one that matches no invitation.
        ids.insert("token", "0".repeat(64));
        ids
    }

    pub async fn group_id(&self, slug: &str, name: &str) -> Uuid {
        sqlx::query_scalar(
            "select g.id from partnership_group g join partnership p on p.id = g.partnership_id where p.slug = $1 and g.name = $2",
        )
        .bind(slug)
        .bind(name)
        .fetch_one(&self.owner)
        .await
        .unwrap()
    }

    /// A seat on a group linked to a member's account, so they may submit items, send apologies and read papers.
    pub async fn seat(&self, membership: Uuid, group: Uuid, person_name: &str, organisation: Option<&str>) {
        sqlx::query(
            "insert into group_member (partnership_id, id, group_id, person_name, organisation_id, membership_id, role_in_group, starts_on)
             select m.partnership_id, $1, $2, $3, (select id from organisation where partnership_id = m.partnership_id and name = $5),
                    m.id, 'member', date '2024-01-01'
             from membership m where m.id = $4",
        )
        .bind(Uuid::new_v4())
        .bind(group)
        .bind(person_name)
        .bind(membership)
        .bind(organisation)
        .execute(&self.owner)
        .await
        .unwrap();
    }

    /// How many statements this test's database has run so far, leaving out
    /// the `set role` each new pooled connection runs once (the pool opens
    /// connections when it likes, which is not the page's doing).
    pub async fn statements_run(&self) -> i64 {
        sqlx::query_scalar(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database()) and query not ilike 'set role%'",
        )
        .fetch_one(&self.owner)
        .await
        .unwrap()
    }

    /// Each statement run in this test's database so far with its calls, to tell which ones a page ran.
    pub async fn statements_by_text(&self) -> HashMap<String, i64> {
        sqlx::query_as::<_, (String, i64)>(
            "select query, sum(calls)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database()) group by query",
        )
        .fetch_all(&self.owner)
        .await
        .unwrap()
        .into_iter()
        .collect()
    }

    /// Statements that wrote (insert, update, delete) in this test's database so far.
    pub async fn writes_run(&self) -> i64 {
        sqlx::query_scalar(
            r"select coalesce(sum(calls), 0)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database())
               and query ~* '\m(insert\s+into|update\s+[a-z_.]+\s+set|delete\s+from|merge\s+into)'",
        )
        .fetch_one(&self.owner)
        .await
        .unwrap()
    }

    /// Transactions begun in this test's database so far.
    pub async fn transactions_begun(&self) -> i64 {
        sqlx::query_scalar(
            "select coalesce(sum(calls), 0)::bigint from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database()) and upper(query) like 'BEGIN%'",
        )
        .fetch_one(&self.owner)
        .await
        .unwrap()
    }

    pub async fn make_platform_admin(&self, email: &str) {
        let hash = partnership_hub::auth::password::hash(PASSWORD.into()).await.unwrap();
        sqlx::query(
            "insert into app_user (id, email, display_name, password_hash, is_platform_admin) values ($1, $2, 'Platform admin', $3, true)
             on conflict (email) do update set is_platform_admin = true",
        )
        .bind(Uuid::new_v4())
        .bind(email)
        .bind(hash)
        .execute(&self.owner)
        .await
        .unwrap();
    }

    pub fn browser(&self) -> Browser {
        Browser { router: self.router.clone(), cookies: Default::default(), csrf: None, address: "203.0.113.7".parse().unwrap() }
    }

    /// A browser already signed in as `email`.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let mut browser = self.browser();
        let response = browser.sign_in(email, PASSWORD).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "sign-in as {email} failed: {}", response.body);
        // As a browser does: follow the redirects (a person with one partnership is sent on to it), to the page that
        // carries the signed-in session's form token.
        browser.visit(response.location.as_deref().unwrap()).await;
        browser
    }

    /// The actions of the audit log, in order, each once: the copies of an
    /// account's sign-ins kept in each partnership it serves are left out.
    pub async fn audit_actions(&self) -> Vec<String> {
        sqlx::query_scalar(
            "select action from audit_log
             where not (subject_type = 'account' and partnership_id is not null and (action like 'sign\\_in%' or action = 'sign_out'))
             order by id",
        )
        .fetch_all(&self.owner)
        .await
        .unwrap()
    }
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    /// The body as sent, for downloads.
    pub bytes: Vec<u8>,
}

impl Page {
    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

/// A client that keeps the session cookie and the page's anti-forgery token,
/// as a browser would. A clone shares the session, like a second tab.
#[derive(Clone)]
pub struct Browser {
    router: Router,
    /// The cookies this browser holds, by name (the session and the visitor's form token).
    cookies: std::collections::BTreeMap<String, String>,
    csrf: Option<String>,
    pub address: std::net::IpAddr,
}

impl Browser {
    /// A meeting of a Swindon group on `day`, 10:00 to 12:00, added through its form; the meeting's address.
    pub async fn add_meeting(&mut self, group: Uuid, day: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        let path = format!("/p/swindon/groups/{group}/meetings/new");
        self.get(&path).await;
        let page = self
            .post(
                &path,
                &[
                    ("date_day", &day.day().to_string()),
                    ("date_month", &day.month().to_string()),
                    ("date_year", &day.year().to_string()),
                    ("start_time", "10:00"),
                    ("end_time", "12:00"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        page.location.unwrap()
    }

    pub async fn request(&mut self, method: Method, path: &str, form: Option<String>) -> Page {
        self.request_with(method, path, form, &[]).await
    }

    /// A GET with headers of the test's choosing (a conditional request).
    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Page {
        self.request_with(Method::GET, path, None, headers).await
    }

    async fn request_with(&mut self, method: Method, path: &str, form: Option<String>, headers: &[(&str, &str)]) -> Page {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(cookies) = self.cookie_header() {
            request = request.header(header::COOKIE, cookies);
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form)
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(self.address, 50000)));
        let response = self.router.clone().oneshot(request).await.unwrap();
        self.keep_cookies(response.headers());
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(token) = extract_csrf(&body) {
            self.csrf = Some(token);
        }
        Page { status, location, headers, body, bytes: bytes.to_vec() }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.request(Method::GET, path, None).await
    }

    /// Open a page as a browser does, following its redirects (a few at most) to the page they end at.
    pub async fn visit(&mut self, path: &str) -> Page {
        let mut page = self.get(path).await;
        for _ in 0..5 {
            match (page.status.is_redirection(), page.location.clone()) {
                (true, Some(to)) => page = self.get(&to).await,
                _ => break,
            }
        }
        page
    }

    /// Submit a form with this session's token, as the page would.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        if self.csrf.is_none() {
            self.get("/login").await;
        }
        let token = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Upload a file as a browser would: multipart, with the form token in the action's query string.
    pub async fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Page {
        self.upload_as(path, fields, "paper_file", file).await
    }

    /// Upload a file in the named field.
    pub async fn upload_as(&mut self, path: &str, fields: &[(&str, &str)], field: &str, file: (&str, &[u8])) -> Page {
        if self.csrf.is_none() {
            self.get("/login").await;
        }
        let boundary = "----partnership-hub-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n", file.0)
                .as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let uri = format!("{path}?csrf_token={}", self.csrf.clone().unwrap_or_default());
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
        if let Some(cookies) = self.cookie_header() {
            request = request.header(header::COOKIE, cookies);
        }
        let mut request = request.body(Body::from(body)).unwrap();
        request.extensions_mut().insert(ConnectInfo(SocketAddr::new(self.address, 50000)));
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page { status, location, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes: bytes.to_vec() }
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    fn keep_cookies(&mut self, headers: &axum::http::HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let Some((name, rest)) = value.split_once('=') else { continue };
            let cookie = rest.split(';').next().unwrap().to_owned();
            if value.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), cookie);
            }
        }
    }

    /// Present a cookie, as a browser that kept it (or an attacker who copied it) would.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The session cookie's value, if this browser holds one.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.get("hub_session").cloned()
    }

    /// The form token of the last page that carried one.
    pub fn csrf_token(&self) -> Option<String> {
        self.csrf.clone()
    }

    /// Replace the page's anti-forgery token, as a forged form would.
    pub fn use_token(&mut self, token: &str) {
        self.csrf = Some(token.to_owned());
    }

    /// Submit exactly these fields (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish();
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Page {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password), ("next", "/")]).await
    }
}

fn extract_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}
