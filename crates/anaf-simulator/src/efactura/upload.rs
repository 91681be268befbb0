//! `POST upload` / `uploadb2c` and `GET stareMesaj`: an upload is judged at once but its verdict
//! shows only after the processing delay (on the simulated clock); its list messages appear after
//! the indexing lag on top of that.

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::super::request::Params;
use super::super::resource::{
    admit, authenticate, query_params, resource_call, too_many_requests, unauthorized,
};
use super::super::state::State;
use super::super::{SimData, SimEndpoint, Simulator};
use super::answers::{self, xml_escape};
use super::invoice::{self, InvoiceSummary, Syntax, Unreadable};
use super::limits::bump;
use super::store::{
    Document, ERORI_FACTURA, FACTURA_PRIMITA, FACTURA_TRIMISA, MESAJ_CUMPARATOR_TRANSMIS, Message,
    Upload, Verdict,
};
use super::{MAX_UPLOAD_BYTES, canonical_cif, has_right};

/// The error report's namespace (sic: ANAF spells it `Factuta`).
const ERROR_REPORT_NAMESPACE: &str = "mfp:anaf:dgti:efactura:mesajEroriFactuta:v1";

pub(crate) async fn upload(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    upload_call(&data.0, SimEndpoint::Upload, &req, body).await
}

pub(crate) async fn upload_b2c(
    data: web::Data<SimData>,
    req: HttpRequest,
    body: Bytes,
) -> HttpResponse {
    upload_call(&data.0, SimEndpoint::UploadB2c, &req, body).await
}

async fn upload_call(
    sim: &Simulator,
    endpoint: SimEndpoint,
    req: &HttpRequest,
    body: Bytes,
) -> HttpResponse {
    let params = query_params(req);
    resource_call(sim, endpoint, req, &params, |sim| {
        upload_logic(&mut sim.lock(), req, &params, body)
    })
    .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Standard {
    Ubl,
    Cn,
    Cii,
    Rasp,
}

impl Standard {
    fn parse(value: &str) -> Option<Standard> {
        match value {
            "UBL" => Some(Standard::Ubl),
            "CN" => Some(Standard::Cn),
            "CII" => Some(Standard::Cii),
            "RASP" => Some(Standard::Rasp),
            _ => None,
        }
    }
}

fn upload_logic(st: &mut State, req: &HttpRequest, params: &Params, body: Bytes) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    let cert = match authenticate(st, req) {
        Ok(cert) => cert,
        Err(description) => return unauthorized(description),
    };
    let now = st.now();
    let (Some(standard), Some(cif)) = (params.get("standard"), params.get("cif")) else {
        return answers::spring_bad_request(now, "Parametrii standard si cif sunt obligatorii");
    };
    let Some(standard) = Standard::parse(standard) else {
        return answers::upload_error(
            now,
            &format!(
                "Valoarea {standard} a parametrului standard nu este permisa (UBL, CN, CII, RASP)"
            ),
        );
    };
    if cif.is_empty() || cif.len() > 13 || !cif.bytes().all(|b| b.is_ascii_digit()) {
        return answers::upload_error(now, &format!("CIF introdus= {cif} nu este un numar"));
    }
    let cif = canonical_cif(cif).to_string();
    let cifs = cert.map(|c| c.cifs).unwrap_or_default();
    if cifs.is_empty() {
        return answers::upload_error(
            now,
            "Nu exista niciun CIF pentru care sa aveti drept in SPV",
        );
    }
    if !has_right(&cifs, &cif) {
        return answers::upload_error(now, &format!("Nu aveti drept in SPV pentru CIF={cif}"));
    }
    if body.len() > MAX_UPLOAD_BYTES {
        return answers::upload_error(now, "Marime fisier transmis mai mare de 10 MB.");
    }
    if standard == Standard::Rasp {
        let limit = st.efactura.settings.rasp_daily_limit_per_cif;
        if st.efactura.daily.rasp.count(&cif, now.date_naive()) > limit {
            return answers::upload_error(
                now,
                &format!(
                    "S-au incarcat deja {limit} de mesaje de tip RASP pentru cui={cif} in cursul zilei"
                ),
            );
        }
    }
    let index = accept_upload(st, &cif, standard, body, now);
    answers::upload_accepted(now, index)
}

