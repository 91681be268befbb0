//! The refresh engine: due tokens refreshed with nobody pressing anything, exactly once across
//! instances; passing failures retried with backoff and shown with the next try; a refused
//! refresh token left for a reconnect.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{ExternalAnaf, TestApp, serial_with_rights, spawn_app_on, spawn_app_with};

const CIF: &str = "18547290";
const ENGINE: &[&str] = &["--worker", "on", "--scheduler-tick", "1s"];

/// ANAF's refresh calls so far, one `token_id`-free line each (the simulator's call log).
async fn refresh_calls(app: &TestApp) -> Vec<Value> {
    app.sim_calls("token")
        .await
        .into_iter()
        .filter(|c| c["grant_type"] == "refresh_token")
        .collect()
}

/// Sets the simulated clock back so that a token issued now expires in `days` days.
async fn tokens_expire_in(app: &TestApp, days: i64) {
    app.sim_post("clock", json!({"offset_seconds": -(90 - days) * 86_400}))
        .await;
}

/// Registers the first account (the platform's admin), adds a company and connects it with a
/// token the engine finds due at once (it expires in 5 days); the company's id.
async fn connect_due_token(app: &TestApp) -> i64 {
    tokens_expire_in(app, 5).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    company
}

/// ANAF answers the next refreshes with 503; returns once the engine's first try has failed.
async fn engine_refresh_fails_with_503(app: &TestApp) {
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 503, "count": 10}),
    )
    .await;
    wait_for("the failed try", Duration::from_secs(15), async || {
        !refresh_calls(app).await.is_empty()
    })
    .await;
}

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_due_token_is_refreshed_by_the_engine_alone_and_only_once() {
    let app = spawn_app_with(ENGINE).await;
    let company = connect_due_token(&app).await;

    wait_for(
        "the engine's refresh",
        Duration::from_secs(15),
        async || refresh_calls(&app).await.len() == 1,
    )
    .await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("Token reîmprospătat"), "the history says so");
    // The new token also expires within the window (the clock is still set back): it is not
    // refreshed again and again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(refresh_calls(&app).await.len(), 1, "exactly once");
    // ANAF gave the refresh token a new year: nobody needs to reconnect.
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-refresh=\"scheduled\""), "{page}");
}

/// The API key's token list.
async fn list_tokens(app: &TestApp, key: &str) -> Value {
    app.api(reqwest::Method::GET, "/api/v1/anaf/tokens", key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json")
}

/// The API key's view of the first token.
async fn first_token(app: &TestApp, key: &str) -> Value {
    list_tokens(app, key).await[0].clone()
}

#[tokio::test]
async fn a_refresh_token_whose_date_refreshes_cannot_move_asks_for_a_reconnect_before_it() {
    let app = spawn_app_with(ENGINE).await;
    // ANAF keeps the refresh token's expiry on refresh, and that ends 5 days after the access
    // token's: 10 days from now.
    app.sim_post(
        "settings",
        json!({"refresh_restarts_lifetime": false, "refresh_token_lifetime_days": 95}),
    )
    .await;
    let company = connect_due_token(&app).await;
    let key = app.key_from_page("ERP").await;
    let hard_date = first_token(&app, &key).await["refreshExpiresAt"]
        .as_str()
        .expect("the refresh token's expiry")
        .to_owned();

    // The engine refreshes it (the access token is due) and learns that the date did not move;
    // ANAF counting the call comes before the portal saving its answer.
    wait_for(
        "the engine's refresh",
        Duration::from_secs(15),
        async || {
            refresh_calls(&app).await.len() == 1
                && first_token(&app, &key).await["refresh"]["state"] != "refreshing"
        },
    )
    .await;
    let token = first_token(&app, &key).await;
    assert_eq!(token["refreshExpiresAt"], hard_date.as_str(), "{token}");
    assert_eq!(token["refresh"]["state"], "reconnect_before", "{token}");
    assert_eq!(
        token["refresh"]["reconnectBy"],
        hard_date.as_str(),
        "{token}"
    );
    assert_eq!(token["isValid"], true, "still works until then");

    // Every page shows the date with what to do.
    // In Romanian time, as the Romanian pages write it.
    let hard = chrono::DateTime::parse_from_rfc3339(&hard_date)
        .expect("an RFC 3339 date")
        .naive_utc();
    let shown = anaf_portal::i18n::Lang::Ro.catalog().local_date_time(hard);
    for page in [format!("/companies/{company}"), "/tokens".to_owned()] {
        let html = app.get_html(&page).await;
        assert!(
            html.contains("data-refresh=\"reconnect_before\""),
            "{page}: {html}"
        );
        assert!(
            html.contains(&shown),
            "{page} names the date {shown}: {html}"
        );
        assert!(
            !html.contains("ANAF nu mai acceptă"),
            "ANAF still accepts it until then: {html}"
        );
    }
    // Nothing more is tried for it in a loop.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(refresh_calls(&app).await.len(), 1);
}

#[tokio::test]
async fn passing_failures_are_retried_later_and_say_when() {
    let app = spawn_app_with(ENGINE).await;
    let company = connect_due_token(&app).await;
    engine_refresh_fails_with_503(&app).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        refresh_calls(&app).await.len(),
        1,
        "no retry within the backoff"
    );
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-refresh=\"retrying\""), "{page}");
    assert!(page.contains("HTTP 503"), "the cause is shown");

    // The API says the same, with when the next try is.
    let key = app.key_from_page("ERP").await;
    let listed: Value = list_tokens(&app, &key).await;
    let refresh = &listed[0]["refresh"];
    assert_eq!(refresh["state"], "retrying", "{listed}");
    assert!(refresh["nextAttemptAt"].is_string(), "{listed}");
    assert!(
        refresh["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("503")),
        "{listed}"
    );
}

