//! ANAF's public company registry (`webservicesp.anaf.ro`): `POST /api/PlatitorTvaRest/v9/tva`,
//! a JSON array of `{"cui": number, "data": "YYYY-MM-DD"}` (at most 100), answered with each CUI's
//! general data in `found` and the unknown ones in `notFound`. No authentication.
//!
//! The simulated registry knows the default certificates' CIFs by fixed names, and makes up a
//! plausible company for every other CIF with a valid check digit (the same one each time), except
//! the CIFs of `NOT_FOUND` and any with a wrong check digit, which it does not know.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::faults;
use super::request::{Params, draft_call};
use super::{ClientAuthStyle, SimData, SimEndpoint};

/// How many CUIs one request may ask about.
pub const MAX_CUIS_PER_REQUEST: usize = 100;

/// Valid CIFs the simulated registry does not know (a company that was never registered).
pub const NOT_FOUND: [&str; 3] = ["10000008", "99999992", "40404040"];

/// The companies behind the default certificates' CIFs: (CIF, name, address, registry number).
const KNOWN: [(&str, &str, &str, &str); 5] = [
    (
        "18547290",
        "CARPAT SOFT SRL",
        "MUNICIPIUL BUCUREŞTI, SECTOR 1, STR. ION CÂMPINEANU, NR.20, ET.3",
        "J40/5120/2006",
    ),
    (
        "14399840",
        "DUNAREA DISTRIBUTIE SA",
        "JUD. ILFOV, SAT VOLUNTARI, ŞOS. BUCUREŞTI NORD, NR.15-23",
        "J23/2301/2001",
    ),
    (
        "1590082",
        "IONESCU & ASOCIATII SRL",
        "JUD. CLUJ, MUN. CLUJ-NAPOCA, STR. MEMORANDUMULUI, NR.28",
        "J12/118/1991",
    ),
    (
        "22732040",
        "MERIDIAN LOGISTIC SRL",
        "JUD. TIMIŞ, MUN. TIMIŞOARA, BD. REPUBLICII, NR.9",
        "J35/3012/2007",
    ),
    (
        "11123319",
        "LUMINA PROD SRL",
        "JUD. IAŞI, MUN. IAŞI, STR. LĂPUŞNEANU, NR.14, AP.2",
        "J22/1433/1998",
    ),
];

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/PlatitorTvaRest/v9/tva", web::post().to(tva));
}

async fn tva(data: web::Data<SimData>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let sim = &data.0;
    let parsed = parse_request(&body);
    // The call log keeps how many CUIs were asked about (the body itself is not a form).
    let mut params = Params::default();
    if let Ok(cuis) = &parsed {
        params.0.push(("cuis".to_string(), cuis.len().to_string()));
    }
    let call = draft_call(SimEndpoint::Registry, &req, &params, ClientAuthStyle::None);
    faults::handle(sim, call, |_| answer(parsed)).await
}

/// One asked-about CUI: its digits and the date it was asked about.
struct Query {
    cui: u64,
    data: String,
}

fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "cod": status.as_u16(), "message": message }))
}

/// The request's CUIs, or why the request is refused (ANAF's wording is not published).
fn parse_request(body: &[u8]) -> Result<Vec<Query>, String> {
    let items: Vec<Value> = serde_json::from_slice(body)
        .map_err(|_| "Corpul cererii trebuie sa fie o lista JSON de {cui, data}".to_string())?;
    if items.is_empty() {
        return Err("Lista de CUI-uri este goala".to_string());
    }
    if items.len() > MAX_CUIS_PER_REQUEST {
        return Err(format!(
            "Se pot interoga maxim {MAX_CUIS_PER_REQUEST} de CUI-uri intr-o cerere"
        ));
    }
    items
        .into_iter()
        .map(|item| {
            // A number, as ANAF documents; a string of digits is read too (many clients send one).
            let cui = match item.get("cui") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            }
            .filter(|n| *n > 0 && *n < 10_000_000_000)
            .ok_or_else(|| format!("CUI invalid: {}", item.get("cui").unwrap_or(&Value::Null)))?;
            let data = item
                .get("data")
                .and_then(Value::as_str)
                .filter(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
                .ok_or_else(|| "Data trebuie sa fie in formatul AAAA-LL-ZZ".to_string())?;
            Ok(Query {
                cui,
                data: data.to_string(),
            })
        })
        .collect()
}

