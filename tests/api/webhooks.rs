//! Webhooks end to end: endpoints registered on the company's page and through the API, token
//! events provoked with the sandbox simulator, deliveries received by a small HTTP server in the
//! test, and every signature checked by the Standard Webhooks reference library (`standardwebhooks`
//! from PyPI, run with `$ANAF_TEST_PYTHON`), not by the portal's own code.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anaf_portal::db::schema::{events, notifications, webhook_deliveries};
use diesel::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ALL_EVENTS, ChildPortal, ExternalAnaf, Received, Receiver, TestApp, assert_once_each,
    child_portal, endpoint_ids, free_port, location, serial_with_rights, spawn_app_with,
    verified_by_reference_library, webhook_events,
};

const CIF: &str = "18547290";
/// The engine (and so the notifier and the webhook sender) every second; receivers on loopback.
const WITH_WEBHOOKS: &[&str] = &[
    "--worker",
    "on",
    "--scheduler-tick",
    "1s",
    "--webhook-allow-private",
    "true",
];

async fn wait_for(what: &str, limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deliveries by status: how many are pending, delivered, failed.
async fn delivery_statuses(app: &TestApp) -> BTreeMap<String, usize> {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        let statuses: Vec<String> = webhook_deliveries::table
            .select(webhook_deliveries::status)
            .load(&mut *conn)
            .unwrap();
        let mut counts = BTreeMap::new();
        for status in statuses {
            *counts.entry(status).or_insert(0) += 1;
        }
        counts
    })
    .await
    .unwrap()
}

/// Runs SQL on the test database (arranging what only time would bring).
async fn execute(app: &TestApp, sql: String) {
    let db = app.db();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        diesel::sql_query(sql).execute(&mut *conn).unwrap();
    })
    .await
    .unwrap();
}

/// The token's current access token, through the API.
async fn access_token_of(app: &TestApp, key: &str, token: i64) -> String {
    let answer: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/anaf/tokens/{token}/access-token"),
            key,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

async fn sim_fault(app: &TestApp, status: u16, count: u32) {
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": status, "count": count}),
    )
    .await;
}

