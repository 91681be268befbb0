//! What a security review found, each reproduced: a request in flight bringing a logged-out
//! session back, lockout abuse, forged log lines, account enumeration, CIF squatting, the OAuth
//! code left in the URL, key versions, and the REST API under odd input and concurrency.

use reqwest::StatusCode;
use serde_json::json;

use crate::connect::serial_with_rights;
use crate::helpers::{csrf_token, is_login_redirect, spawn_app};

#[tokio::test]
async fn logout_wins_over_a_request_in_flight() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let company = app.add_company("18547290", "Firma Test SRL").await;
    let response = app.connect_with(company, &serial_with_rights()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.token_id_of(company).await;

    // A refresh that takes 3 s; the person logs out 0.8 s into it, with the same cookie.
    app.sim_post(
        "faults",
        json!({"endpoint": "token", "kind": "latency", "ms": 3000}),
    )
    .await;
    let form = csrf_token(&app.get_html(&format!("/companies/{company}")).await);
    let client = app.client.clone();
    let url = app.url(&format!("/tokens/{token}/refresh"));
    let refresh_form = form.clone();
    let refreshing = tokio::spawn(async move {
        client
            .post(url)
            .form(&[("csrf_token", refresh_form)])
            .send()
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let logout = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf_token", form.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let refreshed = refreshing.await.expect("join").expect("refresh");
    assert_eq!(refreshed.status(), StatusCode::SEE_OTHER);

    // Whatever cookie the refresh's answer carried, it opens no session.
    assert!(is_login_redirect(&app.get("/").await), "still logged out");
    let count = {
        let db = app.db();
        tokio::task::spawn_blocking(move || {
            use diesel::prelude::*;
            let mut conn = db.get_blocking().expect("connection");
            anaf_portal::db::schema::sessions::table
                .filter(anaf_portal::db::schema::sessions::user_id.is_not_null())
                .count()
                .get_result::<i64>(&mut conn)
                .expect("count")
        })
        .await
        .expect("join")
    };
    assert_eq!(count, 0, "no logged-in session row was created again");
}
