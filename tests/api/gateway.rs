//! The e-Factura gateway as an existing e-Factura client meets it: ANAF's own paths under the
//! portal's base URL, a portal API key where ANAF's token went, ANAF's answers handed back with
//! their class in `Efactura-Outcome`, and every refusal made before ANAF sees the call (the
//! simulator's own counters say what reached "ANAF").

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, company_choice, new_user, problem, spawn_app, spawn_app_on, spawn_app_with,
};

/// Certificate 01 has SPV rights on both: the seller and the buyer of the test invoice.
const SELLER: &str = "18547290";
const BUYER: &str = "14399840";
/// Certificate 02's: not a company of the test's user.
const STRANGER: &str = "22732040";
const REST: &str = "/efactura/test/FCTEL/rest";
const PUBLIC: &str = "/efactura/prod/FCTEL/rest";
const METRICS_TOKEN: &str = "scrape-0123456789abcdef";

fn invoice(number: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>2026-12-01</cbc:IssueDate>
  <cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO{SELLER}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>VANZATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO{BUYER}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>CUMPARATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="RON">1210.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>
"#
    )
}

/// The value of `name="…"` in an XML answer.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = xml[start..].find('"')? + start;
    Some(xml[start..end].to_owned())
}

/// A user with the seller (its token saved) and the buyer as companies, and a key with every
/// permission; returns the key, the access token (which no answer may contain) and the
/// seller's company page.
async fn integrator(app: &TestApp) -> (String, String, String) {
    app.register_logged_in("erp@firma.ro").await;
    let seller = app.add_company(SELLER, "Vanzator SRL").await;
    app.add_company(BUYER, "Cumparator SRL").await;
    let key = app.key_from_page("ERP").await;
    let (_, access) = app.save_minted(&key, Some(SELLER)).await;
    // Uploads are processed at once, so a status check right after says `ok`.
    app.sim_post("settings", json!({"processing_delay_seconds": 0}))
        .await;
    (key, access, format!("/companies/{seller}"))
}

async fn gateway(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<String>,
) -> Response {
    let mut request = app.api(method, path, key);
    if let Some(body) = body {
        request = request.header("content-type", "application/xml").body(body);
    }
    request.send().await.unwrap()
}

