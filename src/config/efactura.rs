//! The e-Factura gateway's settings: ANAF's daily quotas, whether raw tokens are handed out, and
//! where the archive keeps the files (a directory, or S3-compatible object storage).

use std::path::{Path, PathBuf};

use clap::Args;
use secrecy::SecretString;
use url::Url;

use super::{ConfigError, invalid, parse};
pub use crate::anaf::efactura::EfacturaLimits;
pub use crate::archive::ArchiveStorage;

#[derive(Args, Debug, Clone)]
pub struct EfacturaArgs {
    /// Gateway quotas (ANAF's limits file), per Romanian day: `listaMesajeFactura` per CIF.
    #[arg(long, env = "ANAF_PORTAL_EFACTURA_LISTS_PER_DAY", default_value = "1500", value_parser = parse::positive)]
    pub efactura_lists_per_day: u32,
    /// `listaMesajePaginatieFactura` calls per CIF and day.
    #[arg(long, env = "ANAF_PORTAL_EFACTURA_PAGED_LISTS_PER_DAY", default_value = "100000", value_parser = parse::positive)]
    pub efactura_paged_lists_per_day: u32,
    /// `descarcare` calls per message and day (the portal keeps each file, so it asks once).
    #[arg(long, env = "ANAF_PORTAL_EFACTURA_DOWNLOADS_PER_DAY", default_value = "10", value_parser = parse::positive)]
    pub efactura_downloads_per_day: u32,
    /// `stareMesaj` calls per upload and day.
    #[arg(long, env = "ANAF_PORTAL_EFACTURA_STATUS_PER_DAY", default_value = "100", value_parser = parse::positive)]
    pub efactura_status_per_day: u32,
    /// Uploads of buyer messages (`standard=RASP`) per CIF and day.
    #[arg(long, env = "ANAF_PORTAL_EFACTURA_RASP_PER_DAY", default_value = "1000", value_parser = parse::positive)]
    pub efactura_rasp_per_day: u32,

    /// `allowed`: people and the API may read decrypted ANAF tokens; `off`: only the e-Factura
    /// gateway uses them (a token opens every CIF of its certificate, a gateway key its own).
    #[arg(long, env = "ANAF_PORTAL_RAW_TOKENS", default_value = "allowed", value_parser = raw_tokens, action = clap::ArgAction::Set)]
    pub raw_tokens: bool,

    /// Where the archive of e-Factura files is kept (default: `archive` in the data directory).
    #[arg(long, env = "ANAF_PORTAL_ARCHIVE_DIR")]
    pub archive_dir: Option<PathBuf>,

    /// S3-compatible object storage for the archive instead of a directory: `s3://bucket` or
    /// `s3://bucket/prefix` (several instances share it).
    #[arg(long, env = "ANAF_PORTAL_ARCHIVE_URL", value_parser = s3_url)]
    pub archive_url: Option<Url>,
    /// The object storage's endpoint, for a server other than AWS (e.g. MinIO, Ceph).
    #[arg(long, env = "ANAF_PORTAL_S3_ENDPOINT", value_parser = parse::http_url)]
    pub s3_endpoint: Option<Url>,
    /// The object storage's region.
    #[arg(long, env = "ANAF_PORTAL_S3_REGION", default_value = "us-east-1", value_parser = parse::text)]
    pub s3_region: String,
    /// The object storage's access key id.
    #[arg(long, env = "ANAF_PORTAL_S3_ACCESS_KEY_ID", value_parser = parse::text)]
    pub s3_access_key_id: Option<String>,
    /// The object storage's secret access key.
    #[arg(long, env = "ANAF_PORTAL_S3_SECRET_ACCESS_KEY", hide_env_values = true, value_parser = secret)]
    pub s3_secret_access_key: Option<SecretString>,
}

/// The e-Factura gateway's settings; `raw_tokens`: whether decrypted tokens may be revealed.
#[derive(Debug, Clone)]
pub struct EfacturaSettings {
    pub limits: EfacturaLimits,
    pub raw_tokens: bool,
    pub archive: ArchiveStorage,
}

impl EfacturaArgs {
    pub(super) fn settings(&self, data_dir: &Path) -> Result<EfacturaSettings, ConfigError> {
        let archive = match &self.archive_url {
            None => ArchiveStorage::Directory(
                (self.archive_dir.clone()).unwrap_or(data_dir.join("archive")),
            ),
            Some(url) => {
                let (Some(access_key_id), Some(secret_access_key)) =
                    (&self.s3_access_key_id, &self.s3_secret_access_key)
                else {
                    return Err(invalid(
                        "archive_url",
                        "needs ANAF_PORTAL_S3_ACCESS_KEY_ID and ANAF_PORTAL_S3_SECRET_ACCESS_KEY",
                    ));
                };
                ArchiveStorage::S3 {
                    bucket: url.host_str().unwrap_or_default().to_owned(),
                    prefix: url.path().trim_matches('/').to_owned(),
                    endpoint: self.s3_endpoint.clone(),
                    region: self.s3_region.clone(),
                    access_key_id: access_key_id.clone(),
                    secret_access_key: secret_access_key.clone(),
                }
            }
        };
        Ok(EfacturaSettings {
            limits: EfacturaLimits {
                lists_per_cif: self.efactura_lists_per_day,
                paged_lists_per_cif: self.efactura_paged_lists_per_day,
                downloads_per_message: self.efactura_downloads_per_day,
                status_per_upload: self.efactura_status_per_day,
                rasp_per_cif: self.efactura_rasp_per_day,
            },
            raw_tokens: self.raw_tokens,
            archive,
        })
    }
}

/// `allowed` or `off` (whether decrypted tokens may be revealed).
fn raw_tokens(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "allowed" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("'{raw}' is neither allowed nor off")),
    }
}

/// A secret that is not blank.
fn secret(raw: &str) -> Result<SecretString, String> {
    match raw.trim().is_empty() {
        true => Err("is blank".to_owned()),
        false => Ok(SecretString::from(raw.trim().to_owned())),
    }
}

/// `s3://bucket[/prefix]`.
fn s3_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("'{raw}' is not a URL: {e}"))?;
    if url.scheme() != "s3" || url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{raw}' is not s3://bucket or s3://bucket/prefix"));
    }
    Ok(url)
}