#[tokio::test]
async fn a_refused_refresh_token_is_left_for_a_reconnect() {
    let app = spawn_app_with(ENGINE).await;
    let company = connect_due_token(&app).await;
    // ANAF's clock moves past the refresh token's year (the portal's does not): ANAF refuses it.
    app.sim_post("clock", json!({"advance_days": 400})).await;

    wait_for("the refused try", Duration::from_secs(15), async || {
        !refresh_calls(&app).await.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(refresh_calls(&app).await.len(), 1, "never retried");
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"reconnect_needed\""), "{page}");
}

/// Saves `count` pairs minted by `anaf` through `app`'s API (`key`'s user is logged in there),
/// each for a new company.
async fn save_minted_tokens(anaf: &ExternalAnaf, app: &TestApp, key: &str, count: usize) {
    let mut stem = 3_000_000u32;
    let mut saved = 0;
    while saved < count {
        stem += 1;
        let Some(cif) = (0..10)
            .map(|check| format!("{stem}{check}"))
            .find(|c| anaf_portal::domain::Cif::parse(c).is_ok())
        else {
            continue;
        };
        app.add_company(&cif, "").await;
        let minted = anaf
            .control(
                "mint",
                json!({"certificate_serial": serial_with_rights(), "client_id": "portal-client"}),
            )
            .await;
        let response = app
            .api_post(
                key,
                json!({"token": minted["access_token"], "refreshToken": minted["refresh_token"], "cif": cif}),
            )
            .await;
        assert_eq!(response.status().as_u16(), 201);
        saved += 1;
    }
}

