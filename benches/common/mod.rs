//! What the benchmarks share (each includes it with `mod common;`; Cargo does not take
//! `benches/common/mod.rs` for a bench target of its own): the release binary started in its own
//! process on a fresh temporary data directory (sandbox mode, a free port on 127.0.0.1), the
//! command line that creates users and API keys, HTTP helpers, valid CIFs, percentiles and the
//! summary table.
//!
//! Environment, for every bench: `ANAF_BENCH_SERVER_LOG=<file>` keeps a copy of the portal's log
//! (its standard error) when a server is stopped, also when the run fails.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::header::LOCATION;
use reqwest::{StatusCode, redirect};

/// The portal built with the bench's profile (release under `cargo bench`).
const BUILT_BINARY: &str = env!("CARGO_BIN_EXE_anaf-portal");

/// The portal binary a bench runs: this build, or the one `ANAF_BENCH_BINARY` names (to measure
/// an older build the same way).
pub fn binary() -> String {
    std::env::var("ANAF_BENCH_BINARY").unwrap_or_else(|_| BUILT_BINARY.to_owned())
}
/// A password every bench account uses (long enough for the portal's rules).
pub const PASSWORD: &str = "verde-munte-cafea-2026";
const STARTUP_LIMIT: Duration = Duration::from_secs(20);

/// Ends the process the way every bench reports: exit code 0 when all targets are met, 1 when
/// one is missed, 2 when the benchmark itself could not run.
pub fn finish(outcome: anyhow::Result<bool>) {
    match outcome {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("benchmark error: {error:#}");
            std::process::exit(2);
        }
    }
}

