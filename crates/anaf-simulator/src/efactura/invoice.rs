//! Reading an invoice with `quick-xml`: well-formedness and the few fields e-Factura's checks and
//! the lists need (number, issue date, the parties and their CIFs, currency, total). UBL 2.1
//! `Invoice`/`CreditNote` and a minimal reading of CII `CrossIndustryInvoice`.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One party of the invoice (supplier or customer).
#[derive(Clone, Debug, Default)]
pub(crate) struct Party {
    /// The party's element is there (`cac:AccountingSupplierParty`, `ram:SellerTradeParty` …).
    pub present: bool,
    pub name: Option<String>,
    /// Identifiers in order of preference: VAT id, legal-entity id, other ids.
    pub tax_id: Option<String>,
    pub legal_id: Option<String>,
    pub other_id: Option<String>,
}

impl Party {
    /// The party's CIF: the first identifier that is digits once `RO` is stripped.
    pub fn cif(&self) -> Option<String> {
        [&self.tax_id, &self.legal_id, &self.other_id]
            .into_iter()
            .flatten()
            .find_map(|id| cif_digits(id))
    }
}

/// `RO 18547290`, `ro18547290`, `0018547290` → `18547290`; anything else that is not digits → None.
pub(crate) fn cif_digits(id: &str) -> Option<String> {
    let compact: String = id.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = compact
        .strip_prefix("RO")
        .or_else(|| compact.strip_prefix("ro"))
        .unwrap_or(&compact);
    if digits.is_empty() || digits.len() > 13 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(super::canonical_cif(digits).to_string())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    Ubl,
    Cii,
    /// A root element that is neither (e.g. a RASP buyer message).
    Other,
}

/// What was read from a well-formed document.
#[derive(Clone, Debug)]
pub(crate) struct InvoiceSummary {
    pub root: String,
    pub syntax: Syntax,
    pub number: Option<String>,
    pub issue_date: Option<String>,
    pub currency: Option<String>,
    pub payable: Option<String>,
    pub supplier: Party,
    pub customer: Party,
}

/// Why a body could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Not XML at all (empty, binary, JSON …).
    NotXml,
    /// Looks like XML but is not well-formed.
    Malformed(String),
}

#[derive(Clone, Copy)]
enum Role {
    Supplier,
    Customer,
}

#[derive(Clone, Copy)]
enum PartyField {
    Name,
    TaxId,
    LegalId,
    OtherId,
}

/// Where a path (local names, root first) is, for each syntax.
enum Slot {
    Number,
    IssueDate,
    Currency,
    Payable,
    Party(Role, PartyField),
    PartyElement(Role),
}

fn ubl_slot(path: &[&str]) -> Option<Slot> {
    match path {
        ["ID"] => Some(Slot::Number),
        ["IssueDate"] => Some(Slot::IssueDate),
        ["DocumentCurrencyCode"] => Some(Slot::Currency),
        ["LegalMonetaryTotal", "PayableAmount"] => Some(Slot::Payable),
        [party, rest @ ..] => {
            let role = match *party {
                "AccountingSupplierParty" => Role::Supplier,
                "AccountingCustomerParty" => Role::Customer,
                _ => return None,
            };
            let field = match rest {
                [] => return Some(Slot::PartyElement(role)),
                ["Party", "PartyLegalEntity", "RegistrationName"] => PartyField::Name,
                ["Party", "PartyName", "Name"] => PartyField::Name,
                ["Party", "PartyTaxScheme", "CompanyID"] => PartyField::TaxId,
                ["Party", "PartyLegalEntity", "CompanyID"] => PartyField::LegalId,
                ["Party", "PartyIdentification", "ID"] => PartyField::OtherId,
                _ => return None,
            };
            Some(Slot::Party(role, field))
        }
        _ => None,
    }
}

fn cii_slot(path: &[&str]) -> Option<Slot> {
    match path {
        ["ExchangedDocument", "ID"] => Some(Slot::Number),
        ["ExchangedDocument", "IssueDateTime", "DateTimeString"] => Some(Slot::IssueDate),
        [
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "InvoiceCurrencyCode",
        ] => Some(Slot::Currency),
        [
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeSettlement",
            "SpecifiedTradeSettlementHeaderMonetarySummation",
            "DuePayableAmount",
        ] => Some(Slot::Payable),
        [
            "SupplyChainTradeTransaction",
            "ApplicableHeaderTradeAgreement",
            party,
            rest @ ..,
        ] => {
            let role = match *party {
                "SellerTradeParty" => Role::Supplier,
                "BuyerTradeParty" => Role::Customer,
                _ => return None,
            };
            let field = match rest {
                [] => return Some(Slot::PartyElement(role)),
                ["Name"] => PartyField::Name,
                ["SpecifiedTaxRegistration", "ID"] => PartyField::TaxId,
                ["SpecifiedLegalOrganization", "ID"] => PartyField::LegalId,
                ["ID"] => PartyField::OtherId,
                _ => return None,
            };
            Some(Slot::Party(role, field))
        }
        _ => None,
    }
}