#[tokio::test]
async fn three_instances_refresh_every_due_token_exactly_once() {
    // One ANAF for all three (a sandbox portal's simulator lives in its own process).
    let anaf = ExternalAnaf::start().await;
    let callback = "http://127.0.0.1:9/anaf/callback";
    anaf.register(callback).await;
    anaf.control("clock", json!({"offset_seconds": -85 * 86_400}))
        .await;
    let mut args = anaf.portal_args(callback);
    // The budget is not what this test is about.
    args.extend(["--anaf-calls-per-minute".to_owned(), "100000".to_owned()]);
    let web_only: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = spawn_app_with(&web_only).await;
    let (key, _) = first.user_with_key("erp@firma.ro", &[]).await;
    first
        .login("erp@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    let saved = 300;
    save_minted_tokens(&anaf, &first, &key, saved).await;

    let mut with_engine = web_only.clone();
    with_engine.extend(ENGINE);
    let _instances = [
        spawn_app_on(&first.database_url, &with_engine).await,
        spawn_app_on(&first.database_url, &with_engine).await,
        spawn_app_on(&first.database_url, &with_engine).await,
    ];
    wait_for(
        "every due token refreshed",
        Duration::from_secs(120),
        async || anaf.refresh_calls() >= saved,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(anaf.refresh_calls(), saved, "one ANAF call per token");
}

/// Starts `anaf-portal worker` on `app`'s database and data directory with `settings` (the
/// external ANAF's) and a 1 s tick; its log goes nowhere.
fn start_worker(app: &TestApp, settings: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .arg("worker")
        .args(settings)
        .args(["--database-url", &app.database_url, "--data-dir"])
        .arg(app.data_dir.path())
        .args(["--scheduler-tick", "1s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the worker starts")
}

#[tokio::test]
async fn the_worker_command_refreshes_without_a_web_server_and_stops_on_sigterm() {
    let anaf = ExternalAnaf::start().await;
    let callback = "http://127.0.0.1:9/anaf/callback";
    anaf.register(callback).await;
    anaf.control("clock", json!({"offset_seconds": -85 * 86_400}))
        .await;
    let settings = anaf.portal_args(callback);
    let web_only: Vec<&str> = settings.iter().map(String::as_str).collect();
    let app = spawn_app_with(&web_only).await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[CIF]).await;
    let minted = anaf
        .control(
            "mint",
            json!({"certificate_serial": serial_with_rights(), "client_id": "portal-client"}),
        )
        .await;
    let saved = app
        .api_post(
            &key,
            json!({"token": minted["access_token"], "refreshToken": minted["refresh_token"], "cif": CIF}),
        )
        .await;
    assert_eq!(saved.status().as_u16(), 201);

    let mut worker = start_worker(&app, &web_only);
    wait_for(
        "the worker's refresh",
        Duration::from_secs(20),
        async || anaf.refresh_calls() == 1,
    )
    .await;
    let status = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = worker.wait().expect("exit");
    assert!(exit.success(), "a clean stop: {exit:?}");
    let listed: Value = list_tokens(&app, &key).await;
    assert_ne!(listed[0]["expiresAt"], Value::Null);
    assert_eq!(listed[0]["refresh"]["state"], "scheduled", "{listed}");
}

#[tokio::test]
async fn an_engine_killed_mid_sweep_leaves_nothing_stuck() {
    let anaf = ExternalAnaf::start().await;
    let callback = "http://127.0.0.1:9/anaf/callback";
    anaf.register(callback).await;
    anaf.control("clock", json!({"offset_seconds": -85 * 86_400}))
        .await;
    // A refresh token keeps working after use: the pairs whose answers die with the worker can
    // be refreshed again by whoever takes over.
    anaf.control("settings", json!({"refresh_mode": "reusable"}))
        .await;
    let mut settings = anaf.portal_args(callback);
    settings.extend(["--refresh-timeout".to_owned(), "2s".to_owned()]);
    let web_only: Vec<&str> = settings.iter().map(String::as_str).collect();
    let app = spawn_app_with(&web_only).await;
    let (key, _) = app.user_with_key("erp@firma.ro", &[]).await;
    app.login("erp@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    save_minted_tokens(&anaf, &app, &key, 8).await;

    // The worker's first claim (4 tokens) reaches ANAF, which answers slowly; the worker dies.
    anaf.control(
        "faults",
        json!({"endpoint": "token", "kind": "slow_answer", "ms": 1500, "count": 4}),
    )
    .await;
    let mut worker = start_worker(&app, &web_only);
    wait_for(
        "the worker's first claim",
        Duration::from_secs(20),
        async || anaf.refresh_calls() == 4,
    )
    .await;
    worker.kill().expect("kill -9");
    worker.wait().expect("reaped");

    // Another instance takes over once the dead worker's leases run out (1.5 × 2 s).
    let mut with_engine = web_only.clone();
    with_engine.extend(ENGINE);
    let _survivor = spawn_app_on(&app.database_url, &with_engine).await;
    wait_for(
        "every token refreshed",
        Duration::from_secs(30),
        async || anaf.refresh_calls() >= 12,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The four answers lost with the worker cost one more call each, nothing else.
    assert_eq!(anaf.refresh_calls(), 12);
    let listed: Value = list_tokens(&app, &key).await;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tokens = listed.as_array().expect("a list");
    assert_eq!(tokens.len(), 8);
    for token in tokens {
        assert_eq!(token["refresh"]["state"], "scheduled", "{token}");
        assert_eq!(token["isValid"], true, "{token}");
        assert!(
            token["refresh"]["dueAt"].as_str() > Some(now.as_str()),
            "refreshed, so due again later: {token}"
        );
    }
}

#[tokio::test]
async fn the_worker_command_refuses_sandbox_mode_in_one_line() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .arg("worker")
        .arg("--data-dir")
        .arg(data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    assert!(
        line.contains("ANAF_CLIENT_ID") && line.contains("serve"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_job_started_where_no_engine_runs_is_finished_by_another_instance() {
    let web_only = spawn_app_with(&[]).await;
    tokens_expire_in(&web_only, 5).await;
    web_only.register_logged_in("contabil@firma.ro").await;
    let company = web_only.add_company(CIF, "Firma SRL").await;
    web_only.connect_with(company, &serial_with_rights()).await;
    let r = web_only
        .post_form("/", "/tokens/refresh-expiring", &[])
        .await;
    let job = crate::helpers::location(&r);
    assert!(job.starts_with("/jobs/"), "{job}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        web_only
            .get_html(&job)
            .await
            .contains("data-job-state=\"running\""),
        "waits: no engine here"
    );

    // Another instance, with the engine, on the same database, keys and ANAF (the first one's
    // simulator, where its client gets a secret the test knows): it finishes the job.
    let simulator = format!("{}/sandbox/anaf", web_only.address);
    web_only
        .sim_post(
            "clients",
            json!({
                "client_id": anaf_portal::startup::SANDBOX_CLIENT_ID,
                "client_secret": "engine-secret",
                "redirect_uri": format!("{}/anaf/callback", web_only.address),
            }),
        )
        .await;
    let key = std::fs::read_to_string(web_only.data_dir.path().join("secret.key")).expect("key");
    let other = spawn_app_on(
        &web_only.database_url,
        &[
            "--worker",
            "on",
            "--scheduler-tick",
            "1s",
            "--secret-key",
            key.trim(),
            "--anaf-client-id",
            anaf_portal::startup::SANDBOX_CLIENT_ID,
            "--anaf-client-secret",
            "engine-secret",
            "--anaf-oauth-url",
            &format!("{simulator}/anaf-oauth2/v1"),
            "--anaf-api-url",
            &simulator,
            "--anaf-registry-url",
            &simulator,
        ],
    )
    .await;
    let _ = other;
    wait_for("the job's end", Duration::from_secs(20), async || {
        web_only
            .get_html(&job)
            .await
            .contains("data-job-state=\"finished\"")
    })
    .await;
    assert_eq!(refresh_calls(&web_only).await.len(), 1);
}

#[tokio::test]
async fn the_budget_admits_its_limit_each_minute_and_nothing_during_a_pause() {
    use anaf_portal::db::models::anaf_budget::{self, Admission};
    let app = spawn_app_with(&[]).await;
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().expect("connection");
        // Tomorrow: the portal's cleanup forgets counts older than two days, so a fixed date
        // would have its rows deleted under the test once it is that far in the past.
        let day = (chrono::Utc::now() + chrono::TimeDelta::days(1)).date_naive();
        let at = |minute: u32, second: u32| day.and_hms_opt(10, minute, second).expect("time");
        let ms = |minute: u32, second: u32, milli: u32| {
            day.and_hms_milli_opt(10, minute, second, milli)
                .expect("time")
        };
        let take = |conn: &mut _, when, person: bool| {
            let per_second = (!person).then_some(2);
            anaf_budget::take(conn, when, 5, per_second).expect("take")
        };
        // The windows slide (a call counts for the 60 s, or the second, after its bucket: 100 ms
        // for the minute, 10 ms for the pace), so "ask again" is when the oldest call leaves.
        // The background: two in any second, however many it asks for.
        assert_eq!(take(&mut conn, at(0, 1), false), Admission::Admitted);
        assert_eq!(take(&mut conn, at(0, 1), false), Admission::Admitted);
        assert_eq!(
            take(&mut conn, at(0, 1), false),
            Admission::Full(ms(0, 2, 10)),
            "the third in one second waits until the first leaves it"
        );
        assert_eq!(take(&mut conn, ms(0, 2, 10), false), Admission::Admitted);
        // A person takes what is left of the minute at once, ahead of the background.
        assert_eq!(take(&mut conn, ms(0, 2, 10), true), Admission::Admitted);
        assert_eq!(take(&mut conn, ms(0, 2, 10), true), Admission::Admitted);
        assert_eq!(
            take(&mut conn, at(0, 3), false),
            Admission::Full(ms(1, 1, 100)),
            "the minute's five are used"
        );
        assert_eq!(
            take(&mut conn, at(0, 4), true),
            Admission::Full(ms(1, 1, 100))
        );
        // A new calendar minute is no new budget: the five are less than 60 s old.
        assert_eq!(
            take(&mut conn, at(1, 0), true),
            Admission::Full(ms(1, 1, 100))
        );
        assert_eq!(take(&mut conn, ms(1, 1, 100), true), Admission::Admitted);

        anaf_budget::pause_until(&mut conn, at(2, 30)).expect("pause");
        anaf_budget::pause_until(&mut conn, at(2, 0)).expect("a shorter pause changes nothing");
        assert_eq!(
            take(&mut conn, at(1, 10), true),
            Admission::Paused(at(2, 30))
        );
        assert_eq!(
            take(&mut conn, at(1, 10), false),
            Admission::Paused(at(2, 30))
        );
        assert_eq!(take(&mut conn, at(2, 31), false), Admission::Admitted);
    })
    .await
    .expect("join");
}

#[tokio::test]
async fn a_429_from_anaf_pauses_every_call_of_the_portal() {
    let app = spawn_app_with(&[]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let first = app.add_company(CIF, "Firma SRL").await;
    let second = app.add_company("14399840", "Alta SRL").await;
    app.connect_with(first, &serial_with_rights()).await;
    app.connect_with(second, &serial_with_rights()).await;
    let (one, two) = (app.token_id_of(first).await, app.token_id_of(second).await);

    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 429, "count": 1}),
    )
    .await;
    let page = app.press_refresh(first, one).await;
    assert!(page.contains("429"), "{page}");
    assert_eq!(refresh_calls(&app).await.len(), 1);

    // ANAF said "Retry-After: 60": the next refresh, of another token, does not reach ANAF.
    let page = app.press_refresh(second, two).await;
    assert!(page.contains("429") || page.contains("limit"), "{page}");
    assert_eq!(refresh_calls(&app).await.len(), 1, "paused: no call");
}

/// Makes every token's scheduled rights probe due now (a week passes for the portal).
async fn rights_probes_fall_due(app: &TestApp) {
    use anaf_portal::db::schema::company_tokens;
    use diesel::prelude::*;
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().expect("connection");
        let past = anaf_portal::db::models::now() - chrono::TimeDelta::minutes(1);
        diesel::update(company_tokens::table)
            .set(company_tokens::rights_probe_due_at.eq(Some(past)))
            .execute(&mut conn)
            .expect("update");
    })
    .await
    .expect("blocking task");
}

#[tokio::test]
async fn rights_withdrawn_at_anaf_show_on_the_company_page_after_the_weekly_probe() {
    let app = spawn_app_with(ENGINE).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    let serial = serial_with_rights();
    app.connect_with(company, &serial).await;
    assert_eq!(app.sim_calls("lista").await.len(), 1, "probed at connect");
    // Nothing is due for a week: the engine does not probe again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        app.sim_calls("lista").await.len(),
        1,
        "not again before a week"
    );

    // The company withdraws the holder's SPV rights at ANAF; a week passes.
    let mut certificate = anaf_simulator::default_certificates()
        .into_iter()
        .find(|c| c.serial == serial)
        .expect("the certificate");
    certificate.cifs.retain(|cif| cif != CIF);
    app.sim_post("certificates", json!(certificate)).await;
    rights_probes_fall_due(&app).await;

    wait_for("the weekly probe", Duration::from_secs(15), async || {
        app.sim_calls("lista").await.len() == 2
    })
    .await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"no_rights\""), "{page}");
    assert!(
        page.contains("înrolat în SPV"),
        "the guidance names the causes: {page}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(app.sim_calls("lista").await.len(), 2, "once, not in a loop");
}

