//! The speed target of the "all my tokens" page (issue "Connect ANAF"): for a user with 1,000
//! companies, `GET /tokens` issues a constant number of queries whatever the page size, and its
//! median server time is within 3x of the median of `GET /healthz` measured in the same run.
//!
//! 1. **Set-up**: starts the release binary in its own process (SQLite in a fresh temporary
//!    directory, sandbox mode, 127.0.0.1 only), registers one user and connects 1,000 companies
//!    through the built-in ANAF simulator exactly as a browser would (add the company, press
//!    Connect ANAF, the simulator approves with a test certificate, the callback stores the token,
//!    the company page shows the result), from 4 logged-in sessions of that user at once.
//! 2. **Latency**: 300 interleaved rounds on one keep-alive connection, after 20 unrecorded ones,
//!    of `GET /healthz` (as a monitor sends it: no cookie), `GET /tokens` (page 1, 25 rows, soonest
//!    expiry first), `GET /tokens?page=40` (the last page) and `GET /tokens?q=<CIF>` (1 row). The
//!    verdict uses the server's own time, `latency_ms` in its request log line (from the first
//!    middleware in to the response handed back), matched to each request by `X-Request-Id`; the
//!    client-side time over loopback is shown alongside.
//! 3. **Queries**: the same data directory is then opened in-process with
//!    `anaf_portal::startup::Application::build`, whose pool counts the SQL statements it runs; the
//!    same session asks for 1, 9, 25 (page 1) and 25 (last page) rows. The count for a request is
//!    the fewest over 5 tries (a background clean-up can add one to a single reading; an N+1 adds
//!    one per row to every reading).
//!
//! Run with `cargo bench --bench tokens_page`. The exit code is 1 when a target is missed, 2 when
//! the benchmark itself could not run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{StatusCode, redirect};

const BINARY: &str = env!("CARGO_BIN_EXE_anaf-portal");
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "verde-munte-cafea-2026";

const COMPANIES: usize = 1000;
/// Logged-in sessions connecting companies at once during the set-up.
const CONNECT_SESSIONS: usize = 4;
const SETUP_LIMIT: Duration = Duration::from_secs(120);
const ROUNDS: usize = 300;
const WARMUP_ROUNDS: usize = 20;
const PAGE_SIZE: usize = 25;
const LAST_PAGE: usize = COMPANIES.div_ceil(PAGE_SIZE);
const RATIO_TARGET: f64 = 3.0;
/// Readings per request when counting queries; the fewest counts.
const QUERY_TRIES: usize = 5;
/// Matches the CIFs generated from stems 1000001..=1000009: 9 rows.
const NINE_ROW_PREFIX: &str = "100000";

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

struct Row {
    metric: String,
    value: String,
    target: String,
    pass: Option<bool>,
}

fn row(metric: impl Into<String>, value: String, target: &str, pass: Option<bool>) -> Row {
    Row {
        metric: metric.into(),
        value,
        target: target.to_owned(),
        pass,
    }
}

/// One of the measured requests.
struct Endpoint {
    label: String,
    path: String,
    /// Rows the page must show (`data-status=` attributes); `None` for `/healthz`.
    rows: Option<usize>,
    /// Sent with the session cookie.
    logged_in: bool,
    /// Preceded by a change to the user's list (its `listing_version` bumped in the database, as
    /// any write to one of their companies does), so the page reads the list again.
    after_change: bool,
}

/// What every write to one of the user's companies does (through the triggers): makes the list
/// kept in memory stale.
const BUMP_LISTING_VERSION: &str = "UPDATE users SET listing_version = listing_version + 1";

