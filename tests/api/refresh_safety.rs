//! A refresh never loses a token: the drills that once lost tokens, as tests. ANAF answering
//! after the page gave up, the portal's process killed while ANAF holds the request, several
//! instances refreshing one token at once, and the database stopped in the middle of a refresh.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anaf_portal::db::models::tokens;
use anaf_portal::domain::TokenId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    ChildPortal, ExternalAnaf, TestApp, child_portal, csrf_token, free_port, location,
    serial_with_rights, skip_unless_required, spawn_app_on, spawn_app_with,
};

const CIF: &str = "18547290";

/// Registers, adds the company and connects it (the simulator approves at once); the company id.
async fn connect_company(app: &TestApp) -> i64 {
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let authorize = app.press_connect(company).await;
    let response = app.client.get(&authorize).send().await.expect("authorize");
    assert_eq!(response.status(), StatusCode::FOUND, "approved at once");
    let callback = app
        .client
        .get(location(&response))
        .send()
        .await
        .expect("callback");
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    company
}

/// The token's row as the database holds it now.
async fn token_row(app: &TestApp, token: i64) -> Option<tokens::TokenMeta> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().expect("connection");
        tokens::find_meta(&mut conn, TokenId(token)).expect("query")
    })
    .await
    .expect("join")
}

