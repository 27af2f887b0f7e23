//! Connections to PostgreSQL and the tenant context every tenant query runs in.

pub mod changes;
pub mod cluster;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgPool, Postgres, Transaction};
use std::str::FromStr;
use uuid::Uuid;

pub type Tx = Transaction<'static, Postgres>;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Where the database is: `DATABASE_URL`, or the private cluster under `.data/`.
#[derive(Clone, Debug)]
pub struct Target {
    pub options: PgConnectOptions,
}

impl Target {
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        Ok(Self { options: PgConnectOptions::from_str(url)? })
    }
}

/// A pool for migrations, seeding and administration, as the connecting (owner) role.
pub async fn connect_owner(target: &Target) -> anyhow::Result<PgPool> {
    // Loading and generating data takes long by nature: no warning for each batch.
    let options = target.options.clone().log_slow_statements(log::LevelFilter::Off, std::time::Duration::ZERO);
    Ok(PgPoolOptions::new().max_connections(4).connect_with(options).await?)
}

/// The pool the web application uses.
///
/// How long a pooled connection may have been idle before it is tried on being handed out.
const TEST_WHEN_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// Every connection switches to `hub_app`, a role that owns nothing and is not
/// a superuser, so row-level security applies even when `DATABASE_URL` names the
/// owner. `app_login` (`APP_DATABASE_URL`) logs in as a separate role instead.
pub async fn connect_app(target: &Target, app_login: Option<&str>, max_connections: u32) -> anyhow::Result<PgPool> {
    let (options, switch_role) = match app_login {
        Some(url) => (PgConnectOptions::from_str(url)?, false),
        None => (target.options.clone(), true),
    };
    // The pages read what is in memory: at the default cost of a random read
    // (4, set for spinning disks) the planner would rather scan every account
    // in the country than look up a partnership's 400 members by key. Sent at
    // connection start, so it costs no statement.
    // And no JIT compiling: the need-to-know policies make the planner's
    // estimates of a list of a few thousand rows large enough to compile the
    // statement, which then costs ten milliseconds to run in one.
    let options = options.options([("random_page_cost", "1.1"), ("jit", "off")]);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        // A connection is tried before it is handed out only when it has been idle a while: trying every one
        // (sqlx's default) is a round trip to PostgreSQL on every page, a tenth of a page view's time. One
        // in steady use that breaks fails its page, as it would had it broken a moment after the test.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= TEST_WHEN_IDLE_FOR {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if switch_role {
                    conn.execute("set role hub_app").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    ensure_row_security_applies(&pool).await?;
    Ok(pool)
}

/// A pool of one long-lived connection, on the application's settings, for hearing change notices
/// (`db::changes`): kept apart so it takes no connection from the pages.
pub fn connect_listener(app: &PgPool) -> PgPool {
    PgPoolOptions::new().max_connections(1).max_lifetime(None).idle_timeout(None).connect_lazy_with(app.connect_options().as_ref().clone())
}

/// Refuse to serve as a role that row-level security would not bind.
async fn ensure_row_security_applies(pool: &PgPool) -> anyhow::Result<()> {
    let row = sqlx::query!(
        r#"select r.rolsuper as "superuser!", r.rolbypassrls as "bypass!",
                  exists (select 1 from pg_tables t
                          where t.schemaname = 'public' and t.tableowner = current_user) as "owner!"
           from pg_roles r where r.rolname = current_user"#
    )
    .fetch_one(pool)
    .await?;
    anyhow::ensure!(
        !row.superuser && !row.bypass && !row.owner,
        "the application role must be neither superuser nor table owner (row-level security would not apply)"
    );
    Ok(())
}

pub async fn migrate(pool: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// Begin a transaction scoped to one partnership: row-level security compares
/// every tenant row with `app.partnership_id`.
pub async fn begin_tenant(pool: &PgPool, partnership_id: Uuid, user_id: Option<Uuid>) -> sqlx::Result<Tx> {
    let mut tx = pool.begin().await?;
    enter_tenant(&mut tx, partnership_id, user_id).await?;
    Ok(tx)
}

/// Put a transaction already begun into one partnership's tenant context, as
/// one person: `app_enter` also works out what they may see there (the
/// need-to-know rules, enforced by row-level security). Nobody named: only
/// what is not confidential, as on the public pages.
pub async fn enter_tenant(tx: &mut Tx, partnership_id: Uuid, user_id: Option<Uuid>) -> sqlx::Result<()> {
    sqlx::query!(r#"select count(*) as "entered!" from app_enter($1, $2)"#, partnership_id, user_id).fetch_one(&mut **tx).await?;
    Ok(())
}

/// Begin a transaction for the background sweeps: one partnership, every record in it.
pub async fn begin_system(pool: &PgPool, partnership_id: Uuid) -> sqlx::Result<Tx> {
    let mut tx = pool.begin().await?;
    sqlx::query!(r#"select count(*) as "entered!" from (select app_enter_system($1)) s"#, partnership_id).fetch_one(&mut *tx).await?;
    Ok(tx)
}

/// Begin a transaction outside any partnership, as one person: no
/// partnership's records are visible in it; `app_my_memberships()` lists
/// theirs.
pub async fn begin_personal(pool: &PgPool, user_id: Uuid) -> sqlx::Result<Tx> {
    let mut tx = pool.begin().await?;
    sqlx::query!(r#"select set_config('app.user_id', $1, true) as "user_id!""#, user_id.to_string()).fetch_one(&mut *tx).await?;
    Ok(tx)
}
