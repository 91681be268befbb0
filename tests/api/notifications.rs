//! Events reach people: the bell, email through a real SMTP server (aiosmtpd, `tests/smtp/
//! sink.py`) at once or in a daily digest, in the reader's language, once per change, never with
//! a token in it; mail waiting in the outbox is sent by whichever instance runs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    ChildPortal, Received, Receiver, SmtpSink, TestApp, Troubled, assert_once_each, browser_for,
    cif_from, free_port, refresh_refused, save_without_refresh_token, serial_with_rights,
    serial_without_rights, spawn_app_on, spawn_app_with, test_args, verified_by_reference_library,
    webhook_events,
};

/// The settings of an instance that sends mail to `sink`, with its engine ticking every second.
fn mailing(sink: &SmtpSink, digest_at: &str) -> Vec<String> {
    vec![
        "--worker",
        "on",
        "--scheduler-tick",
        "1s",
        "--smtp-url",
        &sink.url(),
        "--mail-from",
        "ANAF Portal <portal@example.ro>",
        "--digest-at",
        digest_at,
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}

/// `settings` for another instance on `app`'s database (which needs `app`'s secret key).
fn beside(app: &TestApp, mut settings: Vec<String>) -> Vec<String> {
    let key = std::fs::read_to_string(app.data_dir.path().join("secret.key")).expect("the key");
    settings.extend(["--secret-key".to_owned(), key.trim().to_owned()]);
    settings
}

fn args(settings: &[String]) -> Vec<&str> {
    settings.iter().map(String::as_str).collect()
}

/// A time of day in Romania `seconds` from now, as `ANAF_PORTAL_DIGEST_AT` takes it.
fn romanian_time_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::TimeDelta::seconds(seconds))
        .with_timezone(&chrono_tz::Europe::Bucharest)
        .format("%H:%M:%S")
        .to_string()
}

async fn wait_until(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The kinds of the notifications on the person's list, newest first.
async fn notification_kinds(app: &TestApp) -> Vec<String> {
    let html = app.get_html("/notifications").await;
    html.match_indices("data-kind=\"")
        .map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_owned()
        })
        .collect()
}

fn assert_no_token_in(mail: &Value, tokens: &[&str]) {
    let raw = mail["raw"].as_str().unwrap_or_default();
    assert!(!raw.contains("eyJ"), "no JWT in a mail: {raw}");
    for token in tokens {
        assert!(!raw.contains(token), "no token value in a mail");
    }
}

#[tokio::test]
async fn a_token_that_needs_a_reconnect_mails_its_members_once_in_their_language() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let app = spawn_app_with(&args(&mailing(&sink, "07:00"))).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Firma Exemplu SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    wait_until(
        "the connection's notification",
        Duration::from_secs(10),
        async || notification_kinds(&app).await == ["token.connected"],
    )
    .await;
    let dashboard = app.get_html("/").await;
    assert!(
        dashboard.contains("data-unread=\"1\""),
        "the bell counts it: {dashboard}"
    );

    refresh_refused(&app, company).await;
    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    let mail = &mails[0];
    assert_eq!(mail["rcpt_tos"], json!(["contabil@firma.ro"]));
    assert_eq!(mail["mail_from"], "portal@example.ro");
    let subject = mail["headers"]["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("Este necesară reconectarea") && subject.contains("Firma Exemplu SRL"),
        "a Romanian subject naming the company: {subject}"
    );
    let text = mail["text"].as_str().unwrap_or_default();
    assert!(text.contains("CIF 18547290"), "{text}");
    assert!(text.contains("Conectare ANAF"), "says what to do: {text}");
    assert!(
        text.contains(&format!("{}/companies/{company}", app.address)),
        "links the company: {text}"
    );
    let html = mail["html"].as_str().unwrap_or_default();
    assert!(
        html.contains("lang=\"ro\"") && html.contains("Firma Exemplu SRL"),
        "{html}"
    );
    assert_no_token_in(mail, &[]);

    // The bell has it too; nothing is mailed again while the state stays.
    assert_eq!(
        notification_kinds(&app).await,
        ["token.reconnect_needed", "token.connected"]
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.mails().len(), 1, "one mail per change");

    // Marking read empties the bell.
    let r = app
        .post_form("/notifications", "/notifications/read-all", &[])
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(!app.get_html("/").await.contains("data-unread="));
}

