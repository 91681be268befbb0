//! One press of Refresh: what it costs the database, and its audit line, written once with the
//! save whatever follows it.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{TestApp, csrf_token, serial_with_rights_for, spawn_app};

/// Adds a company and connects it with a certificate that has rights for it: the company and token ids.
async fn connected(app: &TestApp, cif: &str) -> (i64, i64) {
    let company = app.add_company(cif, "Firma Test SRL").await;
    let callback = app
        .connect_with(company, &serial_with_rights_for(cif))
        .await;
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    (company, app.token_id_of(company).await)
}

/// Presses Refresh on the company page: the database round trips of the POST alone.
async fn press(app: &TestApp, company: i64, token: i64) -> u64 {
    let csrf = csrf_token(&app.get_html(&format!("/companies/{company}")).await);
    // The connection's background work (offers to other companies) is done by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = app.app_db.round_trips();
    let response = app
        .client
        .post(app.url(&format!("/tokens/{token}/refresh")))
        .header("referer", app.url(&format!("/companies/{company}")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .expect("POST");
    let spent = app.app_db.round_trips() - before;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    spent
}

/// How many audit lines have this action.
async fn audited(app: &TestApp, action: &str) -> usize {
    app.audit_actions()
        .await
        .iter()
        .filter(|a| a.as_str() == action)
        .count()
}

#[tokio::test]
async fn a_refresh_press_costs_at_most_eleven_round_trips() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    // The fewest over three presses: background work (session clean-up) can add one to a
    // single measurement.
    let mut fewest = u64::MAX;
    for cif in ["18547290", "1590082", "14399840"] {
        let (company, token) = connected(&app, cif).await;
        fewest = fewest.min(press(&app, company, token).await);
    }
    assert!(
        fewest <= 11,
        "{fewest} round trips for one press of Refresh"
    );
}

#[tokio::test]
async fn a_refresh_writes_one_refreshed_line_and_a_fault_after_the_save_does_not_fail_it() {
    let app = spawn_app().await;
    app.register_logged_in("contabil@firma.ro").await;
    let (company, token) = connected(&app, "18547290").await;
    press(&app, company, token).await;
    assert_eq!(audited(&app, "token.refreshed").await, 1);
    assert_eq!(audited(&app, "token.refresh_failed").await, 0);

    // The rights check after the save cannot count its probes: the database fails it.
    let (company, token) = connected(&app, "1590082").await;
    let db = app.db();
    let rename = |from: &'static str, to: &'static str| {
        let db = db.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                use diesel::connection::SimpleConnection;
                let mut conn = db.get_blocking().expect("connection");
                conn.batch_execute(&format!("ALTER TABLE {from} RENAME TO {to}"))
                    .expect("rename");
            })
            .await
            .expect("join");
        }
    };
    rename("call_counts", "call_counts_away").await;
    press(&app, company, token).await;
    rename("call_counts_away", "call_counts").await;
    let page = app.get_html(&format!("/companies/{company}")).await;
    assert!(
        page.contains("Token refreshed") || page.contains("Token reîmprospătat"),
        "the refresh is reported as done"
    );
    assert_eq!(audited(&app, "token.refreshed").await, 2);
    assert_eq!(audited(&app, "token.refresh_failed").await, 0);
}
