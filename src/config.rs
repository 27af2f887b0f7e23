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

fn is_yes(value: Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true" | "yes"))
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The settings from `var`, which answers a variable's value: the
    /// environment in use, a map in tests.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let flag = |name: &str| is_yes(var(name));
        let port: u16 = match var("PORT") {
            Some(p) => p.parse().map_err(|_| anyhow::anyhow!("PORT must be a number, got {p:?}"))?,
            None => 8080,
        };
        let bind: IpAddr = match var("BIND") {
            Some(b) => b.parse().map_err(|_| anyhow::anyhow!("BIND must be an IP address, got {b:?}"))?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let cookie_secure = flag("COOKIE_SECURE");
        let public_url = var("PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}:{port}")).trim_end_matches('/').to_owned();
        Ok(Self {
            listen: SocketAddr::new(bind, port),
            cookie_secure,
            static_dir: var("STATIC_DIR").unwrap_or_else(|| "static".into()).into(),
            node_modules_dir: var("NODE_MODULES_DIR").unwrap_or_else(|| "node_modules".into()).into(),
            public_url,
            trusted_proxies: match var("TRUSTED_PROXIES") {
                Some(n) => n.parse().map_err(|_| anyhow::anyhow!("TRUSTED_PROXIES must be a number of proxies, got {n:?}"))?,
                None => usize::from(flag("TRUST_FORWARDED_FOR")),
            },
            storage_url: var("STORAGE_URL"),
            files_dir: match (var("FILES_DIR"), var("DATA_DIR")) {
                (Some(dir), _) => dir.into(),
                (None, Some(data)) => std::path::Path::new(&data).join("files"),
                _ => ".data/files".into(),
            },
            smtp_url: var("SMTP_URL"),
            mail_dir: match (var("MAIL_DIR"), var("DATA_DIR")) {
                (Some(dir), _) => dir.into(),
                (None, Some(data)) => std::path::Path::new(&data).join("mail"),
                _ => ".data/mail".into(),
            },
            mail_from: var("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            app_database_url: var("APP_DATABASE_URL"),
            two_factor_required: match var("TWO_FACTOR_REQUIRED") {
                Some(v) => is_yes(Some(v)),
                None => true,
            },
        })
    }

    /// The local demo's settings: as [`Config::from_env`], but a second factor
    /// is required only when `TWO_FACTOR_REQUIRED` asks for it.
    pub fn for_demo() -> anyhow::Result<Self> {
        let mut config = Self::from_env()?;
        config.two_factor_required = is_yes(std::env::var("TWO_FACTOR_REQUIRED").ok());
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

#[cfg(test)]
mod tests {
    use super::Config;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: std::collections::HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_vars(|name| vars.get(name).cloned()).unwrap()
    }

    #[test]
    fn uploads_and_mail_live_under_data_dir_unless_told_otherwise() {
        let c = config(&[("DATA_DIR", "/srv/hub")]);
        assert_eq!(c.files_dir, std::path::Path::new("/srv/hub/files"));
        assert_eq!(c.mail_dir, std::path::Path::new("/srv/hub/mail"));
        let c = config(&[("DATA_DIR", "/srv/hub"), ("FILES_DIR", "/mnt/papers")]);
        assert_eq!(c.files_dir, std::path::Path::new("/mnt/papers"));
        assert_eq!(config(&[]).files_dir, std::path::Path::new(".data/files"));
    }

    #[test]
    fn proxies_and_two_factor_are_read_as_the_readme_says() {
        assert_eq!(config(&[]).trusted_proxies, 0);
        assert_eq!(config(&[("TRUST_FORWARDED_FOR", "true")]).trusted_proxies, 1);
        assert_eq!(config(&[("TRUSTED_PROXIES", "2")]).trusted_proxies, 2);
        assert!(Config::from_vars(|n| (n == "TRUSTED_PROXIES").then(|| "some".to_owned())).is_err());
        assert!(config(&[]).two_factor_required, "served, a second factor is required by default");
        assert!(!config(&[("TWO_FACTOR_REQUIRED", "false")]).two_factor_required);
    }
}