#[tokio::test]
async fn a_digest_reader_with_webhooks_hears_of_three_troubles_once_by_each_channel() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    // Digests of this instance are due in 12 hours: none goes out during the test.
    let mut settings = mailing(&sink, &romanian_time_in(12 * 3600));
    settings.extend(["--webhook-allow-private".to_owned(), "true".to_owned()]);
    let app = spawn_app_with(&args(&settings)).await;
    app.register_logged_in("contabil@firma.ro").await;
    let r = app
        .post_form(
            "/settings/notifications",
            "/settings/notifications",
            &[("email", "digest"), ("language", "en")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let key = app.key_from_page("ERP").await;

    let troubled = Troubled::add(&app).await;
    // A webhook endpoint on each company, for every event.
    let receiver = Receiver::start().await;
    let mut secrets = Vec::new();
    for company in [troubled.alfa, troubled.beta, troubled.gama] {
        secrets.push(
            app.endpoint_for_all_events(company, &receiver.url())
                .await
                .1,
        );
    }
    let access = troubled.get_into_trouble(&app, &key).await;
    let (alfa_cif, gama_cif) = (troubled.alfa_cif, troubled.gama_cif);

    wait_until(
        "the three troubles in the bell",
        Duration::from_secs(15),
        async || {
            let kinds = notification_kinds(&app).await;
            [
                "token.rights_lost",
                "token.reconnect_needed",
                "token.expiring",
            ]
            .iter()
            .all(|k| kinds.iter().any(|seen| seen == k))
        },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        sink.mails().is_empty(),
        "a digest reader gets no mail at once"
    );

    // Another instance whose digest time comes in 3 seconds sends the one digest.
    let digest_at = romanian_time_in(3);
    let _second = spawn_app_on(
        &app.database_url,
        &args(&beside(&app, mailing(&sink, &digest_at))),
    )
    .await;
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    let digest = &mails[0];
    let subject = digest["headers"]["subject"].as_str().unwrap_or_default();
    assert!(subject.contains("3 companies need attention"), "{subject}");
    let text = digest["text"].as_str().unwrap_or_default();
    for (name, cif, problem) in [
        ("Alfa SRL", alfa_cif.as_str(), "no SPV rights for this CIF"),
        ("Beta SRL", "18547290", "reconnect needed"),
        ("Gama SRL", gama_cif, "reconnect before"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} is listed: {text}"));
        assert!(line.contains(cif) && line.contains(problem), "{line}");
    }
    assert!(text.contains("What to do"), "{text}");
    // Most urgent first: the refused token before the missing rights before the date.
    let order: Vec<usize> = ["Beta SRL", "Alfa SRL", "Gama SRL"]
        .iter()
        .map(|name| text.find(name).expect("listed"))
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    assert_no_token_in(digest, &[&access]);

    // The endpoints got one signed delivery per event, each verified by the reference library.
    let events = webhook_events(&app).await;
    let received = receiver.received();
    assert_once_each(&received, &events);
    let kinds: Vec<String> = received
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    for kind in [
        "token.rights_lost",
        "token.reconnect_needed",
        "token.expiring",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "{kind} delivered: {kinds:?}"
        );
    }
    for (company, secret) in [troubled.alfa, troubled.beta, troubled.gama]
        .into_iter()
        .zip(&secrets)
    {
        let of_company: Vec<Received> = received
            .iter()
            .filter(|r| r.json()["data"]["companyId"] == company)
            .cloned()
            .collect();
        assert!(!of_company.is_empty(), "company {company} got deliveries");
        if !verified_by_reference_library(secret, &of_company) {
            return;
        }
        assert!(of_company.iter().all(|r| !r.body.contains(&access)));
    }

    // The next digest time comes with nothing changed: nothing is sent.
    let _third = spawn_app_on(
        &app.database_url,
        &args(&beside(&app, mailing(&sink, &romanian_time_in(2)))),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(sink.mails().len(), 1, "no second digest for the same state");
    assert_eq!(
        receiver.received().len(),
        received.len(),
        "no delivery again"
    );
}

#[tokio::test]
async fn mail_left_in_the_outbox_by_a_killed_instance_is_sent_once_after_a_restart() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    // The first instance, a process of its own, cannot reach its SMTP server: its mail waits.
    let port = free_port();
    let (_, data_dir, database_url) = test_args(None, &[]);
    let dead = format!("smtp://127.0.0.1:{}", free_port());
    let settings: Vec<String> = [
        "--bind",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
        &data_dir.path().display().to_string(),
        "--database-url",
        &database_url,
        "--worker",
        "on",
        "--scheduler-tick",
        "1s",
        "--smtp-url",
        &dead,
        "--mail-from",
        "portal@example.ro",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    let mut portal = ChildPortal::start(&settings).await;
    let first = browser_for(&portal, &database_url, data_dir);
    first.register_logged_in("contabil@firma.ro").await;
    let alfa = first.add_company("18547290", "Alfa SRL").await;
    let beta = first.add_company(&cif_from(4_000_001), "Beta SRL").await;
    first.connect_with(alfa, &serial_without_rights()).await;
    first.connect_with(beta, &serial_without_rights()).await;
    let db = first.db();
    // (queued, tried): both mails queued, the first tried and failed (the rest waits for a
    // server that answers).
    let outbox = || {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                use anaf_portal::db::schema::mail_outbox;
                use diesel::prelude::*;
                let mut conn = db.get_blocking().expect("a connection");
                let pending = mail_outbox::table.filter(mail_outbox::status.eq("pending"));
                let queued: i64 = pending.count().get_result(&mut conn).expect("count");
                let tried: i64 = pending
                    .filter(mail_outbox::attempts.ge(1))
                    .count()
                    .get_result(&mut conn)
                    .expect("count");
                (queued, tried)
            })
            .await
            .expect("count")
        }
    };
    wait_until(
        "two mails queued, one tried",
        Duration::from_secs(15),
        async || {
            let (queued, tried) = outbox().await;
            queued == 2 && tried >= 1
        },
    )
    .await;
    portal.kill();
    // The retry is due now rather than in a minute, and a claim the dead process may have held
    // has run out (it lasts 5 minutes), for the instance that starts next.
    tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::mail_outbox;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().expect("a connection");
        diesel::update(mail_outbox::table)
            .set((
                mail_outbox::next_attempt_at.eq(anaf_portal::db::models::now()),
                mail_outbox::claimed_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(&mut conn)
            .expect("due now");
    })
    .await
    .expect("update");

    let _restarted = spawn_app_on(
        &first.database_url,
        &args(&beside(&first, mailing(&sink, "07:00"))),
    )
    .await;
    let mails = sink.wait_for(2, Duration::from_secs(15)).await;
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["headers"]["subject"].as_str().unwrap_or_default())
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("Alfa SRL")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("Beta SRL")),
        "{subjects:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.mails().len(), 2, "each sent exactly once");
}

