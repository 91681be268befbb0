//! Connect ANAF end to end over HTTP against the in-process sandbox simulator: the redirect, the
//! callback and each of its failures, the token table, refresh, delete and reveal.

use anaf_simulator::default_certificates;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    TestApp, csrf_token, location, serial_with_rights, serial_without_rights, spawn_app,
    spawn_app_with,
};

const CIF: &str = "18547290";

async fn connected_app() -> (TestApp, i64) {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("RO 18547290", "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    (app, company)
}

fn all_database_bytes(app: &TestApp) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{}{suffix}", app.database_url)) {
            bytes.extend(b);
        }
    }
    bytes
}

#[tokio::test]
async fn connect_anaf_stores_an_encrypted_token_with_spv_rights() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("RO 185 472 90", "Firma Test SRL").await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("CIF 18547290"), "stored as digits only");
    assert!(page.contains("neconectat"));

    let authorize = app.press_connect(company).await;
    let url = url::Url::parse(&authorize).unwrap();
    assert!(
        url.path()
            .ends_with("/sandbox/anaf/anaf-oauth2/v1/authorize")
    );
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "anaf-portal-sandbox");
    assert_eq!(q["redirect_uri"], format!("{}/anaf/callback", app.address));
    assert_eq!(q["token_content_type"], "jwt");
    assert!(q["state"].len() >= 22, "state carries at least 128 bits");
    assert!(!q.contains_key("code_challenge"), "PKCE is off by default");

    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    assert!(callback.contains("code=") && callback.contains(&q["state"]));
    let response = app.callback(&callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/companies/{company}"));
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");

    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("Conectat la ANAF"), "flash message");
    assert!(page.contains("data-status=\"connected\""));
    assert!(page.contains("drepturi SPV confirmate"));
    assert!(page.contains("34:00:00:25:69:a1:b2:c3:d4:e5:f6:00:00:00:00:01"));
    assert!(!page.contains("eyJ"), "no token in the page");

    // Exactly one code exchange, with Basic client authentication and token_content_type=jwt.
    let exchanges = app.sim_calls("token").await;
    assert_eq!(exchanges.len(), 1, "{exchanges:?}");
    assert_eq!(exchanges[0]["grant_type"], "authorization_code");
    assert_eq!(exchanges[0]["client_auth"], "basic");
    assert_eq!(exchanges[0]["params"]["token_content_type"], "jwt");
    // And a rights probe for the CIF, digits only.
    let probes = app.sim_calls("lista").await;
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0]["params"]["cif"], CIF);

    if !app.database_url.starts_with("postgres") {
        let bytes = all_database_bytes(&app);
        assert!(!bytes.is_empty());
        // The start of every RS512 JWT the simulator issues (`{"alg":"RS512",`): long enough
        // that a ciphertext cannot hold it by chance, as it can hold a short `eyJ`.
        let jwt_start = b"eyJhbGciOiJSUzUxMiIs";
        assert!(
            !bytes.windows(jwt_start.len()).any(|w| w == jwt_start),
            "the database holds token plaintext"
        );
    }
}

#[tokio::test]
async fn a_certificate_without_rights_keeps_the_token_and_says_so() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "").await;
    let response = app.connect_with(company, &serial_without_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"no_rights\""));
    assert!(page.contains("nu are drepturi SPV pentru acest CIF"));
    assert!(
        page.contains("Nu exista niciun CIF pentru care sa aveti drept in SPV"),
        "ANAF's verdict"
    );

    // A certificate with rights on other companies only: ANAF names this CIF.
    let other = default_certificates()
        .into_iter()
        .find(|c| !c.cifs.is_empty() && !c.cifs.iter().any(|cif| cif == CIF))
        .unwrap()
        .serial;
    app.connect_with(company, &other).await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"no_rights\""));
    assert!(
        page.contains("Nu aveti drept in SPV pentru CIF=18547290"),
        "ANAF's verdict"
    );
}

#[tokio::test]
async fn no_certificate_explains_what_to_do_and_stores_nothing() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "").await;
    let response = app.connect_with(company, "none").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("ANAF nu a primit niciun certificat"));
    assert!(html.contains("token-ul USB"));
    assert!(html.contains("închideți toate ferestrele browserului"));
    assert!(
        html.contains(&format!("action=\"/companies/{company}/connect\"")),
        "retry button"
    );
    assert!(app.sim_calls("token").await.is_empty(), "no code exchange");
    assert!(
        app.get_html(&format!("/companies/{company}"))
            .await
            .contains("neconectat")
    );
}