#[tokio::test]
async fn every_token_event_reaches_the_endpoint_once_signed_as_standard_webhooks_says() {
    let receiver = Receiver::start().await;
    let mut settings = WITH_WEBHOOKS.to_vec();
    settings.extend(["--refresh-failing-after", "1s"]);
    let app = spawn_app_with(&settings).await;
    // ANAF keeps the refresh token's date on refresh: a reconnect is due within 10 days, which
    // is what `token.expiring` is about. The access token expires in 5 days: due at once.
    app.sim_post(
        "settings",
        json!({"refresh_restarts_lifetime": false, "refresh_token_lifetime_days": 95}),
    )
    .await;
    app.sim_post("clock", json!({"offset_seconds": -85 * 86_400}))
        .await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (_, secret) = app.endpoint_for_all_events(company, &receiver.url()).await;
    let key = app.key_from_page("ERP").await;

    // connected; then refreshed by the engine (due) and expiring (a reconnect within 14 days).
    app.connect_with(company, &serial_with_rights()).await;
    let token = app.token_id_of(company).await;
    // The values the token had: no delivery may carry one.
    let mut access_tokens = vec![access_token_of(&app, &key, token).await];
    wait_for(
        "connected, refreshed, expiring",
        Duration::from_secs(20),
        async || {
            let kinds: Vec<String> = receiver
                .received()
                .iter()
                .map(|r| r.json()["type"].as_str().unwrap_or_default().to_owned())
                .collect();
            ["token.connected", "token.refreshed", "token.expiring"]
                .iter()
                .all(|k| kinds.iter().any(|r| r == k))
        },
    )
    .await;

    // rights_lost: the company withdraws the holder's rights; the next refresh probes them.
    let mut certificate = anaf_simulator::default_certificates()
        .into_iter()
        .find(|c| c.serial == serial_with_rights())
        .unwrap();
    certificate.cifs.retain(|cif| cif != CIF);
    app.sim_post("certificates", json!(certificate)).await;
    assert_eq!(app.api_refresh(&key, token).await.status(), StatusCode::OK);
    access_tokens.push(access_token_of(&app, &key, token).await);

    // refresh_failing: failures lasting past the threshold (1 s here).
    sim_fault(&app, 502, 2).await;
    assert_eq!(app.api_refresh(&key, token).await.status(), 503);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.api_refresh(&key, token).await.status(), 503);

    // reconnect_needed: ANAF's clock moves past the refresh token's life: refused for good.
    app.sim_post("clock", json!({"advance_days": 400})).await;
    assert_eq!(app.api_refresh(&key, token).await.status(), 409);

    // deleted.
    let deleted = app
        .api(
            Method::DELETE,
            &format!("/api/v1/anaf/tokens/{token}"),
            &key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    wait_for(
        "every event delivered",
        Duration::from_secs(30),
        async || {
            let events = webhook_events(&app).await;
            let kinds: Vec<&str> = events.iter().map(|(_, k)| k.as_str()).collect();
            ALL_EVENTS.iter().all(|k| kinds.contains(k))
                && delivery_statuses(&app).await.get("delivered") == Some(&events.len())
        },
    )
    .await;
    // Nothing more arrives later for states that have not changed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = receiver.received();
    let events = webhook_events(&app).await;
    assert_once_each(&received, &events);
    // The bell, the other channel every event takes: once per event for the company's one member.
    let member = crate::helpers::user_id_of(&app, "contabil@firma.ro").await;
    let db = app.db();
    let notified: Vec<i64> = tokio::task::spawn_blocking(move || {
        let mut conn = db.get_blocking().unwrap();
        notifications::table
            .filter(notifications::user_id.eq(member))
            .order(notifications::event_id)
            .select(notifications::event_id)
            .load(&mut *conn)
            .unwrap()
    })
    .await
    .unwrap();
    let event_ids: Vec<i64> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(notified, event_ids, "one notification per event");
    for kind in ALL_EVENTS {
        assert!(
            received.iter().any(|r| r.json()["type"] == kind),
            "{kind} was posted"
        );
    }

    for message in &received {
        assert_eq!(message.content_type, "application/json");
        assert!(message.signature.starts_with("v1,"), "{message:?}");
        let body = message.json();
        let event_id = body["data"]["eventId"].as_i64().expect("eventId");
        assert_eq!(message.id, format!("evt_{event_id}"));
        assert_eq!(body["data"]["companyId"], company);
        assert_eq!(body["data"]["cif"], CIF);
        assert_eq!(body["data"]["companyName"], "Firma Test SRL");
        assert_eq!(body["data"]["tokenId"], token);
        assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
        // No token value, ever: no JWT, nothing the simulator issued.
        assert!(!message.body.contains("eyJ"), "{}", message.body);
        for value in &access_tokens {
            assert!(!message.body.contains(value.as_str()));
        }
    }
    let expiring = received
        .iter()
        .map(Received::json)
        .find(|b| b["type"] == "token.expiring")
        .unwrap();
    assert_eq!(expiring["data"]["cause"], "reconnect_before");
    assert!(expiring["data"]["actBy"].is_string(), "{expiring}");

    if !verified_by_reference_library(&secret, &received) {
        return;
    }
    // The endpoint's page lists each delivery, delivered, with the receiver's answer.
    let endpoint = endpoint_ids(&app, company).await[0];
    let page = app
        .get_html(&format!("/companies/{company}/webhooks/{endpoint}"))
        .await;
    assert_eq!(
        page.matches("data-status=\"delivered\"").count(),
        received.len(),
        "{page}"
    );
    assert!(page.contains("HTTP 200") && page.contains("receiver answered 200"));
}

