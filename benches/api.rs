//! The REST API's speed target, measured against the release binary in its own process:
//!
//! `GET /api/v1/anaf/tokens` for a key whose user has 50 tokens sustains at least a tenth of the
//! request rate of the same list for a key whose user has none, in the same run, 32 connections
//! each, with no error responses. The yardstick pays the same key check, rate limit and query
//! round trip, so the ratio is what reading and writing 50 tokens costs. (The earlier bound,
//! "≥ 0.5× `/healthz`", was retired: see docs/benchmarks.md.)
//!
//! Run with `cargo bench --bench api` (about 30 s once built). Cargo builds the `anaf-portal`
//! binary with the same (release) profile and hands its path over in `CARGO_BIN_EXE_anaf-portal`.
//! The portal runs in sandbox mode on 127.0.0.1 (started by `common::Server`); the user and the key
//! are created with the portal's command line, the 50 tokens are minted by its simulator and saved
//! through `POST /api/v1/anaf/tokens`. The per-key rate limit is raised for the run (it is still
//! checked on every request). The exit code is 1 when the target is missed, 2 when the benchmark
//! itself could not run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Value, json};

use common::Server;

const EMAIL: &str = "bench-api@example.com";
/// The yardstick's user: an account with a key and no company.
const EMPTY_EMAIL: &str = "bench-api-empty@example.com";
const TOKENS: usize = 50;
const CONNECTIONS: usize = 32;
const WARMUP: Duration = Duration::from_secs(2);
const WINDOW: Duration = Duration::from_secs(10);
const TARGET_RATIO: f64 = 0.1;
/// A serial of the simulator's default certificates (the one with rights on 18547290).
const CERTIFICATE: &str = "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:01";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    common::finish(run().await);
}

/// A user (CLI), 50 companies where they are admin (database), a key (CLI), and 50 tokens minted
/// by the simulator and saved through the API; the key of a second user with nothing.
async fn arrange(portal: &Server) -> anyhow::Result<(String, String)> {
    common::create_user(portal.data_dir(), EMPTY_EMAIL, common::PASSWORD)?;
    let empty_key = common::create_api_key(portal.data_dir(), EMPTY_EMAIL, "bench")?;
    common::create_user(portal.data_dir(), EMAIL, common::PASSWORD)?;
    let key = common::create_api_key(portal.data_dir(), EMAIL, "bench")?;

    let cifs = common::valid_cifs(TOKENS);
    common::create_companies(
        anaf_portal::db::DatabaseUrl::Sqlite(portal.database()),
        EMAIL,
        cifs.clone(),
    )
    .await?;

    let client = reqwest::Client::new();
    for cif in &cifs {
        let minted: Value = client
            .post(portal.url("/sandbox/anaf/__sim/mint"))
            .json(&json!({"certificate_serial": CERTIFICATE, "client_id": "anaf-portal-sandbox"}))
            .send()
            .await?
            .json()
            .await?;
        common::save_minted(
            &client,
            &portal.url("/api/v1/anaf/tokens"),
            &key,
            &minted,
            cif,
        )
        .await?;
    }
    let listed: Vec<Value> = client
        .get(portal.url("/api/v1/anaf/tokens"))
        .bearer_auth(&key)
        .send()
        .await?
        .json()
        .await?;
    if listed.len() != TOKENS {
        bail!("the key's user has {} tokens, not {TOKENS}", listed.len());
    }
    Ok((key, empty_key))
}

struct Load {
    requests: u64,
    errors: u64,
    bytes: u64,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// `CONNECTIONS` loops, each on its own connection, hammer `url` for `WARMUP` + `WINDOW`; only the
/// window is counted.
async fn hammer(url: String, key: Option<String>) -> anyhow::Result<Load> {
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()?;
        let (url, key) = (url.clone(), key.clone());
        let (counting, stop) = (counting.clone(), stop.clone());
        let (requests, errors, bytes) = (requests.clone(), errors.clone(), bytes.clone());
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let mut request = client.get(&url);
                if let Some(key) = &key {
                    request = request.bearer_auth(key);
                }
                let ok = match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        response.bytes().await.map(|b| b.len() as u64).ok()
                    }
                    _ => None,
                };
                if counting.load(Ordering::Relaxed) {
                    match ok {
                        Some(n) => {
                            requests.fetch_add(1, Ordering::Relaxed);
                            bytes.fetch_add(n, Ordering::Relaxed);
                        }
                        None => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }));
    }
    tokio::time::sleep(WARMUP).await;
    counting.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(WINDOW).await;
    counting.store(false, Ordering::Relaxed);
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await?;
    }
    Ok(Load {
        requests: requests.load(Ordering::Relaxed),
        errors: errors.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
        elapsed,
    })
}

async fn run() -> anyhow::Result<bool> {
    common::begin(
        "anaf-portal REST API benchmark",
        &["load generator in this process, portal in its own"],
    );
    // The per-key rate limit raised for the run (still checked on every request); warnings only
    // in the log, as a busy deployment would run.
    let portal = Server::start(&[
        ("ANAF_PORTAL_API_RATE_LIMIT", "100000000/minute"),
        ("RUST_LOG", "warn"),
    ])
    .await?;
    let (key, empty_key) = arrange(&portal).await?;
    println!(
        "  arranged: 1 user, {TOKENS} companies, {TOKENS} tokens saved through the API (SQLite); \
         1 user with none"
    );
    println!(
        "  load: {CONNECTIONS} connections, {}s warm-up + {}s measured per endpoint",
        WARMUP.as_secs(),
        WINDOW.as_secs()
    );

    let empty = hammer(portal.url("/api/v1/anaf/tokens"), Some(empty_key)).await?;
    let api = hammer(portal.url("/api/v1/anaf/tokens"), Some(key)).await?;
    let ratio = api.rate() / empty.rate();
    let pass = ratio >= TARGET_RATIO && api.errors == 0 && empty.errors == 0;

    println!();
    println!("| endpoint | requests/s | requests | errors | mean body |");
    println!("|---|---:|---:|---:|---:|");
    for (name, load) in [
        ("GET /api/v1/anaf/tokens (no tokens)", &empty),
        ("GET /api/v1/anaf/tokens (50 tokens)", &api),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} | {} B |",
            load.rate(),
            load.requests,
            load.errors,
            load.bytes / load.requests.max(1)
        );
    }
    println!();
    println!(
        "50 tokens / none = {ratio:.2} (target >= {TARGET_RATIO}), errors: {} → {}",
        api.errors + empty.errors,
        if pass { "PASS" } else { "FAIL" }
    );
    Ok(pass)
}
