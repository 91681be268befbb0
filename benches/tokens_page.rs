//! The speed targets of the "all my tokens" page (issue "Connect ANAF"), measured side by side in
//! one run by a client over loopback, which is what a browser or an integrator sees:
//!
//! * for a user with 1,000 companies, the median of `GET /tokens` is at most 15x the median of
//!   `GET /settings/notifications`, a logged-in page that reads almost nothing beyond the session
//!   (each on its own keep-alive connection), the first view after a change
//!   included (the portal keeps no list in memory, so there is no cache to miss);
//! * the page issues a constant number of SQL statements whatever it shows;
//! * in a database holding 100,000 companies (99,000 of them other users'), the same page's
//!   median is within 1.5x of its median in the database holding only this user's 1,000.
//!
//! Method:
//!
//! 1. **Set-up** (phase A): the release binary in its own process (`common::Server`: SQLite in a
//!    fresh temporary directory, sandbox mode, 127.0.0.1 only). One user registers and connects
//!    1,000 companies through the built-in ANAF simulator exactly as a browser would (add the
//!    company, press Connect ANAF, the simulator approves with a test certificate, the callback
//!    stores the token, the company page shows the result), from 4 logged-in sessions at once.
//! 2. **Latency, 1,000 companies**: 400 rounds, after 30 unrecorded ones, the order rotating each
//!    round, each endpoint on its own keep-alive connection: `GET /settings/notifications` (the
//!    yardstick: session, user and a small form), `GET /tokens` (page 1, 25 rows, soonest expiry first),
//!    `GET /tokens?page=40` (the last page), `GET /tokens?q=<CIF>` (1 row), `GET /tokens` right
//!    after a change (the bench first sets `last_refreshed_at` of one of the user's tokens through its
//!    own SQLite connection: a write by another connection, so the portal's connections drop their
//!    page caches, as after any refresh or connect), and, for scale only, `GET /companies/1`. Each
//!    time is the client's wall time from sending the request to reading the whole body. The
//!    verdict: each `/tokens` median / the yardstick's median <= 15.
//! 3. **Statements**: the same data directory is opened in-process with
//!    `anaf_portal::startup::Application::build`, whose pool counts the SQL statements it runs; the
//!    same session asks for 1, 9, 25 (page 1) and 25 (last page) rows, and the same four each right
//!    after a change. The count for a request is the fewest over 5 tries (a background clean-up
//!    can add one to a single reading; an N+1 adds one per row to every reading). All equal: PASS.
//! 4. **100,000 companies** (phase B): with the server stopped, 99,000 companies of 300 other
//!    users (each the admin member of theirs, each company with a token row; valid unique CIFs,
//!    unique fingerprints, expiries spread over 90 days) go straight into the same SQLite file in
//!    one transaction of prepared inserts (the ciphertexts in `anaf_token_secrets` are left out:
//!    no list reads them). The server restarts on the same data directory (the session lives in
//!    the database, so the same cookie keeps working; if not, the bench logs in again), step 2
//!    runs again, then step 3. The verdict: median at 100,000 / median at 1,000 <= 1.5 for page 1,
//!    the last page and the search; the statement counts are the same as at 1,000.
//!
//! Run with `cargo bench --bench tokens_page` (well under a minute once built). The exit code is
//! 1 when a target is missed, 2 when the benchmark itself could not run.
//! `ANAF_BENCH_KEEP_DB=<file>` keeps a copy of the final (100,000 companies) SQLite database,
//! `ANAF_BENCH_SERVER_LOG=<file>` the portal's log.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anaf_portal::db::schema::{anaf_tokens, companies, company_members, company_tokens, users};
use anyhow::{Context, bail};
use chrono::{NaiveDateTime, TimeDelta};
use clap::Parser;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::COOKIE;
use reqwest::{StatusCode, redirect};

use common::{PASSWORD, Row, Server, ms, percentile, plain_client};

const EMAIL: &str = "bench@example.com";

