//! The archive of e-Factura files: each ZIP exactly as ANAF sent it, kept once, never deleted by
//! the portal. The bytes live in an object store (`object_store`: a directory under the data dir
//! by default, or an S3-compatible bucket that several instances share); the database's
//! `archived_files` says what is kept, with its SHA-256, so a file is looked up without touching
//! the store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::db::Db;
use crate::db::models::archived_files::{self, ArchivedFile, NewArchivedFile};
use crate::db::models::now;
use crate::domain::Cif;
use crate::domain::EfacturaEnvironment;
use crate::secrets::sha256_hex;

/// Where the archive's files live.
#[derive(Debug, Clone)]
pub enum ArchiveStorage {
    Directory(PathBuf),
    S3 {
        bucket: String,
        /// Inside the bucket, without slashes at either end; empty for its root.
        prefix: String,
        endpoint: Option<Url>,
        region: String,
        access_key_id: String,
        secret_access_key: SecretString,
    },
}

#[derive(Clone)]
pub struct Archive {
    store: Arc<dyn ObjectStore>,
    db: Db,
}

impl Archive {
    /// The archive the settings name: a directory (created when missing) or a bucket.
    pub fn open(storage: &ArchiveStorage, db: Db) -> anyhow::Result<Archive> {
        let store: Arc<dyn ObjectStore> = match storage {
            ArchiveStorage::Directory(root) => Arc::new(in_directory(root)?),
            ArchiveStorage::S3 {
                bucket,
                prefix,
                endpoint,
                region,
                access_key_id,
                secret_access_key,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key.expose_secret());
                if let Some(endpoint) = endpoint {
                    builder = builder
                        .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                        .with_allow_http(endpoint.scheme() == "http")
                        // A server of one's own (MinIO, Ceph) names buckets in the path.
                        .with_virtual_hosted_style_request(false);
                }
                let bucket_store = builder.build()?;
                match prefix.is_empty() {
                    true => Arc::new(bucket_store),
                    false => Arc::new(PrefixStore::new(bucket_store, prefix.as_str())),
                }
            }
        };
        Ok(Archive { store, db })
    }

    /// Where a message's file lives in the store.
    fn key(environment: EfacturaEnvironment, cif: &Cif, message_id: &str) -> String {
        format!("efactura/{}/{cif}/{message_id}.zip", environment.path())
    }

    /// The file of `message_id`, when kept: its index row and its bytes.
    pub async fn get(
        &self,
        environment: EfacturaEnvironment,
        message_id: &str,
    ) -> anyhow::Result<Option<(ArchivedFile, Bytes)>> {
        let id = message_id.to_owned();
        let Some(file) = self
            .db
            .run(move |conn| Ok(archived_files::find(conn, environment, &id)?))
            .await?
        else {
            return Ok(None);
        };
        let path = object_store::path::Path::from(file.storage_key.as_str());
        let bytes = self.store.get(&path).await?.bytes().await?;
        Ok(Some((file, bytes)))
    }

    /// Keeps `bytes` as `message_id`'s file (once: a second copy of the same id changes
    /// nothing); returns its SHA-256.
    pub async fn put(
        &self,
        environment: EfacturaEnvironment,
        cif: &Cif,
        message_id: &str,
        bytes: Bytes,
    ) -> anyhow::Result<String> {
        let sha256 = sha256_hex(&bytes);
        let key = Archive::key(environment, cif, message_id);
        let size = i64::try_from(bytes.len())?;
        // The bytes first: an index row never points at nothing.
        self.store
            .put(
                &object_store::path::Path::from(key.as_str()),
                PutPayload::from(bytes),
            )
            .await?;
        let row = NewArchivedFile {
            environment: environment.path().to_owned(),
            message_id: message_id.to_owned(),
            cif: cif.to_string(),
            sha256: sha256.clone(),
            size_bytes: size,
            storage_key: key,
            stored_at: now(),
        };
        self.db
            .run(move |conn| Ok(archived_files::insert(conn, &row)?))
            .await?;
        Ok(sha256)
    }
}

fn in_directory(root: &Path) -> anyhow::Result<LocalFileSystem> {
    std::fs::create_dir_all(root)?;
    Ok(LocalFileSystem::new_with_prefix(root)?)
}