async fn run() -> anyhow::Result<bool> {
    anaf_portal::startup::install_crypto_provider();
    let began = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("anaf-portal \"all my tokens\" benchmark");
    println!("  binary:  {BINARY}");
    println!(
        "  machine: {cores} cores ({}), load average before: {}",
        cpu_model(),
        load_average()
    );
    println!("  database: SQLite in a fresh temporary directory; all traffic on 127.0.0.1\n");
    let mut rows = Vec::new();

    // 1. Set-up over HTTP against the release binary.
    let server = Server::start().await?;
    let cifs = valid_cifs(COMPANIES);
    let one_cif = cifs[COMPANIES / 2].clone();
    let first = Browser::new(&server.base)?;
    first.register().await?;
    let http = plain_client()?;
    let serial = anaf_simulator::default_certificates()
        .into_iter()
        .next()
        .context("the simulator has test certificates")?
        .serial;
    let response = http
        .post(format!("{}/sandbox/anaf/__sim/settings", server.base))
        .json(&serde_json::json!({ "auto_approve": serial }))
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
    rows.push(row(
        format!("Set-up: {COMPANIES} companies added and connected over HTTP"),
        format!("{:.1} s", setup.as_secs_f64()),
        "",
        None,
    ));
    let reader = browsers.swap_remove(0);
    let cookie = reader.cookie()?;
    drop(browsers);

    // 2. Latency, interleaved, one connection.
    let endpoints = [
        Endpoint {
            label: "GET /healthz".into(),
            path: "/healthz".into(),
            rows: None,
            logged_in: false,
            after_change: false,
        },
        Endpoint {
            label: format!("GET /tokens (page 1, {PAGE_SIZE} rows)"),
            path: "/tokens".into(),
            rows: Some(PAGE_SIZE),
            logged_in: true,
            after_change: false,
        },
        Endpoint {
            label: format!("GET /tokens?page={LAST_PAGE} (last page)"),
            path: format!("/tokens?page={LAST_PAGE}"),
            rows: Some(COMPANIES - (LAST_PAGE - 1) * PAGE_SIZE),
            logged_in: true,
            after_change: false,
        },
        Endpoint {
            label: "GET /tokens?q=<CIF> (1 row)".into(),
            path: format!("/tokens?q={one_cif}"),
            rows: Some(1),
            logged_in: true,
            after_change: false,
        },
        // Not under the target: page 1 when the list kept in memory is stale (the cost of the
        // first view after any change), for scale.
        Endpoint {
            label: "GET /tokens (page 1) right after a change to the list".into(),
            path: "/tokens".into(),
            rows: Some(PAGE_SIZE),
            logged_in: true,
            after_change: true,
        },
        // Not under the target: the cost of a small logged-in page (session, user, one company
        // and its token by key, the layout), for scale.
        Endpoint {
            label: "GET /companies/1 (reference: one company's page)".into(),
            path: "/companies/1".into(),
            rows: Some(1),
            logged_in: true,
            after_change: false,
        },
    ];
    let targeted = 1..=3;
    let client = plain_client()?;
    let mut database = {
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(
            &server
                .data_dir
                .path()
                .join("anaf-portal.sqlite3")
                .display()
                .to_string(),
        )?;
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "PRAGMA busy_timeout = 5000;",
        )?;
        conn
    };
    let mut client_times: Vec<Vec<Duration>> = vec![Vec::new(); endpoints.len()];
    let mut request_ids: Vec<Vec<String>> = vec![Vec::new(); endpoints.len()];
    let latency_start = Instant::now();
    let steady: Vec<usize> = (0..endpoints.len())
        .filter(|e| !endpoints[*e].after_change)
        .collect();
    let mut schedule = Vec::new();
    for round in 0..WARMUP_ROUNDS + ROUNDS {
        // Rotate the order so no endpoint always follows the same one.
        for k in 0..steady.len() {
            schedule.push((round, steady[(round + k) % steady.len()]));
        }
    }
    // Apart, after the others: a page after a change takes milliseconds and would slow whatever
    // follows it.
    for round in 0..WARMUP_ROUNDS + ROUNDS / 5 {
        for e in (0..endpoints.len()).filter(|e| endpoints[*e].after_change) {
            schedule.push((round, e));
        }
    }
    for (round, e) in schedule {
        let endpoint = &endpoints[e];
        if endpoint.after_change {
            use diesel::RunQueryDsl;
            diesel::sql_query(BUMP_LISTING_VERSION).execute(&mut database)?;
        }
        let mut request = client.get(format!("{}{}", server.base, endpoint.path));
        if endpoint.logged_in {
            request = request.header(COOKIE, &cookie);
        }
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await?;
        let took = started.elapsed();
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
            client_times[e].push(took);
            request_ids[e].push(id.context("no X-Request-Id")?);
        }
    }
    let latency_window = latency_start.elapsed();
    println!(
        "latency: {} rounds of {} requests, then {} after a change, in {:.1} s",
        WARMUP_ROUNDS + ROUNDS,
        steady.len(),
        WARMUP_ROUNDS + ROUNDS / 5,
        latency_window.as_secs_f64()
    );
    let log = server_log_latencies(&server.data_dir.path().join("server.log"))?;
    let mut server_times: Vec<Vec<Duration>> = Vec::new();
    for ids in &request_ids {
        let mut times = ids
            .iter()
            .map(|id| {
                log.get(id)
                    .copied()
                    .with_context(|| format!("request {id} is not in the server log"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        times.sort();
        server_times.push(times);
    }
    for times in &mut client_times {
        times.sort();
    }
    let health_server = percentile(&server_times[0], 50.0);
    let health_client = percentile(&client_times[0], 50.0);
    for (e, endpoint) in endpoints.iter().enumerate() {
        rows.push(row(
            format!(
                "{} p50 / p90, server time (log `latency_ms`)",
                endpoint.label
            ),
            format!(
                "{} / {}",
                ms(percentile(&server_times[e], 50.0)),
                ms(percentile(&server_times[e], 90.0))
            ),
            "",
            None,
        ));
        rows.push(row(
            format!("{} p50 / p90, client time over loopback", endpoint.label),
            format!(
                "{} / {}",
                ms(percentile(&client_times[e], 50.0)),
                ms(percentile(&client_times[e], 90.0))
            ),
            "",
            None,
        ));
    }
    for (e, endpoint) in endpoints.iter().enumerate() {
        if !targeted.contains(&e) {
            continue;
        }
        let server_ratio =
            percentile(&server_times[e], 50.0).as_secs_f64() / health_server.as_secs_f64();
        let client_ratio =
            percentile(&client_times[e], 50.0).as_secs_f64() / health_client.as_secs_f64();
        rows.push(row(
            format!("{} p50 / `GET /healthz` p50, server time", endpoint.label),
            format!("{server_ratio:.2}x"),
            "<= 3x",
            Some(server_ratio <= RATIO_TARGET),
        ));
        rows.push(row(
            format!(
                "{} p50 / `GET /healthz` p50, client time (for reference)",
                endpoint.label
            ),
            format!("{client_ratio:.2}x"),
            "",
            None,
        ));
    }
    let data_dir = server.stop();
    // `ANAF_BENCH_KEEP_DB=<file>` keeps a copy of the populated SQLite database for inspection.
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

    // 3. Queries per request, in-process on the same data.
    let counts = count_queries(data_dir.path(), &cookie, &one_cif).await?;
    for (after_change, when) in [(false, ""), (true, ", right after a change to the list")] {
        let of_kind: Vec<u64> = counts
            .iter()
            .filter(|(change, _)| *change == after_change)
            .map(|(_, n)| *n)
            .collect();
        rows.push(row(
            format!(
                "SQL statements per `GET /tokens`{when}: 1 row / 9 rows / 25 rows (page 1) / 25 rows (last page)"
            ),
            of_kind
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" / "),
            "all equal",
            Some(of_kind.windows(2).all(|pair| pair[0] == pair[1])),
        ));
    }

    println!(
        "\ntotal time {:.1} s; load average after: {}\n",
        began.elapsed().as_secs_f64(),
        load_average()
    );
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

/// `n` distinct valid CIFs: the two the simulator's first certificate has SPV rights on, then
/// 8-digit ones from stem 1000001 upwards with the right check digit.
fn valid_cifs(n: usize) -> Vec<String> {
    let mut cifs = vec!["18547290".to_owned(), "14399840".to_owned()];
    let mut stem = 1_000_000u32;
    while cifs.len() < n {
        stem += 1;
        for check in 0..10 {
            let candidate = format!("{stem}{check}");
            if anaf_portal::domain::Cif::parse(&candidate).is_ok() {
                cifs.push(candidate);
                break;
            }
        }
    }
    cifs.truncate(n);
    cifs
}

/// Opens the data directory in-process and counts the statements each token-table request runs,
/// with the list kept in memory current, and right after a change to it: `(after a change, count)`.
async fn count_queries(
    data_dir: &Path,
    cookie: &str,
    one_cif: &str,
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
    let after_change = cases.iter().map(|(path, rows)| (path.clone(), *rows, true));
    let cases: Vec<_> = cases
        .iter()
        .map(|(path, rows)| (path.clone(), *rows, false))
        .chain(after_change)
        .collect();
    for (path, expected_rows, change_first) in cases {
        let mut fewest = u64::MAX;
        for _ in 0..QUERY_TRIES {
            if change_first {
                db.run(|conn| {
                    use diesel::RunQueryDsl;
                    Ok(diesel::sql_query(BUMP_LISTING_VERSION).execute(conn)?)
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
            if shown != expected_rows {
                bail!("in-process {path} shows {shown} rows, expected {expected_rows}");
            }
        }
        let when = if change_first {
            ", right after a change"
        } else {
            ""
        };
        println!("queries: {path} ({expected_rows} rows{when}): {fewest}");
        counts.push((change_first, fewest));
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
        *self.csrf.lock().expect("not poisoned") = csrf_token(&html)?;
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
        location(&response)
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
        // Logging in starts a new session with a new CSRF token.
        self.refresh_csrf("/").await
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
        let callback = location(&response)?;
        let response = self.client.get(self.url(&callback)).send().await?;
        if response.status() != StatusCode::SEE_OTHER {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            bail!("the callback for {cif} answered {status}: {body}");
        }
        let back = location(&response)?;
        if back != company {
            bail!("the callback for {cif} redirected to {back:?}, not {company:?}");
        }
        let page = self.get_ok(&company).await?;
        if !page.contains("data-status=") {
            bail!("the page of {cif} shows no token status");
        }
        Ok(())
    }
}

fn csrf_token(html: &str) -> anyhow::Result<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).context("no csrf_token field")? + marker.len();
    let end = html[start..].find('"').context("unterminated csrf_token")?;
    Ok(html[start..start + end].to_owned())
}

fn location(response: &reqwest::Response) -> anyhow::Result<String> {
    Ok(response
        .headers()
        .get(LOCATION)
        .context("redirect without Location")?
        .to_str()?
        .to_owned())
}

/// No cookie store, no redirects, no proxy.
fn plain_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .redirect(redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// The portal as a child process on a free port with an empty data directory; its log (stderr)
/// goes to `server.log` there.
struct Server {
    child: Child,
    base: String,
    data_dir: tempfile::TempDir,
}

impl Server {
    async fn start() -> anyhow::Result<Server> {
        let data_dir = tempfile::tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(data_dir.path().join("server.log"))?;
        let mut command = Command::new(BINARY);
        for (name, _) in std::env::vars_os() {
            let name_str = name.to_string_lossy();
            if name_str.starts_with("ANAF_") || name_str == "DATABASE_URL" || name_str == "RUST_LOG"
            {
                command.env_remove(&name);
            }
        }
        let child = command
            .env("ANAF_PORTAL_BIND", format!("127.0.0.1:{port}"))
            .env("ANAF_PORTAL_DATA_DIR", data_dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {BINARY}"))?;
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            data_dir,
        };
        let client = plain_client()?;
        let began = Instant::now();
        loop {
            if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
                && response.status() == StatusCode::OK
            {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "the server exited with {status} during start-up:\n{}",
                    std::fs::read_to_string(server.data_dir.path().join("server.log"))
                        .unwrap_or_default()
                );
            }
            if began.elapsed() > Duration::from_secs(20) {
                bail!("no 200 from /healthz within 20 s");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the process and hands over its data directory.
    fn stop(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(path) = std::env::var_os("ANAF_BENCH_SERVER_LOG") {
            let _ = std::fs::copy(self.data_dir.path().join("server.log"), path);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data_dir, dir)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // `ANAF_BENCH_SERVER_LOG=<file>` keeps the portal's log (also when the run fails).
        let log = self.data_dir.path().join("server.log");
        if let Some(path) = std::env::var_os("ANAF_BENCH_SERVER_LOG")
            && log.exists()
        {
            let _ = std::fs::copy(log, path);
        }
    }
}

/// `request_id` → `latency_ms` from the portal's request log lines.
fn server_log_latencies(path: &PathBuf) -> anyhow::Result<HashMap<String, Duration>> {
    let text = std::fs::read_to_string(path)?;
    let mut latencies = HashMap::new();
    for line in text.lines() {
        let line = strip_ansi(line);
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
                .map(str::to_owned)
        };
        if let (Some(id), Some(latency)) = (field("request_id"), field("latency_ms"))
            && let Ok(latency) = latency.parse::<f64>()
        {
            latencies.insert(id, Duration::from_secs_f64(latency / 1000.0));
        }
    }
    Ok(latencies)
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Nearest-rank percentile of sorted samples.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
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
