//! The simulator's e-Factura side over HTTP: upload, stareMesaj, both lists, descarcare, validare,
//! transformare, the faults, the counters and the seeding, against simulators on port 0.

use std::io::Read;

use anaf_simulator::{
    EfacturaCounters, InboxSeed, SimEndpoint, Simulator, SimulatorSettings, default_certificates,
    serve,
};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// POPESCU ION: 18547290, 14399840.
const CIF_A: &str = "18547290";
/// IONESCU MARIA: 1590082, 22732040, 11123319.
const CIF_B: &str = "1590082";
const CIF_B_EMPTY: &str = "11123319";
const API: &str = "/test/FCTEL/rest";

struct TestSim {
    base: String,
    sim: Simulator,
    http: reqwest::Client,
    /// Access tokens of the three default certificates.
    a: String,
    b: String,
    none: String,
}

async fn spawn_sim() -> TestSim {
    spawn_sim_with(SimulatorSettings::default()).await
}

async fn spawn_sim_with(settings: SimulatorSettings) -> TestSim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Simulator::new(settings).expect("simulator");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(serve(listener, sim.clone()).expect("serve"));
    let certs = default_certificates();
    let token = |i: usize| {
        sim.mint(&certs[i].serial, "efactura-test")
            .expect("mint")
            .access_token
    };
    TestSim {
        base: format!("http://127.0.0.1:{port}"),
        a: token(0),
        b: token(1),
        none: token(2),
        sim,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
    }
}

/// A UBL 2.1 invoice with the fields e-Factura checks; `omit` leaves one element out.
fn invoice(number: &str, supplier: &str, customer: &str, omit: Option<&str>) -> String {
    let part = |name: &str, xml: String| {
        if omit == Some(name) {
            String::new()
        } else {
            xml
        }
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1</cbc:CustomizationID>
{}{}  <cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>
{}{}  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="RON">1210.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
</Invoice>
"#,
        part("ID", format!("  <cbc:ID>{number}</cbc:ID>\n")),
        part(
            "IssueDate",
            "  <cbc:IssueDate>2026-12-01</cbc:IssueDate>\n".to_string()
        ),
        part(
            "AccountingSupplierParty",
            format!(
                "  <cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO{supplier}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>VANZATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>\n"
            )
        ),
        part(
            "AccountingCustomerParty",
            format!(
                "  <cac:AccountingCustomerParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO {customer}</cbc:CompanyID></cac:PartyTaxScheme><cac:PartyLegalEntity><cbc:RegistrationName>CUMPARATOR SRL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>\n"
            )
        ),
    )
}

fn good_invoice(number: &str) -> String {
    invoice(number, CIF_A, CIF_B, None)
}

/// The value of `name="…"` in an XML answer.
fn attr(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = xml[start..].find('"')? + start;
    Some(xml[start..end].to_string())
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("entry");
            assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
            let mut content = Vec::new();
            file.read_to_end(&mut content).expect("read entry");
            (file.name().expect("entry name").to_string(), content)
        })
        .collect()
}

impl TestSim {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .request(method, self.url(path))
            .json(&body)
            .send()
            .await
            .expect("control");
        assert_eq!(resp.status(), StatusCode::OK, "control {path}");
        resp.json().await.expect("control json")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.control(reqwest::Method::POST, path, body).await
    }

    async fn advance_seconds(&self, seconds: i64) {
        self.post("/__sim/clock", json!({ "advance_seconds": seconds }))
            .await;
    }

    async fn sim_now(&self) -> DateTime<Utc> {
        let clock = self
            .control(reqwest::Method::GET, "/__sim/clock", json!({}))
            .await;
        clock["now"]
            .as_str()
            .expect("now")
            .parse()
            .expect("RFC 3339")
    }

    async fn fault(&self, body: Value) {
        self.post("/__sim/faults", body).await;
    }

    async fn upload_raw(
        &self,
        token: &str,
        path: &str,
        query: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(self.url(&format!("{API}/{path}")))
            .query(query)
            .bearer_auth(token)
            .header("content-type", "text/plain")
            .body(body)
            .send()
            .await
    }

    /// Uploads as `token` for `cif`; the answer's XML (HTTP 200 asserted).
    async fn upload_as(&self, token: &str, cif: &str, xml: impl Into<reqwest::Body>) -> String {
        let resp = self
            .upload_raw(token, "upload", &[("standard", "UBL"), ("cif", cif)], xml)
            .await
            .expect("upload");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "application/xml");
        resp.text().await.expect("upload body")
    }

    /// Uploads as A for 18547290 and returns the index (an accepted answer asserted).
    async fn upload(&self, xml: &str) -> String {
        let answer = self.upload_as(&self.a, CIF_A, xml.to_string()).await;
        assert!(
            answer.contains(r#"xmlns="mfp:anaf:dgti:spv:respUploadFisier:v1""#)
                && answer.contains(r#"ExecutionStatus="0""#),
            "{answer}"
        );
        attr(&answer, "index_incarcare").expect("index_incarcare")
    }

    async fn stare(&self, token: &str, index: &str) -> String {
        let resp = self
            .http
            .get(self.url(&format!("{API}/stareMesaj")))
            .query(&[("id_incarcare", index)])
            .bearer_auth(token)
            .send()
            .await
            .expect("stareMesaj");
        assert_eq!(resp.status(), StatusCode::OK);
        resp.text().await.expect("stare body")
    }

    async fn get_json(&self, token: &str, op: &str, query: &[(&str, &str)]) -> Value {
        let resp = self
            .http
            .get(self.url(&format!("{API}/{op}")))
            .query(query)
            .bearer_auth(token)
            .send()
            .await
            .expect(op);
        assert_eq!(resp.status(), StatusCode::OK, "{op}");
        resp.json().await.expect("json")
    }

    async fn lista(&self, token: &str, cif: &str, zile: &str, filtru: Option<&str>) -> Value {
        let mut query = vec![("zile", zile), ("cif", cif)];
        query.extend(filtru.map(|f| ("filtru", f)));
        self.get_json(token, "listaMesajeFactura", &query).await
    }

    async fn pagina(&self, token: &str, cif: &str, start: i64, end: i64, pagina: u32) -> Value {
        let (start, end, pagina) = (start.to_string(), end.to_string(), pagina.to_string());
        self.get_json(
            token,
            "listaMesajePaginatieFactura",
            &[
                ("startTime", start.as_str()),
                ("endTime", end.as_str()),
                ("cif", cif),
                ("pagina", pagina.as_str()),
            ],
        )
        .await
    }

    async fn descarcare(&self, token: &str, id: &str) -> reqwest::Response {
        let resp = self
            .http
            .get(self.url(&format!("{API}/descarcare")))
            .query(&[("id", id)])
            .bearer_auth(token)
            .send()
            .await
            .expect("descarcare");
        assert_eq!(resp.status(), StatusCode::OK);
        resp
    }

    async fn download_zip(&self, token: &str, id: &str) -> Vec<(String, Vec<u8>)> {
        let resp = self.descarcare(token, id).await;
        assert_eq!(resp.headers()["content-type"], "application/zip");
        unzip(&resp.bytes().await.expect("zip bytes"))
    }

    async fn descarcare_eroare(&self, token: &str, id: &str) -> String {
        let body: Value = self.descarcare(token, id).await.json().await.expect("json");
        assert_eq!(body["titlu"], "Descarcare", "{body}");
        body["eroare"].as_str().expect("eroare").to_string()
    }

    async fn public(&self, env: &str, op: &str, xml: &str) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/{env}/FCTEL/rest/{op}")))
            .header("content-type", "text/plain")
            .body(xml.to_string())
            .send()
            .await
            .expect("public operation")
    }

    async fn counters(&self) -> EfacturaCounters {
        let counters: EfacturaCounters = self
            .http
            .get(self.url("/__sim/efactura/counters"))
            .send()
            .await
            .expect("counters")
            .json()
            .await
            .expect("counters json");
        assert_eq!(counters, self.sim.efactura_counters());
        counters
    }

    /// Uploads and waits out the default 2 s processing delay on the simulated clock.
    async fn upload_processed(&self, xml: &str) -> (String, String) {
        let index = self.upload(xml).await;
        self.advance_seconds(3).await;
        let stare = self.stare(&self.a, &index).await;
        (index, stare)
    }
}