fn outcome(response: &Response) -> String {
    response.headers()["efactura-outcome"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn counters(app: &TestApp) -> Value {
    app.client
        .get(app.sim_url("efactura/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Upload → status → download of the result, list paginated → download → validate → PDF:
/// the flow of an e-Factura client, unchanged but for the base URL and the key.
#[tokio::test]
async fn an_unchanged_client_flow_runs_through_the_gateway() {
    let app = spawn_app().await;
    let (key, access, seller_page) = integrator(&app).await;
    let mut seen = Vec::new();

    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{REST}/upload?standard=UBL&cif={SELLER}"),
        Some(invoice("FCT-001")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("xml")
    );
    assert_eq!(outcome(&response), "ok");
    let body = response.text().await.unwrap();
    let index = attribute(&body, "index_incarcare").expect("ANAF's upload index");
    seen.push(body);

    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/stareMesaj?id_incarcare={index}"),
        None,
    )
    .await;
    assert_eq!(outcome(&response), "ok");
    let body = response.text().await.unwrap();
    assert_eq!(attribute(&body, "stare").as_deref(), Some("ok"), "{body}");
    let result_id = attribute(&body, "id_descarcare").expect("the result's id");
    seen.push(body);

    // The result's download is known from the status answer: no list needed.
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/descarcare?id={result_id}"),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let zip = response.bytes().await.unwrap();
    assert!(zip.starts_with(b"PK"));

    // The buyer's inbox lists it; its download goes to ANAF once, then comes from the archive.
    let now_ms = chrono::Utc::now().timestamp_millis() - 60_000;
    let start_ms = now_ms - 10 * 86_400_000;
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/listaMesajePaginatieFactura?startTime={start_ms}&endTime={now_ms}&cif={BUYER}&pagina=1"),
        None,
    )
    .await;
    // The buyer's company has no token of its own: the gateway says so before ANAF.
    let refused = problem(response, 409, Some(&access)).await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("no ANAF token"),
        "{refused}"
    );

    // ANAF lists a message a little after it was made; a client keeps its window a minute
    // behind ANAF's clock.
    app.sim_post("clock", json!({"advance_seconds": 180})).await;
    let end_ms = chrono::Utc::now().timestamp_millis() + 60_000;
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/listaMesajePaginatieFactura?startTime={start_ms}&endTime={end_ms}&cif={SELLER}&pagina=1&filtru=T"),
        None,
    )
    .await;
    assert_eq!(outcome(&response), "ok");
    let list: Value = response.json().await.unwrap();
    let sent = list["mesaje"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id_solicitare"] == index.as_str())
        .unwrap_or_else(|| panic!("the upload is listed as sent: {list}"));
    assert_eq!(sent["tip"], "FACTURA TRIMISA");
    let sent_id = sent["id"].as_str().unwrap().to_owned();

    // The sent invoice's file is the upload's result, downloaded above: from the archive now.
    assert_eq!(sent_id, result_id);
    for _ in 0..3 {
        let response = gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/descarcare?id={sent_id}"),
            None,
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(outcome(&response), "ok");
        assert_eq!(response.headers()["efactura-source"], "archive");
        assert_eq!(response.bytes().await.unwrap(), zip, "the bytes ANAF sent");
    }
    let at_anaf = counters(&app).await;
    assert_eq!(
        at_anaf["descarcare"][&sent_id], 1,
        "downloaded from ANAF once: {at_anaf}"
    );

    // Validation and PDF: ANAF's public host (production paths), no token.
    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{PUBLIC}/validare/FACT1"),
        Some(invoice("FCT-002")),
    )
    .await;
    assert_eq!(outcome(&response), "ok");
    let verdict: Value = response.json().await.unwrap();
    assert_eq!(verdict["stare"], "ok", "{verdict}");
    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{PUBLIC}/transformare/FACT1"),
        Some(invoice("FCT-002")),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));

    for body in seen {
        assert!(
            !body.contains(&access),
            "the token never appears in an answer"
        );
    }
    let at_anaf = counters(&app).await;
    assert_eq!(at_anaf["invoices_at_anaf"][SELLER], 1, "{at_anaf}");

    // The company page tells what went through: the paged list counted, the file kept.
    let page = app.get_html(&seller_page).await;
    assert!(page.contains("data-quota>1 / 100000<"), "{page}");
    assert!(page.contains("data-archived>1<"), "{page}");
}