const COMPANIES: usize = 1000;
/// The two CIFs the simulator's first certificate has SPV rights on; the user's other companies
/// are `common::valid_cifs`.
const SPV_CIFS: [&str; 2] = ["18547290", "14399840"];
/// Logged-in sessions connecting companies at once during the set-up.
const CONNECT_SESSIONS: usize = 4;
const SETUP_LIMIT: Duration = Duration::from_secs(120);
const ROUNDS: usize = 400;
const WARMUP_ROUNDS: usize = 30;
const PAGE_SIZE: usize = 25;
const LAST_PAGE: usize = COMPANIES.div_ceil(PAGE_SIZE);
const HEALTHZ_RATIO_TARGET: f64 = 15.0;
const SCALE_RATIO_TARGET: f64 = 1.5;
/// Readings per request when counting statements; the fewest counts.
const QUERY_TRIES: usize = 5;
/// Matches the CIFs of stems 1000001..=1000009 (see `common::valid_cifs`): 9 rows.
const NINE_ROW_PREFIX: &str = "100000";
/// Companies in the database in phase B, all but the user's belonging to other users.
const ALL_COMPANIES: usize = 100_000;
const OTHER_USERS: usize = 300;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    common::finish(run().await);
}

/// One of the measured requests.
struct Endpoint {
    label: String,
    path: String,
    /// Rows the page must show (`data-status=` attributes); `None` for the yardstick.
    rows: Option<usize>,
    /// Sent with the session cookie.
    logged_in: bool,
    /// Preceded by a change to one of the user's tokens, written by another connection.
    after_change: bool,
    /// Under the `<= 15x` the yardstick target (1,000 companies).
    yardstick_target: bool,
    /// Under the `<= 1.5x` target (100,000 companies against 1,000).
    scale_target: bool,
}

/// The first endpoint is the yardstick: a logged-in page that reads almost nothing.
fn endpoints(one_cif: &str) -> Vec<Endpoint> {
    let page = |label: String, path: String, rows: usize| Endpoint {
        label,
        path,
        rows: Some(rows),
        logged_in: true,
        after_change: false,
        yardstick_target: true,
        scale_target: true,
    };
    vec![
        Endpoint {
            label: "GET /settings/notifications (yardstick)".into(),
            path: "/settings/notifications".into(),
            rows: None,
            logged_in: true,
            after_change: false,
            yardstick_target: false,
            scale_target: false,
        },
        page(
            format!("GET /tokens (page 1, {PAGE_SIZE} rows)"),
            "/tokens".into(),
            PAGE_SIZE,
        ),
        page(
            format!("GET /tokens?page={LAST_PAGE} (last page)"),
            format!("/tokens?page={LAST_PAGE}"),
            COMPANIES - (LAST_PAGE - 1) * PAGE_SIZE,
        ),
        page(
            "GET /tokens?q=<CIF> (1 row)".into(),
            format!("/tokens?q={one_cif}"),
            1,
        ),
        Endpoint {
            after_change: true,
            scale_target: false,
            ..page(
                "GET /tokens (page 1) right after a change".into(),
                "/tokens".into(),
                PAGE_SIZE,
            )
        },
        // For scale: a small logged-in page (session, user, one company and its token by key).
        Endpoint {
            yardstick_target: false,
            scale_target: false,
            ..page(
                "GET /companies/1 (reference: one company's page)".into(),
                "/companies/1".into(),
                1,
            )
        },
    ]
}

/// The portal's settings here: the set-up connects 1,000 companies in seconds (2,000 ANAF calls,
/// past the default budget of 500 a minute), and no background work runs while pages are timed
/// (the sweep bench measures the engine's cost).
const SETTINGS: &[(&str, &str)] = &[
    ("ANAF_PORTAL_ANAF_CALLS_PER_MINUTE", "1000000"),
    ("ANAF_PORTAL_WORKER", "off"),
];