#[tokio::test]
async fn a_failed_delivery_is_retried_and_can_be_sent_again_by_hand() {
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    let app = spawn_app_with(WITH_WEBHOOKS).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (endpoint, secret) = app.endpoint_for_all_events(company, &receiver.url()).await;
    app.connect_with(company, &serial_with_rights()).await;

    // The 500 is retried about 5 s later with the same message.
    wait_for("the retry", Duration::from_secs(20), async || {
        receiver.received().len() == 2
    })
    .await;
    let received = receiver.received();
    assert_eq!(received[0].id, received[1].id);
    assert_eq!(
        received[0].body, received[1].body,
        "the same bytes every attempt"
    );
    let page_path = format!("/companies/{company}/webhooks/{endpoint}");
    wait_for(
        "the delivery recorded",
        Duration::from_secs(5),
        async || {
            app.get_html(&page_path)
                .await
                .contains("data-status=\"delivered\"")
        },
    )
    .await;
    let page = app.get_html(&page_path).await;
    assert!(page.contains("HTTP 200"), "{page}");
    assert!(page.contains("<td>2</td>"), "two attempts: {page}");
    // The failure streak ended with the success.
    let list = app
        .get_html(&format!("/companies/{company}/webhooks"))
        .await;
    assert!(list.contains("data-state=\"active\""), "{list}");

    // Redeliver queues the same message (same webhook-id) again.
    let delivery: i64 = {
        let marker = "data-delivery=\"";
        let start = page.find(marker).unwrap() + marker.len();
        page[start..].split('"').next().unwrap().parse().unwrap()
    };
    let response = app
        .post_form(
            &page_path,
            &format!("{page_path}/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(location(&response), page_path);
    wait_for("the redelivery", Duration::from_secs(10), async || {
        receiver.received().len() == 3
    })
    .await;
    let received = receiver.received();
    assert_eq!(received[2].id, received[0].id);
    assert!(
        app.audit_actions()
            .await
            .contains(&"webhook.redelivered".to_owned())
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"webhook.created".to_owned())
    );
    verified_by_reference_library(&secret, &received);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_a_slow_endpoint_times_out_after_10_s() {
    let receiver = Receiver::start().await;
    receiver.answer(&[302]);
    let app = spawn_app_with(WITH_WEBHOOKS).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (endpoint, _) = app.endpoint_for_all_events(company, &receiver.url()).await;
    app.connect_with(company, &serial_with_rights()).await;
    let page_path = format!("/companies/{company}/webhooks/{endpoint}");
    wait_for(
        "the redirect recorded",
        Duration::from_secs(10),
        async || app.get_html(&page_path).await.contains("HTTP 302"),
    )
    .await;
    assert_eq!(
        receiver.received().len(),
        1,
        "the redirect was not followed"
    );
    assert!(
        app.get_html(&page_path)
            .await
            .contains("data-status=\"pending\""),
        "a 3xx is a failure, retried"
    );

    // The retry (5 s later) gets no answer within 10 s.
    receiver
        .inbox
        .slow
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let started = Instant::now();
    wait_for(
        "the timeout recorded",
        Duration::from_secs(25),
        async || {
            app.get_html(&page_path)
                .await
                .contains("timed out after 10 s")
        },
    )
    .await;
    assert!(started.elapsed() >= Duration::from_secs(10));
    assert_eq!(receiver.received().len(), 2);
}

#[tokio::test]
async fn private_addresses_are_refused_at_registration_and_at_delivery() {
    let receiver = Receiver::start().await;
    // The default: private addresses refused.
    let app = spawn_app_with(&["--worker", "on", "--scheduler-tick", "1s"]).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;

    // An IP literal is refused when it is registered, on the page and through the API.
    for literal in [
        format!("http://127.0.0.1:{}/hooks", receiver.port),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]/".to_owned(),
        "http://10.0.0.1/".to_owned(),
    ] {
        let response = app
            .register_endpoint(company, &literal, &["token.connected"])
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{literal}"
        );
        let html = response.text().await.unwrap();
        assert!(html.contains("adrese publice"), "{literal}: {html}");
    }
    let key = app.key_from_page("ERP").await;
    let response = app
        .api(Method::POST, "/api/v1/webhooks", &key)
        .json(&json!({"companyId": company, "url": format!("http://127.0.0.1:{}/", receiver.port), "events": ["token.connected"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert!(
        problem["detail"].as_str().unwrap().contains("private"),
        "{problem}"
    );

    // A name is judged by the address it resolves to, when the delivery is made.
    let by_name = format!("http://localhost:{}/hooks", receiver.port);
    let response = app
        .register_endpoint(company, &by_name, &["token.connected"])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let endpoint = endpoint_ids(&app, company).await[0];
    app.connect_with(company, &serial_with_rights()).await;
    let page_path = format!("/companies/{company}/webhooks/{endpoint}");
    wait_for("the refused attempt", Duration::from_secs(15), async || {
        app.get_html(&page_path)
            .await
            .contains("refused: localhost")
    })
    .await;
    let page = app.get_html(&page_path).await;
    assert!(page.contains("loopback, private or link-local"), "{page}");
    assert!(
        receiver.received().is_empty(),
        "nothing reached the receiver"
    );
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_its_creator_told() {
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 20]);
    let app = spawn_app_with(WITH_WEBHOOKS).await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (endpoint, _) = app.endpoint_for_all_events(company, &receiver.url()).await;
    // It has been failing for six days already.
    execute(
        &app,
        format!(
            "UPDATE webhook_endpoints SET failing_since = '{}' WHERE id = {endpoint}",
            (chrono::Utc::now() - chrono::TimeDelta::days(6))
                .naive_utc()
                .format("%Y-%m-%d %H:%M:%S")
        ),
    )
    .await;
    app.connect_with(company, &serial_with_rights()).await;

    let page_path = format!("/companies/{company}/webhooks/{endpoint}");
    wait_for(
        "the endpoint disabled",
        Duration::from_secs(15),
        async || {
            app.get_html(&page_path)
                .await
                .contains("data-state=\"disabled\"")
        },
    )
    .await;
    // Its creator hears of it (the notifier turns the event into a notification).
    let creator = crate::helpers::user_id_of(&app, "contabil@firma.ro").await;
    let db = app.db();
    let told = async || {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().unwrap();
            notifications::table
                .inner_join(events::table)
                .filter(events::kind.eq("webhook.disabled"))
                .filter(notifications::user_id.eq(creator))
                .count()
                .get_result::<i64>(&mut *conn)
                .unwrap()
        })
        .await
        .unwrap()
    };
    wait_for("the notification", Duration::from_secs(10), async || {
        told().await == 1
    })
    .await;
    // Nothing more is sent to it.
    let attempts = receiver.received().len();
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(
        receiver.received().len(),
        attempts,
        "disabled: nothing sent"
    );
    assert_eq!(told().await, 1, "told once");

    // A company admin enables it again; a redelivery then goes out.
    let page = app.get_html(&page_path).await;
    assert!(page.contains(&format!("{page_path}/enable")), "{page}");
    let response = app
        .post_form(&page_path, &format!("{page_path}/enable"), &[])
        .await;
    assert_eq!(location(&response), page_path);
    let page = app.get_html(&page_path).await;
    assert!(page.contains("data-state=\"active\""), "{page}");
    assert!(
        app.audit_actions()
            .await
            .contains(&"webhook.enabled".to_owned())
    );
}

#[tokio::test]
async fn deliveries_waiting_when_the_instance_dies_are_each_delivered_once_after_a_restart() {
    let anaf = ExternalAnaf::start().await;
    let (mut portal, app, args) = child_portal(&anaf, WITH_WEBHOOKS).await;
    // Nobody listens there yet: every attempt fails and waits for a retry.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hooks");
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (_, secret) = app.endpoint_for_all_events(company, &url).await;
    let authorize = app.press_connect(company).await;
    let approved = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(approved.status(), StatusCode::FOUND, "approved at once");
    let callback = app.client.get(location(&approved)).send().await.unwrap();
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;
    app.press_refresh(company, token).await;
    wait_for(
        "both deliveries tried",
        Duration::from_secs(15),
        async || {
            let db = app.db();
            tokio::task::spawn_blocking(move || {
                let mut conn = db.get_blocking().unwrap();
                webhook_deliveries::table
                    .filter(webhook_deliveries::attempts.ge(1))
                    .filter(webhook_deliveries::status.eq("pending"))
                    .count()
                    .get_result::<i64>(&mut *conn)
                    .unwrap()
                    == 2
            })
            .await
            .unwrap()
        },
    )
    .await;

    portal.kill();
    let receiver = Receiver::start_on(port).await;
    let _portal = ChildPortal::start(&args).await;
    wait_for("both delivered", Duration::from_secs(30), async || {
        delivery_statuses(&app).await.get("delivered") == Some(&2)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = receiver.received();
    assert_once_each(&received, &webhook_events(&app).await);
    let kinds: Vec<Value> = received.iter().map(|r| r.json()["type"].clone()).collect();
    assert!(kinds.contains(&json!("token.connected")) && kinds.contains(&json!("token.refreshed")));
    verified_by_reference_library(&secret, &received);
}

#[tokio::test]
async fn only_company_admins_manage_endpoints_on_pages_and_through_the_api() {
    let app = spawn_app_with(&["--webhook-allow-private", "true"]).await;
    app.register_logged_in("firma@contabil.ro").await;
    let company = app.add_company(CIF, "Firma Test SRL").await;
    let (endpoint, _) = app
        .endpoint_for_all_events(company, "https://erp.example.ro/anaf")
        .await;
    let admin_key = app.key_from_page("ERP").await;
    let viewer = app.second_browser();
    viewer.register_logged_in("viewer@contabil.ro").await;
    crate::helpers::add_member(&app, company, &viewer, "viewer@contabil.ro", "viewer").await;
    let viewer_key = viewer.key_from_page("ERP").await;
    let stranger = app.second_browser();
    stranger.register_logged_in("strain@altfirma.ro").await;
    let stranger_key = stranger.key_from_page("ERP").await;
    let other_company = stranger.add_company("14399840", "Alta SRL").await;

    // The company page links to webhooks for admins only.
    assert!(
        app.get_html(&format!("/companies/{company}"))
            .await
            .contains("/webhooks\"")
    );
    assert!(
        !viewer
            .get_html(&format!("/companies/{company}"))
            .await
            .contains("/webhooks\"")
    );
    let endpoint_page = format!("/companies/{company}/webhooks/{endpoint}");
    for path in [
        format!("/companies/{company}/webhooks"),
        endpoint_page.clone(),
    ] {
        assert_eq!(
            viewer.get(&path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            stranger.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // Another company's endpoint id under one's own company: 404.
    let foreign = format!("/companies/{other_company}/webhooks/{endpoint}");
    assert_eq!(stranger.get(&foreign).await.status(), StatusCode::NOT_FOUND);
    let r = stranger
        .post_form(
            &format!("/companies/{other_company}/webhooks"),
            &format!("{foreign}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The API: the admin's list has it (without a secret); others see none of it.
    let list: Value = app
        .api(Method::GET, "/api/v1/webhooks", &admin_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], endpoint);
    assert_eq!(list[0]["state"], "active");
    assert!(list[0].get("secret").is_none(), "{list}");
    for key in [&viewer_key, &stranger_key] {
        let list: Value = app
            .api(Method::GET, "/api/v1/webhooks", key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list, json!([]));
    }
    let delete = |key: &str, id: i64| {
        app.api(Method::DELETE, &format!("/api/v1/webhooks/{id}"), key)
            .send()
    };
    assert_eq!(
        delete(&stranger_key, endpoint).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&viewer_key, endpoint).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&admin_key, 999_999).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Registration through the API: every mistake its own problem.
    let post = |key: &str, body: Value| {
        app.api(Method::POST, "/api/v1/webhooks", key)
            .json(&body)
            .send()
    };
    let hook = |extra: Value| {
        let mut body = json!({"cif": CIF, "url": "https://erp.example.ro/hooks", "events": ["token.expiring"]});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    for (body, status) in [
        (json!({"cif": CIF, "events": ["token.expiring"]}), 400),
        (hook(json!({"events": "token.expiring"})), 400),
        (hook(json!({"events": []})), 422),
        (hook(json!({"events": ["token.nope"]})), 422),
        (hook(json!({"url": "ftp://erp.example.ro/"})), 422),
        (hook(json!({"url": "https://user:pw@erp.example.ro/"})), 422),
        (
            hook(json!({"url": format!("https://erp.example.ro/{}", "a".repeat(2000))})),
            422,
        ),
        (hook(json!({"cif": "123"})), 422),
        (hook(json!({"cif": "14399840"})), 422),
        (
            json!({"url": "https://erp.example.ro/hooks", "events": ["token.expiring"]}),
            422,
        ),
        (hook(json!({"description": "x".repeat(201)})), 422),
        (hook(json!({"url": "https://erp.example.ro/anaf"})), 409),
    ] {
        let response = post(&admin_key, body.clone()).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{body}"
        );
    }
    let response = post(&viewer_key, hook(json!({}))).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .api(Method::POST, "/api/v1/webhooks", &admin_key)
        .body("url=x")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = app
        .api(Method::POST, "/api/v1/webhooks", &admin_key)
        .header("content-type", "application/json")
        .body(format!("{{\"url\": \"{}\"}}", "a".repeat(70_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let created = post(&admin_key, hook(json!({"companyId": company, "cif": null})))
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let endpoint_url = created.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = created.json().await.unwrap();
    assert!(
        body["secret"].as_str().unwrap().starts_with("whsec_"),
        "{body}"
    );
    assert_eq!(body["events"], json!(["token.expiring"]));
    assert_eq!(endpoint_url, format!("/api/v1/webhooks/{}", body["id"]));
    let response = app
        .api(Method::DELETE, &endpoint_url, &admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = app
        .api(Method::DELETE, &endpoint_url, &admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The page form: its mistakes are said on the page, the form kept.
    let response = app
        .register_endpoint(company, "https://erp.example.ro/x", &[])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Alegeți cel puțin un eveniment"), "{html}");
    assert!(
        html.contains("value=\"https:&#x2f;&#x2f;erp.example.ro&#x2f;x\"")
            || html.contains("value=\"https://erp.example.ro/x\""),
        "{html}"
    );
    // Delete on the page.
    let r = app
        .post_form(&endpoint_page, &format!("{endpoint_page}/delete"), &[])
        .await;
    assert_eq!(location(&r), format!("/companies/{company}/webhooks"));
    assert_eq!(
        app.get(&endpoint_page).await.status(),
        StatusCode::NOT_FOUND
    );
    let actions = app.audit_actions().await;
    assert!(
        actions.contains(&"webhook.deleted".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn rotate_keys_reseals_webhook_secrets_so_the_old_key_can_go() {
    let (a, c) = ("ab".repeat(32), "ef".repeat(32));
    let receiver = Receiver::start().await;
    let first = spawn_app_with(&["--secret-key", &a, "--webhook-allow-private", "true"]).await;
    first.register_logged_in("contabil@firma.ro").await;
    let company = first.add_company(CIF, "Firma Test SRL").await;
    let (_, secret) = first
        .endpoint_for_all_events(company, &receiver.url())
        .await;

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_anaf-portal"))
        .args(["rotate-keys", "--database-url", &first.database_url])
        .args(["--secret-key", &c, "--previous-secret-keys", &a])
        .arg("--data-dir")
        .arg(first.data_dir.path())
        .env_remove("ANAF_CLIENT_ID")
        .output()
        .expect("rotate-keys runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("re-sealed 1 webhook secret(s)"), "{stdout}");
    assert!(stdout.contains("can be emptied"), "{stdout}");

    // With the new key alone, deliveries are still signed with the same secret.
    let mut settings = vec!["--secret-key", c.as_str()];
    settings.extend(WITH_WEBHOOKS);
    let second = crate::helpers::spawn_app_on(&first.database_url, &settings).await;
    second
        .login("contabil@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    second.connect_with(company, &serial_with_rights()).await;
    wait_for("the delivery", Duration::from_secs(15), async || {
        !receiver.received().is_empty()
    })
    .await;
    verified_by_reference_library(&secret, &receiver.received());
}
