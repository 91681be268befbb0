//! What e-Factura keeps: list messages, uploads and their verdicts, downloadable documents.

use std::collections::HashMap;

use actix_web::web::Bytes;
use chrono::{DateTime, Utc};

/// First upload index handed out (ANAF's are 10 digits, `5001…`).
const FIRST_UPLOAD_INDEX: u64 = 5_003_000_001;
/// First download id handed out (`3001…`).
const FIRST_DOWNLOAD_ID: u64 = 3_003_000_001;

/// One entry of the lists.
#[derive(Clone, Debug)]
pub(crate) struct Message {
    /// `data_creare`: when the message was indexed (it is not listed before).
    pub created_at: DateTime<Utc>,
    pub cif: String,
    pub id_solicitare: String,
    pub detalii: String,
    pub tip: String,
    pub id: String,
}

/// The list types and their `filtru` letter.
pub(crate) const FACTURA_TRIMISA: &str = "FACTURA TRIMISA";
pub(crate) const FACTURA_PRIMITA: &str = "FACTURA PRIMITA";
pub(crate) const ERORI_FACTURA: &str = "ERORI FACTURA";
pub(crate) const MESAJ_CUMPARATOR_TRANSMIS: &str = "MESAJ CUMPARATOR TRANSMIS";

/// Whether a message of type `tip` passes the list filter `filtru` (`E`, `T`, `P`, `R`).
pub(crate) fn matches_filter(tip: &str, filtru: Option<char>) -> bool {
    match filtru {
        None => true,
        Some('E') => tip == ERORI_FACTURA,
        Some('T') => tip == FACTURA_TRIMISA,
        Some('P') => tip == FACTURA_PRIMITA,
        Some('R') => tip.starts_with("MESAJ CUMPARATOR"),
        Some(_) => false,
    }
}

/// How an upload ends once its processing delay has passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accepted: `id_descarcare` holds the uploaded bytes.
    Ok { id_descarcare: u64 },
    /// Rejected: `id_descarcare` holds the error report.
    Nok { id_descarcare: u64 },
    /// Not XML at all: `XML cu erori nepreluat de sistem`, nothing to download.
    Unreadable,
}

pub(crate) struct Upload {
    pub cif: String,
    pub received_at: DateTime<Utc>,
    /// `stareMesaj` says `in prelucrare` until then.
    pub ready_at: DateTime<Utc>,
    pub verdict: Verdict,
}

/// A file `descarcare` delivers.
pub(crate) struct Document {
    pub xml: Bytes,
    /// The CIFs whose rights open it (the uploader, the buyer).
    pub readers: Vec<String>,
    /// The 60 days of availability count from here (the message's `data_creare`).
    pub created_at: DateTime<Utc>,
}

pub(crate) struct Store {
    pub uploads: HashMap<u64, Upload>,
    pub documents: HashMap<u64, Document>,
    /// Accepted invoices by (uploader CIF, SHA-256 of the bytes) → their upload index.
    pub accepted: HashMap<(String, [u8; 32]), u64>,
    next_upload_index: u64,
    next_download_id: u64,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            uploads: HashMap::new(),
            documents: HashMap::new(),
            accepted: HashMap::new(),
            next_upload_index: FIRST_UPLOAD_INDEX,
            next_download_id: FIRST_DOWNLOAD_ID,
        }
    }
}

impl Store {
    pub fn next_upload_index(&mut self) -> u64 {
        let index = self.next_upload_index;
        self.next_upload_index += 1;
        index
    }

    pub fn next_download_id(&mut self) -> u64 {
        let id = self.next_download_id;
        self.next_download_id += 1;
        id
    }
}
