//! The command line: `serve`, `migrate`, `seed`, `user add`, `start` and `demo-data`.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::Config;
use crate::db::{self, Target, cluster::LocalCluster};
use crate::roles::Role;

#[derive(Parser)]
#[command(name = "partnership-hub", version, about = "Governance for multi-agency safeguarding partnerships")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the application (production): no demo accounts are created.
    Serve,
    /// Apply database migrations.
    Migrate,
    /// Load the partnerships' arrangements from the files under seed/ (idempotent).
    Seed,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Local use: migrate, seed, create demo accounts and serve.
    Start,
    /// Generate national-scale data (partnerships `area-001`… with years of
    /// history) for benchmarks; their people have no passwords.
    DemoData {
        #[arg(long, default_value_t = 150)]
        partnerships: u32,
        #[arg(long, default_value_t = 10)]
        years: u32,
    },
    /// Run a private PostgreSQL cluster (used by the test script).
    #[command(hide = true)]
    Cluster {
        #[arg(value_parser = ["start", "stop", "url"])]
        action: String,
        #[arg(long)]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account (password read from standard input) and give it roles in a partnership.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The partnership's slug, e.g. swindon.
        #[arg(long)]
        partnership: Option<String>,
        /// A role in the partnership, e.g. business_manager; repeat for several.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// The organisation the person represents, as the partnership names it.
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long)]
        platform_admin: bool,
    },
}

impl Cli {
    pub fn run(self) -> ExitCode {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "partnership_hub=info,tower_http=warn,sqlx=warn".into()),
            )
            .init();
        let runtime = match tokio::runtime::Runtime::new() {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        match runtime.block_on(self.command.run()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }
}

/// The database every subcommand talks to: `DATABASE_URL`, or the private
/// cluster under `.data/`, started if needed.
struct Database {
    target: Target,
    /// Set when this process started the private cluster and should stop it.
    started: Option<LocalCluster>,
}

fn data_dir() -> PathBuf {
    std::env::var("DATA_DIR").unwrap_or_else(|_| ".data".into()).into()
}

impl Database {
    async fn open() -> anyhow::Result<Self> {
        if let Ok(url) = std::env::var("DATABASE_URL") {
            return Ok(Self { target: Target::from_url(&url)?, started: None });
        }
        let cluster = LocalCluster::at(&data_dir().join("postgres"), false)?;
        let started = cluster.start()?;
        let admin = db::connect_owner(&cluster.target("postgres")?).await?;
        let exists =
            sqlx::query_scalar!("select exists (select 1 from pg_database where datname = 'hub') as \"e!\"").fetch_one(&admin).await?;
        if !exists {
            sqlx::query("create database hub").execute(&admin).await?;
        }
        admin.close().await;
        Ok(Self { target: cluster.target("hub")?, started: started.then_some(cluster) })
    }

    fn close(self) -> anyhow::Result<()> {
        if let Some(cluster) = self.started {
            cluster.stop()?;
        }
        Ok(())
    }
}

impl Command {
    async fn run(self) -> anyhow::Result<()> {
        if let Command::Cluster { action, dir } = &self {
            let cluster = LocalCluster::at(dir, true)?;
            match action.as_str() {
                "start" => {
                    cluster.start()?;
                    println!("{}", cluster.url("postgres")?);
                }
                "url" => println!("{}", cluster.url("postgres")?),
                _ => cluster.stop()?,
            }
            return Ok(());
        }
        let database = Database::open().await?;
        let outcome = self.run_with(&database).await;
        database.close()?;
        outcome
    }