fn eroare(body: &Value) -> &str {
    assert_eq!(body["titlu"], "Lista Mesaje", "{body}");
    body["eroare"]
        .as_str()
        .unwrap_or_else(|| panic!("no eroare: {body}"))
}

fn mesaje(body: &Value) -> &Vec<Value> {
    body["mesaje"]
        .as_array()
        .unwrap_or_else(|| panic!("no mesaje: {body}"))
}

// ---------------------------------------------------------------------------------------------
// upload → stareMesaj → lists → descarcare

#[tokio::test]
async fn an_accepted_upload_is_processing_then_ok_then_listed_for_both_parties_and_downloadable() {
    let t = spawn_sim().await;
    let xml = good_invoice("FCT-0001");
    let answer = t.upload_as(&t.a, CIF_A, xml.clone()).await;
    assert!(
        answer.starts_with(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#),
        "{answer}"
    );
    let index = attr(&answer, "index_incarcare").expect("index");
    let date = attr(&answer, "dateResponse").expect("dateResponse");
    assert_eq!(date.len(), 12, "yyyyMMddHHmm: {date}");
    assert!(date.bytes().all(|b| b.is_ascii_digit()));

    let stare = t.stare(&t.a, &index).await;
    assert!(
        stare.ends_with(
            r#"<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="in prelucrare"/>"#
        ),
        "{stare}"
    );
    // Nothing is listed while it is processing.
    let before = t.lista(&t.b, CIF_B, "1", None).await;
    assert_eq!(eroare(&before), "Nu exista mesaje in ultimele 1 zile");

    t.advance_seconds(3).await;
    let stare = t.stare(&t.a, &index).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"), "{stare}");
    let id = attr(&stare, "id_descarcare").expect("id_descarcare");

    let detalii = format!(
        "Factura cu id_incarcare={index} emisa de cif_emitent={CIF_A} pentru cif_beneficiar={CIF_B}"
    );
    let sent = t.lista(&t.a, CIF_A, "1", Some("T")).await;
    let sent = mesaje(&sent);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["tip"], "FACTURA TRIMISA");
    assert_eq!(sent[0]["id_solicitare"], index.as_str());
    assert_eq!(sent[0]["id"], id.as_str());
    assert_eq!(sent[0]["cif"], CIF_A);
    assert_eq!(sent[0]["detalii"], detalii.as_str());
    let received = t.lista(&t.b, CIF_B, "1", Some("P")).await;
    assert_eq!(received["cui"], CIF_B);
    let received = mesaje(&received);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["tip"], "FACTURA PRIMITA");
    assert_eq!(received[0]["id"], id.as_str());
    assert_eq!(received[0]["detalii"], detalii.as_str());
    // The filter keeps the sent invoice out of A's received list.
    let a_received = t.lista(&t.a, CIF_A, "1", Some("P")).await;
    assert_eq!(eroare(&a_received), "Nu exista mesaje in ultimele 1 zile");

    for token in [&t.a, &t.b] {
        let files = t.download_zip(token, &id).await;
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [format!("{id}.xml"), format!("semnatura_{id}.xml")]);
        assert_eq!(sha256(&files[0].1), sha256(xml.as_bytes()));
        let signature = String::from_utf8(files[1].1.clone()).expect("utf-8");
        use base64::Engine as _;
        let digest = base64::engine::general_purpose::STANDARD.encode(sha256(xml.as_bytes()));
        assert!(
            signature.contains(&format!("<ds:DigestValue>{digest}</ds:DigestValue>")),
            "{signature}"
        );
    }
    assert_eq!(
        t.descarcare_eroare(&t.none, &id).await,
        "Nu aveti dreptul sa descarcati acesta factura"
    );

    let counters = t.counters().await;
    assert_eq!(counters.uploads[CIF_A], 1);
    assert_eq!(counters.invoices_at_anaf[CIF_A], 1);
    assert_eq!(counters.stare_mesaj[&index], 2);
    assert_eq!(counters.descarcare[&id], 2);
}