#[tokio::test]
async fn a_cif_gets_at_most_ten_rights_probes_a_day() {
    let app = spawn_app_with(&[]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    let key = app.key_from_page("ERP").await;
    let id = first_token(&app, &key).await["id"].clone();
    // Each forced refresh probes the rights once more, until the day's ten are used.
    for _ in 0..12 {
        let response = app
            .api(
                reqwest::Method::POST,
                &format!("/api/v1/anaf/tokens/{id}/refresh?force=true"),
                &key,
            )
            .send()
            .await
            .expect("refresh");
        assert_eq!(response.status(), 200);
    }
    assert_eq!(refresh_calls(&app).await.len(), 12);
    assert_eq!(
        app.sim_calls("lista").await.len(),
        10,
        "connect + 9 refreshes"
    );
    let token = first_token(&app, &key).await;
    assert_eq!(
        token["rights"], "granted",
        "the known verdict stands: {token}"
    );
}

const METRICS_TOKEN: &str = "scrape-0123456789abcdef";

#[tokio::test]
async fn metrics_answer_only_with_the_token_and_show_refreshes_calls_and_tokens() {
    let app = spawn_app_with(&[
        "--worker",
        "on",
        "--scheduler-tick",
        "1s",
        "--metrics-token",
        METRICS_TOKEN,
    ])
    .await;
    connect_due_token(&app).await;
    wait_for(
        "the engine's refresh",
        Duration::from_secs(15),
        async || refresh_calls(&app).await.len() == 1,
    )
    .await;

    let url = format!("{}/metrics", app.address);
    let scraper = reqwest::Client::new();
    for authorization in [
        None,
        Some("Bearer wrong-token-0123456789"),
        Some(METRICS_TOKEN),
    ] {
        let mut request = scraper.get(&url);
        if let Some(value) = authorization {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.expect("scrape");
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let response = scraper
        .get(&url)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "the Prometheus text format"
    );
    let body = response.text().await.expect("body");
    for line in [
        "anaf_portal_refreshes_total{outcome=\"refreshed\"}",
        "anaf_portal_anaf_calls_total{endpoint=\"token\",status=\"200\"}",
        "anaf_portal_anaf_calls_total{endpoint=\"lista\",status=\"200\"}",
        "anaf_portal_budget_wait_seconds",
        // The gauges are this database's, read at the scrape.
        "anaf_portal_tokens{status=\"connected\"} 1\n",
        "anaf_portal_tokens{status=\"expired\"} 0\n",
        "anaf_portal_tokens_by_refresh_state{state=\"scheduled\"} 1\n",
        "anaf_portal_refresh_due 0\n",
    ] {
        assert!(body.contains(line), "{line} in {body}");
    }
    assert!(!body.contains("eyJ"), "no token in the metrics");
}

#[tokio::test]
async fn the_lifecycle_page_shows_states_causes_budget_and_engines() {
    let app = spawn_app_with(ENGINE).await;
    // The first account is the platform's admin.
    connect_due_token(&app).await;
    engine_refresh_fails_with_503(&app).await;

    let page = app.get_html("/support/lifecycle").await;
    assert!(page.contains("data-count=\"tokens\">1<"), "{page}");
    assert!(page.contains("data-state=\"retrying\">1<"), "{page}");
    assert!(page.contains("HTTP 503"), "the cause: {page}");
    assert!(page.contains("data-calls>"), "the budget's minutes: {page}");
    assert!(page.contains("1000"), "the budget's limit: {page}");
    assert!(
        page.contains("data-running") && page.contains("pid "),
        "this instance's engine: {page}"
    );
    assert!(!page.contains("eyJ"), "no token on the page");
}

#[tokio::test]
async fn an_engine_killed_mid_sweep_shows_as_silent_on_the_lifecycle_page() {
    use anaf_portal::db::schema::engine_instances;
    use diesel::prelude::*;
    let app = spawn_app_with(ENGINE).await;
    app.register_logged_in("contabil@firma.ro").await;
    // What a kill mid-sweep leaves behind: no stop, no next tick (the sweep cleared it), and a
    // heartbeat that stopped ten minutes ago.
    let at = chrono::Utc::now().naive_utc();
    let ago = |minutes| at - chrono::TimeDelta::minutes(minutes);
    let mut conn = app.app_db.get_blocking().expect("connection");
    diesel::insert_into(engine_instances::table)
        .values((
            engine_instances::id.eq("killed"),
            engine_instances::host.eq("killed-host (pid 1)"),
            engine_instances::started_at.eq(ago(60)),
            engine_instances::last_tick_at.eq(Some(ago(10))),
            engine_instances::heartbeat_at.eq(Some(ago(10))),
        ))
        .execute(&mut *conn)
        .expect("a killed engine's row");
    drop(conn);

    let page = app.get_html("/support/lifecycle").await;
    let row = page
        .split("<tr")
        .find(|row| row.contains("killed-host"))
        .unwrap_or_else(|| panic!("the killed engine's row: {page}"));
    assert!(!row.contains("data-running"), "not running: {row}");
    assert!(
        row.contains("tăcut") || row.contains("silent"),
        "shown as silent: {row}"
    );
    // This instance's own engine beats and is running.
    assert!(
        page.split("<tr")
            .any(|row| row.contains("data-running") && row.contains("pid ")),
        "{page}"
    );
}

#[tokio::test]
async fn a_token_deleted_while_the_engine_refreshes_it_stays_deleted() {
    let app = spawn_app_with(ENGINE).await;
    tokens_expire_in(&app, 5).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    let key = app.key_from_page("ERP").await;
    // ANAF takes its time answering the code exchange and then the engine's refresh.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "slow_answer", "ms": 2000, "count": 2}),
    )
    .await;
    app.connect_with(company, &serial_with_rights()).await;
    let id = first_token(&app, &key).await["id"].clone();
    wait_for(
        "the engine's refresh",
        Duration::from_secs(15),
        async || refresh_calls(&app).await.len() == 1,
    )
    .await;

    let deleted = app
        .api(
            reqwest::Method::DELETE,
            &format!("/api/v1/anaf/tokens/{id}"),
            &key,
        )
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    // ANAF's answer arrives after the delete: it is not stored back, and the new pair is revoked.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let listed: Value = list_tokens(&app, &key).await;
    assert_eq!(listed, json!([]), "deleting wins");
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"not_connected\""), "{page}");
    let revokes = app.sim_calls("revoke").await;
    assert!(
        revokes.len() >= 2,
        "the deleted pair and the one ANAF answered with are revoked: {revokes:?}"
    );
    assert_eq!(refresh_calls(&app).await.len(), 1);
}