/// Every refusal is the portal's, with a problem detail, and ANAF never sees the call.
#[tokio::test]
async fn refusals_are_made_before_anaf_is_called() {
    let app = spawn_app().await;
    let (key, access, _) = integrator(&app).await;
    let reader = app
        .scoped_key_from_page(&[
            ("name", "reader"),
            ("permission", "efactura:read"),
            ("companies", "all"),
        ])
        .await;
    let tokens_only = app
        .scoped_key_from_page(&[
            ("name", "tokens"),
            ("permission", "tokens:read"),
            ("companies", "all"),
        ])
        .await;
    let before = counters(&app).await;
    let upload = format!("{REST}/upload?standard=UBL&cif={SELLER}");

    // No key, an unknown key: 401.
    let response = app
        .client
        .get(app.url(&format!("{REST}/listaMesajeFactura?zile=1&cif={SELLER}")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    problem(response, 401, Some(&access)).await;

    // A key without the permission the operation needs.
    let body = problem(
        gateway(&app, &reader, Method::POST, &upload, Some(invoice("X-1"))).await,
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("efactura:write"),
        "{body}"
    );
    let body = problem(
        gateway(
            &app,
            &tokens_only,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1&cif={SELLER}"),
            None,
        )
        .await,
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("efactura:read"),
        "{body}"
    );

    // A CIF that is not the caller's: 403, whatever ANAF would say.
    let body = problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1&cif={STRANGER}"),
            None,
        )
        .await,
        403,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains(STRANGER),
        "{body}"
    );

    // A key limited to the buyer may not act for the seller.
    let page = app.get_html("/settings/api-keys").await;
    let buyer_id = company_choice(&page, BUYER);
    let buyer_only = app
        .scoped_key_from_page(&[
            ("name", "buyer only"),
            ("permission", "efactura:read"),
            ("companies", "some"),
            ("company", &buyer_id),
        ])
        .await;
    problem(
        gateway(
            &app,
            &buyer_only,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1&cif={SELLER}"),
            None,
        )
        .await,
        403,
        None,
    )
    .await;

    // Ids the portal never saw: 404, saying what to do first.
    let body = problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/descarcare?id=3999999999"),
            None,
        )
        .await,
        404,
        None,
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("list"), "{body}");
    problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/stareMesaj?id_incarcare=5999999999"),
            None,
        )
        .await,
        404,
        None,
    )
    .await;

    // Malformed: no CIF, an RO prefix, an operation ANAF does not have, the wrong method.
    problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1"),
            None,
        )
        .await,
        400,
        None,
    )
    .await;
    problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1&cif=ROabc"),
            None,
        )
        .await,
        400,
        None,
    )
    .await;
    // A CIF given twice: the portal checks one, ANAF might read the other.
    let body = problem(
        gateway(
            &app,
            &key,
            Method::GET,
            &format!("{REST}/listaMesajeFactura?zile=1&cif={SELLER}&cif={STRANGER}"),
            None,
        )
        .await,
        400,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("more than once"),
        "{body}"
    );
    problem(
        gateway(&app, &key, Method::GET, &format!("{REST}/stergeTot"), None).await,
        404,
        None,
    )
    .await;
    problem(
        gateway(&app, &key, Method::GET, &upload, None).await,
        405,
        None,
    )
    .await;
    // Over ANAF's 10 MB.
    let large = format!("<Invoice>{}</Invoice>", "x".repeat(10 * 1024 * 1024));
    problem(
        gateway(&app, &key, Method::POST, &upload, Some(large)).await,
        413,
        None,
    )
    .await;

    let after = counters(&app).await;
    for scope in [
        "uploads",
        "lista",
        "lista_paginatie",
        "descarcare",
        "stare_mesaj",
    ] {
        assert_eq!(before[scope], after[scope], "{scope} reached ANAF");
    }
}

/// A daily quota: the portal refuses the call ANAF would refuse, with 429, `Retry-After` until
/// the Romanian midnight and a problem naming the quota; ANAF's count stays at the limit.
#[tokio::test]
async fn a_spent_daily_quota_is_refused_before_anaf_with_its_name() {
    // Saving the token checked its rights with one list call: the quota's first.
    let app = spawn_app_with(&[
        "--efactura-lists-per-day",
        "3",
        "--metrics-token",
        METRICS_TOKEN,
    ])
    .await;
    let (key, _, seller_page) = integrator(&app).await;
    let lista = format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}");
    let at_anaf_before = counters(&app).await["lista"][SELLER].as_i64().unwrap_or(0);
    for _ in 0..2 {
        let response = gateway(&app, &key, Method::GET, &lista, None).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=25 * 3600).contains(&retry_after),
        "until the next Romanian midnight: {retry_after}"
    );
    let body = problem(response, 429, None).await;
    assert!(
        body["detail"].as_str().unwrap().contains("lista_per_cif"),
        "{body}"
    );
    let at_anaf = counters(&app).await["lista"][SELLER].as_i64().unwrap_or(0);
    assert_eq!(at_anaf - at_anaf_before, 2, "the third never reached ANAF");

    // The company page shows the quota as spent.
    let page = app.get_html(&seller_page).await;
    assert!(page.contains("3 / 3"), "{page}");

    // So do the metrics, by operation, outcome and the quota that refused.
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"anaf_portal_efactura_refusals_total{operation="listaMesajeFactura",scope="lista_per_cif"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"anaf_portal_efactura_calls_total{operation="listaMesajeFactura",outcome="ok",source="anaf"}"#),
        "{metrics}"
    );
}