/// Stores an upload and everything its verdict implies (documents, messages, counters), all
/// dated on the simulated clock so that they show when their time comes.
fn accept_upload(
    st: &mut State,
    cif: &str,
    standard: Standard,
    body: Bytes,
    now: DateTime<Utc>,
) -> u64 {
    let ef = &mut st.efactura;
    let index = ef.store.next_upload_index();
    let ready_at = now + Duration::seconds(i64::from(ef.settings.processing_delay_seconds));
    let listed_at = ready_at + Duration::seconds(i64::from(ef.settings.indexing_lag_seconds));
    let sha256: [u8; 32] = Sha256::digest(&body).into();
    bump(&mut ef.counters.uploads, cif);

    let verdict = match judge(&body, standard) {
        Judgement::Unreadable => Verdict::Unreadable,
        Judgement::Rejected(problems) => reject(st, index, cif, &problems, listed_at),
        Judgement::Accepted(summary) => {
            let earlier = st.efactura.store.accepted.get(&(cif.to_string(), sha256));
            match earlier.and_then(|i| st.efactura.store.uploads.get(i).map(|u| (*i, u))) {
                Some((first, upload)) => {
                    let problem = format!(
                        "Factura a mai fost transmisa anterior cu index={first} si data incarcare={}",
                        upload.received_at.format("%Y-%m-%d")
                    );
                    reject(st, index, cif, &[problem], listed_at)
                }
                None => {
                    st.efactura
                        .store
                        .accepted
                        .insert((cif.to_string(), sha256), index);
                    accept(st, index, cif, standard, &summary, body, listed_at)
                }
            }
        }
    };
    st.efactura.store.uploads.insert(
        index,
        Upload {
            cif: cif.to_string(),
            received_at: now,
            ready_at,
            verdict,
        },
    );
    index
}

enum Judgement {
    Unreadable,
    Rejected(Vec<String>),
    Accepted(Box<InvoiceSummary>),
}

/// An invoice standard needs the invoice checks; a RASP buyer message only well-formedness.
fn judge(body: &[u8], standard: Standard) -> Judgement {
    match invoice::read(body) {
        Err(Unreadable::NotXml) => Judgement::Unreadable,
        Err(Unreadable::Malformed(_)) => Judgement::Rejected(invoice::check(body).1),
        Ok(summary) if standard == Standard::Rasp => Judgement::Accepted(Box::new(summary)),
        Ok(summary) => {
            let problems = invoice::problems(&summary);
            if problems.is_empty() {
                Judgement::Accepted(Box::new(summary))
            } else {
                Judgement::Rejected(problems)
            }
        }
    }
}

/// A `nok`: an error report to download and an `ERORI FACTURA` message for the uploader.
fn reject(
    st: &mut State,
    index: u64,
    cif: &str,
    problems: &[String],
    listed_at: DateTime<Utc>,
) -> Verdict {
    let ef = &mut st.efactura;
    let id = ef.store.next_download_id();
    ef.store.documents.insert(
        id,
        Document {
            xml: Bytes::from(error_report(index, cif, problems)),
            readers: vec![cif.to_string()],
            created_at: listed_at,
        },
    );
    ef.post_message(Message {
        created_at: listed_at,
        cif: cif.to_string(),
        id_solicitare: index.to_string(),
        detalii: format!(
            "Erori de validare identificate la factura primita cu id_incarcare={index}"
        ),
        tip: ERORI_FACTURA.to_string(),
        id: id.to_string(),
    });
    Verdict::Nok { id_descarcare: id }
}

/// ANAF's error report (what the ZIP of a rejected upload holds).
pub(crate) fn error_report(index: u64, cif: &str, problems: &[String]) -> String {
    let errors: String = problems
        .iter()
        .map(|p| format!("\n  <Error errorMessage=\"{}\"/>", xml_escape(p)))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<header xmlns=\"{ERROR_REPORT_NAMESPACE}\" \
         Index_incarcare=\"{index}\" Cif_emitent=\"{cif}\">{errors}\n</header>\n"
    )
}