#[tokio::test]
async fn a_refusal_with_a_reason_shows_the_reason_and_a_foreign_issuer_is_refused() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "").await;
    // The authorization server says why it refused: the page says that, not "no certificate".
    let authorize = app.press_connect(company).await;
    let state = crate::helpers::query_param(&authorize, "state");
    let mut url = url::Url::parse(&app.url("/anaf/callback")).unwrap();
    url.query_pairs_mut()
        .append_pair("state", &state)
        .append_pair("error", "access_denied")
        .append_pair("error_description", "Certificatul a fost revocat");
    let refused = app.callback(url.as_str()).await;
    let html = refused.text().await.unwrap();
    assert!(html.contains("Certificatul a fost revocat"), "{html}");
    assert!(!html.contains("ANAF nu a primit niciun certificat"));

    // An answer that names another authorization server (RFC 9207) is refused before any
    // exchange.
    let authorize = app.press_connect(company).await;
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    let response = app
        .callback(&format!("{callback}&iss=https%3A%2F%2Fevil.example"))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("alt server de autorizare")
    );
    assert!(app.sim_calls("token").await.is_empty(), "no code exchange");
    // The configured issuer is accepted.
    let authorize = app.press_connect(company).await;
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    let response = app
        .client
        .get(format!("{callback}&iss=https%3A%2F%2Flogincert.anaf.ro"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_replayed_or_unknown_callback_is_refused_without_calling_anaf() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "").await;
    let authorize = app.press_connect(company).await;
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    assert_eq!(
        app.callback(&callback).await.status(),
        StatusCode::SEE_OTHER
    );

    let replay = app.callback(&callback).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert!(replay.text().await.unwrap().contains("a fost deja folosit"));

    let unknown = app
        .callback(&app.url("/anaf/callback?code=abc&state=never-issued"))
        .await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let missing = app.callback(&app.url("/anaf/callback?code=abc")).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.sim_calls("token").await.len(),
        1,
        "only the first callback reached ANAF"
    );
}

#[tokio::test]
async fn another_users_callback_is_refused() {
    let app = spawn_app().await;
    app.register_logged_in("ana@firma.ro").await;
    let company = app.add_company(CIF, "").await;
    let authorize = app.press_connect(company).await;
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;

    let mallory = app.second_browser();
    mallory.register_logged_in("mallory@firma.ro").await;
    let response = mallory.callback(&callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("altă sesiune"));
    assert!(app.sim_calls("token").await.is_empty());
    // Nor can mallory see or act on ana's company.
    assert_eq!(
        mallory.get(&format!("/companies/{company}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = mallory
        .post_form("/", &format!("/companies/{company}/connect"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_expired_code_invalid_client_and_anaf_outage_each_get_their_own_message() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "").await;

    // The code lives 60 s at ANAF.
    let authorize = app.press_connect(company).await;
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    app.sim_post("clock", json!({"advance_seconds": 61})).await;
    let response = app.callback(&callback).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Codul de autorizare ANAF a expirat")
    );
    app.sim_post("clock", json!({"reset": true})).await;

    // ANAF down.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 503}),
    )
    .await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let html = response.text().await.unwrap();
    assert!(html.contains("HTTP 503") && html.contains("Nu s-a salvat nimic"));

    // The operator's client secret no longer matches.
    app.sim_post(
        "clients",
        json!({"client_id": "anaf-portal-sandbox", "client_secret": "rotated", "redirect_uri": format!("{}/anaf/callback", app.address)}),
    )
    .await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("setările ANAF ale operatorului")
    );

    assert!(
        app.get_html(&format!("/companies/{company}"))
            .await
            .contains("neconectat"),
        "nothing stored"
    );
    let history = app.get_html(&format!("/companies/{company}")).await;
    assert!(
        history.contains("Conectare ANAF eșuată"),
        "failures are audited"
    );
}

#[tokio::test]
async fn refresh_saves_a_new_pair_and_concurrent_refreshes_call_anaf_once() {
    let (app, company) = connected_app().await;
    let token = app.token_id_of(company).await;

    let page = app.press_refresh(company, token).await;
    assert!(page.contains("Token reîmprospătat"));
    let refreshes: Vec<_> = app
        .sim_calls("token")
        .await
        .into_iter()
        .filter(|c| c["grant_type"] == "refresh_token")
        .collect();
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0]["client_auth"], "basic");

    // Pressed again within a minute of that success: the same result, no second ANAF call.
    app.client
        .delete(app.sim_url("calls"))
        .send()
        .await
        .unwrap();
    let token_field = csrf_token(&app.get_html(&format!("/companies/{company}")).await);
    let send = || {
        app.client
            .post(app.url(&format!("/tokens/{token}/refresh")))
            .form(&[("csrf_token", token_field.as_str())])
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    assert_eq!(a.unwrap().status(), StatusCode::SEE_OTHER);
    assert_eq!(b.unwrap().status(), StatusCode::SEE_OTHER);
    let refreshes = app
        .sim_calls("token")
        .await
        .into_iter()
        .filter(|c| c["grant_type"] == "refresh_token")
        .count();
    assert_eq!(refreshes, 0, "no ANAF call within a minute of a refresh");
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("Token reîmprospătat"));
    assert!(!page.contains("Reîmprospătare eșuată"));
}