async fn run() -> anyhow::Result<bool> {
    let began = Instant::now();
    common::begin("anaf-portal \"all my tokens\" benchmark", &[]);
    let mut rows = Vec::new();

    // Phase A: 1,000 companies, set up over HTTP.
    let server = Server::start(SETTINGS).await?;
    let mut cifs: Vec<String> = SPV_CIFS.iter().map(|c| (*c).to_owned()).collect();
    cifs.extend(common::valid_cifs(COMPANIES - SPV_CIFS.len()));
    let one_cif = cifs[COMPANIES / 2].clone();
    let (setup, cookie) = connect_companies(&server, cifs).await?;
    rows.push(Row::new(
        format!("Set-up: {COMPANIES} companies added and connected over HTTP"),
        format!("{:.1} s", setup.as_secs_f64()),
        "",
        None,
    ));
    let endpoints = endpoints(&one_cif);
    let (small, touched) = measure(&server, &cookie, &endpoints, "1,000 companies").await?;
    phase_rows(&mut rows, "1,000 companies", &endpoints, &small, true);
    let data_dir = server.stop();
    let small_counts = count_queries(data_dir.path(), &cookie, &one_cif, touched).await?;
    rows.push(counts_row("1,000 companies", &small_counts, None));

    // Phase B: 99,000 companies of other users added to the same file.
    let database = data_dir.path().join("anaf-portal.sqlite3");
    let other_cifs =
        common::valid_cifs(ALL_COMPANIES - SPV_CIFS.len()).split_off(COMPANIES - SPV_CIFS.len());
    let inserted = tokio::task::spawn_blocking(move || add_other_companies(&database, &other_cifs))
        .await
        .context("the insert panicked")??;
    println!(
        "phase B: {} companies of {OTHER_USERS} other users added in {:.1} s",
        ALL_COMPANIES - COMPANIES,
        inserted.as_secs_f64()
    );
    rows.push(Row::new(
        format!(
            "Set-up: {} companies of {OTHER_USERS} other users inserted into the same file \
             (one transaction)",
            ALL_COMPANIES - COMPANIES
        ),
        format!("{:.1} s", inserted.as_secs_f64()),
        "",
        None,
    ));
    let server = Server::start_in(data_dir, SETTINGS).await?;
    let cookie = still_logged_in(&server, cookie).await?;
    let (large, _) = measure(&server, &cookie, &endpoints, "100,000 companies").await?;
    phase_rows(&mut rows, "100,000 companies", &endpoints, &large, false);
    for (e, endpoint) in endpoints.iter().enumerate() {
        let ratio = median_ratio(&large[e], &small[e]);
        rows.push(Row::new(
            format!(
                "{} p50, 100,000 companies / 1,000 companies",
                endpoint.label
            ),
            format!("{ratio:.2}x"),
            if endpoint.scale_target { "<= 1.5x" } else { "" },
            endpoint.scale_target.then_some(ratio <= SCALE_RATIO_TARGET),
        ));
    }
    let data_dir = server.stop();
    if let Some(path) = std::env::var("ANAF_BENCH_KEEP_DB")
        .ok()
        .filter(|p| !p.is_empty())
    {
        for suffix in ["", "-wal"] {
            let from = data_dir.path().join(format!("anaf-portal.sqlite3{suffix}"));
            if from.exists() {
                std::fs::copy(from, format!("{path}{suffix}"))?;
            }
        }
    }
    let large_counts = count_queries(data_dir.path(), &cookie, &one_cif, touched).await?;
    rows.push(counts_row(
        "100,000 companies",
        &large_counts,
        small_counts.first().copied(),
    ));

    println!(
        "\ntotal time {:.1} s; load average after: {}\n",
        began.elapsed().as_secs_f64(),
        common::load_average()
    );
    Ok(common::print_table(&rows))
}