/// Waits (at most `limit`) until the token was refreshed after `since`.
async fn wait_refreshed(app: &TestApp, token: i64, since: chrono::NaiveDateTime, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let row = token_row(app, token).await.expect("token exists");
        if row.last_refreshed_at.is_some_and(|at| at > since) {
            return;
        }
        assert!(Instant::now() < deadline, "not refreshed in time: {row:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_answer_that_comes_after_the_page_gave_up_is_saved() {
    let anaf = ExternalAnaf::start().await;
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/anaf/callback");
    anaf.register(&callback).await;
    let bind = format!("127.0.0.1:{port}");
    let mut args = anaf.portal_args(&callback);
    args.extend([
        "--bind".into(),
        bind,
        "--anaf-http-timeout".into(),
        "1s".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let app = spawn_app_with(&args).await;
    let company = connect_company(&app).await;
    let token = app.token_id_of(company).await;
    let before = token_row(&app, token).await.expect("token");

    // ANAF takes 3 s; the page waits 1 s: it says the refresh is still going, not "unchanged".
    anaf.fault(json!({"kind": "latency", "ms": 3000})).await;
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("încă în curs"), "{page}");
    assert!(!page.contains("neschimbat"));
    // The answer is saved when it arrives, and it is the pair ANAF now knows: the next refresh
    // (a minute later, so it calls ANAF) works with it.
    wait_refreshed(&app, token, before.created_at, Duration::from_secs(10)).await;
    assert_eq!(anaf.refresh_calls(), 1);
    let row = token_row(&app, token).await.expect("token");
    assert!(row.refresh_interrupted_at.is_none());
    let history = app.get_html(&format!("/companies/{company}")).await;
    assert!(history.contains("Token reîmprospătat"), "audited once done");
}

#[tokio::test]
async fn the_api_answers_202_while_a_slow_refresh_goes_on_then_shows_it() {
    let app = spawn_app_with(&["--anaf-http-timeout", "1s"]).await;
    app.register_logged_in("erp@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;
    let key = app.key_from_page("ERP").await;
    let before = token_row(&app, token).await.expect("token");

    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "latency", "ms": 3000}),
    )
    .await;
    let response = app.api_refresh(&key, token).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(location(&response), format!("/api/v1/anaf/tokens/{token}"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["refresh"], "in_progress");
    wait_refreshed(&app, token, before.created_at, Duration::from_secs(10)).await;
    let shown: Value = app
        .client
        .get(app.url(&format!("/api/v1/anaf/tokens/{token}")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(shown["isValid"], true);
    assert_eq!(shown["refreshable"], true);
}

#[tokio::test]
async fn thirty_refreshes_over_three_instances_make_one_anaf_call() {
    let anaf = ExternalAnaf::start().await;
    let port = free_port();
    let callback = format!("http://127.0.0.1:{port}/anaf/callback");
    anaf.register(&callback).await;
    let mut args = anaf.portal_args(&callback);
    args.extend(["--bind".into(), format!("127.0.0.1:{port}")]);
    let first_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = spawn_app_with(&first_args).await;
    let company = connect_company(&first).await;
    let token = first.token_id_of(company).await;
    let other_args: Vec<&str> = first_args[..first_args.len() - 2].to_vec();
    let second = spawn_app_on(&first.database_url, &other_args).await;
    let third = spawn_app_on(&first.database_url, &other_args).await;

    // One browser (one session, kept in the shared database) presses Refresh on every instance
    // at once, 30 times, while ANAF is slow.
    anaf.fault(json!({"kind": "latency", "ms": 1500})).await;
    let form = csrf_token(&first.get_html(&format!("/companies/{company}")).await);
    let requests = (0..30).map(|i| {
        let address = [&first.address, &second.address, &third.address][i % 3];
        first
            .client
            .post(format!("{address}/tokens/{token}/refresh"))
            .form(&[("csrf_token", form.as_str())])
            .send()
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.expect("refresh").status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(
        anaf.refresh_calls(),
        1,
        "exactly one refresh call reached ANAF"
    );
    // Asked again right after, on another instance: that result, no new call.
    let response = first
        .client
        .post(format!("{}/tokens/{token}/refresh", third.address))
        .form(&[("csrf_token", form.as_str())])
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = first.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("Token reîmprospătat"), "{page}");
    assert_eq!(anaf.refresh_calls(), 1);
}

#[tokio::test]
async fn a_refresh_killed_with_its_process_is_reported_as_interrupted() {
    let anaf = ExternalAnaf::start().await;
    // A short wait for ANAF, so the dead process's lease runs out within seconds.
    let (mut portal, app, args) = child_portal(&anaf, &["--refresh-timeout", "2s"]).await;
    let company = connect_company(&app).await;
    let token = app.token_id_of(company).await;

    // ANAF replaces the pair at once but its answer takes 3 s; the process dies after 0.7 s.
    anaf.fault(json!({"kind": "slow_answer", "ms": 3000})).await;
    let form = csrf_token(&app.get_html(&format!("/companies/{company}")).await);
    let client = app.client.clone();
    let url = app.url(&format!("/tokens/{token}/refresh"));
    let pressed =
        tokio::spawn(async move { client.post(url).form(&[("csrf_token", form)]).send().await });
    tokio::time::sleep(Duration::from_millis(700)).await;
    portal.kill();
    assert!(
        pressed.await.expect("join").is_err(),
        "the request died with the process"
    );
    assert_eq!(anaf.refresh_calls(), 1, "ANAF had the refresh");
    // The row says a refresh was in flight; nothing says "connected and fine" about it yet.
    let row = token_row(&app, token).await.expect("token");
    assert!(row.last_refreshed_at.is_none());

    let _portal = ChildPortal::start(&args).await;
    // The next refresh takes over the dead lease, learns from ANAF that the old refresh token is
    // gone, and says exactly why.
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("întreruptă"), "{page}");
    assert!(page.contains("data-status=\"reconnect_needed\""), "{page}");
    let row = token_row(&app, token).await.expect("token");
    assert!(row.refresh_interrupted_at.is_some());
    assert!(
        row.last_error
            .as_deref()
            .is_some_and(|e| e.contains("interrupted")),
        "{row:?}"
    );
}

/// A PostgreSQL cluster of this test's own (it is stopped and started again), when the machine
/// has PostgreSQL's server programs.
struct PrivatePostgres {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivatePostgres {
    fn start() -> Option<PrivatePostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("pg_ctl").is_file())
            .max()?;
        let dir = tempfile::tempdir().ok()?;
        let cluster = PrivatePostgres {
            bin,
            dir,
            port: free_port(),
        };
        if running_as_root() {
            // The server refuses to run as root: the directory belongs to `postgres`.
            Command::new("chown")
                .args(["-R", "postgres"])
                .arg(cluster.dir.path())
                .status()
                .ok()?;
        }
        let data = cluster.dir.path().join("data");
        let initdb = cluster
            .command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust"])
            .status()
            .ok()?;
        assert!(initdb.success(), "initdb");
        cluster.pg_ctl("start");
        Some(cluster)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if running_as_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    fn pg_ctl(&self, action: &str) {
        let dir = self.dir.path();
        let mut command = self.command("pg_ctl");
        command
            .arg("-D")
            .arg(dir.join("data"))
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-w", "-m", "immediate"])
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                self.port,
                dir.display()
            ))
            .arg(action);
        assert!(
            command.status().expect("pg_ctl").success(),
            "pg_ctl {action}"
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .status();
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test]
async fn a_database_stopped_during_a_refresh_loses_nothing_and_is_an_outage() {
    let Some(postgres) = PrivatePostgres::start() else {
        skip_unless_required(
            "ANAF_PORTAL_POSTGRES_TESTS",
            "the database-outage drill did not run: PostgreSQL's server programs are not installed (apt-get install postgresql)",
        );
        return;
    };
    let app = spawn_app_on(&postgres.url(), &["--anaf-http-timeout", "1s"]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let key = app.key_from_page("ERP").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;
    let before = token_row(&app, token).await.expect("token");

    // ANAF answers after 3 s; the database stops before that.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "latency", "ms": 3000}),
    )
    .await;
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("încă în curs"), "{page}");
    postgres.pg_ctl("stop");

    // An outage, not a crash: the branded page, /healthz and the API all say 503.
    let response = app.get(&format!("/companies/{company}")).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = response.text().await.expect("body");
    assert!(html.contains("Indisponibil temporar"), "{html}");
    assert!(html.contains("<code>"), "the request id to quote: {html}");
    let healthz = app.get("/healthz").await;
    assert_eq!(healthz.status(), StatusCode::SERVICE_UNAVAILABLE);
    let anonymous = reqwest::get(app.url("/healthz")).await.expect("healthz");
    assert_eq!(anonymous.status(), StatusCode::SERVICE_UNAVAILABLE);
    let api = app
        .client
        .get(app.url("/api/v1/anaf/tokens"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(api.headers().contains_key("retry-after"));
    assert_eq!(api.headers()["content-type"], "application/problem+json");

    // ANAF's answer arrived meanwhile and waits in the recovery spool.
    let spool = app.data_dir.path().join("refresh-spool");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&spool).map_or(0, |d| d.count()) == 0 {
        assert!(Instant::now() < deadline, "the answer was not spooled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The database comes back: the pair is saved without a restart, and it is the one ANAF knows.
    postgres.pg_ctl("start");
    wait_refreshed(&app, token, before.created_at, Duration::from_secs(20)).await;
    assert_eq!(std::fs::read_dir(&spool).map_or(0, |d| d.count()), 0);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    let response = app.api_refresh(&key, token).await;
    assert_eq!(response.status(), StatusCode::OK, "the saved pair works");
}

#[tokio::test]
async fn sigterm_waits_for_a_refresh_in_flight_and_saves_its_answer() {
    let anaf = ExternalAnaf::start().await;
    let (mut portal, app, _) = child_portal(&anaf, &["--anaf-http-timeout", "1s"]).await;
    let company = connect_company(&app).await;
    let token = app.token_id_of(company).await;
    let before = token_row(&app, token).await.expect("token");

    // ANAF replaces the pair at once and answers after 3 s; the page stops waiting after 1 s and
    // the service manager stops the portal right then.
    anaf.fault(json!({"kind": "slow_answer", "ms": 3000})).await;
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("încă în curs"), "{page}");
    let began = Instant::now();
    let status = portal.terminate();
    assert!(status.success(), "a clean exit: {status}");
    assert!(
        began.elapsed() >= Duration::from_millis(1500),
        "it waited for ANAF's answer"
    );
    let row = token_row(&app, token).await.expect("token");
    assert!(
        row.last_refreshed_at
            .is_some_and(|at| at > before.created_at),
        "the answer was saved before the process ended: {row:?}"
    );
    assert!(row.refresh_interrupted_at.is_none());
}