#[tokio::test]
async fn an_expired_refresh_token_means_reconnect_and_outages_change_nothing() {
    let (app, company) = connected_app().await;
    let token = app.token_id_of(company).await;
    let page = format!("/companies/{company}");
    let path = format!("/tokens/{token}/refresh");
    let refresh = || app.post_form(&page, &path, &[]);

    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "status", "status": 502}),
    )
    .await;
    refresh().await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("Reîmprospătarea nu s-a finalizat"));
    assert!(
        page.contains("data-status=\"connected\""),
        "status unchanged"
    );
    assert!(
        page.contains("HTTP 502"),
        "the error is recorded on the row"
    );

    app.sim_post("clock", json!({"advance_days": 366})).await;
    refresh().await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("ANAF a refuzat definitiv"));
    assert!(page.contains("data-status=\"reconnect_needed\""));
    assert!(page.contains("Reconectare ANAF"), "a Reconnect button");
}

#[tokio::test]
async fn delete_asks_for_confirmation_and_reports_whether_anaf_revoked() {
    let (app, company) = connected_app().await;
    let token = app.token_id_of(company).await;
    let confirm = app.get_html(&format!("/tokens/{token}/delete")).await;
    assert!(confirm.contains("Ștergeți token-ul ANAF al firmei Firma Test SRL"));

    let response = app
        .post_form(
            &format!("/tokens/{token}/delete"),
            &format!("/tokens/{token}/delete"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(
        page.contains("ANAF nu a confirmat revocarea"),
        "ANAF's default answer is a redirect"
    );
    assert!(page.contains("neconectat"));
    assert_eq!(
        app.get(&format!("/tokens/{token}/delete")).await.status(),
        StatusCode::NOT_FOUND
    );

    app.sim_post("settings", json!({"revoke_mode": "rfc7009"}))
        .await;
    app.connect_with(company, &serial_with_rights()).await;
    let token = app.token_id_of(company).await;
    app.post_form(
        &format!("/tokens/{token}/delete"),
        &format!("/tokens/{token}/delete"),
        &[],
    )
    .await;
    assert!(
        app.get_html(&format!("/companies/{company}"))
            .await
            .contains("ANAF a confirmat revocarea")
    );
}

#[tokio::test]
async fn reveal_shows_the_token_to_its_company_admin_and_is_audited() {
    let (app, company) = connected_app().await;
    let token = app.token_id_of(company).await;
    let response = app
        .post_form(
            &format!("/companies/{company}"),
            &format!("/tokens/{token}/reveal"),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains(">eyJ"), "the JWT is shown");
    let history = app.get_html(&format!("/companies/{company}")).await;
    assert!(history.contains("Token de acces afișat"));
    assert!(!history.contains("eyJ"));
}

#[tokio::test]
async fn invalid_cifs_are_refused_with_the_reason() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    for (cif, message) in [
        ("12345678", "Cifra de control"),
        ("RO12A45", "doar cifre"),
        ("1", "între 2 și 10 cifre"),
        ("", "Introduceți CIF-ul"),
    ] {
        let response = app
            .post_form("/", "/companies", &[("cif", cif), ("name", "X")])
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{cif}");
        assert!(response.text().await.unwrap().contains(message), "{cif}");
    }
    app.add_company("ro18547290", "").await;
    let response = app
        .post_form("/", "/companies", &[("cif", "RO 18547290")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("deja în lista dumneavoastră")
    );
}

#[tokio::test]
async fn the_token_table_lists_sorts_and_searches() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let first = app.add_company("18547290", "Alfa Construct SRL").await;
    let second = app.add_company("14399840", "Beta Transport SRL").await;
    app.add_company("1590082", "Gama Fără Token").await;
    app.connect_with(first, &serial_with_rights()).await;
    app.connect_with(second, &serial_with_rights()).await;

    let table = app.get_html("/tokens").await;
    assert!(table.contains("Alfa Construct SRL") && table.contains("Beta Transport SRL"));
    assert!(
        !table.contains("Gama Fără Token"),
        "companies without a token are not in the token table"
    );
    assert!(table.contains("(2)"));
    let found = app.get_html("/tokens?q=beta").await;
    assert!(found.contains("Beta Transport SRL") && !found.contains("Alfa Construct SRL"));
    let by_cif = app.get_html("/tokens?q=RO1854").await;
    assert!(by_cif.contains("Alfa Construct SRL") && !by_cif.contains("Beta Transport SRL"));
}

#[tokio::test]
async fn the_standalone_simulator_works_as_a_real_anaf() {
    use anaf_simulator::{Simulator, SimulatorSettings, serve};
    let simulator = Simulator::new(SimulatorSettings::default()).unwrap();
    let public_key = simulator.public_key_pem();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let sim_address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, simulator).unwrap());

    let oauth_url = format!("{sim_address}/anaf-oauth2/v1");
    let secret_key = "ab".repeat(32);
    let app = spawn_app_with(&[
        "--anaf-client-id",
        "real-client",
        "--anaf-client-secret",
        "real-secret",
        "--anaf-oauth-url",
        &oauth_url,
        "--anaf-api-url",
        &sim_address,
        "--anaf-registry-url",
        &sim_address,
        "--secret-key",
        &secret_key,
        &format!("--anaf-jwt-public-key={public_key}"),
    ])
    .await;
    let http = crate::helpers::client_with(std::sync::Arc::new(reqwest::cookie::Jar::default()));
    let registered = http
        .post(format!("{sim_address}/__sim/clients"))
        .json(&json!({"client_id": "real-client", "client_secret": "real-secret", "redirect_uri": format!("{}/anaf/callback", app.address)}))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success());
    assert_eq!(
        app.get("/sandbox/anaf/__sim/calls").await.status(),
        StatusCode::NOT_FOUND,
        "no simulator with real credentials"
    );
    assert!(
        !app.get_html("/login").await.contains("Mod sandbox"),
        "no sandbox banner"
    );

    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company(CIF, "Firma Reala SRL").await;
    let authorize = app.press_connect(company).await;
    assert!(authorize.starts_with(&format!("{oauth_url}/authorize?")));
    let callback = app
        .choose_certificate(&authorize, &serial_with_rights())
        .await;
    let response = app.callback(&callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(page.contains("data-status=\"connected\""));
    assert!(page.contains("drepturi SPV confirmate"));
}

