//! The e-Factura gateway (`/efactura/{test|prod}/FCTEL/rest/{operation}` with a portal API key),
//! measured against the release binary in its own processes, with the ANAF simulator served from
//! this process (its own actix workers) as the external ANAF:
//!
//! 1. **Overhead** (SQLite, one portal): 64 concurrent clients, rounds that alternate between
//!    the simulator called directly with a token and the same call through the gateway with a
//!    key. A) `listaMesajePaginatieFactura` for a CIF with 50 messages: the gateway adds at most
//!    1 ms to the median and keeps at least 0.7× the direct throughput. B) `descarcare` of a
//!    message the gateway has downloaded once (so it is served from the archive) against the
//!    simulator's own `descarcare`: at least the direct throughput. Every quota is raised out of
//!    the way (the portal's budget, daily quotas and per-key rate limit, the simulator's limits).
//!    The median with a single client is shown beside it, for scale.
//! 2. **Budget held** (PostgreSQL, three portal instances on one database,
//!    `ANAF_PORTAL_ANAF_CALLS_PER_MINUTE=1000`, the simulator's own limit 1000 calls a minute):
//!    30 integrator keys, one company each, call `listaMesajePaginatieFactura` as fast as they
//!    can, spread over the instances (a 429 from the portal: sleep for its `Retry-After`, at
//!    most 1 s). The simulator sees at most 1,000 calls in every calendar minute and never
//!    answers 429; every key's successful calls are within ±15 % of the keys' mean; `/healthz`
//!    p99 on one instance during the run stays within 3× its idle p99 (measured before).
//! 3. **Streaming/memory** (SQLite, one portal): a 10 MB upload through the gateway (UBL with a
//!    10 MB embedded attachment), then the download of its result (once from ANAF, once from the
//!    archive): the portal's resident memory rises by less than 3× the file's size (peak RSS, the
//!    kernel's `VmHWM` after resetting it, and `VmRSS` sampled every 2 ms).
//!
//! Run with `cargo bench --bench gateway` (about 6 minutes, most of it phase 2). Environment:
//! `ANAF_BENCH_POSTGRES_URL=postgres://user@host:port/postgres` for phase 2 (a server where the
//! bench may create databases; without it phase 2 is reported as not run, and the bench fails,
//! as in `benches/sweep.rs`); `ANAF_BENCH_GATEWAY_SECONDS` (phase 2's length, default 180);
//! `ANAF_BENCH_GATEWAY_ROUND_SECONDS` (phase 1's rounds, default 5);
//! `ANAF_BENCH_GATEWAY_PHASES=overhead,budget,memory` (the phases to run, default all).
//! Exit code 1 when a target is missed, 2 when the bench could not run.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anaf_simulator::{InboxSeed, Simulator, SimulatorSettings, serve};
use anyhow::{Context, bail};
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::{Row, Server};

const EMAIL: &str = "bench-gateway@example.com";
const CLIENT_ID: &str = "bench-portal";
const CLIENT_SECRET: &str = "bench-portal-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/anaf/callback";
/// Certificate 01 of the simulator: SPV rights on both CIFs below.
const CERTIFICATE: &str = "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:01";
/// Certificate 01's CIFs: phase 1 lists and downloads the buyer's messages, phase 3 uploads as
/// the seller an invoice to the buyer.
const SELLER: &str = "18547290";
const BUYER: &str = "14399840";
/// A certificate phase 2 adds, with rights on its 30 companies.
const CERTIFICATE_30: &str = "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:30";
const REST: &str = "/efactura/test/FCTEL/rest";
const SIM_REST: &str = "/test/FCTEL/rest";
const CLIENTS: usize = 64;
const MESSAGES: u32 = 50;
const INTEGRATORS: usize = 30;
const INSTANCES: usize = 3;
const BUDGET: u32 = 1_000;
const UNLIMITED: &str = "100000000";
const HEALTH_EVERY: Duration = Duration::from_millis(20);
const IDLE_WINDOW: Duration = Duration::from_secs(20);
/// Just under ANAF's 10 MB (10,485,760 bytes) upload limit.
const UPLOAD_BYTES: usize = 10_400_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    common::finish(run().await);
}

fn seconds_from_env(name: &str, default: u64) -> anyhow::Result<Duration> {
    match std::env::var(name) {
        Ok(raw) if !raw.is_empty() => Ok(Duration::from_secs(
            raw.trim()
                .parse()
                .with_context(|| format!("{name}: a number of seconds"))?,
        )),
        _ => Ok(Duration::from_secs(default)),
    }
}