#[tokio::test]
async fn failures_that_last_past_the_threshold_flag_the_token_as_failing() {
    let app = spawn_app_with(&[
        "--worker",
        "on",
        "--scheduler-tick",
        "1s",
        "--refresh-failing-after",
        "1s",
    ])
    .await;
    tokens_expire_in(&app, 5).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma SRL").await;
    let key = app.key_from_page("ERP").await;
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 502, "count": 10}),
    )
    .await;
    // Saved through the API: no call to ANAF's token endpoint before the engine's.
    app.save_minted(&key, Some(CIF)).await;
    wait_for(
        "the engine's failed try",
        Duration::from_secs(15),
        async || !refresh_calls(&app).await.is_empty(),
    )
    .await;
    assert_eq!(
        first_token(&app, &key).await["refresh"]["state"],
        "retrying"
    );

    // Failing for longer than the threshold: the next failure (a person's) flags it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let id = first_token(&app, &key).await["id"].clone();
    let response = app
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/anaf/tokens/{id}/refresh?force=true"),
            &key,
        )
        .send()
        .await
        .expect("refresh");
    assert_eq!(response.status(), 503);
    let token = first_token(&app, &key).await;
    assert_eq!(token["refresh"]["state"], "failing", "{token}");
    assert!(token["refresh"]["failingSince"].is_string(), "{token}");
    for page in [
        format!("/companies/{company}"),
        "/tokens".to_owned(),
        "/support".to_owned(),
    ] {
        let html = app.get_html(&page).await;
        assert!(html.contains("data-refresh=\"failing\""), "{page}: {html}");
        assert!(html.contains("HTTP 502"), "{page} shows the cause: {html}");
    }
}