/// Registers the user, lets the simulator approve every authorization, and adds and connects
/// every company from `CONNECT_SESSIONS` sessions: the time it took and a session cookie.
async fn connect_companies(
    server: &Server,
    cifs: Vec<String>,
) -> anyhow::Result<(Duration, String)> {
    let first = Browser::new(&server.base)?;
    first.register().await?;
    let serial = anaf_simulator::default_certificates()
        .into_iter()
        .next()
        .context("the simulator has test certificates")?
        .serial;
    let response = plain_client()?
        .post(server.url("/sandbox/anaf/__sim/settings"))
        // The page is measured, not ANAF's quotas: the simulated ANAF's per-minute limit is
        // lifted like the portal's own budget (ANAF_PORTAL_ANAF_CALLS_PER_MINUTE above).
        .json(&serde_json::json!({ "auto_approve": serial, "calls_per_minute_limit": 1_000_000 }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("simulator settings answered {}", response.status());
    }
    let mut browsers = vec![first];
    for _ in 1..CONNECT_SESSIONS {
        let browser = Browser::new(&server.base)?;
        browser.login().await?;
        browsers.push(browser);
    }
    let setup_start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let cifs = Arc::new(cifs);
    let mut workers = Vec::new();
    for browser in browsers {
        let (next, cifs) = (next.clone(), cifs.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(cif) = cifs.get(i) else { break };
                if setup_start.elapsed() > SETUP_LIMIT {
                    bail!("connecting {COMPANIES} companies took over {SETUP_LIMIT:?}");
                }
                browser
                    .add_and_connect(cif, &format!("Firma {i:04}"))
                    .await?;
            }
            anyhow::Ok(browser)
        }));
    }
    let mut browsers = Vec::new();
    for worker in workers {
        browsers.push(worker.await.context("connect worker panicked")??);
    }
    let setup = setup_start.elapsed();
    println!(
        "set-up: {COMPANIES} companies added and connected in {:.1} s \
         ({} requests from {CONNECT_SESSIONS} sessions, {:.0} requests/s)",
        setup.as_secs_f64(),
        COMPANIES * Browser::REQUESTS_PER_COMPANY,
        (COMPANIES * Browser::REQUESTS_PER_COMPANY) as f64 / setup.as_secs_f64()
    );
    Ok((setup, browsers[0].cookie()?))
}

/// `ROUNDS` interleaved rounds after `WARMUP_ROUNDS` unrecorded ones, the order rotating each
/// round, each endpoint on its own keep-alive connection: the client's times per endpoint, sorted,
/// and one of the user's tokens (what `Changes` writes to).
async fn measure(
    server: &Server,
    cookie: &str,
    endpoints: &[Endpoint],
    phase: &str,
) -> anyhow::Result<(Vec<Vec<Duration>>, i64)> {
    let mut changes = Changes::open(&server.database())?;
    let clients = endpoints
        .iter()
        .map(|_| plain_client())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); endpoints.len()];
    let started = Instant::now();
    for round in 0..WARMUP_ROUNDS + ROUNDS {
        for k in 0..endpoints.len() {
            let e = (round + k) % endpoints.len();
            let endpoint = &endpoints[e];
            if endpoint.after_change {
                changes.touch()?;
            }
            let mut request = clients[e].get(server.url(&endpoint.path));
            if endpoint.logged_in {
                request = request.header(COOKIE, cookie);
            }
            let began = Instant::now();
            let response = request.send().await?;
            let status = response.status();
            let body = response.text().await?;
            let took = began.elapsed();
            if status != StatusCode::OK {
                bail!("{} answered {status}", endpoint.path);
            }
            if round == 0
                && let Some(expected) = endpoint.rows
            {
                let shown = body.matches("data-status=").count();
                if shown != expected {
                    bail!("{} shows {shown} rows, expected {expected}", endpoint.path);
                }
            }
            if round >= WARMUP_ROUNDS {
                times[e].push(took);
            }
        }
    }
    println!(
        "latency, {phase}: {} rounds of {} requests in {:.1} s",
        WARMUP_ROUNDS + ROUNDS,
        endpoints.len(),
        started.elapsed().as_secs_f64()
    );
    for samples in &mut times {
        samples.sort();
    }
    Ok((times, changes.token()))
}

fn median_ratio(sorted: &[Duration], yardstick: &[Duration]) -> f64 {
    percentile(sorted, 50.0).as_secs_f64() / percentile(yardstick, 50.0).as_secs_f64()
}