async fn run() -> anyhow::Result<bool> {
    anaf_portal::startup::install_crypto_provider();
    let postgres = std::env::var("ANAF_BENCH_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let phases = std::env::var("ANAF_BENCH_GATEWAY_PHASES")
        .unwrap_or_else(|_| "overhead,budget,memory".to_owned());
    let wanted = |phase: &str| phases.split(',').any(|p| p.trim() == phase);
    let budget_run = seconds_from_env("ANAF_BENCH_GATEWAY_SECONDS", 180)?;
    let round = seconds_from_env("ANAF_BENCH_GATEWAY_ROUND_SECONDS", 5)?;
    println!("e-Factura gateway");
    println!("  binary:  {}", common::binary());
    println!(
        "  machine: {} cores ({}), load average before: {}",
        common::cores(),
        common::cpu_model(),
        common::load_average()
    );
    println!("  ANAF: the simulator, served from this process on 127.0.0.1 (its own 2 workers)");
    println!(
        "  PostgreSQL: {}",
        postgres
            .as_deref()
            .map_or("not configured (ANAF_BENCH_POSTGRES_URL)", |_| "yes")
    );
    println!("  phases: {phases}");
    println!();

    let mut rows = Vec::new();
    if wanted("overhead") {
        overhead(&mut rows, round).await?;
    }
    if wanted("budget") {
        match &postgres {
            Some(url) => budget(&mut rows, url, budget_run).await?,
            None => {
                println!("Phase 2 (budget held): NOT RUN, ANAF_BENCH_POSTGRES_URL is not set\n");
                rows.push(Row::new(
                    "Budget held: 3 instances on PostgreSQL",
                    "not run: set ANAF_BENCH_POSTGRES_URL".to_owned(),
                    "run",
                    Some(false),
                ));
            }
        }
    }
    if wanted("memory") {
        memory(&mut rows).await?;
    }
    println!();
    Ok(common::print_table(&rows))
}

// ---------------------------------------------------------------------------------------------
// Shared set-up: the simulator, the portal's settings for it, companies with tokens, keys.

struct Anaf {
    simulator: Simulator,
    address: String,
    http: reqwest::Client,
}

impl Anaf {
    async fn start(settings: SimulatorSettings) -> anyhow::Result<Anaf> {
        let simulator = Simulator::new(settings)?;
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let address = format!("http://{}", listener.local_addr()?);
        tokio::spawn(serve(listener, simulator.clone())?);
        let anaf = Anaf {
            simulator,
            address,
            http: common::plain_client()?,
        };
        anaf.control(
            "clients",
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": REDIRECT_URI}),
        )
        .await?;
        Ok(anaf)
    }

    async fn control(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/__sim/{path}", self.address))
            .json(&body)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("__sim/{path}: {}", response.status());
        }
        Ok(response.json().await.unwrap_or(Value::Null))
    }

    async fn mint(&self, certificate: &str) -> anyhow::Result<Value> {
        self.control(
            "mint",
            json!({"certificate_serial": certificate, "client_id": CLIENT_ID}),
        )
        .await
    }

    /// The portal's settings for this ANAF, `extra` on top.
    fn portal_env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = [
            ("ANAF_CLIENT_ID", CLIENT_ID.to_owned()),
            ("ANAF_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("ANAF_OAUTH_URL", format!("{}/anaf-oauth2/v1", self.address)),
            ("ANAF_API_URL", self.address.clone()),
            ("ANAF_REGISTRY_URL", self.address.clone()),
            ("ANAF_REDIRECT_URI", REDIRECT_URI.to_owned()),
            ("ANAF_JWT_PUBLIC_KEY", self.simulator.public_key_pem()),
            ("ANAF_PORTAL_SECRET_KEY", "cd".repeat(32)),
            ("ANAF_PORTAL_API_RATE_LIMIT", format!("{UNLIMITED}/minute")),
            // No refresh engine: the gateway's own work only.
            ("ANAF_PORTAL_WORKER", "off".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        for (name, value) in extra {
            env.retain(|(n, _)| n != name);
            env.push(((*name).to_owned(), (*value).to_owned()));
        }
        env
    }
}

fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}

/// `anaf-portal api-key create` with `--permissions` and `--cif` when given: the key it prints.
fn api_key(
    data_dir: &std::path::Path,
    env: &[(&str, &str)],
    name: &str,
    permissions: Option<&str>,
    cif: Option<&str>,
) -> anyhow::Result<String> {
    let mut command = common::portal_command(data_dir);
    command
        .envs(env.iter().copied())
        .args(["api-key", "create", "--email", EMAIL, "--name", name]);
    if let Some(permissions) = permissions {
        command.args(["--permissions", permissions]);
    }
    if let Some(cif) = cif {
        command.args(["--cif", cif]);
    }
    let output = command.output().context("spawning api-key create")?;
    if !output.status.success() {
        bail!(
            "api-key create: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// The user, its `cifs` as companies (straight into the database), a key with every permission
/// (returned) and a token minted for `certificate` saved for each CIF through the API (the
/// portal probes its rights).
async fn seed_companies(
    server: &Server,
    env: &[(&str, &str)],
    database: anaf_portal::db::DatabaseUrl,
    anaf: &Anaf,
    certificate: &str,
    cifs: &[String],
) -> anyhow::Result<String> {
    common::create_user_with(server.data_dir(), env, EMAIL, common::PASSWORD)?;
    common::create_companies(database, EMAIL, cifs.to_vec()).await?;
    let key = api_key(server.data_dir(), env, "seed", None, None)?;
    let endpoint = server.url("/api/v1/anaf/tokens");
    for cif in cifs {
        let minted = anaf.mint(certificate).await?;
        common::save_minted(&anaf.http, &endpoint, &key, &minted, cif).await?;
    }
    Ok(key)
}

/// A paginated list query over the last 30 days, ending a second ago (ANAF refuses an end in
/// the future; the same query all run long).
fn list_query(cif: &str) -> String {
    let end = chrono::Utc::now().timestamp_millis() - 1_000;
    let start = end - 30 * 86_400 * 1_000;
    format!("listaMesajePaginatieFactura?startTime={start}&endTime={end}&cif={cif}&pagina=1")
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

// ---------------------------------------------------------------------------------------------
// Phase 1: overhead.

/// One side of a comparison: a GET with a bearer, and what its answer must show.
#[derive(Clone)]
struct Target {
    url: String,
    bearer: String,
    /// Through the gateway: `Efactura-Outcome: ok` expected.
    gateway: bool,
    /// `Efactura-Source: archive` expected.
    archive: bool,
}

#[derive(Default)]
struct Load {
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: usize,
    first_error: Option<String>,
    bytes: u64,
}

impl Load {
    fn add(&mut self, other: Load) {
        self.latencies.extend(other.latencies);
        self.elapsed += other.elapsed;
        self.errors += other.errors;
        self.first_error = self.first_error.take().or(other.first_error);
        self.bytes += other.bytes;
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn p50(&mut self) -> Duration {
        self.latencies.sort();
        common::percentile(&self.latencies, 50.0)
    }

    fn p99(&mut self) -> Duration {
        self.latencies.sort();
        common::percentile(&self.latencies, 99.0)
    }
}

/// What was wrong with an answer, if anything.
async fn check(target: &Target, response: reqwest::Response) -> Result<u64, String> {
    let status = response.status();
    let outcome = header(&response, "efactura-outcome").to_owned();
    let source = header(&response, "efactura-source").to_owned();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ));
    }
    if target.gateway && outcome != "ok" {
        return Err(format!("Efactura-Outcome: {outcome}"));
    }
    if target.archive && source != "archive" {
        return Err(format!("Efactura-Source: {source:?}, not archive"));
    }
    Ok(body.len() as u64)
}

/// `clients` connections, each sending the next request when its last answer is read, for
/// `duration`.
async fn closed_loop(
    http: &reqwest::Client,
    target: &Target,
    clients: usize,
    duration: Duration,
) -> Load {
    let began = Instant::now();
    let deadline = began + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, target) = (http.clone(), target.clone());
            tokio::spawn(async move {
                let mut load = Load::default();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let answer = match http
                        .get(&target.url)
                        .bearer_auth(&target.bearer)
                        .send()
                        .await
                    {
                        Ok(response) => check(&target, response).await,
                        Err(e) => Err(e.to_string()),
                    };
                    match answer {
                        Ok(bytes) => {
                            load.latencies.push(sent.elapsed());
                            load.bytes += bytes;
                        }
                        Err(e) => {
                            load.errors += 1;
                            load.first_error.get_or_insert(e);
                        }
                    }
                }
                load
            })
        })
        .collect();
    let mut total = Load::default();
    for task in tasks {
        if let Ok(load) = task.await {
            total.add(load);
        }
    }
    total.elapsed = began.elapsed();
    total
}

