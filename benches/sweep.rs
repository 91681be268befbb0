//! The refresh engine's sweep, measured against the release binary in its own processes:
//!
//! 10,000 due tokens, two instances on one PostgreSQL database, an ANAF call budget of 6,000 a
//! minute and the simulator's own per-minute limit set to the same: in the steady part of the
//! sweep the portal calls ANAF at 95–100 % of the budget, ANAF never answers 429, every token gets
//! exactly one refresh call, and `GET /healthz`'s p99 during the sweep stays within 3× of its idle
//! p99. The same on SQLite with one instance, and 1,000 tokens beside 10,000 to show how the
//! sweep's time grows.
//!
//! Run with `cargo bench --bench sweep` (about 25 minutes). The PostgreSQL scenarios need
//! `ANAF_BENCH_POSTGRES_URL=postgres://user@host:port/postgres`, a server where the bench may
//! create databases; without it they are reported as not run (and the bench fails). The sizes can
//! be changed with `ANAF_BENCH_SWEEP_SIZES=1000,10000`, and `ANAF_BENCH_SWEEP_SQLITE=off` leaves
//! SQLite out.
//!
//! How: the ANAF simulator runs in this process (its clock set back 85 days, so every token it
//! mints is due); a seeding portal (engine off, no budget to speak of) stores the tokens through
//! `POST /api/v1/anaf/tokens`; then the measured instances start with the engine on and
//! `ANAF_PORTAL_ANAF_CALLS_PER_MINUTE=6000`, a minute after the seeding (its calls would count
//! against that minute's budget and the simulator's rolling minute). Every token costs two calls:
//! its refresh and the rights probe after it. The rate is the portal's own count of its engines'
//! calls per second (`call_counts`, the counter the budget enforces), every second of the sweep
//! but its first and last tenth; the simulator's call log gives the 429s and the refresh calls.
//! The idle `/healthz` p99 is taken on the same instance once the sweep is over. Exit code 1 when a
//! target is missed, 2 when the bench could not run.

mod common;

use std::time::{Duration, Instant};

use anaf_simulator::{SimEndpoint, Simulator, SimulatorSettings, serve};
use anyhow::{Context, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};

use common::{Row, Server};

const EMAIL: &str = "bench-sweep@example.com";
const BUDGET: u32 = 6_000;
const CLIENT_ID: &str = "bench-portal";
const CLIENT_SECRET: &str = "bench-portal-secret";
/// A serial of the simulator's default certificates.
const CERTIFICATE: &str = "34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:01";
const SAVES_IN_FLIGHT: usize = 8;
/// 1,500 probes: a p99 of 500 (10 s) was the 5th-worst probe, and moved between 2 and 11 ms
/// from run to run on an idle portal.
const IDLE_WINDOW: Duration = Duration::from_secs(30);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    common::finish(run().await);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// What one sweep showed.
struct Sweep {
    backend: Backend,
    instances: usize,
    tokens: usize,
    duration: Duration,
    /// Calls to ANAF a minute in the steady part.
    steady_rate: f64,
    too_many_requests: usize,
    refresh_calls: usize,
    refreshed_rows: i64,
    idle_p99: Duration,
    sweep_p99: Duration,
}

