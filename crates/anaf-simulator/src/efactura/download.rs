//! `GET descarcare?id=ID`: a ZIP with `<id>.xml` (the bytes as uploaded or seeded, or the error
//! report) and `semnatura_<id>.xml`; refusals are JSON with HTTP 200.

use std::io::{Cursor, Write};

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::super::request::Params;
use super::super::resource::{
    admit, authenticate, query_params, resource_call, too_many_requests, unauthorized,
};
use super::super::state::State;
use super::super::{SimData, SimEndpoint};
use super::answers::{DESCARCARE_TITLU, eroare};
use super::has_right;
use super::limits::bump;

/// How long a file can be downloaded, from its message's `data_creare`.
const AVAILABLE_DAYS: i64 = 60;

pub(crate) async fn descarcare(data: web::Data<SimData>, req: HttpRequest) -> HttpResponse {
    let params = query_params(&req);
    resource_call(&data.0, SimEndpoint::Descarcare, &req, &params, |sim| {
        descarcare_logic(&mut sim.lock(), &req, &params)
    })
    .await
}

fn descarcare_logic(st: &mut State, req: &HttpRequest, params: &Params) -> HttpResponse {
    if !admit(st) {
        return too_many_requests();
    }
    let cert = match authenticate(st, req) {
        Ok(cert) => cert,
        Err(description) => return unauthorized(description),
    };
    let Some(raw) = params.get("id") else {
        return HttpResponse::BadRequest().json(serde_json::json!({
            "eroare": "Parametrul id este obligatoriu",
            "titlu": DESCARCARE_TITLU
        }));
    };
    let Ok(id) = raw.parse::<u64>() else {
        return eroare(
            DESCARCARE_TITLU,
            format!("Id descarcare introdus= {raw} nu este un numar"),
        );
    };
    let now = st.now();
    let Some(document) = st.efactura.store.documents.get(&id) else {
        return eroare(
            DESCARCARE_TITLU,
            format!("Pentru id={id} nu exista inregistrata nici o factura"),
        );
    };
    let cifs = cert.map(|c| c.cifs).unwrap_or_default();
    if !document
        .readers
        .iter()
        .any(|reader| has_right(&cifs, reader))
    {
        return eroare(
            DESCARCARE_TITLU,
            "Nu aveti dreptul sa descarcati acesta factura",
        );
    }
    if now > document.created_at + Duration::days(AVAILABLE_DAYS) {
        return eroare(
            DESCARCARE_TITLU,
            "Fisierul nu mai poate fi descarcat pentru ca a trecut perioada de 60 de zile in care este disponibil",
        );
    }
    let xml = document.xml.clone();
    let key = id.to_string();
    bump(&mut st.efactura.counters.descarcare, &key);
    let limit = st.efactura.settings.descarcare_daily_limit;
    if st.efactura.daily.descarcare.count(&key, now.date_naive()) > limit {
        return eroare(
            DESCARCARE_TITLU,
            format!(
                "S-au facut deja {limit} descarcari la mesajul cu id_descarcare={id} in cursul zilei"
            ),
        );
    }
    match bundle(id, &xml) {
        Ok(zip) => HttpResponse::Ok()
            .content_type("application/zip")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.zip\""),
            ))
            .body(zip),
        Err(e) => eroare(
            DESCARCARE_TITLU,
            format!("A aparut o eroare tehnica. Cod: ZIP ({e})"),
        ),
    }
}

/// The ZIP ANAF delivers: the document and the Ministry's signature over it (deflated).
pub(crate) fn bundle(id: u64, xml: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(format!("{id}.xml"), options)?;
    zip.write_all(xml)?;
    zip.start_file(format!("semnatura_{id}.xml"), options)?;
    zip.write_all(signature_xml(id, xml).as_bytes())?;
    Ok(zip.finish()?.into_inner())
}

/// An XML-DSig-shaped detached signature. The digest is the document's real SHA-256; the
/// signature value is not a verifiable signature (the simulator has no Ministry certificate).
fn signature_xml(id: u64, xml: &[u8]) -> String {
    let digest = STANDARD.encode(Sha256::digest(xml));
    let value = STANDARD.encode(Sha256::digest(format!("anaf-simulator:{id}:{digest}")));
    format!(
        r##"<?xml version="1.0" encoding="UTF-8"?>
<DetachedSignature xmlns="mfp:anaf:dgti:efactura:detachedSignature:v1">
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Id="semnatura_{id}">
<ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>
<ds:Reference URI="{id}.xml">
<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>
<ds:DigestValue>{digest}</ds:DigestValue>
</ds:Reference>
</ds:SignedInfo>
<ds:SignatureValue>{value}</ds:SignatureValue>
<ds:KeyInfo><ds:KeyName>ANAF SIMULATOR (sandbox) - not a Ministry signature</ds:KeyName></ds:KeyInfo>
</ds:Signature>
</DetachedSignature>
"##
    )
}