/// Alternating rounds of `direct` and `gateway` (after a warm-up of each), `clients` at a time.
async fn side_by_side(
    http: &reqwest::Client,
    direct: &Target,
    gateway: &Target,
    clients: usize,
    rounds: usize,
    round: Duration,
) -> (Load, Load) {
    let warm_up = Duration::from_secs(1);
    closed_loop(http, direct, clients, warm_up).await;
    closed_loop(http, gateway, clients, warm_up).await;
    let (mut d, mut g) = (Load::default(), Load::default());
    for _ in 0..rounds {
        d.add(closed_loop(http, direct, clients, round).await);
        g.add(closed_loop(http, gateway, clients, round).await);
    }
    (d, g)
}

fn describe(name: &str, load: &mut Load) {
    println!(
        "  {name}: {} requests, {:.0} req/s, p50 {}, p99 {}, {:.1} KB an answer, {} errors{}",
        load.latencies.len(),
        load.per_second(),
        common::ms(load.p50()),
        common::ms(load.p99()),
        load.bytes as f64 / load.latencies.len().max(1) as f64 / 1e3,
        load.errors,
        load.first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
}

async fn overhead(rows: &mut Vec<Row>, round: Duration) -> anyhow::Result<()> {
    println!(
        "Phase 1 (overhead): SQLite, one portal, {CLIENTS} clients, direct and gateway rounds alternate"
    );
    let anaf = Anaf::start(SimulatorSettings {
        calls_per_minute_limit: u32::MAX,
        descarcare_daily_limit: u32::MAX,
        lista_paginatie_daily_limit_per_cif: u32::MAX,
        ..SimulatorSettings::default()
    })
    .await?;
    let env = anaf.portal_env(&[
        ("ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", UNLIMITED),
        ("ANAF_PORTAL_EFACTURA_DOWNLOADS_PER_DAY", UNLIMITED),
        ("ANAF_PORTAL_EFACTURA_PAGED_LISTS_PER_DAY", UNLIMITED),
        ("ANAF_PORTAL_EFACTURA_LISTS_PER_DAY", UNLIMITED),
    ]);
    let env = borrowed(&env);
    let server = Server::start(&env).await?;
    let database = anaf_portal::db::DatabaseUrl::Sqlite(server.database());
    seed_companies(
        &server,
        &env,
        database,
        &anaf,
        CERTIFICATE,
        &[BUYER.to_owned(), SELLER.to_owned()],
    )
    .await?;
    let key = api_key(server.data_dir(), &env, "erp", Some("efactura:read"), None)?;
    let seeded = anaf
        .simulator
        .seed_inbox(&InboxSeed {
            cif: BUYER.to_owned(),
            count: MESSAGES,
            suppliers: Vec::new(),
            from_days_ago: 29,
            to_days_ago: 1,
        })
        .map_err(anyhow::Error::msg)?;
    let token = anaf.mint(CERTIFICATE).await?["access_token"]
        .as_str()
        .context("a minted access token")?
        .to_owned();
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(CLIENTS * 2)
        .build()?;
    let rounds = 4;

    // A) the paginated list.
    let query = list_query(BUYER);
    let direct = Target {
        url: format!("{}{SIM_REST}/{query}", anaf.address),
        bearer: token.clone(),
        gateway: false,
        archive: false,
    };
    let gateway = Target {
        url: server.url(&format!("{REST}/{query}")),
        bearer: key.clone(),
        gateway: true,
        archive: false,
    };
    let (mut d, mut g) = side_by_side(&http, &direct, &gateway, CLIENTS, rounds, round).await;
    println!("  A) listaMesajePaginatieFactura, {MESSAGES} messages:");
    describe("direct ", &mut d);
    describe("gateway", &mut g);
    let (mut d1, mut g1) = side_by_side(
        &http,
        &direct,
        &gateway,
        1,
        2,
        round.min(Duration::from_secs(3)),
    )
    .await;
    describe("direct,  1 client ", &mut d1);
    describe("gateway, 1 client ", &mut g1);
    compare(rows, "A) list", &mut d, &mut g, &mut d1, &mut g1, 0.7);

    // A') the same list for the seller's 3 messages (the simulator's defaults): what the
    // gateway's work per listed message costs (it records every message it sees).
    let few = list_query(SELLER);
    let direct_few = Target {
        url: format!("{}{SIM_REST}/{few}", anaf.address),
        ..direct.clone()
    };
    let gateway_few = Target {
        url: server.url(&format!("{REST}/{few}")),
        ..gateway.clone()
    };
    let (mut d3, mut g3) = side_by_side(&http, &direct_few, &gateway_few, CLIENTS, 2, round).await;
    println!("  A') listaMesajePaginatieFactura, 3 messages:");
    describe("direct ", &mut d3);
    describe("gateway", &mut g3);
    rows.push(Row::new(
        format!("Overhead A') list of 3 messages: throughput gateway / direct, {CLIENTS} clients"),
        format!(
            "{:.0} / {:.0} req/s ({:.2}×); p50 {} → {}",
            g3.per_second(),
            d3.per_second(),
            g3.per_second() / d3.per_second().max(1e-9),
            common::ms(d3.p50()),
            common::ms(g3.p50())
        ),
        "(for scale)",
        None,
    ));

    // B) a download the archive holds (the list above made the id known; one download first).
    let id = seeded.ids.first().context("a seeded message")?;
    let download = format!("descarcare?id={id}");
    let first = http
        .get(server.url(&format!("{REST}/{download}")))
        .bearer_auth(&key)
        .send()
        .await?;
    let first_target = Target {
        url: String::new(),
        bearer: String::new(),
        gateway: true,
        archive: false,
    };
    check(&first_target, first)
        .await
        .map_err(|e| anyhow::anyhow!("the first download through the gateway: {e}"))?;
    let direct = Target {
        url: format!("{}{SIM_REST}/{download}", anaf.address),
        bearer: token,
        gateway: false,
        archive: false,
    };
    let gateway = Target {
        url: server.url(&format!("{REST}/{download}")),
        bearer: key,
        gateway: true,
        archive: true,
    };
    let (mut d, mut g) = side_by_side(&http, &direct, &gateway, CLIENTS, rounds, round).await;
    println!("  B) descarcare, the gateway's answer from its archive:");
    describe("direct ", &mut d);
    describe("gateway", &mut g);
    let (mut d1, mut g1) = side_by_side(
        &http,
        &direct,
        &gateway,
        1,
        2,
        round.min(Duration::from_secs(3)),
    )
    .await;
    describe("direct,  1 client ", &mut d1);
    describe("gateway, 1 client ", &mut g1);
    compare(
        rows,
        "B) cached download",
        &mut d,
        &mut g,
        &mut d1,
        &mut g1,
        1.0,
    );
    println!();
    Ok(())
}

fn compare(
    rows: &mut Vec<Row>,
    name: &str,
    direct: &mut Load,
    gateway: &mut Load,
    direct_1: &mut Load,
    gateway_1: &mut Load,
    throughput_target: f64,
) {
    let added = gateway.p50().as_secs_f64() - direct.p50().as_secs_f64();
    rows.push(Row::new(
        format!("Overhead {name}: p50 direct → gateway, {CLIENTS} clients"),
        format!(
            "{} → {} (+{:.2} ms)",
            common::ms(direct.p50()),
            common::ms(gateway.p50()),
            added * 1e3
        ),
        "added ≤ 1 ms",
        Some(added <= 0.001),
    ));
    let added_1 = gateway_1.p50().as_secs_f64() - direct_1.p50().as_secs_f64();
    rows.push(Row::new(
        format!("Overhead {name}: p50 direct → gateway, 1 client"),
        format!(
            "{} → {} (+{:.2} ms)",
            common::ms(direct_1.p50()),
            common::ms(gateway_1.p50()),
            added_1 * 1e3
        ),
        "(for scale)",
        None,
    ));
    let ratio = gateway.per_second() / direct.per_second().max(1e-9);
    rows.push(Row::new(
        format!("Overhead {name}: throughput gateway / direct, {CLIENTS} clients"),
        format!(
            "{:.0} / {:.0} req/s ({ratio:.2}×)",
            gateway.per_second(),
            direct.per_second()
        ),
        &format!("≥ {throughput_target}×"),
        Some(ratio >= throughput_target),
    ));
    let errors = direct.errors + gateway.errors + direct_1.errors + gateway_1.errors;
    rows.push(Row::new(
        format!("Overhead {name}: failed answers"),
        errors.to_string(),
        "0",
        Some(errors == 0),
    ));
}

// ---------------------------------------------------------------------------------------------
// Phase 2: the budget held across instances.

/// A fresh database on the server `admin_url` names.
fn fresh_postgres_database(admin_url: &str) -> anyhow::Result<String> {
    use diesel::{Connection, RunQueryDsl, pg::PgConnection};
    let name = format!("anaf_bench_{}", hex::encode(rand::random::<[u8; 6]>()));
    let mut conn = PgConnection::establish(admin_url).context("ANAF_BENCH_POSTGRES_URL")?;
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn)?;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&name);
    Ok(url.to_string())
}

