//! Settings read from the environment, with defaults that run locally.

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
        let cookie_secure = matches!(std::env::var("COOKIE_SECURE").as_deref(), Ok("1" | "true" | "yes"));
        let public_url = std::env::var("PUBLIC_URL").unwrap_or_else(|_| format!("http://{bind}:{port}")).trim_end_matches('/').to_owned();
        Ok(Self {
            listen: SocketAddr::new(bind, port),
            cookie_secure,
            static_dir: std::env::var("STATIC_DIR").unwrap_or_else(|_| "static".into()).into(),
            node_modules_dir: std::env::var("NODE_MODULES_DIR").unwrap_or_else(|_| "node_modules".into()).into(),
            public_url,
        })
    }

    /// A configuration for tests and tools: nothing read from the environment.
    pub fn for_tests() -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            cookie_secure: false,
            static_dir: "static".into(),
            node_modules_dir: "node_modules".into(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
