//! The portal foundation's speed targets, measured against the release binary in its own process:
//!
//! 1. start-up with migrations on an empty SQLite database under 1 s (median of 5 runs);
//! 2. idle resident memory under 30 MB, after start-up and again after the login load below;
//! 3. while 16 logins hash at once, `GET /healthz` keeps its p99 latency within 5x of its p99 on
//!    the idle server, both measured in the same run.
//!
//! Run with `cargo bench --bench foundation` (about 15 s once built). Cargo builds the `anaf-portal`
//! binary with the same (release) profile and hands its path over in `CARGO_BIN_EXE_anaf-portal`.
//! Everything talks to 127.0.0.1 only. The exit code is 1 when a target is missed.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{StatusCode, redirect};

const BINARY: &str = env!("CARGO_BIN_EXE_anaf-portal");
const SESSION_COOKIE: &str = "anaf_portal_session";
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "verde-munte-cafea-2026";

const STARTUP_RUNS: usize = 5;
const STARTUP_TARGET: Duration = Duration::from_secs(1);
const RSS_TARGET_BYTES: u64 = 30_000_000;
/// Logins kept in flight during the loaded measurement.
const CONCURRENT_LOGINS: usize = 16;
/// Health probes: this many connections, each sending one request every `PROBE_INTERVAL`
/// (a monitor's pace, not a flood), `PROBES` in all, after `PROBE_WARMUP` unrecorded ones each.
const PROBE_CONNECTIONS: usize = 4;
const PROBES: usize = 2000;
const PROBE_WARMUP: usize = 25;
const PROBE_INTERVAL: Duration = Duration::from_millis(5);
/// Time for the 16 login loops to fill the hashing queue before the loaded window opens.
const LOAD_WARMUP: Duration = Duration::from_secs(2);
const LATENCY_RATIO_TARGET: f64 = 5.0;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("benchmark error: {error:#}");
            std::process::exit(2);
        }
    }
}

/// A row of the summary table.
struct Row {
    metric: String,
    value: String,
    target: String,
    pass: Option<bool>,
}

impl Row {
    fn new(metric: &str, value: String, target: &str, pass: Option<bool>) -> Row {
        Row {
            metric: metric.to_owned(),
            value,
            target: target.to_owned(),
            pass,
        }
    }
}

