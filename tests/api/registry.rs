//! Company names from ANAF's public registry, over HTTP against the sandbox's simulator: adding
//! companies answers at once, names and addresses appear shortly after from batched calls, a
//! typed name is never replaced, a failed or empty lookup leaves the name for a person to type.

use std::time::{Duration, Instant};

use anaf_simulator::{NOT_FOUND, registry_company};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, location, spawn_app_with};

/// The background lookups run beside the refresh engine.
const WORKER: &[&str] = &["--worker", "on"];

/// `n` valid CIFs, one per stem from `stem` on, that the simulated registry knows.
fn known_cifs(stem: u64, n: usize) -> Vec<String> {
    (stem..)
        .filter_map(|s| {
            (0..10)
                .map(|check| format!("{s}{check}"))
                .find(|c| anaf_portal::domain::Cif::parse(c).is_ok())
        })
        .filter(|c| registry_company(c).is_some())
        .take(n)
        .collect()
}

fn registry_name(cif: &str) -> String {
    registry_company(cif).expect("a known CIF").name
}

/// Waits (20 s at most) until `check` holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl TestApp {
    /// Pastes `lines` into the bulk form; returns the response and how long it took.
    async fn paste(&self, lines: &[String]) -> (reqwest::Response, Duration) {
        let token = crate::helpers::csrf_token(&self.get_html("/").await);
        let started = Instant::now();
        let response = self
            .client
            .post(self.url("/companies/bulk"))
            .form(&[("cifs", lines.join("\n")), ("csrf_token", token)])
            .send()
            .await
            .expect("POST");
        (response, started.elapsed())
    }

    /// The calls the simulated registry received, with how many CUIs each asked about.
    async fn registry_calls(&self) -> Vec<usize> {
        self.sim_calls("registry")
            .await
            .iter()
            .map(|c| {
                c["params"]["cuis"]
                    .as_str()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Every company link on the dashboard's pages, with the row's text.
    async fn dashboard_text(&self) -> String {
        let mut all = String::new();
        for page in 1..=6 {
            all.push_str(&self.get_html(&format!("/?page={page}")).await);
        }
        all
    }

    async fn rename(&self, company: i64, name: &str) -> reqwest::Response {
        self.post_form(
            &format!("/companies/{company}"),
            &format!("/companies/{company}/name"),
            &[("name", name)],
        )
        .await
    }
}

#[tokio::test]
async fn an_accountant_pastes_30_cifs_and_sees_their_names_from_one_call() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("contabil@firma.ro").await;
    let cifs = known_cifs(2_100_000, 30);
    let (response, _) = app.paste(&cifs).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/#bulk");
    assert!(app.get_html("/").await.contains("30 adăugate"));

    eventually("every name on the dashboard", || async {
        let html = app.dashboard_text().await;
        cifs.iter().all(|cif| html.contains(&registry_name(cif)))
    })
    .await;
    assert_eq!(
        app.registry_calls().await,
        [30],
        "one call for the whole paste"
    );
}

#[tokio::test]
async fn a_large_paste_is_asked_about_100_cifs_at_a_time() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("contabil@firma.ro").await;
    let cifs = known_cifs(2_200_000, 130);
    let (response, _) = app.paste(&cifs).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    eventually("130 CIFs asked about", || async {
        app.registry_calls().await.iter().sum::<usize>() == 130
    })
    .await;
    let calls = app.registry_calls().await;
    assert!(calls.iter().all(|n| *n <= 100), "{calls:?}");
    assert_eq!(calls.len(), 2, "{calls:?}");
    eventually("the last name on the dashboard", || async {
        let html = app.dashboard_text().await;
        cifs.iter().all(|cif| html.contains(&registry_name(cif)))
    })
    .await;
}