async fn timed_get(http: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let began = Instant::now();
    let response = http.get(url).send().await?;
    let status = response.status();
    response.bytes().await?;
    if !status.is_success() {
        bail!("{url}: {status}");
    }
    Ok(began.elapsed())
}

async fn health_probes(
    http: &reqwest::Client,
    url: &str,
    until: impl Fn() -> bool,
) -> anyhow::Result<Vec<Duration>> {
    let mut samples = Vec::new();
    while !until() {
        samples.push(timed_get(http, url).await?);
        tokio::time::sleep(HEALTH_EVERY).await;
    }
    samples.sort();
    Ok(samples)
}

/// One integrator's run: its successful calls (and when, from the start), the portal's 429s,
/// other answers.
#[derive(Default, Debug)]
struct Integrator {
    ok: u64,
    ok_at: Vec<Duration>,
    refused: u64,
    other: u64,
    first_other: Option<String>,
}

async fn integrator(
    http: reqwest::Client,
    base: String,
    key: String,
    cif: String,
    start: Instant,
    deadline: Instant,
) -> Integrator {
    let mut seen = Integrator::default();
    let url = format!("{base}{REST}/{}", list_query(&cif));
    while Instant::now() < deadline {
        let response = match http.get(&url).bearer_auth(&key).send().await {
            Ok(response) => response,
            Err(e) => {
                seen.other += 1;
                seen.first_other.get_or_insert(e.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let status = response.status();
        let outcome = header(&response, "efactura-outcome").to_owned();
        let retry_after = header(&response, "retry-after").parse::<u64>().ok();
        let body = response.bytes().await.unwrap_or_default();
        match status {
            StatusCode::OK if outcome == "ok" => {
                seen.ok += 1;
                seen.ok_at.push(start.elapsed());
            }
            StatusCode::TOO_MANY_REQUESTS => {
                seen.refused += 1;
                let wait =
                    Duration::from_secs(retry_after.unwrap_or(1)).min(Duration::from_secs(1));
                tokio::time::sleep(wait).await;
            }
            _ => {
                seen.other += 1;
                seen.first_other.get_or_insert(format!(
                    "HTTP {status}, outcome {outcome:?}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                ));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    seen
}

async fn budget(rows: &mut Vec<Row>, admin_url: &str, duration: Duration) -> anyhow::Result<()> {
    println!(
        "Phase 2 (budget held): PostgreSQL, {INSTANCES} instances, {INTEGRATORS} keys, budget {BUDGET}/minute, {} s",
        duration.as_secs()
    );
    let anaf = Anaf::start(SimulatorSettings {
        calls_per_minute_limit: BUDGET,
        call_log_capacity: 1_000,
        ..SimulatorSettings::default()
    })
    .await?;
    let cifs = common::valid_cifs(INTEGRATORS);
    anaf.control(
        "certificates",
        json!({"serial": CERTIFICATE_30, "holder": "BENCH INTEGRATOR", "issuer": "Anaf", "cifs": cifs}),
    )
    .await?;
    for cif in &cifs {
        anaf.simulator
            .seed_inbox(&InboxSeed {
                cif: cif.clone(),
                count: 10,
                suppliers: Vec::new(),
                from_days_ago: 29,
                to_days_ago: 1,
            })
            .map_err(anyhow::Error::msg)?;
    }
    let database_url = fresh_postgres_database(admin_url)?;
    let budget = BUDGET.to_string();
    let env = anaf.portal_env(&[
        ("DATABASE_URL", &database_url),
        ("ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", &budget),
    ]);
    let env = borrowed(&env);
    let mut servers = vec![Server::start(&env).await?];
    let began = Instant::now();
    seed_companies(
        &servers[0],
        &env,
        anaf_portal::db::DatabaseUrl::Postgres(database_url.clone()),
        &anaf,
        CERTIFICATE_30,
        &cifs,
    )
    .await?;
    let mut keys = Vec::new();
    for (i, cif) in cifs.iter().enumerate() {
        keys.push(api_key(
            servers[0].data_dir(),
            &env,
            &format!("erp-{i}"),
            Some("efactura:read"),
            Some(cif),
        )?);
    }
    for _ in 1..INSTANCES {
        servers.push(Server::start(&env).await?);
    }
    println!(
        "  seeded {INTEGRATORS} companies, tokens and keys in {:.0} s",
        began.elapsed().as_secs_f64()
    );
    let http = common::plain_client()?;
    let health = servers[0].url("/healthz");
    let idle_until = Instant::now() + IDLE_WINDOW;
    let idle = health_probes(&http, &health, || Instant::now() >= idle_until).await?;

    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = keys
        .iter()
        .zip(&cifs)
        .enumerate()
        .map(|(i, (key, cif))| {
            tokio::spawn(integrator(
                http.clone(),
                servers[i % INSTANCES].base.clone(),
                key.clone(),
                cif.clone(),
                start,
                deadline,
            ))
        })
        .collect();
    let during = health_probes(&http, &health, || Instant::now() >= deadline).await?;
    let mut seen = Vec::new();
    for task in tasks {
        seen.push(task.await?);
    }
    let counters = anaf.simulator.efactura_counters();

    let fullest = counters
        .calls_per_minute
        .iter()
        .map(|m| m.calls)
        .max()
        .unwrap_or(0);
    println!("  the simulator's calls per calendar minute:");
    for minute in &counters.calls_per_minute {
        println!("    {}  {}", minute.minute, minute.calls);
    }
    let ok: Vec<u64> = seen.iter().map(|s| s.ok).collect();
    let total: u64 = ok.iter().sum();
    let mean = total as f64 / ok.len() as f64;
    let spread = |x: u64| (x as f64 - mean) / mean.max(1e-9);
    let (least, most) = (
        ok.iter().copied().min().unwrap_or(0),
        ok.iter().copied().max().unwrap_or(0),
    );
    let refused: u64 = seen.iter().map(|s| s.refused).sum();
    let other: u64 = seen.iter().map(|s| s.other).sum();
    println!("  successful calls per key: {ok:?}");
    // When they came: every key together per 5 s, and each key per minute of the run.
    let buckets = duration.as_secs().div_ceil(5) as usize;
    let mut per_5s = vec![0u64; buckets.max(1)];
    for at in seen.iter().flat_map(|s| &s.ok_at) {
        per_5s[(at.as_secs() / 5).min(buckets as u64 - 1) as usize] += 1;
    }
    println!("  successful calls per 5 s, all keys: {per_5s:?}");
    let minutes = duration.as_secs().div_ceil(60).max(1) as usize;
    let per_minute: Vec<Vec<u64>> = seen
        .iter()
        .map(|s| {
            let mut counts = vec![0u64; minutes];
            for at in &s.ok_at {
                counts[(at.as_secs() / 60).min(minutes as u64 - 1) as usize] += 1;
            }
            counts
        })
        .collect();
    println!("  successful calls per key in each minute of the run: {per_minute:?}");
    println!(
        "  {total} successful calls ({:.0} a minute), {refused} refused by the portal (429), {other} other answers{}",
        total as f64 * 60.0 / duration.as_secs_f64(),
        seen.iter()
            .find_map(|s| s.first_other.as_deref())
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    rows.push(Row::new(
        "Budget: the simulator's fullest calendar minute",
        format!("{fullest} calls"),
        "≤ 1000",
        Some(fullest <= u64::from(BUDGET)),
    ));
    rows.push(Row::new(
        "Budget: the simulator's 429 answers",
        counters.rate_limited.to_string(),
        "0",
        Some(counters.rate_limited == 0),
    ));
    rows.push(Row::new(
        "Budget: successful calls a minute, all keys",
        format!(
            "{:.0} ({total} in {} s)",
            total as f64 * 60.0 / duration.as_secs_f64(),
            duration.as_secs()
        ),
        "(integrators' cap: 900)",
        None,
    ));
    rows.push(Row::new(
        format!("Budget: successful calls per key ({INTEGRATORS} keys)"),
        format!(
            "mean {mean:.1}, min {least} ({:+.1} %), max {most} ({:+.1} %)",
            spread(least) * 100.0,
            spread(most) * 100.0
        ),
        "within ±15 % of the mean",
        Some(total > 0 && spread(least) >= -0.15 && spread(most) <= 0.15),
    ));
    rows.push(Row::new(
        "Budget: answers other than 200 ok or 429",
        other.to_string(),
        "0",
        Some(other == 0),
    ));
    let (idle_p99, during_p99) = (
        common::percentile(&idle, 99.0),
        common::percentile(&during, 99.0),
    );
    let ratio = during_p99.as_secs_f64() / idle_p99.as_secs_f64().max(1e-6);
    rows.push(Row::new(
        "Budget: /healthz p99 during vs idle",
        format!(
            "{} vs {} ({ratio:.2}×; {} and {} probes)",
            common::ms(during_p99),
            common::ms(idle_p99),
            during.len(),
            idle.len()
        ),
        "≤ 3×",
        Some(ratio <= 3.0),
    ));
    println!();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Phase 3: streaming and memory.

fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim_start_matches(':').split_whitespace().next())
        .and_then(|kb| kb.parse().ok())
}

/// The portal's resident memory during one request: before, and the peak while it ran.
struct Footprint {
    before: u64,
    peak: u64,
}

impl Footprint {
    fn rise(&self) -> u64 {
        self.peak.saturating_sub(self.before)
    }
}

/// Runs `request` while sampling the portal's RSS every 2 ms on a thread of its own; the peak is
/// the larger of the samples and the kernel's `VmHWM` (reset first, when the kernel lets us).
async fn footprint<F, T>(pid: u32, request: F) -> anyhow::Result<(Footprint, T)>
where
    F: std::future::Future<Output = anyhow::Result<T>>,
{
    let before = proc_status_kb(pid, "VmRSS").context("VmRSS")? * 1024;
    let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut peak = 0;
            while !stop.load(Ordering::Relaxed) {
                peak = peak.max(proc_status_kb(pid, "VmRSS").unwrap_or(0) * 1024);
                std::thread::sleep(Duration::from_millis(2));
            }
            peak
        })
    };
    let result = request.await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    stop.store(true, Ordering::Relaxed);
    let sampled = sampler.join().unwrap_or(0);
    let hwm = match reset {
        true => proc_status_kb(pid, "VmHWM").unwrap_or(0) * 1024,
        false => 0,
    };
    Ok((
        Footprint {
            before,
            peak: sampled.max(hwm).max(before),
        },
        result?,
    ))
}

/// A UBL invoice from the seller to the buyer of `size` bytes: a 10 MB attachment
/// (`cac:AdditionalDocumentReference`) of random printable characters, which deflate compresses
/// little.
fn big_invoice(size: usize) -> String {
    use rand::Rng;
    let head = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1</cbc:CustomizationID>
  <cbc:ID>BENCH-10MB-{}</cbc:ID>
  <cbc:IssueDate>2026-12-07</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>
  <cac:AdditionalDocumentReference><cbc:ID>anexa</cbc:ID><cac:Attachment><cbc:EmbeddedDocumentBinaryObject mimeCode="text/plain" filename="anexa.txt">"#,
        rand::random::<u32>()
    );
    let tail = format!(
        r#"</cbc:EmbeddedDocumentBinaryObject></cac:Attachment></cac:AdditionalDocumentReference>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO{SELLER}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>VANZATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO{BUYER}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>CUMPARATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="RON">1210.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>
"#
    );
    // Printable ASCII but `<`, `>` and `&`: no markup inside the attachment.
    let alphabet: Vec<u8> = (0x21u8..0x7f)
        .filter(|c| !matches!(c, b'<' | b'>' | b'&'))
        .collect();
    let mut rng = rand::thread_rng();
    let filler: String = (0..size.saturating_sub(head.len() + tail.len()))
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect();
    format!("{head}{filler}{tail}")
}

fn attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = xml[start..].find('"')? + start;
    Some(xml[start..end].to_owned())
}

async fn memory(rows: &mut Vec<Row>) -> anyhow::Result<()> {
    println!("Phase 3 (streaming/memory): SQLite, one portal, a 10 MB upload and its download");
    let anaf = Anaf::start(SimulatorSettings {
        processing_delay_seconds: 0,
        ..SimulatorSettings::default()
    })
    .await?;
    let env = anaf.portal_env(&[]);
    let env = borrowed(&env);
    let server = Server::start(&env).await?;
    let database = anaf_portal::db::DatabaseUrl::Sqlite(server.database());
    seed_companies(
        &server,
        &env,
        database,
        &anaf,
        CERTIFICATE,
        &[SELLER.to_owned()],
    )
    .await?;
    let key = api_key(server.data_dir(), &env, "erp", None, Some(SELLER))?;
    let http = common::plain_client()?;
    let invoice = big_invoice(UPLOAD_BYTES);
    let upload_size = invoice.len() as u64;
    let pid = server.pid();
    // A small call first, so that what is measured is the big one, not the first one.
    let warm = http
        .get(server.url(&format!("{REST}/{}", list_query(SELLER))))
        .bearer_auth(&key)
        .send()
        .await?;
    warm.bytes().await?;
    let idle_rss = proc_status_kb(pid, "VmRSS").unwrap_or(0) * 1024;
    println!("  portal RSS before: {}", mb(idle_rss));

    let upload_url = server.url(&format!("{REST}/upload?standard=UBL&cif={SELLER}"));
    let began = Instant::now();
    let (upload, answer) = footprint(pid, async {
        let response = http
            .post(&upload_url)
            .bearer_auth(&key)
            .header("content-type", "application/xml")
            .body(invoice)
            .send()
            .await?;
        let status = response.status();
        let outcome = header(&response, "efactura-outcome").to_owned();
        let body = response.text().await?;
        if status != StatusCode::OK || outcome != "ok" {
            bail!("the upload: HTTP {status}, outcome {outcome}: {body}");
        }
        Ok(body)
    })
    .await?;
    let upload_time = began.elapsed();
    let index = attribute(&answer, "index_incarcare").context("the upload's index")?;
    println!(
        "  upload of {} in {:.2} s: RSS {} → peak {} (+{})",
        mb(upload_size),
        upload_time.as_secs_f64(),
        mb(upload.before),
        mb(upload.peak),
        mb(upload.rise())
    );

    let state = http
        .get(server.url(&format!("{REST}/stareMesaj?id_incarcare={index}")))
        .bearer_auth(&key)
        .send()
        .await?
        .text()
        .await?;
    let download_id = attribute(&state, "id_descarcare")
        .with_context(|| format!("the upload's id_descarcare: {state}"))?;
    let download_url = server.url(&format!("{REST}/descarcare?id={download_id}"));
    let download = |archive: bool| {
        let (http, key, url) = (&http, &key, &download_url);
        async move {
            let response = http.get(url).bearer_auth(key).send().await?;
            let status = response.status();
            let source = header(&response, "efactura-source").to_owned();
            let body = response.bytes().await?;
            if status != StatusCode::OK || !body.starts_with(b"PK") {
                bail!("the download: HTTP {status}");
            }
            if archive != (source == "archive") {
                bail!("the download came from {source:?}");
            }
            Ok(body.len() as u64)
        }
    };
    let (first, zip_size) = footprint(pid, download(false)).await?;
    println!(
        "  first download (from ANAF, kept in the archive), a {} ZIP: RSS {} → peak {} (+{})",
        mb(zip_size),
        mb(first.before),
        mb(first.peak),
        mb(first.rise())
    );
    let (again, _) = footprint(pid, download(true)).await?;
    println!(
        "  second download (from the archive): RSS {} → peak {} (+{})",
        mb(again.before),
        mb(again.peak),
        mb(again.rise())
    );
    let row = |rows: &mut Vec<Row>, name: &str, f: &Footprint, size: u64| {
        let times = f.rise() as f64 / size as f64;
        rows.push(Row::new(
            format!("Memory: {name}"),
            format!(
                "+{} RSS for a {} file ({times:.2}×)",
                mb(f.rise()),
                mb(size)
            ),
            "< 3× the file",
            Some(times < 3.0),
        ));
    };
    row(
        rows,
        "10 MB upload through the gateway",
        &upload,
        upload_size,
    );
    row(
        rows,
        "download from ANAF through the gateway",
        &first,
        zip_size,
    );
    row(rows, "download from the archive", &again, zip_size);
    println!();
    Ok(())
}