impl InvoiceSummary {
    fn new(root: &str) -> InvoiceSummary {
        let syntax = match root {
            "Invoice" | "CreditNote" => Syntax::Ubl,
            "CrossIndustryInvoice" => Syntax::Cii,
            _ => Syntax::Other,
        };
        InvoiceSummary {
            root: root.to_string(),
            syntax,
            number: None,
            issue_date: None,
            currency: None,
            payable: None,
            supplier: Party::default(),
            customer: Party::default(),
        }
    }

    fn slot(&self, below_root: &[&str]) -> Option<Slot> {
        match self.syntax {
            Syntax::Ubl => ubl_slot(below_root),
            Syntax::Cii => cii_slot(below_root),
            Syntax::Other => None,
        }
    }

    fn party_mut(&mut self, role: Role) -> &mut Party {
        match role {
            Role::Supplier => &mut self.supplier,
            Role::Customer => &mut self.customer,
        }
    }

    /// An element below the root opened: note a party's presence.
    fn opened(&mut self, below_root: &[&str]) {
        if let Some(Slot::PartyElement(role)) = self.slot(below_root) {
            self.party_mut(role).present = true;
        }
    }

    /// An element below the root closed with this text: keep the first value of each field.
    fn closed(&mut self, below_root: &[&str], text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let value = Some(text.to_string());
        let slot = match self.slot(below_root) {
            Some(slot) => slot,
            None => return,
        };
        let target = match slot {
            Slot::Number => &mut self.number,
            Slot::IssueDate => &mut self.issue_date,
            Slot::Currency => &mut self.currency,
            Slot::Payable => &mut self.payable,
            Slot::PartyElement(_) => return,
            Slot::Party(role, field) => {
                let party = self.party_mut(role);
                match field {
                    PartyField::Name => &mut party.name,
                    PartyField::TaxId => &mut party.tax_id,
                    PartyField::LegalId => &mut party.legal_id,
                    PartyField::OtherId => &mut party.other_id,
                }
            }
        };
        if target.is_none() {
            *target = value;
        }
    }

    /// CII's `102` dates (`20261207`) shown as `2026-12-07`; UBL's are already so.
    pub fn issue_date_iso(&self) -> Option<String> {
        let date = self.issue_date.as_deref()?;
        if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) {
            return Some(format!("{}-{}-{}", &date[0..4], &date[4..6], &date[6..8]));
        }
        Some(date.to_string())
    }
}

/// The five entities XML predefines, and character references.
fn resolve_reference(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

fn looks_like_xml(bytes: &[u8]) -> bool {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<')
}

/// Reads `bytes` as an invoice. A document is well-formed here when quick-xml reads it to the end
/// with every element closed, exactly one root and known entities only.
pub(crate) fn read(bytes: &[u8]) -> Result<InvoiceSummary, Unreadable> {
    if !looks_like_xml(bytes) {
        return Err(Unreadable::NotXml);
    }
    let malformed = |reader: &Reader<&[u8]>, what: String| {
        Unreadable::Malformed(format!("{what} (pozitia {})", reader.buffer_position()))
    };
    let mut reader = Reader::from_reader(bytes);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut summary: Option<InvoiceSummary> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| malformed(&reader, e.to_string()))?;
        let empty = matches!(event, Event::Empty(_));
        match event {
            Event::Start(start) | Event::Empty(start) => {
                let name = start.local_name().as_ref().to_string();
                if stack.is_empty() {
                    if summary.is_some() {
                        return Err(malformed(&reader, "mai multe elemente radacina".into()));
                    }
                    summary = Some(InvoiceSummary::new(&name));
                }
                stack.push(name);
                text.clear();
                let path: Vec<&str> = stack.iter().skip(1).map(String::as_str).collect();
                if let Some(summary) = summary.as_mut() {
                    summary.opened(&path);
                }
                if empty {
                    stack.pop();
                }
            }
            Event::End(_) => {
                let path: Vec<&str> = stack.iter().skip(1).map(String::as_str).collect();
                if let Some(summary) = summary.as_mut() {
                    summary.closed(&path, &text);
                }
                text.clear();
                stack.pop();
            }
            Event::Text(t) => {
                if stack.is_empty() && !t.xml10_content().trim().is_empty() {
                    return Err(malformed(
                        &reader,
                        "text in afara elementului radacina".into(),
                    ));
                }
                text.push_str(&t.xml10_content());
            }
            Event::CData(c) => text.push_str(&c),
            Event::GeneralRef(r) => match resolve_reference(&r) {
                Some(c) => text.push(c),
                None => {
                    return Err(malformed(
                        &reader,
                        format!("entitate necunoscuta &{};", &*r),
                    ));
                }
            },
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(malformed(
            &reader,
            format!("elementul {open} nu este inchis"),
        ));
    }
    summary.ok_or_else(|| malformed(&reader, "documentul nu are element radacina".into()))
}