fn answer(parsed: Result<Vec<Query>, String>) -> HttpResponse {
    let queries = match parsed {
        Ok(queries) => queries,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let mut found = Vec::new();
    let mut not_found = Vec::new();
    for query in &queries {
        match company(&query.cui.to_string()) {
            Some(company) => found.push(company.to_json(query)),
            None => not_found.push(json!(query.cui)),
        }
    }
    HttpResponse::Ok().json(json!({
        "cod": 200,
        "message": "SUCCESS",
        "found": found,
        "notFound": not_found,
    }))
}

/// A company as the simulated registry knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCompany {
    pub name: String,
    pub address: String,
    pub registry_number: String,
    county: String,
    locality: String,
    street: String,
    number: String,
    postal_code: String,
    vat: bool,
}

impl RegistryCompany {
    fn to_json(&self, query: &Query) -> Value {
        json!({
            "date_generale": {
                "cui": query.cui,
                "data": query.data,
                "denumire": self.name,
                "adresa": self.address,
                "nrRegCom": self.registry_number,
                "telefon": "",
                "fax": "",
                "codPostal": self.postal_code,
                "act": "",
                "stare_inregistrare": "INREGISTRAT din data 12.03.2006",
                "data_inregistrare": "2006-03-12",
                "cod_CAEN": "6201",
                "iban": "",
                "statusRO_e_Factura": true,
                "organFiscalCompetent": format!("Administraţia Judeţeană a Finanţelor Publice {}", self.county),
                "forma_de_proprietate": "PROPR.PRIVATA-CAPITAL PRIVAT AUTOHTON",
                "forma_organizare": "PERSOANA JURIDICA",
                "forma_juridica": if self.name.ends_with(" SA") { "SOCIETATE COMERCIALĂ PE ACŢIUNI" } else { "SOCIETATE COMERCIALĂ CU RĂSPUNDERE LIMITATĂ" },
            },
            "inregistrare_scop_Tva": {
                "scpTVA": self.vat,
                "perioade_TVA": if self.vat {
                    json!([{ "data_inceput_ScpTVA": "2006-04-01", "data_sfarsit_ScpTVA": "", "data_anul_imp_ScpTVA": "", "mesaj_ScpTVA": "" }])
                } else {
                    json!([])
                },
            },
            "inregistrare_RTVAI": {
                "dataInceputTvaInc": "", "dataSfarsitTvaInc": "", "dataActualizareTvaInc": "",
                "dataPublicareTvaInc": "", "tipActTvaInc": "", "statusTvaIncasare": false,
            },
            "stare_inactiv": {
                "dataInactivare": "", "dataReactivare": "", "dataPublicare": "", "dataRadiere": "",
                "statusInactivi": false,
            },
            "inregistrare_SplitTVA": {
                "dataInceputSplitTVA": "", "dataAnulareSplitTVA": "", "statusSplitTVA": false,
            },
            "adresa_sediu_social": {
                "sdenumire_Strada": self.street, "snumar_Strada": self.number,
                "sdenumire_Localitate": self.locality, "scod_Localitate": "",
                "sdenumire_Judet": self.county, "scod_Judet": "", "scod_JudetAuto": "",
                "stara": "", "sdetalii_Adresa": "", "scod_Postal": self.postal_code,
            },
            "adresa_domiciliu_fiscal": {
                "ddenumire_Strada": self.street, "dnumar_Strada": self.number,
                "ddenumire_Localitate": self.locality, "dcod_Localitate": "",
                "ddenumire_Judet": self.county, "dcod_Judet": "", "dcod_JudetAuto": "",
                "dtara": "", "ddetalii_Adresa": "", "dcod_Postal": self.postal_code,
            },
        })
    }
}