    async fn run_with(self, database: &Database) -> anyhow::Result<()> {
        match self {
            Command::Serve => serve(database, Config::from_env()?).await,
            Command::Migrate => {
                let pool = db::connect_owner(&database.target).await?;
                db::migrate(&pool).await?;
                println!("Migrations applied.");
                Ok(())
            }
            Command::Seed => {
                let pool = db::connect_owner(&database.target).await?;
                let files = crate::seed::run(&pool, &crate::seed::seed_dir()).await?;
                println!("Loaded {} partnerships.", files.len());
                Ok(())
            }
            Command::User(UserCommand::Add { email, name, partnership, roles, organisation, platform_admin }) => {
                let pool = db::connect_owner(&database.target).await?;
                let mut password = String::new();
                std::io::stdin().read_to_string(&mut password)?;
                let password = password.trim_end_matches(['\r', '\n']).to_owned();
                crate::auth::password::check_new(&password).map_err(anyhow::Error::msg)?;
                add_user(&pool, &email, &name, &password, partnership.as_deref(), &roles, organisation.as_deref(), platform_admin).await
            }
            Command::Start => {
                let pool = db::connect_owner(&database.target).await?;
                db::migrate(&pool).await?;
                let files = crate::seed::run(&pool, &crate::seed::seed_dir()).await?;
                let accounts_file = data_dir().join("demo-accounts.txt");
                let accounts = crate::seed::demo::create(&pool, &files, &accounts_file).await?;
                pool.close().await;
                let config = Config::for_demo()?;
                println!();
                println!("Partnership Hub is starting at http://{}", config.listen);
                println!("Sign in with any demo account; all use the password: {}", accounts.password);
                println!("  {}  (platform administrator)", crate::seed::demo::ADMIN_EMAIL);
                println!("  business-manager@swindon.example  (and <role>@<partnership>.example for every role)");
                println!("The full list of {} accounts is in {}", accounts.emails.len(), accounts_file.display());
                if config.two_factor_required {
                    println!(
                        "Two-factor sign-in is required (TWO_FACTOR_REQUIRED): business managers and the administrator set it up when they first sign in."
                    );
                } else {
                    println!(
                        "Two-factor sign-in is not required in this demo (set TWO_FACTOR_REQUIRED=true to require it, as `serve` does)."
                    );
                }
                println!("Mail is not sent: each message is written to a file in {}", config.mail_dir.display());
                println!("Press Ctrl+C to stop.");
                println!();
                serve(database, config).await
            }
            Command::DemoData { partnerships, years } => {
                let pool = db::connect_owner(&database.target).await?;
                db::migrate(&pool).await?;
                let started = std::time::Instant::now();
                let jobs = std::thread::available_parallelism().map_or(2, |n| n.get() as u32).min(4);
                let scale = crate::seed::national::Scale { partnerships, years };
                let made = crate::seed::national::generate(&pool, scale, jobs).await?;
                println!(
                    "Generated {} partnerships over {years} years in {:.0} s: {} people, {} meetings, {} decisions, {} actions, {} audit rows.",
                    made.partnerships,
                    started.elapsed().as_secs_f64(),
                    made.people,
                    made.meetings,
                    made.decisions,
                    made.actions,
                    made.audit_rows
                );
                Ok(())
            }
            Command::Cluster { .. } => unreachable!("handled before a database is opened"),
        }
    }
}

async fn serve(database: &Database, config: Config) -> anyhow::Result<()> {
    let pool = db::connect_app(&database.target, config.app_database_url.as_deref(), 16).await.context("connecting to the database")?;
    let workers = crate::worker::start(&pool, &config)?;
    let changes = crate::db::changes::Changes::new();
    changes.listen(db::connect_listener(&pool));
    let state = crate::web::AppState { db: pool, files: crate::files::from_config(&config)?, config: Arc::new(config.clone()), changes };
    let app = crate::router::build_router(state);
    let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("listening on {}", config.listen))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    workers.stop();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

#[allow(clippy::too_many_arguments)]
async fn add_user(
    pool: &sqlx::PgPool,
    email: &str,
    name: &str,
    password: &str,
    partnership: Option<&str>,
    roles: &[String],
    organisation: Option<&str>,
    platform_admin: bool,
) -> anyhow::Result<()> {
    let email = crate::email::Email::parse(email).map_err(anyhow::Error::msg)?;
    let name = crate::people::PersonName::parse(name).map_err(anyhow::Error::msg)?;
    let roles = roles
        .iter()
        .map(|r| Role::from_code(&r.replace('-', "_")).with_context(|| format!("unknown role {r:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hash = crate::auth::password::hash(password.to_owned()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tx = pool.begin().await?;
    let user_id = sqlx::query_scalar!(
        "insert into app_user (id, email, display_name, password_hash, is_platform_admin) values ($1, $2, $3, $4, $5)
         on conflict (email) do update set display_name = excluded.display_name, password_hash = excluded.password_hash,
             is_platform_admin = app_user.is_platform_admin or excluded.is_platform_admin
         returning id",
        uuid::Uuid::new_v4(),
        email.as_str(),
        name,
        hash,
        platform_admin
    )
    .fetch_one(&mut *tx)
    .await?;
    if let Some(slug) = partnership {
        anyhow::ensure!(!roles.is_empty(), "give at least one --role for the partnership");
        let partnership =
            crate::tenant::Partnership::by_slug(&mut tx, slug).await?.with_context(|| format!("no partnership with slug {slug:?}"))?;
        let organisation_id = match organisation {
            Some(org) => Some(
                sqlx::query_scalar!("select id from organisation where partnership_id = $1 and name = $2", partnership.id, org)
                    .fetch_optional(&mut *tx)
                    .await?
                    .with_context(|| format!("{} has no organisation named {org:?}", partnership.name))?,
            ),
            None => None,
        };
        let membership_id = sqlx::query_scalar!(
            "insert into membership (partnership_id, id, user_id, organisation_id) values ($1, $2, $3, $4)
             on conflict (partnership_id, user_id) do update set organisation_id = coalesce(excluded.organisation_id, membership.organisation_id)
             returning id",
            partnership.id,
            uuid::Uuid::new_v4(),
            user_id,
            organisation_id
        )
        .fetch_one(&mut *tx)
        .await?;
        crate::people::set_roles(&mut tx, partnership.id, membership_id, &roles).await?;
        crate::audit::Change::new("person.added", "membership")
            .in_partnership(partnership.id)
            .subject(membership_id)
            .after(serde_json::json!({ "email": email.as_str(), "roles": roles, "by": "command line" }))
            .record(&mut tx)
            .await?;
    }
    tx.commit().await?;
    println!("Account {email} is ready.");
    Ok(())
}