/// p50 / p90 of each endpoint, then each median against the yardstick's (the first endpoint),
/// judged against `HEALTHZ_RATIO_TARGET` when `judge` says so.
fn phase_rows(
    rows: &mut Vec<Row>,
    phase: &str,
    endpoints: &[Endpoint],
    times: &[Vec<Duration>],
    judge: bool,
) {
    for (endpoint, samples) in endpoints.iter().zip(times) {
        rows.push(Row::new(
            format!("{phase}: {} p50 / p90", endpoint.label),
            format!(
                "{} / {}",
                ms(percentile(samples, 50.0)),
                ms(percentile(samples, 90.0))
            ),
            "",
            None,
        ));
    }
    for (endpoint, samples) in endpoints.iter().zip(times).skip(1) {
        let ratio = median_ratio(samples, &times[0]);
        let judged = judge && endpoint.yardstick_target;
        rows.push(Row::new(
            format!("{phase}: {} p50 / yardstick p50", endpoint.label),
            format!("{ratio:.2}x"),
            if judged { "<= 15x" } else { "" },
            judged.then_some(ratio <= HEALTHZ_RATIO_TARGET),
        ));
    }
}

/// The statement counts of `count_queries` as one row: all equal (and equal to `expected` when
/// given) passes.
fn counts_row(phase: &str, counts: &[(bool, u64)], expected: Option<(bool, u64)>) -> Row {
    let of_kind = |after_change: bool| {
        counts
            .iter()
            .filter(|(change, _)| *change == after_change)
            .map(|(_, n)| n.to_string())
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let first = expected.or(counts.first().copied()).map(|(_, n)| n);
    let equal = counts.iter().all(|(_, n)| Some(*n) == first);
    Row::new(
        format!(
            "{phase}: SQL statements per `GET /tokens`, 1 row / 9 rows / 25 rows (page 1) / \
             25 rows (last page); the same four right after a change"
        ),
        format!("{}; {}", of_kind(false), of_kind(true)),
        if expected.is_some() {
            "all equal, as with 1,000"
        } else {
            "all equal"
        },
        Some(equal),
    )
}

/// The session cookie of phase A when the restarted server still accepts it (sessions live in the
/// database), else one of a new login.
async fn still_logged_in(server: &Server, cookie: String) -> anyhow::Result<String> {
    let response = plain_client()?
        .get(server.url("/tokens"))
        .header(COOKIE, &cookie)
        .send()
        .await?;
    if response.status() == StatusCode::OK {
        println!("phase B: the session of phase A is still valid after the restart");
        return Ok(cookie);
    }
    println!(
        "phase B: /tokens answered {} to the session of phase A; logging in again",
        response.status()
    );
    let browser = Browser::new(&server.base)?;
    browser.login().await?;
    browser.cookie()
}

/// Writes to the user's tokens through a connection of its own, as another process or instance
/// would: each `touch` sets `last_refreshed_at` of the next of the user's tokens.
struct Changes {
    conn: SqliteConnection,
    tokens: Vec<i64>,
    next: usize,
}

impl Changes {
    fn open(database: &Path) -> anyhow::Result<Changes> {
        let mut conn = SqliteConnection::establish(&database.display().to_string())?;
        conn.batch_execute("PRAGMA busy_timeout = 5000;")?;
        let tokens: Vec<i64> = anaf_tokens::table
            .inner_join(
                company_members::table.on(company_members::company_id.eq(anaf_tokens::company_id)),
            )
            .inner_join(users::table.on(users::id.eq(company_members::user_id)))
            .filter(users::email.eq(EMAIL))
            .select(anaf_tokens::id)
            .order(anaf_tokens::id)
            .load(&mut conn)?;
        if tokens.len() != COMPANIES {
            bail!("the user has {} tokens, not {COMPANIES}", tokens.len());
        }
        Ok(Changes {
            conn,
            tokens,
            next: 0,
        })
    }

    /// One of the user's tokens.
    fn token(&self) -> i64 {
        self.tokens[0]
    }

    fn touch(&mut self) -> anyhow::Result<()> {
        let id = self.tokens[self.next % self.tokens.len()];
        self.next += 1;
        diesel::update(anaf_tokens::table.find(id))
            .set(anaf_tokens::last_refreshed_at.eq(Some(chrono::Utc::now().naive_utc())))
            .execute(&mut self.conn)?;
        Ok(())
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    id: i64,
    email: &'a str,
    password_hash: &'a str,
    role: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = companies)]
#[diesel(treat_none_as_default_value = false)]
struct NewCompany<'a> {
    id: i64,
    cif: &'a str,
    name: Option<&'a str>,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = company_members)]
struct NewMember<'a> {
    company_id: i64,
    user_id: i64,
    role: &'a str,
    created_at: NaiveDateTime,
    /// The company's, as the portal keeps it (one record of a CIF per person).
    cif: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = anaf_tokens)]