/// Whether `digits` is a CIF with a valid Romanian check digit (2 to 10 digits).
pub fn valid_cif(digits: &str) -> bool {
    const WEIGHTS: [u32; 9] = [7, 5, 3, 2, 1, 7, 5, 3, 2];
    if !(2..=10).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let values: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let (body, check) = values.split_at(values.len() - 1);
    let weights = &WEIGHTS[WEIGHTS.len() - body.len()..];
    let sum: u32 = body.iter().zip(weights).map(|(d, w)| d * w).sum();
    (sum * 10) % 11 % 10 == check[0]
}

/// The company the simulated registry has under `cif` (digits, no leading zeros), if any.
pub fn company(cif: &str) -> Option<RegistryCompany> {
    if NOT_FOUND.contains(&cif) || !valid_cif(cif) {
        return None;
    }
    let digest = Sha256::digest(cif.as_bytes());
    let pick = |i: usize, n: usize| usize::from(digest[i]) % n;
    if let Some((_, name, address, registry_number)) = KNOWN.iter().find(|(c, ..)| *c == cif) {
        return Some(RegistryCompany {
            name: (*name).to_string(),
            address: (*address).to_string(),
            registry_number: (*registry_number).to_string(),
            county: address.split(", ").next().unwrap_or_default().to_string(),
            locality: address.split(", ").nth(1).unwrap_or_default().to_string(),
            street: address.split(", ").nth(2).unwrap_or_default().to_string(),
            number: address
                .split(", ")
                .nth(3)
                .unwrap_or_default()
                .trim_start_matches("NR.")
                .to_string(),
            postal_code: String::new(),
            vat: true,
        });
    }
    const FIRST: [&str; 16] = [
        "AGRO", "ALFA", "CARPAT", "DACIA", "DELTA", "DUNAREA", "EURO", "LUMINA", "MERIDIAN",
        "NOVA", "OLTENIA", "ORIZONT", "PRIMA", "SOMES", "TRANS", "VERDE",
    ];
    const SECOND: [&str; 12] = [
        "CONSULT",
        "CONSTRUCT",
        "DISTRIBUTIE",
        "IMPEX",
        "LOGISTIC",
        "SERV",
        "SOFT",
        "TRADE",
        "PROD",
        "COM",
        "INVEST",
        "MEDIA",
    ];
    const PLACES: [(&str, &str, &str, &str); 8] = [
        ("MUNICIPIUL BUCUREŞTI", "SECTOR 3", "40", "030167"),
        ("JUD. CLUJ", "MUN. CLUJ-NAPOCA", "12", "400001"),
        ("JUD. TIMIŞ", "MUN. TIMIŞOARA", "35", "300002"),
        ("JUD. IAŞI", "MUN. IAŞI", "22", "700028"),
        ("JUD. CONSTANŢA", "MUN. CONSTANŢA", "13", "900178"),
        ("JUD. BRAŞOV", "MUN. BRAŞOV", "08", "500030"),
        ("JUD. DOLJ", "MUN. CRAIOVA", "16", "200585"),
        ("JUD. BIHOR", "MUN. ORADEA", "05", "410067"),
    ];
    const STREETS: [&str; 8] = [
        "STR. VICTORIEI",
        "BD. UNIRII",
        "STR. MIHAI EMINESCU",
        "CALEA DOROBANŢILOR",
        "STR. LIBERTĂŢII",
        "BD. REPUBLICII",
        "STR. AVRAM IANCU",
        "STR. ŞTEFAN CEL MARE",
    ];
    let form = if pick(2, 8) == 0 { "SA" } else { "SRL" };
    let name = format!("{} {} {form}", FIRST[pick(0, 16)], SECOND[pick(1, 12)]);
    let (county, locality, county_code, postal_code) = PLACES[pick(3, PLACES.len())];
    let street = STREETS[pick(4, STREETS.len())];
    let number = (u16::from(digest[5]) % 150 + 1).to_string();
    let year = 1995 + u16::from(digest[6]) % 30;
    let serial = 100 + u16::from(digest[7]) * 31 % 9000;
    Some(RegistryCompany {
        address: format!("{county}, {locality}, {street}, NR.{number}"),
        registry_number: format!("J{county_code}/{serial}/{year}"),
        name,
        county: county.to_string(),
        locality: locality.to_string(),
        street: street.to_string(),
        number,
        postal_code: postal_code.to_string(),
        vat: pick(8, 4) != 0,
    })
}