/// e-Factura's checks (a few of EN 16931's, in ANAF's `validare` wording style); empty = valid.
pub(crate) fn problems(summary: &InvoiceSummary) -> Vec<String> {
    let rule = |code: &str, text: &str| format!("E: validari globale eroare: [{code}]-{text}");
    if summary.syntax == Syntax::Other {
        return vec![rule(
            "SIM-01",
            &format!(
                "Elementul radacina {} nu este Invoice, CreditNote sau CrossIndustryInvoice",
                summary.root
            ),
        )];
    }
    let mut problems = Vec::new();
    if summary.number.is_none() {
        problems.push(rule(
            "BR-02",
            "O factura trebuie sa aiba un numar de factura (BT-1) (cbc:ID).",
        ));
    }
    if summary.issue_date.is_none() {
        problems.push(rule(
            "BR-03",
            "O factura trebuie sa aiba o data de emitere a facturii (BT-2) (cbc:IssueDate).",
        ));
    }
    if !summary.supplier.present {
        problems.push(rule(
            "BR-06",
            "O factura trebuie sa contina informatii despre vanzator (BG-4) (cac:AccountingSupplierParty).",
        ));
    }
    if !summary.customer.present {
        problems.push(rule(
            "BR-07",
            "O factura trebuie sa contina informatii despre cumparator (BG-7) (cac:AccountingCustomerParty).",
        ));
    }
    problems
}

/// The checks' messages for a body: its reading problems or its invoice problems.
pub(crate) fn check(bytes: &[u8]) -> (Option<InvoiceSummary>, Vec<String>) {
    match read(bytes) {
        Ok(summary) => {
            let problems = problems(&summary);
            (Some(summary), problems)
        }
        Err(Unreadable::NotXml) => (
            None,
            vec!["E: eroare de structura: fisierul transmis nu este un document XML".to_string()],
        ),
        Err(Unreadable::Malformed(why)) => (
            None,
            vec![format!(
                "E: eroare de structura: XML-ul nu este bine format: {why}"
            )],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ubl_parties_and_strips_ro() {
        let xml = br#"<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="c" xmlns:cbc="b">
<cbc:ID>F &amp; 1</cbc:ID><cbc:IssueDate>2026-12-01</cbc:IssueDate>
<cac:AccountingSupplierParty><cac:Party><cac:PartyTaxScheme><cbc:CompanyID>RO18547290</cbc:CompanyID></cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>B</cbc:RegistrationName><cbc:CompanyID>J40/1/2020</cbc:CompanyID></cac:PartyLegalEntity><cac:PartyIdentification><cbc:ID>1590082</cbc:ID></cac:PartyIdentification></cac:Party></cac:AccountingCustomerParty>
</Invoice>"#;
        let summary = read(xml).expect("well-formed");
        assert_eq!(summary.number.as_deref(), Some("F & 1"));
        assert_eq!(summary.supplier.cif().as_deref(), Some("18547290"));
        assert_eq!(summary.customer.cif().as_deref(), Some("1590082"));
        assert_eq!(summary.customer.name.as_deref(), Some("B"));
        assert!(problems(&summary).is_empty());
    }

    #[test]
    fn refuses_unclosed_and_mismatched_elements() {
        assert!(matches!(
            read(b"<Invoice><a></Invoice>"),
            Err(Unreadable::Malformed(_))
        ));
        assert!(matches!(read(b"<Invoice>"), Err(Unreadable::Malformed(_))));
        assert!(matches!(read(b"<a/><b/>"), Err(Unreadable::Malformed(_))));
        assert_eq!(read(b"{\"json\":1}").err(), Some(Unreadable::NotXml));
    }

    #[test]
    fn reads_cii_minimal() {
        let xml = br#"<rsm:CrossIndustryInvoice xmlns:rsm="r" xmlns:ram="a" xmlns:udt="u">
<rsm:ExchangedDocument><ram:ID>C1</ram:ID><ram:IssueDateTime><udt:DateTimeString format="102">20261207</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement>
<ram:SellerTradeParty><ram:Name>S</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">RO14399840</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>B</ram:Name></ram:BuyerTradeParty>
</ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>"#;
        let summary = read(xml).expect("well-formed");
        assert_eq!(summary.issue_date_iso().as_deref(), Some("2026-12-07"));
        assert_eq!(summary.supplier.cif().as_deref(), Some("14399840"));
        assert!(summary.customer.present);
        assert!(problems(&summary).is_empty());
    }
}
