//! What ANAF's public company registry says about a CIF: read by `anaf::registry`, stored by
//! `db::models::name_lookups`.

/// What the registry said about one CIF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAnswer {
    Found { name: String, address: String },
    NotFound,
}