async fn run() -> anyhow::Result<bool> {
    anaf_portal::startup::install_crypto_provider();
    let postgres = std::env::var("ANAF_BENCH_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let sizes: Vec<usize> = std::env::var("ANAF_BENCH_SWEEP_SIZES")
        .unwrap_or_else(|_| "1000,10000".to_owned())
        .split(',')
        .map(|n| n.trim().parse().context("ANAF_BENCH_SWEEP_SIZES: numbers"))
        .collect::<anyhow::Result<_>>()?;
    println!("Refresh engine sweep");
    println!("  binary:  {}", common::binary());
    println!(
        "  machine: {} cores ({}), load average before: {}",
        common::cores(),
        common::cpu_model(),
        common::load_average()
    );
    println!("  budget {BUDGET} calls/minute; the simulator limits resource calls to the same");
    println!(
        "  PostgreSQL: {}",
        postgres
            .as_deref()
            .map_or("not configured (ANAF_BENCH_POSTGRES_URL)", |_| "yes")
    );
    println!();

    let sqlite = std::env::var("ANAF_BENCH_SWEEP_SQLITE").map_or(true, |v| v != "off");
    let mut sweeps = Vec::new();
    for &tokens in &sizes {
        if sqlite {
            sweeps.push(sweep(Backend::Sqlite, 1, tokens, None).await?);
        }
        if let Some(url) = &postgres {
            sweeps.push(sweep(Backend::Postgres, 2, tokens, Some(url)).await?);
        }
    }

    let mut rows = Vec::new();
    for s in &sweeps {
        let name = format!(
            "{:?}, {} instance(s), {} tokens",
            s.backend, s.instances, s.tokens
        );
        let rate_share = s.steady_rate / f64::from(BUDGET);
        rows.push(Row::new(
            format!("{name}: sweep time"),
            format!("{:.0} s", s.duration.as_secs_f64()),
            "",
            None,
        ));
        rows.push(Row::new(
            format!("{name}: steady calls/minute"),
            format!("{:.0} ({:.1} %)", s.steady_rate, rate_share * 100.0),
            "95–100 % of 6000",
            Some((0.95..=1.0).contains(&rate_share)),
        ));
        rows.push(Row::new(
            format!("{name}: 429 answers"),
            s.too_many_requests.to_string(),
            "0",
            Some(s.too_many_requests == 0),
        ));
        rows.push(Row::new(
            format!("{name}: refresh calls / tokens refreshed"),
            format!("{} / {}", s.refresh_calls, s.refreshed_rows),
            &format!("{0} / {0}", s.tokens),
            Some(
                s.refresh_calls == s.tokens
                    && usize::try_from(s.refreshed_rows).ok() == Some(s.tokens),
            ),
        ));
        let ratio = s.sweep_p99.as_secs_f64() / s.idle_p99.as_secs_f64().max(1e-6);
        rows.push(Row::new(
            format!("{name}: /healthz p99 sweep vs idle"),
            format!(
                "{} vs {} ({ratio:.2}×)",
                common::ms(s.sweep_p99),
                common::ms(s.idle_p99)
            ),
            "≤ 3×",
            Some(ratio <= 3.0),
        ));
    }
    if postgres.is_none() {
        rows.push(Row::new(
            "PostgreSQL, 2 instances",
            "not run: set ANAF_BENCH_POSTGRES_URL".to_owned(),
            "run",
            Some(false),
        ));
    }
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let times: Vec<&Sweep> = sweeps.iter().filter(|s| s.backend == backend).collect();
        if let (Some(small), Some(large)) = (times.first(), times.last())
            && large.tokens > small.tokens
        {
            rows.push(Row::new(
                format!(
                    "{backend:?}: growth {} → {} tokens",
                    small.tokens, large.tokens
                ),
                format!(
                    "{:.1}× the tokens, {:.1}× the time",
                    large.tokens as f64 / small.tokens as f64,
                    large.duration.as_secs_f64() / small.duration.as_secs_f64()
                ),
                "",
                None,
            ));
        }
    }
    println!();
    Ok(common::print_table(&rows))
}

/// The simulator, served from this process on a free port.
async fn start_anaf() -> anyhow::Result<(Simulator, String)> {
    // Room for every call of the largest sweep; no per-minute limit while seeding (the sweep
    // sets it to the budget).
    let simulator = Simulator::new(SimulatorSettings {
        call_log_capacity: 200_000,
        calls_per_minute_limit: u32::MAX,
        ..SimulatorSettings::default()
    })?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve(listener, simulator.clone())?);
    Ok((simulator, address))
}

async fn control(
    http: &reqwest::Client,
    anaf: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let response = http
        .post(format!("{anaf}/__sim/{path}"))
        .json(&body)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("__sim/{path}: {}", response.status());
    }
    Ok(response.json().await.unwrap_or(Value::Null))
}

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

