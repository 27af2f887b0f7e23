//! Settings read from the environment, with defaults that run locally.
//! Every setting is read here, once, at start-up; nothing else reads the environment
//! (but the command line's `DATABASE_URL`, `DATA_DIR`, `SEED_DIR` and `PG_BINDIR`, read before a server exists).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Clone, Debug)]
pub struct Config {
    /// Where the server listens: `BIND` (default 127.0.0.1) and `PORT` (default 8080).
    pub listen: SocketAddr,
    /// Mark the session cookie `Secure`: set `COOKIE_SECURE=true` behind TLS.
    pub cookie_secure: bool,
    /// Where GOV.UK Frontend and the compiled stylesheet are found (`STATIC_DIR`, `NODE_MODULES_DIR`).
    pub static_dir: std::path::PathBuf,
    pub node_modules_dir: std::path::PathBuf,
    /// The address people use, for links in invitations (`PUBLIC_URL`).
    pub public_url: String,
    /// How many reverse proxies of ours stand in front (`TRUSTED_PROXIES`, default 0;
    /// `TRUST_FORWARDED_FOR=true` means 1): the client address is the entry that
    /// many places from the right of `X-Forwarded-For`, the last one our proxies wrote.
    pub trusted_proxies: usize,
    /// An S3-compatible store for uploaded files, `s3://bucket/prefix` (`STORAGE_URL`); else the folder `files_dir`.
    pub storage_url: Option<String>,
    /// Folder for uploaded files when no store is set (`FILES_DIR`, default `files` under `DATA_DIR`, else `.data/files`).
    pub files_dir: std::path::PathBuf,
    /// SMTP server for outgoing mail (`SMTP_URL`); unset, each message is written to a file in `mail_dir`.
    pub smtp_url: Option<String>,
    /// Folder for outgoing mail when no SMTP server is set (`MAIL_DIR`, default `mail` under `DATA_DIR`, else `.data/mail`).
    pub mail_dir: std::path::PathBuf,
    /// Sender of outgoing mail (`MAIL_FROM`).
    pub mail_from: String,
    /// Platform administrators and business managers must sign in with a second
    /// factor (`TWO_FACTOR_REQUIRED`, default true; the local demo, `start`,
    /// defaults to false so that its printed accounts sign in with a password).
    pub two_factor_required: bool,
    /// A separate login for serving (`APP_DATABASE_URL`); unset, connections switch to `hub_app`.
    pub app_database_url: Option<String>,
}

const DEFAULT_MAIL_FROM: &str = "Partnership Hub <no-reply@partnership-hub.invalid>";

fn flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let port: u16 = match std::env::var("PORT") {
            Ok(p) => p.parse().map_err(|_| anyhow::anyhow!("PORT must be a number, got {p:?}"))?,
            Err(_) => 8080,
        };
        let bind: IpAddr = match std::env::var("BIND") {
            Ok(b) => b.parse().map_err(|_| anyhow::anyhow!("BIND must be an IP address, got {b:?}"))?,
            Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let cookie_secure = flag("COOKIE_SECURE");
        let public_url = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{bind}:{port}")).trim_end_matches('/').to_owned();
        Ok(Self {
            listen: SocketAddr::new(bind, port),
            cookie_secure,
            static_dir: std::env::var("STATIC_DIR").unwrap_or_else(|_| "static".into()).into(),
            node_modules_dir: std::env::var("NODE_MODULES_DIR").unwrap_or_else(|_| "node_modules".into()).into(),
            public_url,
            trusted_proxies: match std::env::var("TRUSTED_PROXIES") {
                Ok(n) => n.parse().map_err(|_| anyhow::anyhow!("TRUSTED_PROXIES must be a number of proxies, got {n:?}"))?,
                Err(_) => usize::from(flag("TRUST_FORWARDED_FOR")),
            },
            storage_url: std::env::var("STORAGE_URL").ok(),
            files_dir: match (std::env::var("FILES_DIR"), std::env::var("DATA_DIR")) {
                (Ok(dir), _) => dir.into(),
                (Err(_), Ok(data)) => std::path::Path::new(&data).join("files"),
                _ => ".data/files".into(),
            },
            smtp_url: std::env::var("SMTP_URL").ok(),
            mail_dir: match (std::env::var("MAIL_DIR"), std::env::var("DATA_DIR")) {
                (Ok(dir), _) => dir.into(),
                (Err(_), Ok(data)) => std::path::Path::new(&data).join("mail"),
                _ => ".data/mail".into(),
            },
            mail_from: std::env::var("MAIL_FROM").unwrap_or_else(|_| DEFAULT_MAIL_FROM.into()),
            app_database_url: std::env::var("APP_DATABASE_URL").ok(),
            two_factor_required: match std::env::var("TWO_FACTOR_REQUIRED") {
                Ok(v) => matches!(v.as_str(), "1" | "true" | "yes"),
                Err(_) => true,
            },
        })
    }

    /// The local demo's settings: as [`Config::from_env`], but a second factor
    /// is required only when `TWO_FACTOR_REQUIRED` asks for it.
    pub fn for_demo() -> anyhow::Result<Self> {
        let mut config = Self::from_env()?;
        config.two_factor_required = flag("TWO_FACTOR_REQUIRED");
        Ok(config)
    }

    /// A configuration for tests and tools: nothing read from the environment.
    pub fn for_tests() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            cookie_secure: false,
            static_dir: "static".into(),
            node_modules_dir: "node_modules".into(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: 0,
            storage_url: None,
            files_dir: ".data/files".into(),
            smtp_url: None,
            mail_dir: ".data/mail".into(),
            mail_from: DEFAULT_MAIL_FROM.into(),
            app_database_url: None,
            two_factor_required: false,
        }
    }
}