#[tokio::test]
async fn the_company_page_shows_the_name_and_address_and_history_says_where_they_came_from() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    let company = app.add_company("RO 18547290", "").await;
    let page = format!("/companies/{company}");
    eventually("the registry's name", || async {
        app.get_html(&page).await.contains("CARPAT SOFT SRL")
    })
    .await;
    let html = app.get_html(&page).await;
    assert!(html.contains("STR. ION CÂMPINEANU"), "the address is shown");
    assert!(html.contains("Denumire completată din registrul ANAF"));
    assert!(!html.contains("data-lookup"), "no lookup note once named");
}

#[tokio::test]
async fn a_typed_name_is_never_overwritten() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    let typed = app.add_company("14399840", "Firma Mea").await;
    let (response, _) = app
        .paste(&["RO22732040, Numele Meu".to_owned(), "11123319".to_owned()])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = format!("/companies/{typed}");
    // The lookup is done when the registry's address shows.
    eventually("the address of the named company", || async {
        app.get_html(&page).await.contains("VOLUNTARI")
    })
    .await;
    let html = app.get_html(&page).await;
    assert!(html.contains("Firma Mea"));
    assert!(!html.contains("DUNAREA DISTRIBUTIE SA"));
    eventually("the unnamed pasted company named", || async {
        app.dashboard_text().await.contains("LUMINA PROD SRL")
    })
    .await;
    let html = app.dashboard_text().await;
    assert!(html.contains("Numele Meu"));
    assert!(!html.contains("MERIDIAN LOGISTIC SRL"));
}

#[tokio::test]
async fn a_cif_the_registry_does_not_know_keeps_an_empty_name_that_an_admin_can_type() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    let company = app.add_company(NOT_FOUND[0], "").await;
    let page = format!("/companies/{company}");
    eventually("the not-found note", || async {
        app.get_html(&page)
            .await
            .contains("Registrul public ANAF nu are nicio firmă cu acest CIF")
    })
    .await;
    let html = app.get_html(&page).await;
    assert!(
        html.contains(r#"name="name" value="""#),
        "an empty name field"
    );

    // Bad input: a clear message, nothing changed.
    for (input, message) in [
        ("   ", "Scrieți denumirea firmei."),
        (&"A".repeat(201)[..], "cel mult 200 de caractere"),
        ("Firma\nNoua", "nu poate conține rânduri noi"),
    ] {
        let response = app.rename(company, input).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), page);
        let html = app.get_html(&page).await;
        assert!(html.contains(message), "{input:?}: {message}");
        assert!(
            html.contains(r#"name="name" value="""#),
            "{input:?} changed nothing"
        );
    }
    assert!(
        !app.audit_actions()
            .await
            .contains(&"company.renamed".to_owned())
    );

    let response = app.rename(company, "  Firma Necunoscută SRL ").await;
    assert_eq!(location(&response), page);
    let html = app.get_html(&page).await;
    assert!(html.contains("Denumirea a fost salvată."));
    assert!(html.contains("<h1>Firma Necunoscută SRL"));
    assert!(!html.contains("data-lookup"));
    assert!(
        app.audit_actions()
            .await
            .contains(&"company.renamed".to_owned())
    );

    // Only the company's admins may: a stranger gets 404.
    let stranger = app.second_browser();
    stranger.register_logged_in("altcineva@firma.ro").await;
    let token = crate::helpers::csrf_token(&stranger.get_html("/").await);
    let response = stranger
        .client
        .post(stranger.url(&format!("/companies/{company}/name")))
        .form(&[("name", "Furat SRL"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(app.get_html(&page).await.contains("Firma Necunoscută SRL"));
}

#[tokio::test]
async fn an_answer_sent_with_http_404_still_fills_names() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    app.sim_post(
        "faults",
        json!({"endpoint": "registry", "kind": "status_with_body", "status": 404}),
    )
    .await;
    let company = app.add_company("22732040", "").await;
    eventually("the name from the 404 answer", || async {
        app.get_html(&format!("/companies/{company}"))
            .await
            .contains("MERIDIAN LOGISTIC SRL")
    })
    .await;
    let calls = app.sim_calls("registry").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["status"], 404);
}

