//! Made-up invoices: the default messages' documents and `POST __sim/efactura/inbox`, each a
//! realistic UBL 2.1 invoice (CIUS-RO customization, RON, lines, VAT, totals) that descarcare
//! delivers. Company names and addresses come from the simulated registry.

use actix_web::web::Bytes;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::super::registry;
use super::super::state::{State, validate_cif_digits};
use super::answers::xml_escape;
use super::store::{Document, ERORI_FACTURA, FACTURA_PRIMITA, FACTURA_TRIMISA, Message};
use super::upload::error_report;
use super::{Efactura, canonical_cif};

/// Most messages one seeding call adds.
const MAX_SEEDED: u32 = 20_000;
/// Romania's standard VAT rate went from 19 % to 21 % on 1 August 2025.
const VAT_21_FROM: (i32, u32, u32) = (2025, 8, 1);

/// Body of `POST __sim/efactura/inbox` (and [`crate::Simulator::seed_inbox`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxSeed {
    /// The receiving CIF (digits, no `RO`).
    pub cif: String,
    /// How many `FACTURA PRIMITA` messages to add (1 to 20 000).
    pub count: u32,
    /// Supplier CIFs, used in turn; empty = four made-up CIFs with valid check digits.
    #[serde(default)]
    pub suppliers: Vec<String>,
    /// The oldest message's age bound in days (default 30); messages are spread evenly, strictly
    /// inside `(from_days_ago, to_days_ago)` ago on the simulated clock.
    #[serde(default = "default_from_days_ago")]
    pub from_days_ago: u32,
    /// The newest message's age bound in days (default 0).
    #[serde(default)]
    pub to_days_ago: u32,
}

fn default_from_days_ago() -> u32 {
    30
}

/// The answer: the CIF, how many were added and their download ids (`id`), oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededInbox {
    pub cif: String,
    pub seeded: usize,
    pub ids: Vec<String>,
}

/// Suppliers a seeding without `suppliers` uses: made-up companies with valid check digits.
pub(crate) fn default_suppliers() -> Vec<String> {
    ["3145926", "2718281", "1414213", "1732050"]
        .iter()
        .map(|body| with_check_digit(body))
        .collect()
}

/// Appends the Romanian CIF check digit to `body` (1 to 9 digits).
fn with_check_digit(body: &str) -> String {
    const WEIGHTS: [u32; 9] = [7, 5, 3, 2, 1, 7, 5, 3, 2];
    let digits: Vec<u32> = body
        .bytes()
        .map(|b| u32::from(b.wrapping_sub(b'0')))
        .collect();
    let weights = &WEIGHTS[WEIGHTS.len().saturating_sub(digits.len())..];
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    format!("{body}{}", (sum * 10) % 11 % 10)
}

pub(crate) fn seed_inbox(st: &mut State, seed: &InboxSeed) -> Result<SeededInbox, String> {
    if !validate_cif_digits(&seed.cif) {
        return Err("cif must be 1 to 10 digits, without RO".to_string());
    }
    if !(1..=MAX_SEEDED).contains(&seed.count) {
        return Err(format!("count must be 1 to {MAX_SEEDED}"));
    }
    if seed.suppliers.iter().any(|s| !validate_cif_digits(s)) {
        return Err("suppliers must be CIFs of 1 to 10 digits, without RO".to_string());
    }
    if seed.from_days_ago < seed.to_days_ago || seed.from_days_ago > 3650 {
        return Err("from_days_ago must be at least to_days_ago and at most 3650".to_string());
    }
    let suppliers = if seed.suppliers.is_empty() {
        default_suppliers()
    } else {
        seed.suppliers.clone()
    };
    let cif = canonical_cif(&seed.cif).to_string();
    let now = st.now();
    let newest = now - Duration::days(i64::from(seed.to_days_ago));
    let span_seconds = i64::from(seed.from_days_ago - seed.to_days_ago) * 86_400;
    let slots = i64::from(seed.count) + 1;
    let mut ids = Vec::with_capacity(seed.count as usize);
    for (i, supplier) in (0..seed.count).zip(suppliers.iter().cycle()) {
        // Evenly spread, oldest first, never on the range's edges.
        let offset = span_seconds * (i64::from(i) + 1) / slots;
        let created_at = newest - Duration::seconds(span_seconds - offset);
        let supplier = canonical_cif(supplier).to_string();
        let id = received_invoice(&mut st.efactura, &supplier, &cif, created_at);
        ids.push(id.to_string());
    }
    Ok(SeededInbox {
        cif,
        seeded: ids.len(),
        ids,
    })
}