#[tokio::test]
async fn a_buyer_no_certificate_knows_gets_no_received_message() {
    let t = spawn_sim().await;
    let (index, stare) = t
        .upload_processed(&invoice("FCT-9", CIF_A, "40404040", None))
        .await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"));
    let sent = t.lista(&t.a, CIF_A, "1", Some("T")).await;
    assert_eq!(
        mesaje(&sent)[0]["detalii"],
        format!(
            "Factura cu id_incarcare={index} emisa de cif_emitent={CIF_A} pentru cif_beneficiar=40404040"
        )
    );
    // Nobody holds 40404040: only the sender's entry exists anywhere.
    let b_lists = t.lista(&t.b, CIF_B, "1", None).await;
    assert_eq!(eroare(&b_lists), "Nu exista mesaje in ultimele 1 zile");
}

#[tokio::test]
async fn an_invoice_missing_a_mandatory_part_is_nok_with_a_downloadable_error_report() {
    let t = spawn_sim().await;
    for (omitted, rule) in [
        ("ID", "[BR-02]"),
        ("IssueDate", "[BR-03]"),
        ("AccountingSupplierParty", "[BR-06]"),
        ("AccountingCustomerParty", "[BR-07]"),
    ] {
        let (index, stare) = t
            .upload_processed(&invoice("FCT-2", CIF_A, CIF_B, Some(omitted)))
            .await;
        assert_eq!(attr(&stare, "stare").as_deref(), Some("nok"), "{stare}");
        let id = attr(&stare, "id_descarcare").expect("id of the error report");
        let files = t.download_zip(&t.a, &id).await;
        assert_eq!(files[0].0, format!("{id}.xml"));
        let report = String::from_utf8(files[0].1.clone()).expect("utf-8");
        assert!(
            report.contains(r#"xmlns="mfp:anaf:dgti:efactura:mesajEroriFactuta:v1""#),
            "{report}"
        );
        assert!(report.contains(&format!(r#"Index_incarcare="{index}""#)));
        assert!(report.contains(rule), "{omitted}: {report}");
        assert!(report.contains(omitted), "{omitted}: {report}");
    }
    let errors = t.lista(&t.a, CIF_A, "1", Some("E")).await;
    let errors = mesaje(&errors);
    assert_eq!(errors.len(), 4);
    assert!(errors.iter().all(|m| m["tip"] == "ERORI FACTURA"));
    let first = &errors[0];
    assert_eq!(
        first["detalii"],
        format!(
            "Erori de validare identificate la factura primita cu id_incarcare={}",
            first["id_solicitare"].as_str().expect("id_solicitare")
        )
    );
    // The buyer hears of no rejected invoice.
    let b_lists = t.lista(&t.b, CIF_B, "1", None).await;
    assert_eq!(eroare(&b_lists), "Nu exista mesaje in ultimele 1 zile");
    let counters = t.counters().await;
    assert_eq!(counters.uploads[CIF_A], 4);
    assert!(!counters.invoices_at_anaf.contains_key(CIF_A));
}

#[tokio::test]
async fn malformed_xml_is_nok_and_something_that_is_not_xml_is_not_taken() {
    let t = spawn_sim().await;
    let (_, stare) = t
        .upload_processed("<Invoice><cbc:ID>1</cbc:IssueDate></Invoice>")
        .await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("nok"));
    let id = attr(&stare, "id_descarcare").expect("id");
    let report = String::from_utf8(t.download_zip(&t.a, &id).await[0].1.clone()).expect("utf-8");
    assert!(report.contains("XML-ul nu este bine format"), "{report}");

    let (_, stare) = t.upload_processed("this is not an invoice").await;
    assert!(
        stare.ends_with(
            r#"<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1" stare="XML cu erori nepreluat de sistem"/>"#
        ),
        "{stare}"
    );
}

#[tokio::test]
async fn the_same_bytes_sent_again_are_nok_pointing_at_the_first_upload() {
    let t = spawn_sim().await;
    let xml = good_invoice("FCT-DUP");
    let (first, stare) = t.upload_processed(&xml).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"));
    let (_, stare) = t.upload_processed(&xml).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("nok"), "{stare}");
    let id = attr(&stare, "id_descarcare").expect("id");
    let report = String::from_utf8(t.download_zip(&t.a, &id).await[0].1.clone()).expect("utf-8");
    let day = (t.sim_now().await - Duration::seconds(6)).format("%Y-%m-%d");
    assert!(
        report.contains(&format!(
            "Factura a mai fost transmisa anterior cu index={first} si data incarcare={day}"
        )),
        "{report}"
    );
    // One invoice reached ANAF; the buyer sees it once.
    let counters = t.counters().await;
    assert_eq!(counters.uploads[CIF_A], 2);
    assert_eq!(counters.invoices_at_anaf[CIF_A], 1);
    let received = t.lista(&t.b, CIF_B, "1", Some("P")).await;
    assert_eq!(mesaje(&received).len(), 1);
    // Other bytes (another invoice) are fine.
    let (_, stare) = t.upload_processed(&good_invoice("FCT-DUP-2")).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"));
}

#[tokio::test]
async fn upload_refusals_use_anaf_shapes() {
    let t = spawn_sim().await;
    // Missing parameters: Spring's 400 JSON.
    let resp = t
        .upload_raw(&t.a, "upload", &[("cif", CIF_A)], good_invoice("X"))
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["status"], 400);
    assert_eq!(body["error"], "Bad Request");
    assert_eq!(
        body["message"],
        "Parametrii standard si cif sunt obligatorii"
    );
    assert!(body["timestamp"].is_string());

    // No right on the CIF: the XML error shape.
    let answer = t.upload_as(&t.a, CIF_B, good_invoice("X")).await;
    assert!(
        answer.ends_with(&format!(
            r#"ExecutionStatus="1"><Errors errorMessage="Nu aveti drept in SPV pentru CIF={CIF_B}"/></header>"#
        )),
        "{answer}"
    );
    let answer = t.upload_as(&t.none, CIF_B, good_invoice("X")).await;
    assert!(
        answer.contains(r#"errorMessage="Nu exista niciun CIF pentru care sa aveti drept in SPV""#),
        "{answer}"
    );
    // A bad token is a 401, as on every resource endpoint.
    let resp = t
        .upload_raw(
            "garbage",
            "upload",
            &[("standard", "UBL"), ("cif", CIF_A)],
            "x",
        )
        .await
        .expect("upload");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(t.counters().await.uploads.is_empty());
}

#[tokio::test]
async fn ten_megabytes_are_accepted_and_one_byte_more_is_refused_with_anafs_text() {
    let t = spawn_sim().await;
    let limit = 10 * 1024 * 1024;
    let mut xml = good_invoice("BIG").into_bytes();
    xml.resize(limit, b' ');
    let answer = t.upload_as(&t.a, CIF_A, xml.clone()).await;
    assert!(answer.contains(r#"ExecutionStatus="0""#), "{answer}");
    xml.push(b' ');
    let answer = t.upload_as(&t.a, CIF_A, xml).await;
    assert!(
        answer.contains(r#"ExecutionStatus="1"><Errors errorMessage="Marime fisier transmis mai mare de 10 MB."/>"#),
        "{answer}"
    );
    assert_eq!(t.counters().await.uploads[CIF_A], 1);
}

#[tokio::test]
async fn rasp_uploads_have_a_daily_limit_per_cif() {
    let t = spawn_sim().await;
    t.post("/__sim/settings", json!({ "rasp_daily_limit_per_cif": 2 }))
        .await;
    let rasp = r#"<?xml version="1.0"?><MesajCumparator><Mesaj>ok</Mesaj></MesajCumparator>"#;
    let send = || async {
        let resp = t
            .upload_raw(
                &t.a,
                "upload",
                &[("standard", "RASP"), ("cif", CIF_A)],
                rasp,
            )
            .await
            .expect("upload");
        resp.text().await.expect("body")
    };
    assert!(send().await.contains(r#"ExecutionStatus="0""#));
    assert!(send().await.contains(r#"ExecutionStatus="0""#));
    let third = send().await;
    assert!(
        third.contains(&format!(
            r#"errorMessage="S-au incarcat deja 2 de mesaje de tip RASP pentru cui={CIF_A} in cursul zilei""#
        )),
        "{third}"
    );
    // Invoices are not limited, and a new simulated day starts afresh.
    t.upload(&good_invoice("AFTER-RASP")).await;
    t.advance_seconds(86_400).await;
    assert!(send().await.contains(r#"ExecutionStatus="0""#));
}

#[tokio::test]
async fn upload_b2c_is_its_own_endpoint_with_the_same_behaviour_and_the_call_log_keeps_the_query() {
    let t = spawn_sim().await;
    let resp = t
        .upload_raw(
            &t.a,
            "uploadb2c",
            &[("standard", "UBL"), ("cif", CIF_A), ("extern", "DA")],
            good_invoice("B2C-1"),
        )
        .await
        .expect("uploadb2c");
    let answer = resp.text().await.expect("body");
    let index = attr(&answer, "index_incarcare").expect("index");
    let call = t
        .sim
        .calls()
        .into_iter()
        .find(|c| c.endpoint == SimEndpoint::UploadB2c)
        .expect("logged as upload_b2c");
    assert_eq!(call.params["standard"], "UBL");
    assert_eq!(call.params["cif"], CIF_A);
    assert_eq!(call.params["extern"], "DA");
    assert_eq!(call.status, Some(200));
    t.stare(&t.a, &index).await;
    let names: Vec<Value> = t
        .sim
        .calls()
        .iter()
        .map(|c| serde_json::to_value(c.endpoint).expect("name"))
        .collect();
    assert_eq!(names, [json!("upload_b2c"), json!("stare_mesaj")]);
}

#[tokio::test]
async fn processing_delay_and_indexing_lag_are_settings() {
    let t = spawn_sim().await;
    let settings = t
        .post(
            "/__sim/settings",
            json!({ "processing_delay_seconds": 0, "indexing_lag_seconds": 600 }),
        )
        .await;
    assert_eq!(settings["processing_delay_seconds"], 0);
    assert_eq!(settings["indexing_lag_seconds"], 600);
    let index = t.upload(&good_invoice("LAG")).await;
    let stare = t.stare(&t.a, &index).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"), "at once");
    let early = t.lista(&t.a, CIF_A, "1", Some("T")).await;
    assert_eq!(eroare(&early), "Nu exista mesaje in ultimele 1 zile");
    t.advance_seconds(601).await;
    let late = t.lista(&t.a, CIF_A, "1", Some("T")).await;
    assert_eq!(mesaje(&late).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// stareMesaj

#[tokio::test]
async fn stare_mesaj_refusals_and_its_daily_limit_per_upload() {
    let t = spawn_sim().await;
    let stare = t.stare(&t.a, "99").await;
    assert!(
        stare.ends_with(
            r#"<header xmlns="mfp:anaf:dgti:efactura:stareMesajFactura:v1"><Errors errorMessage="Nu exista factura cu id_incarcare= 99"/></header>"#
        ),
        "{stare}"
    );
    let index = t.upload(&good_invoice("S-1")).await;
    let stare = t.stare(&t.b, &index).await;
    assert!(
        stare.contains(&format!(
            r#"errorMessage="Nu aveti dreptul de inteorgare pentru id_incarcare= {index}""#
        )),
        "{stare}"
    );
    t.post("/__sim/settings", json!({ "stare_mesaj_daily_limit": 2 }))
        .await;
    t.stare(&t.a, &index).await;
    t.stare(&t.a, &index).await;
    let third = t.stare(&t.a, &index).await;
    assert!(
        third.contains(&format!(
            r#"errorMessage="S-au facut deja 2 interogari de stare pentru id_incarcare={index} in cursul zilei""#
        )),
        "{third}"
    );
    t.advance_seconds(86_400).await;
    let next_day = t.stare(&t.a, &index).await;
    assert_eq!(
        attr(&next_day, "stare").as_deref(),
        Some("ok"),
        "{next_day}"
    );
}

// ---------------------------------------------------------------------------------------------
// lists

#[tokio::test]
async fn over_500_messages_the_day_list_refuses_and_the_paginated_list_pages_them() {
    let t = spawn_sim().await;
    let seeded = t
        .post(
            "/__sim/efactura/inbox",
            json!({ "cif": CIF_B_EMPTY, "count": 501, "from_days_ago": 10, "to_days_ago": 0 }),
        )
        .await;
    assert_eq!(seeded["seeded"], 501);
    let refused = t.lista(&t.b, CIF_B_EMPTY, "60", None).await;
    assert_eq!(
        eroare(&refused),
        "Lista de mesaje este mai mare decat numarul de 500 elemente permise in pagina. Folositi endpoint-ul cu paginatie."
    );

    let now = t.sim_now().await;
    let start = (now - Duration::days(59)).timestamp_millis();
    let end = (now - Duration::seconds(60)).timestamp_millis();
    let first = t.pagina(&t.b, CIF_B_EMPTY, start, end, 1).await;
    assert_eq!(mesaje(&first).len(), 500);
    assert_eq!(first["numar_inregistrari_in_pagina"], 500);
    assert_eq!(first["numar_total_inregistrari_per_pagina"], 500);
    assert_eq!(first["numar_total_inregistrari"], 501);
    assert_eq!(first["numar_total_pagini"], 2);
    assert_eq!(first["index_pagina_curenta"], 1);
    assert_eq!(first["cui"], CIF_B_EMPTY);
    assert_eq!(first["serial"], default_certificates()[1].serial.as_str());
    assert!(first["titlu"].is_string());
    let second = t.pagina(&t.b, CIF_B_EMPTY, start, end, 2).await;
    assert_eq!(mesaje(&second).len(), 1);
    assert_eq!(second["numar_inregistrari_in_pagina"], 1);
    assert_eq!(second["index_pagina_curenta"], 2);

    // Oldest first across the pages, and every seeded id exactly once.
    let listed: Vec<&Value> = mesaje(&first).iter().chain(mesaje(&second)).collect();
    let dates: Vec<&str> = listed
        .iter()
        .map(|m| m["data_creare"].as_str().expect("data_creare"))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
    let ids: Vec<&str> = listed
        .iter()
        .map(|m| m["id"].as_str().expect("id"))
        .collect();
    let seeded_ids: Vec<&str> = seeded["ids"]
        .as_array()
        .expect("ids")
        .iter()
        .map(|i| i.as_str().expect("id"))
        .collect();
    assert_eq!(ids, seeded_ids);

    let beyond = t.pagina(&t.b, CIF_B_EMPTY, start, end, 3).await;
    assert_eq!(
        eroare(&beyond),
        "Pagina solicitata 3 este mai mare decat numarul toatal de pagini 2"
    );
    let counters = t.counters().await;
    assert_eq!(counters.lista[CIF_B_EMPTY], 1);
    assert_eq!(counters.lista_paginatie[CIF_B_EMPTY], 3);
}

#[tokio::test]
async fn the_paginated_window_is_judged_on_the_simulated_clock() {
    let t = spawn_sim().await;
    t.post("/__sim/clock", json!({ "advance_days": 3 })).await;
    let now = t.sim_now().await;
    let start = (now - Duration::days(5)).timestamp_millis();

    let future = (now + Duration::seconds(30)).timestamp_millis();
    let answer = t.pagina(&t.a, CIF_A, start, future, 1).await;
    assert!(
        eroare(&answer).contains("nu poate in viitor fata de momentul requestului"),
        "{answer}"
    );
    let too_old = (now - Duration::days(61)).timestamp_millis();
    let end = (now - Duration::seconds(60)).timestamp_millis();
    let answer = t.pagina(&t.a, CIF_A, too_old, end, 1).await;
    assert!(
        eroare(&answer).contains("nu poate fi mai vechi de 60 de zile"),
        "{answer}"
    );

    // A window with nothing in it.
    let empty_start = (now - Duration::hours(1)).timestamp_millis();
    let answer = t.pagina(&t.a, CIF_A, empty_start, end, 1).await;
    assert_eq!(eroare(&answer), "Nu exista mesaje in intervalul selectat");
    // The default messages of 18547290 (4, 6 and 13 days old by now) with filters.
    let window = (now - Duration::days(59)).timestamp_millis();
    let all = t.pagina(&t.a, CIF_A, window, end, 1).await;
    assert_eq!(all["numar_total_inregistrari"], 3);
    let only_errors = t
        .get_json(
            &t.a,
            "listaMesajePaginatieFactura",
            &[
                ("startTime", window.to_string().as_str()),
                ("endTime", end.to_string().as_str()),
                ("cif", CIF_A),
                ("pagina", "1"),
                ("filtru", "E"),
            ],
        )
        .await;
    assert_eq!(mesaje(&only_errors).len(), 1);
    assert_eq!(mesaje(&only_errors)[0]["tip"], "ERORI FACTURA");
    // Rights as on the day list.
    let foreign = t.pagina(&t.a, CIF_B, window, end, 1).await;
    assert_eq!(
        eroare(&foreign),
        format!("Nu aveti drept in SPV pentru CIF={CIF_B}")
    );
}

#[tokio::test]
async fn the_paginated_list_has_its_own_daily_limit_per_cif() {
    let t = spawn_sim().await;
    t.post(
        "/__sim/settings",
        json!({ "lista_paginatie_daily_limit_per_cif": 1 }),
    )
    .await;
    let now = t.sim_now().await;
    let (start, end) = (
        (now - Duration::days(30)).timestamp_millis(),
        (now - Duration::seconds(60)).timestamp_millis(),
    );
    assert!(t.pagina(&t.a, CIF_A, start, end, 1).await["mesaje"].is_array());
    let refused = t.pagina(&t.a, CIF_A, start, end, 1).await;
    assert_eq!(
        eroare(&refused),
        "S-au facut deja 1 interogari de lista mesaje paginata de catre utilizatori in cursul zilei"
    );
}

// ---------------------------------------------------------------------------------------------
// descarcare

#[tokio::test]
async fn descarcare_refuses_unknown_ids_old_files_and_the_eleventh_download_of_the_day() {
    let t = spawn_sim().await;
    assert_eq!(
        t.descarcare_eroare(&t.a, "21").await,
        "Pentru id=21 nu exista inregistrata nici o factura"
    );
    // The default received invoice of 18547290 (one day old) downloads.
    let files = t.download_zip(&t.a, "3001293434").await;
    assert!(String::from_utf8_lossy(&files[0].1).contains("<cbc:ID>"));

    let seeded = t
        .post(
            "/__sim/efactura/inbox",
            json!({ "cif": CIF_A, "count": 1, "from_days_ago": 2, "to_days_ago": 1 }),
        )
        .await;
    let id = seeded["ids"][0].as_str().expect("id").to_string();
    for _ in 0..10 {
        t.download_zip(&t.a, &id).await;
    }
    assert_eq!(
        t.descarcare_eroare(&t.a, &id).await,
        format!("S-au facut deja 10 descarcari la mesajul cu id_descarcare={id} in cursul zilei")
    );
    // Another message still downloads the same day.
    t.download_zip(&t.a, "3001293434").await;
    assert_eq!(t.counters().await.descarcare[&id], 11);

    // 60 days after its creation the file is gone for good.
    t.post("/__sim/clock", json!({ "advance_days": 59 })).await;
    assert_eq!(
        t.descarcare_eroare(&t.a, &id).await,
        "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil"
    );
}

#[tokio::test]
async fn the_download_limit_is_a_setting() {
    let t = spawn_sim().await;
    t.post("/__sim/settings", json!({ "descarcare_daily_limit": 1 }))
        .await;
    t.download_zip(&t.a, "3001293434").await;
    assert_eq!(
        t.descarcare_eroare(&t.a, "3001293434").await,
        "S-au facut deja 1 descarcari la mesajul cu id_descarcare=3001293434 in cursul zilei"
    );
}

// ---------------------------------------------------------------------------------------------
// validare, transformare

#[tokio::test]
async fn validare_answers_ok_or_nok_without_authentication_on_production_only() {
    let t = spawn_sim().await;
    let resp = t
        .public("prod", "validare/FACT1", &good_invoice("V-1"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["stare"], "ok", "{body}");
    assert!(body.get("Messages").is_none());
    let trace = body["trace_id"].as_str().expect("trace_id");
    let groups: Vec<usize> = trace.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{trace}");

    let resp = t
        .public(
            "prod",
            "validare/FCN",
            &invoice("", CIF_A, CIF_B, Some("IssueDate")),
        )
        .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["stare"], "nok");
    let messages: Vec<&str> = body["Messages"]
        .as_array()
        .expect("Messages")
        .iter()
        .map(|m| m["message"].as_str().expect("message"))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("[BR-02]") && messages[1].contains("[BR-03]"));

    let resp = t
        .public("test", "validare/FACT1", &good_invoice("V-1"))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = t
        .public("test", "transformare/FACT1", &good_invoice("V-1"))
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = t.public("prod", "validare/XYZ", &good_invoice("V-1")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(t.counters().await.validare, 2);
}

#[tokio::test]
async fn transformare_makes_a_pdf_or_answers_like_validare() {
    let t = spawn_sim().await;
    let resp = t
        .public("prod", "transformare/FACT1", &good_invoice("PDF-77"))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let pdf = resp.bytes().await.expect("pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("PDF-77"), "the invoice number is on the page");
    assert!(text.contains("VANZATOR SRL") && text.contains("1210.00 RON"));
    assert!(text.trim_end().ends_with("%%EOF"));

    let missing_number = invoice("", CIF_A, CIF_B, Some("ID"));
    let resp = t
        .public("prod", "transformare/FACT1", &missing_number)
        .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["stare"], "nok");
    assert!(
        body["Messages"][0]["message"]
            .as_str()
            .expect("message")
            .contains("[BR-02]")
    );
    // `/DA` skips validation ...
    let resp = t
        .public("prod", "transformare/FACT1/DA", &missing_number)
        .await;
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    // ... but not reading.
    let resp = t
        .public("prod", "transformare/FCN/DA", "<Invoice><a></Invoice>")
        .await;
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["stare"], "nok");
    assert_eq!(t.counters().await.transformare, 4);
}

// ---------------------------------------------------------------------------------------------
// faults

#[tokio::test]
async fn eroare_tehnica_answers_in_each_endpoints_shape_and_stores_nothing() {
    let t = spawn_sim().await;
    t.fault(json!({ "endpoint": "upload", "kind": "eroare_tehnica", "code": "J31" }))
        .await;
    let answer = t.upload_as(&t.a, CIF_A, good_invoice("T-1")).await;
    assert!(
        answer.contains(
            r#"ExecutionStatus="1"><Errors errorMessage="A aparut o eroare tehnica. Cod: J31"/>"#
        ),
        "{answer}"
    );
    assert!(t.counters().await.uploads.is_empty());
    // The same bytes are then accepted: the first attempt left no trace.
    let (_, stare) = t.upload_processed(&good_invoice("T-1")).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("ok"));

    t.fault(json!({ "endpoint": "lista", "kind": "eroare_tehnica" }))
        .await;
    let answer = t.lista(&t.a, CIF_A, "1", None).await;
    assert_eq!(eroare(&answer), "A aparut o eroare tehnica. Cod: 500");
    t.fault(json!({ "endpoint": "stare_mesaj", "kind": "eroare_tehnica" }))
        .await;
    assert!(
        t.stare(&t.a, "1")
            .await
            .contains(r#"<Errors errorMessage="A aparut o eroare tehnica. Cod: 500"/>"#)
    );
    t.fault(json!({ "endpoint": "descarcare", "kind": "eroare_tehnica" }))
        .await;
    assert_eq!(
        t.descarcare_eroare(&t.a, "3001293434").await,
        "A aparut o eroare tehnica. Cod: 500"
    );
    t.fault(json!({ "endpoint": "validare", "kind": "eroare_tehnica" }))
        .await;
    let body: Value = t
        .public("prod", "validare/FACT1", &good_invoice("x"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["stare"], "nok");
    assert_eq!(
        body["Messages"][0]["message"],
        "A aparut o eroare tehnica. Cod: 500"
    );
    let faults: Vec<Option<String>> = t.sim.calls().into_iter().map(|c| c.fault).collect();
    assert_eq!(
        faults
            .iter()
            .filter(|f| f.as_deref() == Some("eroare_tehnica"))
            .count(),
        5
    );
}

#[tokio::test]
async fn firewall_page_is_http_200_html_with_a_support_id() {
    let t = spawn_sim().await;
    t.fault(json!({ "endpoint": "validare", "kind": "firewall_page" }))
        .await;
    let resp = t.public("prod", "validare/FACT1", &good_invoice("F")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let page = resp.text().await.expect("page");
    assert!(
        page.contains("The requested URL was rejected. Please consult with your administrator.")
    );
    let id = page
        .split("Your support ID is: ")
        .nth(1)
        .expect("support id")
        .split('<')
        .next()
        .expect("digits");
    assert!(
        id.len() >= 10 && id.bytes().all(|b| b.is_ascii_digit()),
        "{id}"
    );

    t.fault(json!({ "endpoint": "upload", "kind": "firewall_page", "support_id": "123456789" }))
        .await;
    let page = t
        .upload_raw(
            &t.a,
            "upload",
            &[("standard", "UBL"), ("cif", CIF_A)],
            good_invoice("F"),
        )
        .await
        .expect("upload")
        .text()
        .await
        .expect("page");
    assert!(page.contains("Your support ID is: 123456789<"), "{page}");
    assert!(t.counters().await.uploads.is_empty());
}

#[tokio::test]
async fn answer_dropped_stores_the_upload_but_loses_its_answer() {
    let t = spawn_sim().await;
    t.fault(json!({ "endpoint": "upload", "kind": "answer_dropped" }))
        .await;
    let xml = good_invoice("LOST-1");
    let result = t
        .upload_raw(
            &t.a,
            "upload",
            &[("standard", "UBL"), ("cif", CIF_A)],
            xml.clone(),
        )
        .await;
    let err = result.expect_err("the answer must not arrive");
    assert!(err.is_request(), "{err:?}");
    let call = t
        .sim
        .calls()
        .into_iter()
        .find(|c| c.endpoint == SimEndpoint::Upload)
        .expect("logged");
    assert_eq!(call.fault.as_deref(), Some("answer_dropped"));
    assert_eq!(call.status, None);

    // The upload happened: the sent list has it and its ZIP holds the same bytes.
    t.advance_seconds(3).await;
    let sent = t.lista(&t.a, CIF_A, "1", Some("T")).await;
    let sent = mesaje(&sent);
    assert_eq!(sent.len(), 1);
    let id = sent[0]["id"].as_str().expect("id");
    let files = t.download_zip(&t.a, id).await;
    assert_eq!(sha256(&files[0].1), sha256(xml.as_bytes()));
    // Resending is a duplicate.
    let (_, stare) = t.upload_processed(&xml).await;
    assert_eq!(attr(&stare, "stare").as_deref(), Some("nok"));
    assert_eq!(t.counters().await.invoices_at_anaf[CIF_A], 1);
}

#[tokio::test]
async fn status_latency_and_slow_answer_faults_apply_to_the_new_endpoints() {
    let t = spawn_sim().await;
    t.fault(json!({ "endpoint": "descarcare", "kind": "status", "status": 503 }))
        .await;
    let resp = t
        .http
        .get(t.url(&format!("{API}/descarcare?id=3001293434")))
        .bearer_auth(&t.a)
        .send()
        .await
        .expect("descarcare");
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);

    t.fault(json!({ "endpoint": "lista_paginatie", "kind": "status", "status": 429 }))
        .await;
    let resp = t
        .http
        .get(t.url(&format!("{API}/listaMesajePaginatieFactura")))
        .bearer_auth(&t.a)
        .send()
        .await
        .expect("paginatie");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "60");

    t.fault(json!({ "endpoint": "stare_mesaj", "kind": "latency", "ms": 300 }))
        .await;
    let started = std::time::Instant::now();
    t.stare(&t.a, "1").await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));

    t.fault(json!({ "endpoint": "upload", "kind": "slow_answer", "ms": 300 }))
        .await;
    let started = std::time::Instant::now();
    t.upload(&good_invoice("SLOW")).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(t.counters().await.rate_limited, 1);

    // Unknown kinds and bad values are refused.
    let resp = t
        .http
        .post(t.url("/__sim/faults"))
        .json(&json!({ "endpoint": "upload", "kind": "eroare_tehnica", "code": "a b" }))
        .send()
        .await
        .expect("faults");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

// ---------------------------------------------------------------------------------------------
// counters, the per-minute limit, seeding

#[tokio::test]
async fn every_resource_call_counts_per_real_minute_and_429s_are_counted() {
    let t = spawn_sim().await;
    t.stare(&t.a, "1").await;
    t.lista(&t.a, CIF_A, "1", None).await;
    t.public("prod", "validare/FACT1", &good_invoice("C")).await;
    let counters = t.counters().await;
    let total: u64 = counters.calls_per_minute.iter().map(|m| m.calls).sum();
    assert_eq!(total, 3);
    let minute = &counters.calls_per_minute[0].minute;
    assert!(minute.ends_with(":00Z") && minute.len() == 20, "{minute}");
    assert_eq!(counters.rate_limited, 0);

    t.post("/__sim/settings", json!({ "calls_per_minute_limit": 3 }))
        .await;
    let resp = t
        .http
        .post(t.url("/prod/FCTEL/rest/validare/FACT1"))
        .body(good_invoice("C"))
        .send()
        .await
        .expect("validare");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "60");
    let counters = t.counters().await;
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(
        counters
            .calls_per_minute
            .iter()
            .map(|m| m.calls)
            .sum::<u64>(),
        4
    );

    let reset: Value = t
        .control(
            reqwest::Method::DELETE,
            "/__sim/efactura/counters",
            json!({}),
        )
        .await;
    assert_eq!(
        reset,
        json!({
            "uploads": {}, "invoices_at_anaf": {}, "lista": {}, "lista_paginatie": {},
            "descarcare": {}, "stare_mesaj": {}, "validare": 0, "transformare": 0,
            "calls_per_minute": [], "rate_limited": 0
        })
    );
}

#[tokio::test]
async fn seeding_an_inbox_adds_downloadable_realistic_invoices() {
    let t = spawn_sim().await;
    let seeded = t
        .post(
            "/__sim/efactura/inbox",
            json!({ "cif": CIF_B_EMPTY, "count": 5, "suppliers": ["14399840", "22732040"] }),
        )
        .await;
    assert_eq!(seeded["cif"], CIF_B_EMPTY);
    assert_eq!(seeded["seeded"], 5);
    let ids = seeded["ids"].as_array().expect("ids");
    assert_eq!(ids.len(), 5);

    let listed = t.lista(&t.b, CIF_B_EMPTY, "30", Some("P")).await;
    let listed = mesaje(&listed);
    assert_eq!(listed.len(), 5);
    assert!(listed.iter().all(|m| m["tip"] == "FACTURA PRIMITA"));
    assert!(
        listed[0]["detalii"]
            .as_str()
            .expect("detalii")
            .ends_with("emisa de cif_emitent=14399840 pentru cif_beneficiar=11123319")
    );
    assert!(
        listed[1]["detalii"]
            .as_str()
            .expect("detalii")
            .contains("cif_emitent=22732040")
    );

    let id = listed[0]["id"].as_str().expect("id");
    let files = t.download_zip(&t.b, id).await;
    let xml = String::from_utf8(files[0].1.clone()).expect("utf-8");
    for part in [
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "<cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>",
        "<cbc:CompanyID>RO14399840</cbc:CompanyID>",
        "<cbc:CompanyID>RO11123319</cbc:CompanyID>",
        "<cbc:RegistrationName>DUNAREA DISTRIBUTIE SA</cbc:RegistrationName>",
        "<cac:InvoiceLine>",
        "<cbc:PayableAmount currencyID=\"RON\">",
    ] {
        assert!(xml.contains(part), "{part} in {xml}");
    }
    // The supplier's certificate (A holds 14399840) may download it too; a stranger may not.
    t.download_zip(&t.a, id).await;
    assert_eq!(
        t.descarcare_eroare(&t.none, id).await,
        "Nu aveti dreptul sa descarcati acesta factura"
    );
    // The simulator's own check accepts what it generated.
    let body: Value = t
        .public("prod", "validare/FACT1", &xml)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["stare"], "ok");

    // Rust API, default suppliers; bad input refused.
    let more = t
        .sim
        .seed_inbox(&InboxSeed {
            cif: CIF_A.into(),
            count: 3,
            suppliers: vec![],
            from_days_ago: 5,
            to_days_ago: 1,
        })
        .expect("seeded");
    assert_eq!(more.seeded, 3);
    let resp = t
        .http
        .post(t.url("/__sim/efactura/inbox"))
        .json(&json!({ "cif": "RO123", "count": 1 }))
        .send()
        .await
        .expect("inbox");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn settings_show_the_efactura_fields_and_accept_them_from_rust() {
    let t = spawn_sim_with(SimulatorSettings {
        processing_delay_seconds: 0,
        descarcare_daily_limit: 3,
        ..SimulatorSettings::default()
    })
    .await;
    let settings = t
        .control(reqwest::Method::GET, "/__sim/settings", json!({}))
        .await;
    assert_eq!(settings["processing_delay_seconds"], 0);
    assert_eq!(settings["indexing_lag_seconds"], 0);
    assert_eq!(settings["descarcare_daily_limit"], 3);
    assert_eq!(settings["stare_mesaj_daily_limit"], 100);
    assert_eq!(settings["lista_paginatie_daily_limit_per_cif"], 100_000);
    assert_eq!(settings["rasp_daily_limit_per_cif"], 1000);
    let index = t.upload(&good_invoice("NOW")).await;
    assert_eq!(
        attr(&t.stare(&t.a, &index).await, "stare").as_deref(),
        Some("ok")
    );
}
