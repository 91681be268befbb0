//! transformare's PDF: one A4 page with the invoice's number, date, parties and total, written with
//! `pdf-writer` in Helvetica (one of the 14 standard fonts, so nothing is embedded).

use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

use super::invoice::{InvoiceSummary, Party};

const FONT: Name<'static> = Name(b"F1");

/// Helvetica's standard encoding is ASCII-safe: Romanian letters lose their diacritics and
/// anything else outside ASCII becomes `?`.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'ă' | 'â' => 'a',
            'Ă' | 'Â' => 'A',
            'î' => 'i',
            'Î' => 'I',
            'ș' | 'ş' => 's',
            'Ș' | 'Ş' => 'S',
            'ț' | 'ţ' => 't',
            'Ț' | 'Ţ' => 'T',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        })
        .collect()
}

fn party_line(label: &str, party: &Party) -> String {
    let name = party.name.as_deref().unwrap_or("-");
    let cif = party.cif().unwrap_or_else(|| "-".to_string());
    format!("{label}: {name} (CIF {cif})")
}

/// The lines the page shows, top to bottom.
fn lines(summary: &InvoiceSummary) -> Vec<String> {
    let title = if summary.root == "CreditNote" {
        "FACTURA STORNO (nota de credit)"
    } else {
        "FACTURA"
    };
    let total = match (&summary.payable, &summary.currency) {
        (Some(amount), Some(currency)) => format!("{amount} {currency}"),
        (Some(amount), None) => amount.clone(),
        (None, _) => "-".to_string(),
    };
    vec![
        title.to_string(),
        format!("Numar: {}", summary.number.as_deref().unwrap_or("-")),
        format!(
            "Data emiterii: {}",
            summary.issue_date_iso().as_deref().unwrap_or("-")
        ),
        party_line("Furnizor", &summary.supplier),
        party_line("Client", &summary.customer),
        format!("Total de plata: {total}"),
        String::new(),
        "Generat de simulatorul ANAF (sandbox): fara valoare legala.".to_string(),
    ]
}

pub(crate) fn render(summary: &InvoiceSummary) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let page_tree_id = Ref::new(2);
    let page_id = Ref::new(3);
    let font_id = Ref::new(4);
    let content_id = Ref::new(5);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(page_tree_id);
    pdf.pages(page_tree_id).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
    page.parent(page_tree_id);
    page.contents(content_id);
    page.resources().fonts().pair(FONT, font_id);
    drop(page);
    pdf.type1_font(font_id).base_font(Name(b"Helvetica"));

    let mut content = Content::new();
    let mut y = 780.0;
    for (i, line) in lines(summary).iter().enumerate() {
        let size = if i == 0 { 18.0 } else { 11.0 };
        content.begin_text();
        content.set_font(FONT, size);
        content.next_line(56.0, y);
        content.show(Str(ascii(line).as_bytes()));
        content.end_text();
        y -= if i == 0 { 32.0 } else { 18.0 };
    }
    pdf.stream(content_id, &content.finish());
    pdf.finish()
}