/// Adds one `FACTURA PRIMITA` for `customer` with its invoice; returns its download id.
fn received_invoice(
    ef: &mut Efactura,
    supplier: &str,
    customer: &str,
    created_at: DateTime<Utc>,
) -> u64 {
    let index = ef.store.next_upload_index();
    let id = ef.store.next_download_id();
    let issued = created_at.date_naive() - Duration::days(i64::from((index % 3) as u8));
    let xml = invoice_xml(&InvoiceSpec {
        number: format!("SIM{}-{}", issued.format("%y"), index % 1_000_000),
        issue_date: issued,
        supplier,
        customer,
        seed: index,
    });
    add_document(ef, id, xml, &[supplier, customer], created_at);
    ef.post_message(Message {
        created_at,
        cif: customer.to_string(),
        id_solicitare: index.to_string(),
        detalii: format!(
            "Factura cu id_incarcare={index} emisa de cif_emitent={supplier} pentru cif_beneficiar={customer}"
        ),
        tip: FACTURA_PRIMITA.to_string(),
        id: id.to_string(),
    });
    id
}

fn add_document(
    ef: &mut Efactura,
    id: u64,
    xml: String,
    readers: &[&str],
    created_at: DateTime<Utc>,
) {
    ef.store.documents.insert(
        id,
        Document {
            xml: Bytes::from(xml),
            readers: readers.iter().map(|r| r.to_string()).collect(),
            created_at,
        },
    );
}

/// The messages every simulator starts with, each with a downloadable document.
pub(crate) fn default_messages(ef: &mut Efactura, now: DateTime<Utc>) {
    struct Default {
        days_ago: i64,
        cif: &'static str,
        tip: &'static str,
        index: u64,
        id: u64,
        supplier: &'static str,
        customer: &'static str,
    }
    let defaults = [
        Default {
            days_ago: 1,
            cif: "18547290",
            tip: FACTURA_PRIMITA,
            index: 5_001_120_362,
            id: 3_001_293_434,
            supplier: "14399840",
            customer: "18547290",
        },
        Default {
            days_ago: 3,
            cif: "18547290",
            tip: FACTURA_TRIMISA,
            index: 5_001_130_147,
            id: 3_001_474_425,
            supplier: "18547290",
            customer: "1590082",
        },
        Default {
            days_ago: 10,
            cif: "18547290",
            tip: ERORI_FACTURA,
            index: 5_001_131_564,
            id: 3_001_474_426,
            supplier: "18547290",
            customer: "1590082",
        },
        Default {
            days_ago: 20,
            cif: "22732040",
            tip: FACTURA_TRIMISA,
            index: 5_001_140_001,
            id: 3_001_500_001,
            supplier: "22732040",
            customer: "11123319",
        },
    ];
    for d in defaults {
        let created_at = now - Duration::days(d.days_ago);
        let (xml, readers, detalii) = if d.tip == ERORI_FACTURA {
            let problem = "E: validari globale eroare: [BR-CO-15]-Valoarea totala a facturii cu TVA (BT-112) = Valoarea totala a facturii fara TVA (BT-109) + Valoarea totala a TVA a facturii (BT-110).";
            (
                error_report(d.index, d.cif, &[problem.to_string()]),
                vec![d.cif],
                format!(
                    "Erori de validare identificate la factura primita cu id_incarcare={}",
                    d.index
                ),
            )
        } else {
            let issued = created_at.date_naive();
            let xml = invoice_xml(&InvoiceSpec {
                number: format!("DEF{}-{}", issued.format("%y"), d.index % 10_000),
                issue_date: issued,
                supplier: d.supplier,
                customer: d.customer,
                seed: d.index,
            });
            let detalii = format!(
                "Factura cu id_incarcare={} emisa de cif_emitent={} pentru cif_beneficiar={}",
                d.index, d.supplier, d.customer
            );
            (xml, vec![d.supplier, d.customer], detalii)
        };
        add_document(ef, d.id, xml, &readers, created_at);
        ef.post_message(Message {
            created_at,
            cif: d.cif.to_string(),
            id_solicitare: d.index.to_string(),
            detalii,
            tip: d.tip.to_string(),
            id: d.id.to_string(),
        });
    }
}

/// What a generated invoice is about; the rest (lines, prices) follows from `seed`.
pub(crate) struct InvoiceSpec<'a> {
    pub number: String,
    pub issue_date: NaiveDate,
    pub supplier: &'a str,
    pub customer: &'a str,
    pub seed: u64,
}

const ITEMS: &[(&str, &str)] = &[
    ("Servicii de consultanta IT", "HUR"),
    ("Licenta software anuala", "H87"),
    ("Hartie copiator A4 (top 500 coli)", "H87"),
    ("Transport marfa intern", "KMT"),
    ("Mentenanta echipamente", "HUR"),
    ("Toner imprimanta laser", "H87"),
    ("Servicii de curatenie birouri", "MON"),
    ("Cablu UTP Cat6 (rola 305 m)", "H87"),
];

/// Bani (1/100 RON) as `123.45`.
fn ron(bani: i64) -> String {
    format!("{}.{:02}", bani / 100, bani % 100)
}

fn vat_rate(date: NaiveDate) -> i64 {
    let (y, m, d) = VAT_21_FROM;
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(switch) if date < switch => 19,
        _ => 21,
    }
}

