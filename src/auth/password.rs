//! Argon2id hashing on the blocking pool, with a bound on how many hashes run at once.

use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

/// A well-formed hash of no real password, with the production parameters: verifying against it
/// costs as much as a real verify, so an unknown email answers as slowly as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                          Uy3CmZ1i4O0s3WZ0d3Ujx3vB2g5sQ0n2i1oQm9cX0tQ";

fn argon2() -> Argon2<'static> {
    // OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords. Each hash pins a core for tens of milliseconds, so at most
/// `cores - 1` run at once: a core stays free for every other request, excess logins queue.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Passwords {
            permits: Arc::new(Semaphore::new(cores.saturating_sub(1).max(1))),
        }
    }
}

impl Passwords {
    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.expose_secret().as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await?
    }

    /// True when `candidate` matches `stored`; with no stored hash (unknown email) it still
    /// spends one full verification and answers false.
    pub async fn verify(
        &self,
        candidate: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        tokio::task::spawn_blocking(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let matches = argon2()
                .verify_password(candidate.expose_secret().as_bytes(), hash.as_str())
                .is_ok();
            known && matches
        })
        .await
        .map_err(Into::into)
    }
}