#[tokio::test]
async fn the_token_table_costs_the_same_queries_for_one_row_or_a_full_page() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    app.sim_post("settings", json!({"auto_approve": serial_with_rights()}))
        .await;
    // 30 valid CIFs: 18547290 plus the rest generated with a correct check digit.
    let mut cifs = vec!["18547290".to_owned()];
    let mut n = 1_000_000u32;
    while cifs.len() < 30 {
        n += 1;
        for check in 0..10 {
            let candidate = format!("{n}{check}");
            if anaf_portal::domain::Cif::parse(&candidate).is_ok() {
                cifs.push(candidate);
                break;
            }
        }
    }
    for (i, cif) in cifs.iter().enumerate() {
        let company = app.add_company(cif, &format!("Firma {i:02}")).await;
        let authorize = app.press_connect(company).await;
        let response = app.client.get(&authorize).send().await.unwrap();
        let callback = location(&response);
        assert_eq!(
            app.callback(&callback).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    // The fewest statements over five requests: background work (session clean-up, the work an
    // added company starts) shares the pool and can add to a measurement, while an N+1 would
    // add one per row to every measurement. `change_first` adds a company before each request,
    // then lets the work it started settle.
    let mut spare_cifs = (2_000_000u32..)
        .filter_map(|stem| {
            (0..10)
                .map(|check| format!("{stem}{check}"))
                .find(|c| anaf_portal::domain::Cif::parse(c).is_ok())
        })
        .take(10)
        .collect::<Vec<_>>()
        .into_iter();
    let mut count = async |path: &str, change_first: bool| {
        let mut fewest = u64::MAX;
        let mut html = String::new();
        for _ in 0..5 {
            if change_first {
                let cif = spare_cifs.next().expect("enough spare CIFs");
                let company = app.add_company(&cif, "Firma noua").await;
                // Shows (and so removes) the "company added" message, which is not measured.
                app.get_html(&format!("/companies/{company}")).await;
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            }
            let before = app.app_db.queries_executed();
            html = app.get_html(path).await;
            fewest = fewest.min(app.app_db.queries_executed() - before);
        }
        (fewest, html)
    };
    let (one_row, html) = count("/tokens?q=Firma%2007", true).await;
    assert!(html.contains("Firma 07") && !html.contains("Firma 08"));
    let (full_page, html) = count("/tokens", true).await;
    assert_eq!(
        html.matches("data-status=").count(),
        25,
        "a full page of 25 rows"
    );
    assert_eq!(
        one_row, full_page,
        "queries must not grow with the rows shown"
    );
    // The session, its user, the bell's unread count, the count of matching rows, the page's
    // rows.
    assert_eq!(
        full_page, 5,
        "{full_page} queries for a page after a change"
    );

    // The same for any page, changed or not: nothing is kept between requests.
    let (unchanged, html) = count("/tokens?page=2", false).await;
    assert_eq!(
        html.matches("data-status=").count(),
        5,
        "30 tokens: 5 on page 2"
    );
    assert_eq!(unchanged, full_page, "{unchanged} queries for page 2");
}

#[tokio::test]
async fn a_change_made_through_another_instance_shows_on_the_next_page_view() {
    // Nothing is kept per instance: a change made through one shows at once on the other.
    let key = "ef".repeat(32);
    let first = spawn_app_with(&["--secret-key", &key]).await;
    first.register_logged_in("contabil@firma.ro").await;
    let connected = first.add_company(CIF, "Firma Conectata SRL").await;
    first.connect_with(connected, &serial_with_rights()).await;
    let token = first.token_id_of(connected).await;
    for _ in 0..2 {
        assert!(
            first
                .get_html("/tokens")
                .await
                .contains("Firma Conectata SRL")
        );
    }
    assert!(!first.get_html("/").await.contains("Firma Noua SRL"));

    let second = crate::helpers::spawn_app_on(&first.database_url, &["--secret-key", &key]).await;
    second
        .login("contabil@firma.ro", crate::helpers::STRONG_PASSWORD)
        .await;
    let r = second
        .post_form(
            &format!("/tokens/{token}/delete"),
            &format!("/tokens/{token}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    second.add_company("14399840", "Firma Noua SRL").await;

    assert!(
        !first
            .get_html("/tokens")
            .await
            .contains("Firma Conectata SRL"),
        "the token deleted through the other instance is gone"
    );
    let dashboard = first.get_html("/").await;
    assert!(dashboard.contains("Firma Noua SRL"), "{dashboard}");
    assert!(
        dashboard.contains("Firma Conectata SRL"),
        "the company stays, without its token"
    );
}

#[tokio::test]
async fn callbacks_completing_at_the_same_moment_all_store_their_token() {
    // Each callback stores its token in a read-then-write transaction; on SQLite a deferred one
    // failed at once with "database is locked" when another callback was writing.
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    app.sim_post("settings", json!({"auto_approve": serial_with_rights()}))
        .await;
    let mut callbacks = Vec::new();
    let mut stem = 2_000_000u32;
    while callbacks.len() < 8 {
        stem += 1;
        let Some(cif) = (0..10)
            .map(|check| format!("{stem}{check}"))
            .find(|c| anaf_portal::domain::Cif::parse(c).is_ok())
        else {
            continue;
        };
        let company = app.add_company(&cif, &format!("Firma {stem}")).await;
        let authorize = app.press_connect(company).await;
        let response = app.client.get(&authorize).send().await.unwrap();
        callbacks.push(location(&response));
    }
    let client = &app.client;
    let statuses = futures_util::future::join_all(
        callbacks
            .iter()
            .map(|callback| async move { client.get(callback).send().await.unwrap().status() }),
    )
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::SEE_OTHER),
        "every callback stored its token: {statuses:?}"
    );
    let table = app.get_html("/tokens").await;
    assert_eq!(table.matches("data-status=").count(), 8);
}