async fn sweep(
    backend: Backend,
    instances: usize,
    tokens: usize,
    postgres: Option<&str>,
) -> anyhow::Result<Sweep> {
    println!("{backend:?}: {tokens} tokens, {instances} instance(s)");
    let http = common::plain_client()?;
    let (simulator, anaf) = start_anaf().await?;
    control(
        &http,
        &anaf,
        "clients",
        json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": "http://127.0.0.1:9/anaf/callback"}),
    )
    .await?;
    control(
        &http,
        &anaf,
        "clock",
        json!({"offset_seconds": -85 * 86_400}),
    )
    .await?;

    let database_url = match postgres {
        Some(admin) => Some(fresh_postgres_database(admin)?),
        None => None,
    };
    let oauth_url = format!("{anaf}/anaf-oauth2/v1");
    let public_key = simulator.public_key_pem();
    let secret_key = "cd".repeat(32);
    let mut env: Vec<(&str, &str)> = vec![
        ("ANAF_CLIENT_ID", CLIENT_ID),
        ("ANAF_CLIENT_SECRET", CLIENT_SECRET),
        ("ANAF_OAUTH_URL", &oauth_url),
        ("ANAF_API_URL", &anaf),
        // Company names from the simulator's registry, never from ANAF's.
        ("ANAF_REGISTRY_URL", &anaf),
        ("ANAF_REDIRECT_URI", "http://127.0.0.1:9/anaf/callback"),
        ("ANAF_JWT_PUBLIC_KEY", &public_key),
        ("ANAF_PORTAL_SECRET_KEY", &secret_key),
        ("ANAF_PORTAL_API_RATE_LIMIT", "1000000/minute"),
        ("ANAF_PORTAL_SCHEDULER_TICK", "1s"),
    ];
    if let Some(url) = &database_url {
        env.push(("DATABASE_URL", url));
    }

    // Seeding: the engine off, the budget out of the way.
    let mut seeding_env = env.clone();
    seeding_env.extend([
        ("ANAF_PORTAL_WORKER", "off"),
        ("ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", "10000000"),
    ]);
    let seeder = Server::start(&seeding_env).await?;
    let began = Instant::now();
    seed(&seeder, &env, database_url.as_deref(), &http, &anaf, tokens).await?;
    println!("  seeded in {:.0} s", began.elapsed().as_secs_f64());
    let data_dir = seeder.stop();
    // The seeding's calls count against this minute's budget and the simulator's rolling
    // minute: the sweep starts once both have passed.
    tokio::time::sleep(Duration::from_secs(61)).await;

    // The measured sweep.
    control(
        &http,
        &anaf,
        "settings",
        json!({"calls_per_minute_limit": BUDGET}),
    )
    .await?;
    http.delete(format!("{anaf}/__sim/calls")).send().await?;
    let budget = BUDGET.to_string();
    let mut engine_env = env.clone();
    engine_env.extend([
        ("ANAF_PORTAL_WORKER", "on"),
        ("ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", budget.as_str()),
    ]);
    let started = Instant::now();
    let mut servers = vec![Server::start_in(data_dir, &engine_env).await?];
    for _ in 1..instances {
        servers.push(Server::start(&engine_env).await?);
    }
    let health = servers[0].url("/healthz");
    let limit = Duration::from_secs(120) + Duration::from_millis(tokens as u64 * 40);
    let refresh_calls = || {
        simulator
            .calls()
            .iter()
            .filter(|c| c.endpoint == SimEndpoint::Token)
            .filter(|c| c.grant_type.as_deref() == Some("refresh_token"))
            .count()
    };
    let mut during = Vec::new();
    let mut last_report = Instant::now();
    // Reading the call log copies it (20,000 calls at the end of the largest sweep), under the
    // simulator's lock: once a second, not between every two probes, so the bench's own work
    // does not load the machine it measures.
    let mut last_count = Instant::now();
    let mut refreshed = 0;
    while refreshed < tokens {
        if started.elapsed() > limit {
            bail!(
                "the sweep did not finish within {limit:?}: {refreshed} of {tokens} refreshed\n{}",
                servers[0].log()
            );
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            println!("  {refreshed} of {tokens} refreshed");
            last_report = Instant::now();
        }
        during.push(timed_get(&http, &health).await?);
        tokio::time::sleep(Duration::from_millis(20)).await;
        if last_count.elapsed() >= Duration::from_secs(1) {
            refreshed = refresh_calls();
            last_count = Instant::now();
        }
    }
    let duration = started.elapsed();
    // The rights probes of the last refreshes, then nothing is due: the engines idle.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let mut idle = Vec::new();
    let idle_began = Instant::now();
    while idle_began.elapsed() < IDLE_WINDOW {
        idle.push(timed_get(&http, &health).await?);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The steady part: the engines' calls per second as the budget counted them (the
    // `anaf-background` counter), without the first and last tenth of the sweep's seconds.
    let calls = simulator.calls();
    let seconds = background_seconds(database_url.as_deref(), &servers[0]).await?;
    let tenth = seconds.len() / 10;
    let steady = &seconds[tenth..seconds.len() - tenth];
    if steady.is_empty() {
        bail!("the sweep was too short to have a steady part");
    }
    let steady_calls: i64 = steady.iter().map(|(_, calls)| i64::from(*calls)).sum();
    let refreshed_rows = refreshed_rows(database_url.as_deref(), &servers[0]).await?;
    during.sort();
    idle.sort();
    let result = Sweep {
        backend,
        instances,
        tokens,
        duration,
        // Calls times 60 over seconds: exact when every second held the pace (dividing by a
        // rounded `seconds / 60` once gave 6000.000…1, over the budget).
        steady_rate: steady_calls as f64 * 60.0 / steady.len() as f64,
        too_many_requests: calls.iter().filter(|c| c.status == Some(429)).count(),
        refresh_calls: refresh_calls(),
        refreshed_rows,
        idle_p99: common::percentile(&idle, 99.0),
        sweep_p99: common::percentile(&during, 99.0),
    };
    println!(
        "  swept in {:.0} s, {:.0} calls/minute steady",
        result.duration.as_secs_f64(),
        result.steady_rate
    );
    Ok(result)
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

fn database(url: Option<&str>, server: &Server) -> anaf_portal::db::DatabaseUrl {
    match url {
        Some(url) => anaf_portal::db::DatabaseUrl::Postgres(url.to_owned()),
        None => anaf_portal::db::DatabaseUrl::Sqlite(server.database()),
    }
}

/// A user, a key, `tokens` companies (straight into the database) and a pair minted by the
/// simulator for each, stored through the API.
async fn seed(
    seeder: &Server,
    env: &[(&str, &str)],
    database_url: Option<&str>,
    http: &reqwest::Client,
    anaf: &str,
    tokens: usize,
) -> anyhow::Result<()> {
    common::create_user_with(seeder.data_dir(), env, EMAIL, common::PASSWORD)?;
    let key = common::create_api_key_with(seeder.data_dir(), env, EMAIL, "bench")?;
    let cifs = common::valid_cifs(tokens);
    common::create_companies(database(database_url, seeder), EMAIL, cifs.clone()).await?;

    let endpoint = seeder.url("/api/v1/anaf/tokens");
    let saves = futures_util::stream::iter(cifs)
        .map(|cif| {
            let (http, key, endpoint) = (http.clone(), key.clone(), endpoint.clone());
            async move {
                let minted = control(
                    &http,
                    anaf,
                    "mint",
                    json!({"certificate_serial": CERTIFICATE, "client_id": CLIENT_ID}),
                )
                .await?;
                common::save_minted(&http, &endpoint, &key, &minted, &cif).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(SAVES_IN_FLIGHT);
    futures_util::pin_mut!(saves);
    while let Some(saved) = saves.next().await {
        saved?;
    }
    Ok(())
}

/// How many tokens a refresh has renewed, read from the database.
async fn refreshed_rows(database_url: Option<&str>, server: &Server) -> anyhow::Result<i64> {
    let url = database(database_url, server);
    tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
        use anaf_portal::db::schema::anaf_tokens;
        use diesel::prelude::*;
        let db = anaf_portal::db::Db::connect(&url)?;
        let mut conn = db.get_blocking()?;
        Ok(anaf_tokens::table
            .filter(anaf_tokens::last_refreshed_at.is_not_null())
            .count()
            .get_result(&mut conn)?)
    })
    .await?
}

/// The engines' calls to ANAF per second, as the budget counted them, oldest first.
async fn background_seconds(
    database_url: Option<&str>,
    server: &Server,
) -> anyhow::Result<Vec<(chrono::NaiveDateTime, i32)>> {
    let url = database(database_url, server);
    tokio::task::spawn_blocking(
        move || -> anyhow::Result<Vec<(chrono::NaiveDateTime, i32)>> {
            use anaf_portal::db::models::call_counts::{self, ANAF_BACKGROUND};
            let db = anaf_portal::db::Db::connect(&url)?;
            let mut conn = db.get_blocking()?;
            let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
            Ok(call_counts::since(&mut conn, ANAF_BACKGROUND, epoch)?)
        },
    )
    .await?
}
