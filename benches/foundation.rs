//! The portal foundation's speed targets, measured against the release binary in its own process:
//!
//! 1. start-up with migrations on an empty SQLite database under 1 s (median of 5 runs);
//! 2. idle resident memory under 30 MB, after start-up and again after the login load below;
//! 3. while 16 logins hash at once, `GET /healthz` keeps its p99 latency within 5x of its p99 on
//!    the idle server, both measured in the same run.
//!
//! Run with `cargo bench --bench foundation` (about 15 s once built). Cargo builds the `anaf-portal`
//! binary with the same (release) profile and hands its path over in `CARGO_BIN_EXE_anaf-portal`.
//! Everything talks to 127.0.0.1 only (the portal started by `common::Server`, sandbox mode, a
//! fresh temporary data directory each time). The exit code is 1 when a target is missed, 2 when
//! the benchmark itself could not run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

use common::{PASSWORD, Row, Server, ms, percentile, plain_client};

const SESSION_COOKIE: &str = "anaf_portal_session";
const EMAIL: &str = "bench@example.com";

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
    common::finish(run().await);
}

async fn run() -> anyhow::Result<bool> {
    common::begin("anaf-portal foundation benchmark", &[]);
    let cores = common::cores();
    let mut rows = Vec::new();

    // 1. Start-up: spawn until the first 200 from /healthz, on an empty data directory.
    let mut times = Vec::new();
    let mut server = None;
    for run in 1..=STARTUP_RUNS {
        let started = Server::start(&[]).await?;
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
    let rss = rss_bytes(server.pid())?;
    println!("\nidle VmRSS after start-up and 20 requests: {}", mb(rss));
    rows.push(Row::new(
        "Idle resident memory (VmRSS) after start-up and 20 requests",
        mb(rss),
        "< 30 MB",
        Some(rss < RSS_TARGET_BYTES),
    ));

    // 3. Health latency, idle and while 16 logins hash at once.
    register(&client, &server.base).await?;
    let login = login_once(&client, &server.base).await?;
    println!(
        "one login on the idle server: {:.1} ms",
        login.as_secs_f64() * 1000.0
    );

    let idle_cpu_before = CpuSample::take(server.pid())?;
    let idle = probe(&server.url("/healthz")).await?;
    let idle_cpu = CpuSample::take(server.pid())?.since(&idle_cpu_before);
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
        let base = server.base.clone();
        let (stop, completed, latencies) =
            (stop.clone(), completed.clone(), login_latencies.clone());
        loops.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let took = login_once(&client, &base).await?;
                completed.fetch_add(1, Ordering::Relaxed);
                latencies.lock().expect("not poisoned").push(took);
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(LOAD_WARMUP).await;
    login_latencies.lock().expect("not poisoned").clear();
    let before = completed.load(Ordering::Relaxed);
    let cpu_before = CpuSample::take(server.pid())?;
    let window_start = Instant::now();
    let loaded = probe(&server.url("/healthz")).await?;
    let window = window_start.elapsed();
    let cpu = CpuSample::take(server.pid())?.since(&cpu_before);
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
    let rss_after = rss_bytes(server.pid())?;
    rows.push(Row::new(
        "Idle resident memory (VmRSS) after the login load, 2 s quiet",
        mb(rss_after),
        "< 30 MB",
        Some(rss_after < RSS_TARGET_BYTES),
    ));
    // `ANAF_BENCH_SERVER_LOG=<file>`: the log of the latency run is the last one copied there.
    drop(server);

    println!("\nload average after: {}\n", common::load_average());
    Ok(common::print_table(&rows))
}

/// VmRSS of a process.
fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
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

/// Opens a form page as a new visitor: the session cookie to send back and the form's CSRF token.
async fn open_form(
    client: &reqwest::Client,
    base: &str,
    path: &str,
) -> anyhow::Result<(String, String)> {
    let response = client.get(format!("{base}{path}")).send().await?;
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
    let token = common::csrf_token(&html).with_context(|| format!("GET {path}"))?;
    Ok((cookie, token))
}

async fn register(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let (cookie, token) = open_form(client, base, "/register").await?;
    let response = client
        .post(format!("{base}/register"))
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
async fn login_once(client: &reqwest::Client, base: &str) -> anyhow::Result<Duration> {
    let (cookie, token) = open_form(client, base, "/login").await?;
    let began = Instant::now();
    let response = client
        .post(format!("{base}/login"))
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