/// ANAF's own limit answer (its count went up outside the portal): classified, and the portal's
/// counter follows, so the next call is refused here.
#[tokio::test]
async fn anafs_limit_answer_is_classified_and_then_kept_by_the_portal() {
    let app = spawn_app().await;
    let (key, _, _) = integrator(&app).await;
    app.sim_post("settings", json!({"lista_daily_limit_per_cif": 0}))
        .await;
    let lista = format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}");
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "ANAF answers its limit with 200"
    );
    assert_eq!(outcome(&response), "limit_reached");
    let calls = counters(&app).await["lista"][SELLER].as_i64().unwrap_or(0);
    let body = problem(
        gateway(&app, &key, Method::GET, &lista, None).await,
        429,
        None,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("lista_per_cif"),
        "{body}"
    );
    assert_eq!(
        counters(&app).await["lista"][SELLER].as_i64().unwrap_or(0),
        calls
    );
}

/// The minute's budget: integrators are refused with 429 before ANAF would be, and ANAF never
/// answers 429.
#[tokio::test]
async fn the_minute_budget_refuses_integrators_before_anaf_does() {
    let app = spawn_app_with(&["--anaf-calls-per-minute", "20"]).await;
    let (key, _, _) = integrator(&app).await;
    app.sim_post("settings", json!({"calls_per_minute_limit": 20}))
        .await;
    let lista = format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}");
    let mut refused = None;
    for _ in 0..25 {
        let response = gateway(&app, &key, Method::GET, &lista, None).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = refused.expect("the budget ran out");
    assert!(response.headers().contains_key("retry-after"));
    let body = problem(response, 429, None).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("calls to ANAF a minute"),
        "{body}"
    );
    assert_eq!(
        counters(&app).await["rate_limited"],
        0,
        "ANAF never said 429"
    );
}

/// Each class of ANAF's answers reaches the client in `Efactura-Outcome` beside ANAF's own body;
/// reads are asked again when ANAF failed in passing, uploads never.
#[tokio::test]
async fn outcomes_are_classified_reads_retried_uploads_never() {
    let app = spawn_app().await;
    let (key, _, seller_page) = integrator(&app).await;
    let lista = format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}");

    // A technical error once: asked again, the client sees the good answer.
    app.sim_fault("lista", json!({"kind": "eroare_tehnica"}))
        .await;
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert_eq!(outcome(&response), "ok");

    // The firewall page every time: after the attempts, ANAF's page with its class.
    app.sim_fault("validare", json!({"kind": "firewall_page", "count": 5}))
        .await;
    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{PUBLIC}/validare/FACT1"),
        Some(invoice("V-1")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(outcome(&response), "firewall_page");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("text/html")
    );
    assert_eq!(app.sim_calls("validare").await.len(), 3, "three attempts");
    app.client
        .delete(app.sim_url("faults"))
        .send()
        .await
        .unwrap();

    // Nothing in the window.
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/listaMesajeFactura?zile=1&cif={SELLER}&filtru=R"),
        None,
    )
    .await;
    assert_eq!(outcome(&response), "no_messages");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["eroare"]
            .as_str()
            .unwrap()
            .starts_with("Nu exista mesaje"),
        "ANAF's body: {body}"
    );

    // A bad request of the client's, as ANAF answers it.
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/listaMesajeFactura?zile=99&cif={SELLER}"),
        None,
    )
    .await;
    assert_eq!(outcome(&response), "invalid_request");

    // An upload whose answer is lost: 504, never sent again by the gateway.
    app.sim_fault("upload", json!({"kind": "answer_dropped"}))
        .await;
    let uploads = counters(&app).await["uploads"][SELLER]
        .as_i64()
        .unwrap_or(0);
    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{REST}/upload?standard=UBL&cif={SELLER}"),
        Some(invoice("L-1")),
    )
    .await;
    let body = problem(response, 504, None).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("do not send it again"),
        "{body}"
    );
    assert_eq!(
        counters(&app).await["uploads"][SELLER]
            .as_i64()
            .unwrap_or(0),
        uploads + 1,
        "one POST to ANAF"
    );

    // A file past ANAF's 60 days: listed while fresh, refused for good later.
    let seeded = app
        .sim_post(
            "efactura/inbox",
            json!({"cif": SELLER, "count": 1, "from_days_ago": 1, "to_days_ago": 1}),
        )
        .await;
    let id = seeded["ids"][0].as_str().unwrap().to_owned();
    gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}"),
        None,
    )
    .await;
    app.sim_post("clock", json!({"advance_days": 61})).await;
    let response = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/descarcare?id={id}"),
        None,
    )
    .await;
    assert_eq!(outcome(&response), "download_expired");

    // The company page tells the failures in plain words.
    let page = app.get_html(&seller_page).await;
    assert!(page.contains("60 de zile"), "{page}");
}