#[diesel(treat_none_as_default_value = false)]
struct NewToken<'a> {
    id: i64,
    company_id: i64,
    fingerprint: &'a str,
    access_expires_at: NaiveDateTime,
    refresh_expires_at: Option<NaiveDateTime>,
    issued_at: Option<NaiveDateTime>,
    certificate_serial: Option<&'a str>,
    certificate_issuer: Option<&'a str>,
    status: &'a str,
    last_refreshed_at: Option<NaiveDateTime>,
    source: &'a str,
    created_by: Option<i64>,
    created_at: NaiveDateTime,
    has_refresh_token: bool,
}

/// Adds `OTHER_USERS` users and one company per CIF of `cifs` (round-robin over those users, each
/// the company's admin member), each with a token row, in one transaction of prepared inserts.
/// Returns the time it took. Nobody logs in as these users: their password hash is a placeholder.
fn add_other_companies(database: &Path, cifs: &[String]) -> anyhow::Result<Duration> {
    use sha2::{Digest, Sha256};
    let began = Instant::now();
    let mut conn = SqliteConnection::establish(&database.display().to_string())?;
    conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;")?;
    conn.immediate_transaction(|conn| -> anyhow::Result<()> {
        let first_user = users::table
            .select(diesel::dsl::max(users::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0)
            + 1;
        let first_company = companies::table
            .select(diesel::dsl::max(companies::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0)
            + 1;
        let first_token = anaf_tokens::table
            .select(diesel::dsl::max(anaf_tokens::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0)
            + 1;
        let at = chrono::Utc::now().naive_utc();
        for u in 0..OTHER_USERS {
            diesel::insert_into(users::table)
                .values(NewUser {
                    id: first_user + u as i64,
                    email: &format!("other-{u:03}@example.com"),
                    password_hash: "not-a-password-hash",
                    role: "user",
                    created_at: at,
                    updated_at: at,
                })
                .execute(conn)?;
        }
        for (i, cif) in cifs.iter().enumerate() {
            let n = i as i64;
            let company_id = first_company + n;
            let token_id = first_token + n;
            let owner = first_user + (i % OTHER_USERS) as i64;
            diesel::insert_into(companies::table)
                .values(NewCompany {
                    id: company_id,
                    cif,
                    name: Some(&format!("Firma Alta {i:05} SRL")),
                    created_by: Some(owner),
                    created_at: at,
                })
                .execute(conn)?;
            diesel::insert_into(company_members::table)
                .values(NewMember {
                    company_id,
                    user_id: owner,
                    role: "admin",
                    created_at: at,
                    cif,
                })
                .execute(conn)?;
            // Expiries spread over 90 days (interleaved with the user's), a few tokens to
            // reconnect, rights of every kind.
            let expires =
                at + TimeDelta::days(1 + (n * 37) % 89) + TimeDelta::minutes((n * 131) % 1440);
            diesel::insert_into(anaf_tokens::table)
                .values(NewToken {
                    id: token_id,
                    company_id,
                    fingerprint: &hex::encode(Sha256::digest(format!("other-token-{token_id}"))),
                    access_expires_at: expires,
                    refresh_expires_at: Some(at + TimeDelta::days(365)),
                    issued_at: Some(at),
                    certificate_serial: Some("34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:02"),
                    certificate_issuer: Some("CN=Bench CA"),
                    status: if i % 20 == 0 {
                        "reconnect_needed"
                    } else {
                        "active"
                    },
                    last_refreshed_at: None,
                    source: "oauth",
                    created_by: Some(owner),
                    created_at: at,
                    has_refresh_token: true,
                })
                .execute(conn)?;
            diesel::insert_into(company_tokens::table)
                .values((
                    company_tokens::company_id.eq(company_id),
                    company_tokens::token_id.eq(token_id),
                    company_tokens::rights.eq(match i % 7 {
                        0 => "denied",
                        1 => "unknown",
                        _ => "granted",
                    }),
                    company_tokens::rights_checked_at.eq(Some(at)),
                    company_tokens::attached_at.eq(at),
                    company_tokens::attached_by.eq(Some(owner)),
                ))
                .execute(conn)?;
        }
        let total: i64 = companies::table.count().get_result(conn)?;
        if total != ALL_COMPANIES as i64 {
            bail!("the database holds {total} companies, not {ALL_COMPANIES}");
        }
        Ok(())
    })?;
    Ok(began.elapsed())
}

/// Opens the data directory in-process and counts the statements each token-table request runs,
/// as is and right after a change to one of the user's tokens (`touched`): `(after a change,
/// count)` for 1, 9, 25 (page 1) and 25 (last page) rows, both ways.
async fn count_queries(
    data_dir: &Path,
    cookie: &str,
    one_cif: &str,
    touched: i64,
) -> anyhow::Result<Vec<(bool, u64)>> {
    use anaf_portal::cli::{Cli, Command};
    let cli = Cli::try_parse_from([
        "anaf-portal".to_owned(),
        "serve".to_owned(),
        "--bind".to_owned(),
        "127.0.0.1:0".to_owned(),
        "--data-dir".to_owned(),
        data_dir.display().to_string(),
        "--database-url".to_owned(),
        data_dir.join("anaf-portal.sqlite3").display().to_string(),
        "--worker".to_owned(),
        "off".to_owned(),
    ])?;
    let Some(Command::Serve(args)) = cli.command else {
        bail!("expected the serve command")
    };
    let config = anaf_portal::config::Config::from_args(args)?;
    let app = anaf_portal::startup::Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let handle = tokio::spawn(app.run_until_stopped());
    let client = plain_client()?;
    let cases = [
        (format!("/tokens?q={one_cif}"), 1),
        (format!("/tokens?q={NINE_ROW_PREFIX}"), 9),
        ("/tokens".to_owned(), PAGE_SIZE),
        (
            format!("/tokens?page={LAST_PAGE}"),
            COMPANIES - (LAST_PAGE - 1) * PAGE_SIZE,
        ),
    ];
    let mut counts = Vec::new();
    for change_first in [false, true] {
        for (path, expected_rows) in &cases {
            let mut fewest = u64::MAX;
            for _ in 0..QUERY_TRIES {
                if change_first {
                    db.run(move |conn| {
                        diesel::update(anaf_tokens::table.find(touched))
                            .set(
                                anaf_tokens::last_refreshed_at
                                    .eq(Some(chrono::Utc::now().naive_utc())),
                            )
                            .execute(conn)?;
                        Ok(())
                    })
                    .await?;
                }
                let before = db.queries_executed();
                let response = client
                    .get(format!("{base}{path}"))
                    .header(COOKIE, cookie)
                    .send()
                    .await?;
                let status = response.status();
                let body = response.text().await?;
                fewest = fewest.min(db.queries_executed() - before);
                if status != StatusCode::OK {
                    bail!("in-process {path} answered {status}");
                }
                let shown = body.matches("data-status=").count();
                if shown != *expected_rows {
                    bail!("in-process {path} shows {shown} rows, expected {expected_rows}");
                }
            }
            let when = if change_first {
                ", right after a change"
            } else {
                ""
            };
            println!("statements: {path} ({expected_rows} rows{when}): {fewest}");
            counts.push((change_first, fewest));
        }
    }
    handle.abort();
    Ok(counts)
}

/// A browser of the bench user: its own cookie jar (so its own session) and CSRF token.
struct Browser {
    client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    csrf: std::sync::Mutex<String>,
}

impl Browser {
    /// Add the company, press Connect, the simulator's authorize page, the callback, the company
    /// page the callback redirects to (which also shows and clears the session's flash messages).
    const REQUESTS_PER_COMPANY: usize = 5;

    fn new(base: &str) -> anyhow::Result<Browser> {
        let jar = Arc::new(Jar::default());
        Ok(Browser {
            client: reqwest::Client::builder()
                .no_proxy()
                .redirect(redirect::Policy::none())
                .cookie_provider(jar.clone())
                .timeout(Duration::from_secs(30))
                .build()?,
            jar,
            base: base.to_owned(),
            csrf: std::sync::Mutex::new(String::new()),
        })
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn csrf(&self) -> String {
        self.csrf.lock().expect("not poisoned").clone()
    }

    /// The session cookie as this browser sends it.
    fn cookie(&self) -> anyhow::Result<String> {
        let url = self.base.parse()?;
        Ok(self
            .jar
            .cookies(&url)
            .context("no session cookie")?
            .to_str()?
            .to_owned())
    }

    async fn get_ok(&self, path: &str) -> anyhow::Result<String> {
        let response = self.client.get(self.url(path)).send().await?;
        if response.status() != StatusCode::OK {
            bail!("GET {path} answered {}", response.status());
        }
        Ok(response.text().await?)
    }

    /// Reads the session's CSRF token from a page with a form.
    async fn refresh_csrf(&self, path: &str) -> anyhow::Result<()> {
        let html = self.get_ok(path).await?;
        *self.csrf.lock().expect("not poisoned") = common::csrf_token(&html)?;
        Ok(())
    }

    /// Posts a form with this session's CSRF token; expects a redirect and returns its target.
    async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        expected: StatusCode,
    ) -> anyhow::Result<String> {
        let csrf = self.csrf();
        let mut all = fields.to_vec();
        all.push(("csrf_token", &csrf));
        let response = self.client.post(self.url(path)).form(&all).send().await?;
        if response.status() != expected {
            bail!(
                "POST {path} answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
        }
        common::location(&response)
    }

    async fn register(&self) -> anyhow::Result<()> {
        self.refresh_csrf("/register").await?;
        self.post_form(
            "/register",
            &[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            StatusCode::SEE_OTHER,
        )
        .await?;
        // Registration logs nobody in (it answers alike for taken addresses): log in, which
        // starts a new session with a new CSRF token.
        self.login().await
    }

    async fn login(&self) -> anyhow::Result<()> {
        self.refresh_csrf("/login").await?;
        self.post_form(
            "/login",
            &[("email", EMAIL), ("password", PASSWORD)],
            StatusCode::SEE_OTHER,
        )
        .await?;
        self.refresh_csrf("/").await
    }

    async fn add_and_connect(&self, cif: &str, name: &str) -> anyhow::Result<()> {
        let company = self
            .post_form(
                "/companies",
                &[("cif", cif), ("name", name)],
                StatusCode::SEE_OTHER,
            )
            .await?;
        if !company.starts_with("/companies/") {
            bail!("adding {cif} redirected to {company:?}");
        }
        let authorize = self
            .post_form(&format!("{company}/connect"), &[], StatusCode::SEE_OTHER)
            .await?;
        let response = self.client.get(self.url(&authorize)).send().await?;
        if response.status() != StatusCode::FOUND {
            bail!("the simulator's authorize answered {}", response.status());
        }
        let callback = common::location(&response)?;
        let response = self.client.get(self.url(&callback)).send().await?;
        if response.status() != StatusCode::SEE_OTHER {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            bail!("the callback for {cif} answered {status}: {body}");
        }
        let back = common::location(&response)?;
        if back != company {
            // The failure page says what ANAF (or the portal) answered.
            let page = self
                .client
                .get(self.url(&back))
                .send()
                .await?
                .text()
                .await?;
            let reason = page
                .split("<main>")
                .nth(1)
                .and_then(|main| main.split("</main>").next())
                .unwrap_or(&page);
            bail!("the callback for {cif} redirected to {back:?}, not {company:?}: {reason}");
        }
        let page = self.get_ok(&company).await?;
        if !page.contains("data-status=") {
            bail!("the page of {cif} shows no token status");
        }
        Ok(())
    }
}
