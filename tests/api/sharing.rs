//! One token, many companies: a certificate serves every company of its admins it has SPV rights
//! for, a company can be detached without the others losing their token, a working token is never
//! replaced without asking (the new one is offered), and the coverage view and the API say which
//! certificate serves which CIF.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, serial_with_rights_for, spawn_app};

/// Certificate 02 has SPV rights for these three CIFs; 18547290 belongs to certificate 01.
const COVERED: [&str; 3] = ["1590082", "22732040", "11123319"];
const OTHER: &str = "18547290";

/// Waits (the extension probe runs in the background) until the company page offers `token`,
/// then attaches it as the company's admin would; the token that then serves the company.
async fn attach_when_offered(app: &TestApp, company: i64, token: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(15);
    let attach = format!("/companies/{company}/attach/{token}");
    loop {
        let html = app.get_html(&format!("/companies/{company}")).await;
        if html.contains(&attach) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "company {company} is not offered the token: {html}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let response = app
        .post_form(&format!("/companies/{company}"), &attach, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.token_id_of(company).await
}

async fn tokens_json(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let response = app
        .api(Method::GET, &format!("/api/v1/anaf/tokens{query}"), key)
        .send()
        .await
        .expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("json")
}

#[tokio::test]
async fn one_connection_serves_every_company_the_certificate_covers_and_detaching_one_leaves_the_others()
 {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let mut covered = Vec::new();
    for (i, cif) in COVERED.iter().enumerate() {
        covered.push(app.add_company(cif, &format!("Client {i} SRL")).await);
    }
    let other = app.add_company(OTHER, "Alt Client SRL").await;
    let response = app
        .connect_with(covered[0], &serial_with_rights_for(COVERED[0]))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // The connection serves the company it was started for; the other two companies the
    // certificate covers are offered the token (never attached by themselves), and their admin
    // attaches it; the fourth is not offered it.
    let token = app.token_id_of(covered[0]).await;
    for company in &covered[1..] {
        let page = app.get_html(&format!("/companies/{company}")).await;
        assert!(
            !page.contains("action=\"/tokens/"),
            "not served yet: {page}"
        );
        assert_eq!(
            attach_when_offered(&app, *company, token).await,
            token,
            "one token"
        );
    }
    let page = app.get_html(&format!("/companies/{}", covered[1])).await;
    assert!(page.contains("data-also-served"), "{page}");
    assert!(
        page.contains("Client 0 SRL") && page.contains("Client 2 SRL"),
        "{page}"
    );
    let page = app.get_html(&format!("/companies/{other}")).await;
    assert!(!page.contains("action=\"/tokens/"), "not covered: {page}");

    // The coverage view: one certificate serving three, one company without a working token.
    let coverage = app.get_html("/coverage").await;
    assert!(coverage.contains("data-uncovered=\"1\""), "{coverage}");
    assert!(coverage.contains("1 din 4 firme"), "{coverage}");
    assert!(coverage.contains("IONESCU MARIA"), "{coverage}");
    assert_eq!(
        coverage.matches("data-cell=\"serves\"").count(),
        3,
        "{coverage}"
    );
    assert!(coverage.contains(&format!("data-cif=\"{OTHER}\" data-covered=\"false\"")));

    // The API: one entry, `cif` where it was first connected, `cifs` every company it serves.
    let key = app.key_from_page("ERP").await;
    let list = tokens_json(&app, &key, "").await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], token);
    assert_eq!(list[0]["cif"], COVERED[0]);
    assert_eq!(
        list[0]["cifs"],
        serde_json::json!(["1590082", "11123319", "22732040"])
    );
    let for_cif = tokens_json(&app, &key, "?cif=RO22732040").await;
    assert_eq!(for_cif.len(), 1);
    assert_eq!(for_cif[0]["rights"], "granted");
    assert!(
        tokens_json(&app, &key, &format!("?cif={OTHER}"))
            .await
            .is_empty()
    );
    let bad = app
        .api(Method::GET, "/api/v1/anaf/tokens?cif=123", &key)
        .send()
        .await
        .expect("list");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    // Deleting from one company only detaches it: the others stay served, nothing is revoked.
    let confirm = app
        .get_html(&format!("/tokens/{token}/delete?company={}", covered[1]))
        .await;
    assert!(confirm.contains("servește și"), "{confirm}");
    let path = format!("/tokens/{token}/delete?company={}", covered[1]);
    let response = app.post_form(&path, &path, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{}", covered[1])).await;
    assert!(page.contains("nu mai servește această firmă"), "{page}");
    assert!(!page.contains("action=\"/tokens/"), "{page}");
    for company in [covered[0], covered[2]] {
        assert_eq!(app.token_id_of(company).await, token, "still served");
    }
    assert!(
        app.sim_calls("revoke").await.is_empty(),
        "nothing revoked yet"
    );
    let list = tokens_json(&app, &key, "").await;
    assert_eq!(list[0]["cifs"], serde_json::json!(["1590082", "11123319"]));

    // With its last company the token goes, and ANAF is asked to revoke it.
    for company in [covered[0], covered[2]] {
        let path = format!("/tokens/{token}/delete?company={company}");
        let response = app.post_form(&path, &path, &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    assert!(tokens_json(&app, &key, "").await.is_empty());
    assert_eq!(
        app.sim_calls("revoke").await.len(),
        2,
        "revoked once: its access and its refresh token"
    );
    let actions = app.audit_actions().await;
    let count = |action: &str| actions.iter().filter(|a| *a == action).count();
    assert_eq!(count("token.attached"), 2, "{actions:?}");
    assert_eq!(count("token.deleted"), 3, "{actions:?}");
}

#[tokio::test]
async fn a_working_token_is_not_replaced_the_new_one_is_offered_and_attaching_it_revokes_the_old() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let serial = serial_with_rights_for(OTHER);
    // Certificate 01 has rights for both; 14399840 is connected first, on its own.
    let first = app.add_company("14399840", "Beta SRL").await;
    app.connect_with(first, &serial).await;
    let old = app.token_id_of(first).await;
    let second = app.add_company(OTHER, "Alfa SRL").await;
    app.connect_with(second, &serial).await;
    let new = app.token_id_of(second).await;
    assert_ne!(old, new);

    // Beta keeps its working token; the new one is offered there.
    let deadline = Instant::now() + Duration::from_secs(15);
    let page = loop {
        let page = app.get_html(&format!("/companies/{first}")).await;
        if page.contains("data-offers") {
            break page;
        }
        assert!(Instant::now() < deadline, "no offer: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(app.token_id_of(first).await, old, "not replaced");
    assert!(
        page.contains(&format!("/companies/{first}/attach/{new}")),
        "{page}"
    );
    // One certificate, so one column, serving both companies (through two tokens).
    let coverage = app.get_html("/coverage").await;
    assert_eq!(
        coverage.matches("data-cell=\"serves\"").count(),
        2,
        "{coverage}"
    );
    assert_eq!(coverage.matches("POPESCU ION").count(), 1, "{coverage}");

    // Attaching asks ANAF again, then the old token (serving nothing now) goes and is revoked.
    let path = format!("/companies/{first}/attach/{new}");
    let response = app
        .post_form(&format!("/companies/{first}"), &path, &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get_html(&format!("/companies/{first}")).await;
    assert!(page.contains("Token atașat"), "{page}");
    assert_eq!(app.token_id_of(first).await, new);
    assert!(!page.contains("data-offers"), "{page}");
    // The revocation runs in the background: the page may come back before it is done.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.sim_calls("revoke").await.len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.sim_calls("revoke").await.len(),
        2,
        "the old one revoked: its access and its refresh token"
    );
    assert!(
        app.audit_actions()
            .await
            .contains(&"token.attached".to_owned())
    );

    // An offer that does not exist cannot be attached.
    let path = format!("/companies/{first}/attach/{old}");
    let response = app
        .post_form(&format!("/companies/{first}"), &path, &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