#[tokio::test]
async fn the_settings_page_says_when_email_is_off_and_the_test_button_sends_one() {
    // A sandbox without SMTP keeps its mail in the sandbox mailbox.
    let sandbox = spawn_app_with(&[]).await;
    sandbox.register_logged_in("contabil@firma.ro").await;
    let page = sandbox.get_html("/settings/notifications").await;
    assert!(page.contains("data-email=\"sandbox\""), "{page}");
    assert!(page.contains("href=\"/sandbox/mail\""), "{page}");

    // Outside the sandbox, without SMTP, email is off.
    let anaf = crate::helpers::ExternalAnaf::start().await;
    let callback = "http://127.0.0.1:9/anaf/callback";
    anaf.register(callback).await;
    let args = anaf.portal_args(callback);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let off = spawn_app_with(&args).await;
    off.register_logged_in("contabil@firma.ro").await;
    let page = off.get_html("/settings/notifications").await;
    assert!(page.contains("data-email=\"off\""), "{page}");
    assert!(page.contains("ANAF_PORTAL_SMTP_URL"), "{page}");
    // A choice outside the options changes nothing.
    let r = off
        .post_form(
            "/settings/notifications",
            "/settings/notifications",
            &[("email", "hourly"), ("language", "ro")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let page = off.get_html("/settings/notifications").await;
    assert!(page.contains("value=\"immediate\" checked"), "{page}");
    // The operators' page says it too (the first account is the platform's admin).
    let lifecycle = off.get_html("/support/lifecycle").await;
    assert!(
        lifecycle.contains("ANAF_PORTAL_SMTP_URL nu este setat"),
        "{lifecycle}"
    );

    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let on = spawn_app_with(&[
        "--smtp-url",
        &sink.url(),
        "--mail-from",
        "portal@example.ro",
    ])
    .await;
    on.register_logged_in("contabil@firma.ro").await;
    let page = on.get_html("/settings/notifications").await;
    assert!(!page.contains("data-email=\"off\""), "{page}");
    let r = on
        .post_form(
            "/settings/notifications",
            "/settings/notifications/test",
            &[],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let page = on.get_html("/settings/notifications").await;
    assert!(
        page.contains("contabil@firma.ro"),
        "says where it went: {page}"
    );
    let mails = sink.wait_for(1, Duration::from_secs(5)).await;
    let lifecycle = on.get_html("/support/lifecycle").await;
    assert!(lifecycle.contains("0 în așteptare"), "{lifecycle}");
    assert!(
        mails[0]["headers"]["subject"]
            .as_str()
            .is_some_and(|s| s.contains("email de test")),
        "{mails:?}"
    );
}

#[tokio::test]
async fn a_notification_of_someone_else_is_not_found() {
    let app = spawn_app_with(&["--worker", "on", "--scheduler-tick", "1s"]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    wait_until("the notification", Duration::from_secs(10), async || {
        !notification_kinds(&app).await.is_empty()
    })
    .await;
    let html = app.get_html("/notifications").await;
    let marker = "data-notification=\"";
    let at = html.find(marker).expect("an item") + marker.len();
    let id: i64 = html[at..].split('"').next().unwrap().parse().unwrap();

    let stranger = app.second_browser();
    stranger.register_logged_in("strain@altfirma.ro").await;
    let r = stranger
        .post_form(
            "/notifications",
            &format!("/notifications/{id}/read"),
            &[("next", "/")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(app.get_html("/").await.contains("data-unread=\"1\""));
    // Its owner opens it: read, and on to the company (never to another site).
    let r = app
        .post_form(
            "/notifications",
            &format!("/notifications/{id}/read"),
            &[("next", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(&r), "/");
    assert!(!app.get_html("/").await.contains("data-unread="));
}

#[tokio::test]
async fn each_event_reaches_the_bell_and_mail_exactly_once() {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let mut settings = mailing(&sink, "07:00");
    settings.extend(["--refresh-failing-after".to_owned(), "1s".to_owned()]);
    let app = spawn_app_with(&args(&settings)).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Alfa SRL").await;
    app.connect_with(company, &serial_with_rights()).await;
    let token = app.token_id_of(company).await;
    let page = app.press_refresh(company, token).await;
    assert!(page.contains("Token reîmprospătat"), "{page}");

    // Refreshes fail past the threshold: the second failure flags the token as failing.
    let key = app.key_from_page("ERP").await;
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 502, "count": 10}),
    )
    .await;
    assert_eq!(app.api_refresh(&key, token).await.status().as_u16(), 503);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.api_refresh(&key, token).await.status().as_u16(), 503);
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-refresh=\"failing\""), "{page}");
    app.client
        .delete(app.sim_url("faults"))
        .send()
        .await
        .expect("faults cleared");

    // A second company's token saved without a refresh token expires in 5 days.
    app.add_company("14399840", "Beta SRL").await;
    save_without_refresh_token(&app, &key, "14399840").await;

    let r = app
        .post_form(
            &format!("/tokens/{token}/delete"),
            &format!("/tokens/{token}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);

    let expected = [
        "token.connected",
        "token.deleted",
        "token.expiring",
        "token.refresh_failing",
        "token.refreshed",
    ];
    wait_until(
        "every event in the bell",
        Duration::from_secs(15),
        async || {
            let kinds = notification_kinds(&app).await;
            expected.iter().all(|k| kinds.iter().any(|seen| seen == k))
        },
    )
    .await;
    // Ticks go by: nothing is said twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut kinds = notification_kinds(&app).await;
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "token.connected",
            "token.connected",
            "token.deleted",
            "token.expiring",
            "token.refresh_failing",
            "token.refreshed",
        ],
        "each once (a connection per company)"
    );
    let list = app.get_html("/notifications").await;
    assert!(!list.contains("eyJ"), "no token on the list");
    // Mail only for what a person must act on: Alfa's failing refreshes, Beta's date.
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    let mut subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["headers"]["subject"].as_str().unwrap_or_default())
        .collect();
    subjects.sort_unstable();
    assert!(
        subjects[0].contains("Acționați în cel mult 5 zile") && subjects[0].contains("Beta SRL"),
        "{subjects:?}"
    );
    assert!(
        subjects[1].contains("Reîmprospătările eșuează") && subjects[1].contains("Alfa SRL"),
        "{subjects:?}"
    );
    for mail in &mails {
        assert_no_token_in(mail, &[]);
    }
}