/// Installs the TLS crypto provider the portal's clients use and prints the title, the binary,
/// the machine (cores, CPU, load average before the run), where the data lives, then `notes`.
pub fn begin(title: &str, notes: &[&str]) {
    anaf_portal::startup::install_crypto_provider();
    println!("{title}");
    println!("  binary:  {}", binary());
    println!(
        "  machine: {} cores ({}), load average before: {}",
        cores(),
        cpu_model(),
        load_average()
    );
    println!("  database: SQLite in a fresh temporary directory; all traffic on 127.0.0.1");
    for note in notes {
        println!("  {note}");
    }
    println!();
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// No cookie store, no redirects, no proxy; a generous timeout (logins may queue for a hash).
pub fn plain_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// The portal binary on `data_dir` with none of the caller's portal settings: every `ANAF_*`
/// variable, `DATABASE_URL` and `RUST_LOG` removed (so sandbox mode, SQLite in the data
/// directory). The rest of the environment (e.g. glibc's `MALLOC_*` tunables) passes through, as
/// it would in a deployment.
pub fn portal_command(data_dir: &Path) -> Command {
    let mut command = Command::new(binary());
    for (name, _) in std::env::vars_os() {
        let name_str = name.to_string_lossy();
        if name_str.starts_with("ANAF_") || name_str == "DATABASE_URL" || name_str == "RUST_LOG" {
            command.env_remove(&name);
        }
    }
    command
        .env("ANAF_PORTAL_DATA_DIR", data_dir)
        .env("NO_COLOR", "1");
    command
}

/// The portal (`serve`) as a child process on a free port of 127.0.0.1; its log (standard error)
/// goes to `server.log` in the data directory. Killed when dropped; the data directory is removed
/// after the process is gone, unless `stop` handed it over.
pub struct Server {
    child: Child,
    pub base: String,
    /// From spawning the process to its first 200 from `/healthz`.
    pub startup: Duration,
    data_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A fresh temporary data directory (empty database, migrations run at start-up); `env` is
    /// set on top of `portal_command`'s environment.
    pub async fn start(env: &[(&str, &str)]) -> anyhow::Result<Server> {
        Server::start_in(tempfile::tempdir()?, env).await
    }

    /// The portal on an existing data directory (e.g. one a stopped server handed over).
    pub async fn start_in(
        data_dir: tempfile::TempDir,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Server> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.path().join("server.log"))?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let health = format!("http://127.0.0.1:{port}/healthz");
        let mut command = portal_command(data_dir.path());
        command.env("ANAF_PORTAL_BIND", format!("127.0.0.1:{port}"));
        for (name, value) in env {
            command.env(name, value);
        }
        let began = Instant::now();
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {}", binary()))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            startup: Duration::ZERO,
            data_dir: Some(data_dir),
        };
        loop {
            if let Ok(response) = client.get(&health).send().await
                && response.status() == StatusCode::OK
            {
                server.startup = began.elapsed();
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited with {status} during start-up:\n{}",
                    server.log()
                );
            }
            if began.elapsed() > STARTUP_LIMIT {
                bail!(
                    "no 200 from /healthz within {STARTUP_LIMIT:?}:\n{}",
                    server.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.as_ref().expect("held until stopped").path()
    }

    /// The SQLite database in the data directory.
    pub fn database(&self) -> std::path::PathBuf {
        self.data_dir().join("anaf-portal.sqlite3")
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the portal has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("server.log")).unwrap_or_default()
    }

    /// Stops the process and hands over its data directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.kill();
        self.data_dir.take().expect("held until stopped")
    }

    /// Kills the process and copies its log where `ANAF_BENCH_SERVER_LOG` says.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let (Some(path), Some(dir)) = (std::env::var_os("ANAF_BENCH_SERVER_LOG"), &self.data_dir)
        {
            let log = dir.path().join("server.log");
            if log.exists() {
                let _ = std::fs::copy(log, path);
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `anaf-portal user create --email <email> --role user` on `data_dir`, the password on stdin.
pub fn create_user(data_dir: &Path, email: &str, password: &str) -> anyhow::Result<()> {
    create_user_with(data_dir, &[], email, password)
}

/// `create_user` with `env` on top of `portal_command`'s environment (e.g. `DATABASE_URL`).
pub fn create_user_with(
    data_dir: &Path,
    env: &[(&str, &str)],
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    let mut user = portal_command(data_dir)
        .envs(env.iter().copied())
        .args(["user", "create", "--email", email, "--role", "user"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("spawning {} user create", binary()))?;
    user.stdin
        .take()
        .context("stdin")?
        .write_all(format!("{password}\n").as_bytes())?;
    let output = user.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "user create: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// `anaf-portal api-key create --email <email> --name <name>` on `data_dir`: the key it prints.
pub fn create_api_key(data_dir: &Path, email: &str, name: &str) -> anyhow::Result<String> {
    create_api_key_with(data_dir, &[], email, name)
}

/// `create_api_key` with `env` on top of `portal_command`'s environment.
pub fn create_api_key_with(
    data_dir: &Path,
    env: &[(&str, &str)],
    email: &str,
    name: &str,
) -> anyhow::Result<String> {
    let output = portal_command(data_dir)
        .envs(env.iter().copied())
        .args(["api-key", "create", "--email", email, "--name", name])
        .output()
        .with_context(|| format!("spawning {} api-key create", binary()))?;
    if !output.status.success() {
        bail!(
            "api-key create: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// `n` distinct 8-digit CIFs with the right check digit, one per stem from 1000001 upwards (so the
/// CIFs of stems 1000001..=1000009 are the only ones that start with "100000").
pub fn valid_cifs(n: usize) -> Vec<String> {
    (1_000_001u32..)
        .filter_map(|stem| {
            (0..10)
                .map(|check| format!("{stem}{check}"))
                .find(|candidate| anaf_portal::domain::Cif::parse(candidate).is_ok())
        })
        .take(n)
        .collect()
}

/// The value of the first `csrf_token` form field of a page.
pub fn csrf_token(html: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).context("no csrf_token field")? + marker.len();
    let end = html[start..].find('"').context("unterminated csrf_token")?;
    Ok(html[start..start + end].to_owned())
}

/// Where a redirect points.
pub fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    Ok(response
        .headers()
        .get(LOCATION)
        .context("redirect without Location")?
        .to_str()?
        .to_owned())
}

/// A row of the summary table; `pass` is `None` for figures shown for scale.
pub struct Row {
    pub metric: String,
    pub value: String,
    pub target: String,
    pub pass: Option<bool>,
}

impl Row {
    pub fn new(metric: impl Into<String>, value: String, target: &str, pass: Option<bool>) -> Row {
        Row {
            metric: metric.into(),
            value,
            target: target.to_owned(),
            pass,
        }
    }
}

/// Prints the rows as a Markdown table; true when no row failed.
pub fn print_table(rows: &[Row]) -> bool {
    println!("| Measurement | Value | Target | Result |");
    println!("|---|---|---|---|");
    for row in rows {
        let result = match row.pass {
            Some(true) => "PASS",
            Some(false) => "FAIL",
            None => "",
        };
        println!(
            "| {} | {} | {} | {result} |",
            row.metric, row.value, row.target
        );
    }
    rows.iter().all(|row| row.pass != Some(false))
}

/// Companies for `cifs`, each with `email`'s user as its admin, written straight into the
/// database at `url` (the page and the API would cost a request each).
pub async fn create_companies(
    url: anaf_portal::db::DatabaseUrl,
    email: &str,
    cifs: Vec<String>,
) -> anyhow::Result<()> {
    let email = anaf_portal::domain::Email::parse(email).map_err(|_| anyhow::anyhow!("email"))?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        use anaf_portal::db::models::{companies, users};
        let db = anaf_portal::db::Db::connect(&url)?;
        let mut conn = db.get_blocking()?;
        let user = users::find_by_email(&mut conn, &email)?.context("the bench user")?;
        for cif in &cifs {
            let cif = anaf_portal::domain::Cif::parse(cif)
                .map_err(|_| anyhow::anyhow!("invalid CIF {cif}"))?;
            companies::create_with_admin(&mut conn, &cif, Some("Firma Bench SRL"), user.id)?;
        }
        Ok(())
    })
    .await?
}

/// Stores a pair the simulator minted (its `__sim/mint` answer) for `cif` through
/// `POST /api/v1/anaf/tokens` at `endpoint`, with `key`.
pub async fn save_minted(
    http: &reqwest::Client,
    endpoint: &str,
    key: &str,
    minted: &serde_json::Value,
    cif: &str,
) -> anyhow::Result<()> {
    let response = http
        .post(endpoint)
        .bearer_auth(key)
        .json(&serde_json::json!({
            "token": minted["access_token"],
            "refreshToken": minted["refresh_token"],
            "cif": cif,
        }))
        .send()
        .await?;
    if response.status() != StatusCode::CREATED {
        bail!("saving a token: HTTP {}", response.status());
    }
    Ok(())
}
