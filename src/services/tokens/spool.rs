//! The recovery spool: a refreshed pair the database would not take (it was down) waits here, in
//! a file under the data directory, until it can be written. ANAF has usually already replaced the
//! old pair by then, so losing this one would lose the token. The files hold only what the vault
//! sealed (AES-256-GCM ciphertexts) and the claims' dates; start-up replays them before serving.

use crate::domain::TokenId;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::db::models::tokens::SealedPair;

/// A pair waiting to be saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpooledPair {
    pub token_id: TokenId,
    /// When ANAF issued it: a newer pair already stored wins over it.
    pub obtained_at: NaiveDateTime,
    pub pair: SealedPair,
    /// Sealed for the token's id (`tokens::vault`); entries written before that were bound to the
    /// token's first company, and are sealed again when replayed.
    #[serde(default)]
    pub bound_to_token: bool,
}

#[derive(Debug, Clone)]
pub struct RecoverySpool {
    dir: PathBuf,
    /// Notified when a pair is written: the spool-replay job (`jobs::spool_replay`) saves it once
    /// the database is back.
    written: Arc<Notify>,
}

impl RecoverySpool {
    pub fn new(data_dir: &Path) -> RecoverySpool {
        RecoverySpool {
            dir: data_dir.join("refresh-spool"),
            written: Arc::default(),
        }
    }

    fn path(&self, token_id: TokenId) -> PathBuf {
        self.dir.join(format!("token-{token_id}.json"))
    }

    /// Writes the pair durably (a temporary file, synced, renamed over the token's entry, the
    /// directory synced), readable only by this user. A later pair of the same token replaces an
    /// earlier one.
    pub fn put(&self, entry: &SpooledPair) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let json = serde_json::to_vec(entry)?;
        let final_path = self.path(entry.token_id);
        let temporary = final_path.with_extension("tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&temporary, &final_path)?;
        fs::File::open(&self.dir)?.sync_all()?;
        self.written.notify_one();
        Ok(())
    }

    /// Notified whenever a pair is written.
    pub fn written(&self) -> Arc<Notify> {
        self.written.clone()
    }

    /// Every waiting pair (none when the spool was never used). A file that cannot be read is
    /// logged and left where it is for a person to look at.
    pub fn entries(&self) -> Vec<SpooledPair> {
        let Ok(listing) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut entries = Vec::new();
        for file in listing.flatten() {
            let path = file.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match fs::read(&path)
                .map_err(anyhow::Error::from)
                .and_then(|bytes| Ok(serde_json::from_slice::<SpooledPair>(&bytes)?))
            {
                Ok(entry) => entries.push(entry),
                Err(e) => {
                    tracing::error!(path = %path.display(), error = %e, "unreadable recovery spool entry")
                }
            }
        }
        entries
    }

    /// Forgets the token's entry once it is saved (or can no longer apply).
    pub fn remove(&self, token_id: TokenId) {
        let path = self.path(token_id);
        if let Err(e) = fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(path = %path.display(), error = %e, "could not remove a recovery spool entry");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::tokens::PairFacts;

    #[test]
    fn an_entry_written_before_token_binding_reads_as_legacy() {
        let old = r#"{"token_id":3,"obtained_at":"2027-01-15T08:00:00","pair":{
            "key_version":2,"access_token_ciphertext":"YQ==","refresh_token_ciphertext":null,
            "fingerprint":"ff","access_expires_at":"2027-04-15T08:00:00",
            "refresh_expires_at":null,"issued_at":null,"refresh_due_at":"2027-04-01T08:00:00",
            "certificate_serial":null,"certificate_issuer":null}}"#;
        let entry: SpooledPair = serde_json::from_str(old).expect("an old entry parses");
        assert!(!entry.bound_to_token);
        assert_eq!(entry.pair.key_id, "position:2");
        assert_eq!(entry.pair.facts.fingerprint, "ff");
        let again: SpooledPair = serde_json::from_slice(
            &serde_json::to_vec(&SpooledPair {
                bound_to_token: true,
                ..entry
            })
            .expect("written"),
        )
        .expect("read back");
        assert!(again.bound_to_token);
        assert_eq!(again.pair.facts.fingerprint, "ff");
    }

    fn pair() -> SealedPair {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .expect("valid")
            .naive_utc();
        SealedPair {
            key_id: "0123456789ab".to_owned(),
            access_token_ciphertext: "c2VhbGVk".to_owned(),
            refresh_token_ciphertext: Some("c2VhbGVkLXJlZnJlc2g=".to_owned()),
            facts: PairFacts {
                fingerprint: "ab".repeat(32),
                access_expires_at: at,
                refresh_expires_at: None,
                issued_at: Some(at),
                refresh_due_at: at,
                reconnect_from: None,
                reconnect_by: None,
                certificate_serial: None,
                certificate_issuer: None,
                certificate_holder: None,
            },
        }
    }

    #[test]
    fn a_pair_survives_until_removed_and_a_newer_one_replaces_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let spool = RecoverySpool::new(dir.path());
        assert!(spool.entries().is_empty());
        let at = pair().facts.access_expires_at;
        spool
            .put(&SpooledPair {
                token_id: TokenId(7),
                obtained_at: at,
                pair: pair(),
                bound_to_token: true,
            })
            .expect("written");
        spool
            .put(&SpooledPair {
                token_id: TokenId(7),
                obtained_at: at + chrono::TimeDelta::seconds(1),
                pair: pair(),
                bound_to_token: true,
            })
            .expect("written");
        let entries = RecoverySpool::new(dir.path()).entries();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].obtained_at, at + chrono::TimeDelta::seconds(1));
        spool.remove(TokenId(7));
        assert!(spool.entries().is_empty());
    }
}