fn party_xml(tag: &str, cif: &str) -> String {
    let company = registry::company(cif);
    let name = company
        .as_ref()
        .map_or_else(|| format!("FIRMA {cif} SRL"), |c| c.name.clone());
    let address = company
        .as_ref()
        .map_or_else(String::new, |c| c.address.clone());
    let mut parts = address.split(", ");
    let county = parts
        .next()
        .filter(|p| !p.is_empty())
        .unwrap_or("BUCURESTI");
    let city = parts.next().unwrap_or("Sector 1");
    let street: Vec<&str> = parts.collect();
    let street = if street.is_empty() {
        "Str. Exemplului nr. 1".to_string()
    } else {
        street.join(", ")
    };
    let registration = company
        .as_ref()
        .map_or_else(|| "J40/1/2020".to_string(), |c| c.registry_number.clone());
    format!(
        r#"  <cac:{tag}>
    <cac:Party>
      <cac:PostalAddress>
        <cbc:StreetName>{street}</cbc:StreetName>
        <cbc:CityName>{city}</cbc:CityName>
        <cbc:CountrySubentity>{county}</cbc:CountrySubentity>
        <cac:Country><cbc:IdentificationCode>RO</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>RO{cif}</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>{name}</cbc:RegistrationName>
        <cbc:CompanyID>{registration}</cbc:CompanyID>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:{tag}>
"#,
        street = xml_escape(&street),
        city = xml_escape(city),
        county = xml_escape(county),
        name = xml_escape(&name),
        registration = xml_escape(&registration),
    )
}

/// A UBL 2.1 invoice as Romanian invoicing software writes one (CIUS-RO 1.0.1).
pub(crate) fn invoice_xml(spec: &InvoiceSpec<'_>) -> String {
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let rate = vat_rate(spec.issue_date);
    let line_count = rng.gen_range(1..=4);
    let mut lines = String::new();
    let mut net_total = 0i64;
    for n in 1..=line_count {
        let (item, unit) = ITEMS[rng.gen_range(0..ITEMS.len())];
        let quantity: i64 = rng.gen_range(1..=20);
        let price: i64 = rng.gen_range(1_000..=200_000);
        let net = quantity * price;
        net_total += net;
        lines.push_str(&format!(
            r#"  <cac:InvoiceLine>
    <cbc:ID>{n}</cbc:ID>
    <cbc:InvoicedQuantity unitCode="{unit}">{quantity}</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="RON">{net}</cbc:LineExtensionAmount>
    <cac:Item>
      <cbc:Name>{item}</cbc:Name>
      <cac:ClassifiedTaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>{rate}</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:ClassifiedTaxCategory>
    </cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="RON">{price}</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
"#,
            net = ron(net),
            item = xml_escape(item),
            price = ron(price),
        ));
    }
    // Half up, in bani.
    let vat = (net_total * rate + 50) / 100;
    let gross = net_total + vat;
    let due = spec.issue_date + Duration::days(30);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:efactura.mfinante.ro:CIUS-RO:1.0.1</cbc:CustomizationID>
  <cbc:ID>{number}</cbc:ID>
  <cbc:IssueDate>{issued}</cbc:IssueDate>
  <cbc:DueDate>{due}</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>RON</cbc:DocumentCurrencyCode>
{supplier}{customer}  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>42</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount><cbc:ID>RO49AAAA1B31007593840000</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="RON">{vat}</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="RON">{net}</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="RON">{vat}</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID>
        <cbc:Percent>{rate}</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="RON">{net}</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="RON">{net}</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="RON">{gross}</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="RON">{gross}</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
{lines}</Invoice>
"#,
        number = xml_escape(&spec.number),
        issued = spec.issue_date.format("%Y-%m-%d"),
        due = due.format("%Y-%m-%d"),
        supplier = party_xml("AccountingSupplierParty", spec.supplier),
        customer = party_xml("AccountingCustomerParty", spec.customer),
        vat = ron(vat),
        net = ron(net_total),
        gross = ron(gross),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_suppliers_have_valid_check_digits() {
        for cif in default_suppliers() {
            assert!(registry::valid_cif(&cif), "{cif}");
            assert!(registry::company(&cif).is_some(), "{cif}");
        }
    }

    #[test]
    fn generated_invoices_pass_the_checks() {
        let xml = invoice_xml(&InvoiceSpec {
            number: "X & 1".into(),
            issue_date: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            supplier: "14399840",
            customer: "18547290",
            seed: 7,
        });
        let summary = super::super::invoice::read(xml.as_bytes()).expect("well-formed");
        assert!(super::super::invoice::problems(&summary).is_empty());
        assert_eq!(summary.customer.cif().as_deref(), Some("18547290"));
        assert_eq!(summary.currency.as_deref(), Some("RON"));
        assert!(xml.contains("<cbc:Percent>21</cbc:Percent>"));
    }
}