async fn run() -> anyhow::Result<bool> {
    anaf_portal::startup::install_crypto_provider();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("anaf-portal foundation benchmark");
    println!("  binary:  {BINARY}");
    println!(
        "  machine: {cores} cores ({}), load average before: {}",
        cpu_model(),
        load_average()
    );
    println!("  database: SQLite in a fresh temporary directory; all traffic on 127.0.0.1\n");
    let mut rows = Vec::new();

    // 1. Start-up: spawn until the first 200 from /healthz, on an empty data directory.
    let mut times = Vec::new();
    let mut server = None;
    for run in 1..=STARTUP_RUNS {
        let started = Server::start().await?;
        println!(
            "start-up run {run}: {:.1} ms",
            started.startup.as_secs_f64() * 1000.0
        );
        times.push(started.startup);
        server = Some(started); // the previous one is dropped (killed) here; the last one stays
    }
    let server = server.expect("at least one start-up run");
    times.sort();
    let median = times[times.len() / 2];
    rows.push(Row::new(
        "Start-up, empty SQLite database, migrations included (median of 5)",
        format!("{:.0} ms", median.as_secs_f64() * 1000.0),
        "< 1 s",
        Some(median < STARTUP_TARGET),
    ));

    // 2. Idle memory: after start-up and a few ordinary requests, then a quiet second.
    let client = plain_client()?;
    for path in [
        "/healthz",
        "/login",
        "/register",
        "/healthz",
        "/static/app.css",
    ] {
        for _ in 0..4 {
            client.get(server.url(path)).send().await?.bytes().await?;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = server.rss_bytes()?;
    println!("\nidle VmRSS after start-up and 20 requests: {}", mb(rss));
    rows.push(Row::new(
        "Idle resident memory (VmRSS) after start-up and 20 requests",
        mb(rss),
        "< 30 MB",
        Some(rss < RSS_TARGET_BYTES),
    ));

    // 3. Health latency, idle and while 16 logins hash at once.
    register(&client, &server).await?;
    let login = login_once(&client, &server).await?;
    println!(
        "one login on the idle server: {:.1} ms",
        login.as_secs_f64() * 1000.0
    );

    let idle_cpu_before = CpuSample::take(server.child.id())?;
    let idle = probe(&server.url("/healthz")).await?;
    let idle_cpu = CpuSample::take(server.child.id())?.since(&idle_cpu_before);
    println!(
        "\nGET /healthz, idle server: {} requests over {PROBE_CONNECTIONS} connections",
        idle.len()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let completed = Arc::new(AtomicU64::new(0));
    let login_latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut loops = Vec::new();
    for _ in 0..CONCURRENT_LOGINS {
        let client = plain_client()?;
        let base = server.url("");
        let (stop, completed, latencies) =
            (stop.clone(), completed.clone(), login_latencies.clone());
        loops.push(tokio::spawn(async move {
            let server = Target { base };
            while !stop.load(Ordering::Relaxed) {
                let took = login_once(&client, &server).await?;
                completed.fetch_add(1, Ordering::Relaxed);
                latencies.lock().expect("not poisoned").push(took);
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(LOAD_WARMUP).await;
    login_latencies.lock().expect("not poisoned").clear();
    let before = completed.load(Ordering::Relaxed);
    let cpu_before = CpuSample::take(server.child.id())?;
    let window_start = Instant::now();
    let loaded = probe(&server.url("/healthz")).await?;
    let window = window_start.elapsed();
    let cpu = CpuSample::take(server.child.id())?.since(&cpu_before);
    let logins_in_window = completed.load(Ordering::Relaxed) - before;
    let mut logins = std::mem::take(&mut *login_latencies.lock().expect("not poisoned"));
    stop.store(true, Ordering::Relaxed);
    for handle in loops {
        handle.await.context("login loop panicked")??;
    }
    println!(
        "GET /healthz, {CONCURRENT_LOGINS} logins in flight: {} requests over {:.1} s; \
         {logins_in_window} logins completed in that window",
        loaded.len(),
        window.as_secs_f64()
    );

    println!(
        "CPU during that window, in cores: portal {:.2}, benchmark client {:.2}, \
         other processes on the machine {:.2} (of {cores})",
        cpu.server, cpu.client, cpu.other
    );
    let (idle_p50, idle_p99) = (percentile(&idle, 50.0), percentile(&idle, 99.0));
    let (load_p50, load_p99) = (percentile(&loaded, 50.0), percentile(&loaded, 99.0));
    let ratio = load_p99.as_secs_f64() / idle_p99.as_secs_f64();
    let logins_per_sec = logins_in_window as f64 / window.as_secs_f64();
    logins.sort();
    rows.push(Row::new(
        "GET /healthz p50 / p99, idle server",
        format!("{} / {}", ms(idle_p50), ms(idle_p99)),
        "",
        None,
    ));
    rows.push(Row::new(
        "GET /healthz p50 / p99, 16 logins in flight",
        format!("{} / {}", ms(load_p50), ms(load_p99)),
        "",
        None,
    ));
    rows.push(Row::new(
        "GET /healthz p99 loaded / p99 idle",
        format!("{ratio:.2}x"),
        "<= 5x",
        Some(ratio <= LATENCY_RATIO_TARGET),
    ));
    rows.push(Row::new(
        "CPU busy while probing the idle server: portal / benchmark client / other processes",
        format!(
            "{:.2} / {:.2} / {:.2} cores of {cores}",
            idle_cpu.server, idle_cpu.client, idle_cpu.other
        ),
        "",
        None,
    ));
    rows.push(Row::new(
        "CPU busy while probing with 16 logins in flight: portal / benchmark client / other processes",
        format!(
            "{:.2} / {:.2} / {:.2} cores of {cores}",
            cpu.server, cpu.client, cpu.other
        ),
        "",
        None,
    ));
    rows.push(Row::new(
        "Logins completed per second (16 in flight)",
        format!("{logins_per_sec:.1}/s"),
        "",
        None,
    ));
    if !logins.is_empty() {
        rows.push(Row::new(
            "Login latency p50 / p99, 16 in flight (queueing for a hash slot)",
            format!(
                "{} / {}",
                ms(percentile(&logins, 50.0)),
                ms(percentile(&logins, 99.0))
            ),
            "",
            None,
        ));
    }

    // The same process once the logins are over: what argon2's buffers leave behind.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = server.rss_bytes()?;
    rows.push(Row::new(
        "Idle resident memory (VmRSS) after the login load, 2 s quiet",
        mb(rss_after),
        "< 30 MB",
        Some(rss_after < RSS_TARGET_BYTES),
    ));
    if let Some(path) = std::env::var_os("ANAF_BENCH_SERVER_LOG") {
        std::fs::copy(server.data_dir.path().join("server.log"), &path)?;
        println!(
            "server log of the latency run copied to {}",
            Path::new(&path).display()
        );
    }
    drop(server);

    println!("\nload average after: {}\n", load_average());
    println!("| Measurement | Value | Target | Result |");
    println!("|---|---|---|---|");
    for row in &rows {
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
    Ok(rows.iter().all(|row| row.pass != Some(false)))
}

/// The portal as a child process on a free port with an empty data directory.
struct Server {
    child: Child,
    target: Target,
    startup: Duration,
    /// Holds the database and `server.log`; removed when the server is dropped, after the
    /// process is gone.
    data_dir: tempfile::TempDir,
}

/// Where a server answers.
struct Target {
    base: String,
}

trait Url {
    fn url(&self, path: &str) -> String;
}

impl Url for Target {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Url for Server {
    fn url(&self, path: &str) -> String {
        self.target.url(path)
    }
}

impl Server {
    async fn start() -> anyhow::Result<Server> {
        let data_dir = tempfile::tempdir()?;
        let port = free_port()?;
        let log = std::fs::File::create(data_dir.path().join("server.log"))?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let health = format!("http://127.0.0.1:{port}/healthz");

        let began = Instant::now();
        let mut command = Command::new(BINARY);
        // Only our settings reach the portal; the rest of the environment (e.g. glibc's MALLOC_*
        // tunables) passes through, as it would in a deployment.
        for (name, _) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("ANAF_") || name_str == "DATABASE_URL" || name_str == "RUST_LOG"
            {
                command.env_remove(&name);
            }
        }
        let mut child = command
            .env("ANAF_PORTAL_BIND", format!("127.0.0.1:{port}"))
            .env("ANAF_PORTAL_DATA_DIR", data_dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {BINARY}"))?;
        let startup = loop {
            if let Ok(response) = client.get(&health).send().await
                && response.status() == StatusCode::OK
            {
                break began.elapsed();
            }
            if let Some(status) = child.try_wait()? {
                bail!(
                    "the server exited with {status} during start-up:\n{}",
                    server_log(data_dir.path())
                );
            }
            if began.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                bail!(
                    "no 200 from /healthz within 20 s:\n{}",
                    server_log(data_dir.path())
                );
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        Ok(Server {
            child,
            target: Target {
                base: format!("http://127.0.0.1:{port}"),
            },
            startup,
            data_dir,
        })
    }

    fn rss_bytes(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .context("no VmRSS line in /proc/<pid>/status")?;
        Ok(kib * 1024)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn server_log(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("server.log")).unwrap_or_default()
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// No cookie store, no redirects, no proxy: each login carries its own session cookie by hand.
fn plain_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Opens a form page as a new visitor: the session cookie to send back and the form's CSRF token.
async fn open_form(
    client: &reqwest::Client,
    server: &impl Url,
    path: &str,
) -> anyhow::Result<(String, String)> {
    let response = client.get(server.url(path)).send().await?;
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
        .with_context(|| format!("GET {path} set no session cookie"))?;
    let html = response.text().await?;
    let marker = "name=\"csrf_token\" value=\"";
    let start = html
        .find(marker)
        .with_context(|| format!("GET {path} has no csrf_token field"))?
        + marker.len();
    let end = html[start..].find('"').context("unterminated csrf_token")?;
    Ok((cookie, html[start..start + end].to_owned()))
}

async fn register(client: &reqwest::Client, server: &impl Url) -> anyhow::Result<()> {
    let (cookie, token) = open_form(client, server, "/register").await?;
    let response = client
        .post(server.url("/register"))
        .header(COOKIE, cookie)
        .form(&[
            ("email", EMAIL),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await?;
    if response.status() != StatusCode::SEE_OTHER {
        bail!("registration answered {}", response.status());
    }
    Ok(())
}

/// One complete login with the right password (so no failure limiter is involved): the login
/// page for a fresh session and CSRF token, then the form post, which runs one argon2 verify.
/// Returns the time the post took.
async fn login_once(client: &reqwest::Client, server: &impl Url) -> anyhow::Result<Duration> {
    let (cookie, token) = open_form(client, server, "/login").await?;
    let began = Instant::now();
    let response = client
        .post(server.url("/login"))
        .header(COOKIE, cookie)
        .form(&[
            ("email", EMAIL),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await?;
    let took = began.elapsed();
    if response.status() != StatusCode::SEE_OTHER {
        bail!("login answered {}", response.status());
    }
    Ok(took)
}

/// `PROBES` requests to `url` from `PROBE_CONNECTIONS` keep-alive connections at a steady pace;
/// each latency runs from sending the request to reading the whole body.
async fn probe(url: &str) -> anyhow::Result<Vec<Duration>> {
    let per_connection = PROBES / PROBE_CONNECTIONS;
    let mut tasks = Vec::new();
    for connection in 0..PROBE_CONNECTIONS {
        let url = url.to_owned();
        let client = plain_client()?;
        tasks.push(tokio::spawn(async move {
            // Stagger the connections so their requests interleave instead of arriving together.
            tokio::time::sleep(PROBE_INTERVAL * connection as u32 / PROBE_CONNECTIONS as u32).await;
            let mut tick = tokio::time::interval(PROBE_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut latencies = Vec::with_capacity(per_connection);
            for i in 0..PROBE_WARMUP + per_connection {
                tick.tick().await;
                let began = Instant::now();
                let response = client.get(&url).send().await?;
                let status = response.status();
                response.bytes().await?;
                let took = began.elapsed();
                if status != StatusCode::OK {
                    bail!("GET /healthz answered {status}");
                }
                if i >= PROBE_WARMUP {
                    latencies.push(took);
                }
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut all = Vec::with_capacity(PROBES);
    for task in tasks {
        all.extend(task.await.context("probe panicked")??);
    }
    all.sort();
    Ok(all)
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Cumulative CPU time (in clock ticks) of the machine, the portal and this process.
struct CpuSample {
    at: Instant,
    machine_busy: u64,
    server: u64,
    client: u64,
}

/// Cores kept busy between two samples.
struct CpuUse {
    server: f64,
    client: f64,
    other: f64,
}

impl CpuSample {
    fn take(server_pid: u32) -> anyhow::Result<CpuSample> {
        let stat = std::fs::read_to_string("/proc/stat")?;
        let fields: Vec<u64> = stat
            .lines()
            .next()
            .context("empty /proc/stat")?
            .split_whitespace()
            .skip(1)
            .filter_map(|f| f.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
        let machine_busy = fields.iter().take(8).sum::<u64>()
            - fields.get(3).copied().unwrap_or(0)
            - fields.get(4).copied().unwrap_or(0);
        Ok(CpuSample {
            at: Instant::now(),
            machine_busy,
            server: process_ticks(&server_pid.to_string())?,
            client: process_ticks("self")?,
        })
    }

    fn since(&self, earlier: &CpuSample) -> CpuUse {
        // Linux reports in USER_HZ, which is 100 on every mainstream architecture.
        let seconds = self.at.duration_since(earlier.at).as_secs_f64() * 100.0;
        let cores = |now: u64, then: u64| now.saturating_sub(then) as f64 / seconds;
        let server = cores(self.server, earlier.server);
        let client = cores(self.client, earlier.client);
        let machine = cores(self.machine_busy, earlier.machine_busy);
        CpuUse {
            server,
            client,
            other: (machine - server - client).max(0.0),
        }
    }
}

/// utime + stime of a process (all its threads), from `/proc/<pid>/stat`.
fn process_ticks(pid: &str) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may contain spaces; the fields after it are space-separated.
    let after_name = stat.rsplit_once(')').context("malformed stat")?.1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Ok(ticks(11) + ticks(12))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}