#[tokio::test]
async fn a_slow_registry_does_not_slow_adding_companies() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    app.sim_post(
        "faults",
        json!({"endpoint": "registry", "kind": "latency", "ms": 3000}),
    )
    .await;
    let cifs = known_cifs(2_300_000, 5);
    let (response, took) = app.paste(&cifs).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        took < Duration::from_millis(1500),
        "the paste waited for the registry: {took:?}"
    );
    // The pages answer meanwhile, saying the names are being looked up.
    let started = Instant::now();
    let html = app.dashboard_text().await;
    assert!(started.elapsed() < Duration::from_millis(1500));
    assert!(!html.contains(&registry_name(&cifs[0])));
    eventually("names after the slow answer", || async {
        let html = app.dashboard_text().await;
        cifs.iter().all(|cif| html.contains(&registry_name(cif)))
    })
    .await;
}

#[tokio::test]
async fn a_cached_answer_is_reused_without_asking_anaf_again() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("contabil@firma.ro").await;
    let first = app.add_company("11123319", "").await;
    eventually("the first record named", || async {
        app.get_html(&format!("/companies/{first}"))
            .await
            .contains("LUMINA PROD SRL")
    })
    .await;
    assert_eq!(app.registry_calls().await, [1]);

    // The company's own people add the same CIF to their list: its own record, the same answer.
    let other = app.second_browser();
    other.register_logged_in("patron@firma.ro").await;
    let second = other.add_company("11123319", "").await;
    assert_ne!(first, second);
    eventually("the second record named", || async {
        other
            .get_html(&format!("/companies/{second}"))
            .await
            .contains("LUMINA PROD SRL")
    })
    .await;
    assert_eq!(app.registry_calls().await, [1], "no second call");
}

#[tokio::test]
async fn a_failed_lookup_leaves_the_name_empty_and_is_tried_again_later() {
    let app = spawn_app_with(WORKER).await;
    app.register_logged_in("admin@firma.ro").await;
    app.sim_post(
        "faults",
        json!({"endpoint": "registry", "kind": "status", "status": 503}),
    )
    .await;
    let company = app.add_company("18547290", "").await;
    let page = format!("/companies/{company}");
    eventually("the failure note", || async {
        app.get_html(&page)
            .await
            .contains("Registrul public ANAF nu a răspuns")
    })
    .await;
    let html = app.get_html(&page).await;
    assert!(
        html.contains(r#"name="name" value="""#),
        "the name stays editable"
    );
    assert!(!html.contains("CARPAT SOFT SRL"));

    // Tried again a minute later: the test moves that minute forward.
    let db = app.db();
    let (attempts, next) = tokio::task::spawn_blocking(move || {
        use anaf_portal::db::schema::company_registry::dsl;
        use diesel::prelude::*;
        let mut conn = db.get_blocking().expect("connection");
        let row: (i32, chrono::NaiveDateTime) = dsl::company_registry
            .find("18547290")
            .select((dsl::attempts, dsl::next_attempt_at))
            .first(&mut *conn)
            .expect("a registry row");
        diesel::update(dsl::company_registry.find("18547290"))
            .set(dsl::next_attempt_at.eq(chrono::Utc::now().naive_utc()))
            .execute(&mut *conn)
            .expect("made due");
        row
    })
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    let wait = next - chrono::Utc::now().naive_utc();
    assert!(
        wait > chrono::TimeDelta::seconds(30) && wait <= chrono::TimeDelta::seconds(61),
        "{wait}"
    );
    // Adding another company wakes the lookups at once.
    app.add_company("14399840", "").await;
    eventually("the name after the retry", || async {
        app.get_html(&page).await.contains("CARPAT SOFT SRL")
    })
    .await;
    let statuses: Vec<Value> = app
        .sim_calls("registry")
        .await
        .iter()
        .map(|c| c["status"].clone())
        .collect();
    assert_eq!(statuses[0], 503);
}