/// An `ok`: the bytes become downloadable; `FACTURA TRIMISA` for the uploader and, when the buyer's
/// CIF belongs to some certificate, `FACTURA PRIMITA` for the buyer.
fn accept(
    st: &mut State,
    index: u64,
    cif: &str,
    standard: Standard,
    summary: &InvoiceSummary,
    body: Bytes,
    listed_at: DateTime<Utc>,
) -> Verdict {
    let buyer = summary.customer.cif();
    let buyer_known = buyer
        .as_deref()
        .is_some_and(|b| st.certificates.iter().any(|c| has_right(&c.cifs, b)));
    let ef = &mut st.efactura;
    let id = ef.store.next_download_id();
    let mut readers = vec![cif.to_string()];
    readers.extend(buyer.clone());
    ef.store.documents.insert(
        id,
        Document {
            xml: body,
            readers,
            created_at: listed_at,
        },
    );
    let message = |cif: &str, tip: &str, detalii: String| Message {
        created_at: listed_at,
        cif: cif.to_string(),
        id_solicitare: index.to_string(),
        detalii,
        tip: tip.to_string(),
        id: id.to_string(),
    };
    if standard == Standard::Rasp || summary.syntax == Syntax::Other {
        ef.post_message(message(
            cif,
            MESAJ_CUMPARATOR_TRANSMIS,
            format!("Mesaj cumparator transmis cu id_incarcare={index} de cif={cif}"),
        ));
        return Verdict::Ok { id_descarcare: id };
    }
    bump(&mut ef.counters.invoices_at_anaf, cif);
    let beneficiar = buyer.clone().unwrap_or_default();
    let detalii = format!(
        "Factura cu id_incarcare={index} emisa de cif_emitent={cif} pentru cif_beneficiar={beneficiar}"
    );
    ef.post_message(message(cif, FACTURA_TRIMISA, detalii.clone()));
    if let (Some(buyer), true) = (buyer, buyer_known) {
        ef.post_message(message(&buyer, FACTURA_PRIMITA, detalii));
    }
    Verdict::Ok { id_descarcare: id }
}

// ---------------------------------------------------------------------------------------------
// stareMesaj

pub(crate) async fn stare_mesaj(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let sim = &data.0;
    let params = query_params(&req);
    resource_call(sim, SimEndpoint::StareMesaj, &req, &params, |sim| {
        stare_logic(&mut sim.lock(), &req, &params)
    })
    .await
}

fn stare_logic(st: &mut State, req: &HttpRequest, params: &Params) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    let cert = match authenticate(st, req) {
        Ok(cert) => cert,
        Err(description) => return unauthorized(description),
    };
    let now = st.now();
    let Some(raw) = params.get("id_incarcare") else {
        return answers::spring_bad_request(now, "Parametrul id_incarcare este obligatoriu");
    };
    let Ok(index) = raw.parse::<u64>() else {
        return answers::stare_error(&format!("Id_incarcare introdus= {raw} nu este un numar"));
    };
    let Some(upload) = st.efactura.store.uploads.get(&index) else {
        return answers::stare_error(&format!("Nu exista factura cu id_incarcare= {index}"));
    };
    let cifs = cert.map(|c| c.cifs).unwrap_or_default();
    if !has_right(&cifs, &upload.cif) {
        return answers::stare_error(&format!(
            "Nu aveti dreptul de inteorgare pentru id_incarcare= {index}"
        ));
    }
    let (ready_at, verdict) = (upload.ready_at, upload.verdict);
    let ef = &mut st.efactura;
    let key = index.to_string();
    bump(&mut ef.counters.stare_mesaj, &key);
    let limit = ef.settings.stare_mesaj_daily_limit;
    if ef.daily.stare_mesaj.count(&key, now.date_naive()) > limit {
        return answers::stare_error(&format!(
            "S-au facut deja {limit} interogari de stare pentru id_incarcare={index} in cursul zilei"
        ));
    }
    if now < ready_at {
        return answers::stare("in prelucrare", None);
    }
    match verdict {
        Verdict::Ok { id_descarcare } => answers::stare("ok", Some(id_descarcare)),
        Verdict::Nok { id_descarcare } => answers::stare("nok", Some(id_descarcare)),
        Verdict::Unreadable => answers::stare("XML cu erori nepreluat de sistem", None),
    }
}