/// The other classes: a technical error that does not pass, a refused token, a certificate that
/// lost its rights, and ANAF's own 429, which pauses every call so the next one is refused here.
#[tokio::test]
async fn failures_that_last_reach_the_client_with_their_class() {
    let app = spawn_app().await;
    let (key, _, _) = integrator(&app).await;
    let lista = format!("{REST}/listaMesajeFactura?zile=5&cif={SELLER}");

    app.sim_fault("lista", json!({"kind": "eroare_tehnica", "count": 3}))
        .await;
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert_eq!(response.status(), StatusCode::OK, "ANAF's own HTTP 200");
    assert_eq!(outcome(&response), "technical_error");

    app.sim_fault("lista", json!({"kind": "status", "status": 401}))
        .await;
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(outcome(&response), "unauthorized");

    // The certificate no longer has rights on the seller at ANAF.
    let certificates: Value = app
        .client
        .get(app.sim_url("certificates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut certificates = certificates.as_array().unwrap().clone();
    for certificate in &mut certificates {
        if let Some(cifs) = certificate["cifs"].as_array_mut() {
            cifs.retain(|cif| cif != SELLER);
        }
    }
    app.client
        .put(app.sim_url("certificates"))
        .json(&certificates)
        .send()
        .await
        .unwrap();
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert_eq!(outcome(&response), "no_rights");

    // ANAF's 429: the client is told when to come back, and nothing reaches ANAF meanwhile.
    app.sim_fault(
        "lista",
        json!({"kind": "status", "status": 429, "retry_after": 30}),
    )
    .await;
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    let body = problem(response, 429, None).await;
    assert!(body["detail"].as_str().unwrap().contains("429"), "{body}");
    let calls = app.sim_calls("lista").await.len();
    let response = gateway(&app, &key, Method::GET, &lista, None).await;
    assert!(response.headers().contains_key("retry-after"));
    problem(response, 429, None).await;
    assert_eq!(
        app.sim_calls("lista").await.len(),
        calls,
        "paused: ANAF not called"
    );
}

/// The S3-compatible server the archive test uses (`ANAF_TEST_S3_ENDPOINT`, e.g. moto's server);
/// none: the test says it was skipped, and fails when `ANAF_PORTAL_S3_TESTS=required` (CI).
fn s3_endpoint() -> Option<String> {
    match std::env::var("ANAF_TEST_S3_ENDPOINT") {
        Ok(endpoint) if !endpoint.trim().is_empty() => Some(endpoint),
        _ if std::env::var("ANAF_PORTAL_S3_TESTS").as_deref() == Ok("required") => {
            panic!("ANAF_PORTAL_S3_TESTS=required but ANAF_TEST_S3_ENDPOINT is not set")
        }
        _ => {
            println!(
                "\nSKIPPED: S3 archive test not run: set ANAF_TEST_S3_ENDPOINT to an S3-compatible server (e.g. moto's)"
            );
            None
        }
    }
}

/// With the archive in S3-compatible object storage, a downloaded file is kept there exactly as
/// ANAF sent it, and another instance on the same database serves it without calling ANAF.
#[tokio::test]
async fn the_archive_in_object_storage_is_shared_by_instances() {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let bucket = format!("archive-{}", rand::random::<u32>());
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the S3 server answers");
    assert!(
        created.status().is_success(),
        "bucket: {}",
        created.status()
    );
    let url = format!("s3://{bucket}/portal");
    // Both instances open the same stored tokens.
    let secret_key = "ab".repeat(32);
    let args = [
        "--secret-key",
        secret_key.as_str(),
        "--archive-url",
        url.as_str(),
        "--s3-endpoint",
        endpoint.as_str(),
        "--s3-access-key-id",
        "test",
        "--s3-secret-access-key",
        "test-secret",
    ];
    let app = spawn_app_with(&args).await;
    let (key, _, _) = integrator(&app).await;
    let response = gateway(
        &app,
        &key,
        Method::POST,
        &format!("{REST}/upload?standard=UBL&cif={SELLER}"),
        Some(invoice("S3-001")),
    )
    .await;
    let index = attribute(&response.text().await.unwrap(), "index_incarcare").unwrap();
    let status = gateway(
        &app,
        &key,
        Method::GET,
        &format!("{REST}/stareMesaj?id_incarcare={index}"),
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    let id = attribute(&status, "id_descarcare").unwrap();
    let download = format!("{REST}/descarcare?id={id}");
    let zip = gateway(&app, &key, Method::GET, &download, None)
        .await
        .bytes()
        .await
        .unwrap();
    assert!(zip.starts_with(b"PK"));

    // In the bucket, under the prefix, the bytes ANAF sent.
    use object_store::ObjectStoreExt;
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test-secret")
        .with_endpoint(&endpoint)
        .with_allow_http(true)
        .with_virtual_hosted_style_request(false)
        .build()
        .unwrap();
    let stored = store
        .get(&object_store::path::Path::from(format!(
            "portal/efactura/test/{SELLER}/{id}.zip"
        )))
        .await
        .expect("the file is in the bucket")
        .bytes()
        .await
        .unwrap();
    assert_eq!(stored, zip);

    // Another instance on the same database answers from the shared archive.
    let other = spawn_app_on(&app.database_url, &args).await;
    let calls = app.sim_calls("descarcare").await.len() + other.sim_calls("descarcare").await.len();
    let response = gateway(&other, &key, Method::GET, &download, None).await;
    assert_eq!(response.headers()["efactura-source"], "archive");
    assert_eq!(response.bytes().await.unwrap(), zip);
    assert_eq!(
        app.sim_calls("descarcare").await.len() + other.sim_calls("descarcare").await.len(),
        calls,
        "ANAF not asked again"
    );
}

/// The seller and the buyer list one invoice under the same id: each may download it, the file
/// is fetched from ANAF once, and neither can use the other's company to reach it.
#[tokio::test]
async fn seller_and_buyer_each_download_the_invoice_they_share() {
    let app = spawn_app().await;
    let (seller_key, _, _) = integrator(&app).await;
    let upload = gateway(
        &app,
        &seller_key,
        Method::POST,
        &format!("{REST}/upload?standard=UBL&cif={SELLER}"),
        Some(invoice("B-001")),
    )
    .await;
    let index = attribute(&upload.text().await.unwrap(), "index_incarcare").unwrap();
    app.sim_post("clock", json!({"advance_seconds": 180})).await;
    let window = |cif: &str, filter: &str| {
        let end = chrono::Utc::now().timestamp_millis() + 60_000;
        let start = end - 5 * 86_400_000;
        format!(
            "{REST}/listaMesajePaginatieFactura?startTime={start}&endTime={end}&cif={cif}&pagina=1&filtru={filter}"
        )
    };
    let listed: Value = gateway(&app, &seller_key, Method::GET, &window(SELLER, "T"), None)
        .await
        .json()
        .await
        .unwrap();
    let id = listed["mesaje"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id_solicitare"] == index.as_str())
        .expect("listed as sent")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let download = format!("{REST}/descarcare?id={id}");
    let zip = gateway(&app, &seller_key, Method::GET, &download, None)
        .await
        .bytes()
        .await
        .unwrap();

    // The buyer's accountant: another account, the buyer's company and its own token.
    let buyer = new_user(&app, "cumparator@firma.ro").await;
    buyer.add_company(BUYER, "Cumparator SRL").await;
    let buyer_key = buyer.key_from_page("ERP cumparator").await;
    buyer.save_minted(&buyer_key, Some(BUYER)).await;
    // Before the buyer lists it, the id is the seller's only.
    problem(
        gateway(&buyer, &buyer_key, Method::GET, &download, None).await,
        403,
        None,
    )
    .await;
    let inbox: Value = gateway(&buyer, &buyer_key, Method::GET, &window(BUYER, "P"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        inbox["mesaje"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == id.as_str() && m["tip"] == "FACTURA PRIMITA"),
        "{inbox}"
    );
    let response = gateway(&buyer, &buyer_key, Method::GET, &download, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.bytes().await.unwrap(), zip);
    assert_eq!(
        counters(&app).await["descarcare"][&id],
        1,
        "fetched from ANAF once"
    );
}
