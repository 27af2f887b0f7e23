//! A private PostgreSQL cluster for local use and tests, run from the
//! system's PostgreSQL binaries.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster's
//! directories belong to the `postgres` system user and its programs run
//! through `runuser`.

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Target;

/// Unix sockets allow about 107 bytes of path; keep well under.
const MAX_SOCKET_DIR_LEN: usize = 80;

pub struct LocalCluster {
    root: PathBuf,
    bindir: PathBuf,
    as_postgres_user: bool,
    /// Test clusters trade durability for speed.
    fast: bool,
}

impl LocalCluster {
    /// A cluster kept under `wanted` when the `postgres` user can reach it,
    /// otherwise under /var/tmp in a folder named after `wanted`.
    pub fn at(wanted: &Path, fast: bool) -> anyhow::Result<Self> {
        let as_postgres_user = nix::unistd::geteuid().is_root();
        std::fs::create_dir_all(wanted).with_context(|| format!("creating {}", wanted.display()))?;
        let wanted = wanted.canonicalize()?;
        let reachable = !as_postgres_user || ancestors_searchable_by_others(&wanted);
        let short = wanted.join("run").as_os_str().len() < MAX_SOCKET_DIR_LEN;
        let root = if reachable && short {
            wanted
        } else {
            let digest = hex::encode(&<sha2::Sha256 as sha2::Digest>::digest(wanted.as_os_str().as_encoded_bytes())[..8]);
            let fallback = PathBuf::from(format!("/var/tmp/partnership-hub-{digest}"));
            std::fs::create_dir_all(&fallback)?;
            std::fs::set_permissions(&fallback, std::fs::Permissions::from_mode(0o755))?;
            fallback
        };
        Ok(Self { root, bindir: find_bindir()?, as_postgres_user, fast })
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }
    fn socket_dir(&self) -> PathBuf {
        self.root.join("run")
    }
    fn log_file(&self) -> PathBuf {
        self.root.join("log").join("postgres.log")
    }

    /// Start the cluster (creating it first if needed); answers whether this call started it.
    pub fn start(&self) -> anyhow::Result<bool> {
        if self.is_running() {
            return Ok(false);
        }
        for dir in [self.socket_dir(), self.root.join("log")] {
            std::fs::create_dir_all(&dir)?;
            self.hand_to_postgres(&dir)?;
        }
        if !self.data_dir().join("PG_VERSION").exists() {
            std::fs::create_dir_all(self.data_dir())?;
            self.hand_to_postgres(&self.data_dir())?;
            let data = self.data_dir();
            let mut args = vec![
                "-D",
                path_str(&data)?,
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                // Text sorts by code point under C.UTF-8 as under C, but C compares bytes rather than calling the C
                // library's collation: a page's lists sorted by name cost less (see README, production).
                "--lc-collate=C",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ];
            if self.fast {
                args.push("--no-sync");
            }
            self.run("initdb", &args).context("initdb failed")?;
        }
        let port = free_port()?;
        let mut server_options = format!("-k {} -p {port} -c listen_addresses=127.0.0.1", path_str(&self.socket_dir())?);
        if self.fast {
            // pg_stat_statements lets tests count the statements a page runs; room
            // for every test database's statements, so that none is evicted mid-count.
            server_options.push_str(
                " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=100000",
            );
        }
        let (data, log) = (self.data_dir(), self.log_file());
        self.run("pg_ctl", &["-D", path_str(&data)?, "-l", path_str(&log)?, "-w", "-t", "30", "-o", &server_options, "start"])
            .with_context(|| format!("pg_ctl start failed; see {}", log.display()))?;
        Ok(true)
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        if !self.is_running() {
            return Ok(());
        }
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", path_str(&data)?, "-m", "fast", "-w", "stop"])
    }

    fn is_running(&self) -> bool {
        let data = self.data_dir();
        data.join("postmaster.pid").exists() && path_str(&data).map(|d| self.run_quiet("pg_ctl", &["-D", d, "status"])).unwrap_or(false)
    }

    /// The port the running server listens on, from its `postmaster.pid`.
    pub fn port(&self) -> anyhow::Result<u16> {
        let pid_file = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).context("the cluster is not running")?;
        pid_file.lines().nth(3).and_then(|l| l.trim().parse().ok()).context("postmaster.pid has no port")
    }

    /// Connection to `database` as the cluster's superuser, over the Unix socket.
    pub fn target(&self, database: &str) -> anyhow::Result<Target> {
        Ok(Target { options: PgConnectOptions::new().socket(self.socket_dir()).port(self.port()?).username("postgres").database(database) })
    }

    /// The same as a URL, for tools such as `psql` and the tests.
    pub fn url(&self, database: &str) -> anyhow::Result<String> {
        Ok(format!("postgres://postgres@localhost:{}/{database}?host={}", self.port()?, self.socket_dir().display()))
    }

    fn hand_to_postgres(&self, dir: &Path) -> anyhow::Result<()> {
        if self.as_postgres_user {
            let user =
                nix::unistd::User::from_name("postgres")?.context("there is no `postgres` system user: install the postgresql package")?;
            nix::unistd::chown(dir, Some(user.uid), Some(user.gid))?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        Ok(())
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let binary = self.bindir.join(program);
        let mut command = if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(binary);
            c
        } else {
            Command::new(binary)
        };
        command.args(args).current_dir("/");
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let output = self.command(program, args).output().with_context(|| format!("running {program}"))?;
        if !output.status.success() {
            bail!(
                "{program} exited with {}: {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    fn run_quiet(&self, program: &str, args: &[&str]) -> bool {
        self.command(program, args).output().map(|o| o.status.success()).unwrap_or(false)
    }
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str().with_context(|| format!("path is not UTF-8: {}", path.display()))
}

/// The directory with `initdb` and `pg_ctl`: `PG_BINDIR`, Debian's newest
/// `/usr/lib/postgresql/<version>/bin`, or whatever is on `PATH`.
fn find_bindir() -> anyhow::Result<PathBuf> {
    if let Ok(dir) = std::env::var("PG_BINDIR") {
        return Ok(dir.into());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").exists() && dir.join("pg_ctl").exists())
        .context("PostgreSQL's initdb and pg_ctl were not found: install the postgresql package or set PG_BINDIR")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// Whether another user (here `postgres`) can pass through every folder above `path`.
fn ancestors_searchable_by_others(path: &Path) -> bool {
    path.ancestors().skip(1).all(|dir| std::fs::metadata(dir).map(|m| m.permissions().mode() & 0o001 != 0).unwrap_or(false))
}
