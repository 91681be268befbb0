//! Argon2id hashing on a few dedicated low-priority threads, which bound how many hashes run at
//! once.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, mpsc};

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

/// A well-formed hash of no real password, with the production parameters: verifying against it
/// costs as much as a real verify, so an unknown email answers as slowly as a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                          Uy3CmZ1i4O0s3WZ0d3Ujx3vB2g5sQ0n2i1oQm9cX0tQ";

fn argon2() -> Argon2<'static> {
    // OWASP's Argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19_456, 2, 1, None).expect("constant Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords on `cores - 1` dedicated threads (at least one). Each hash pins a
/// core for tens of milliseconds; with at most `cores - 1` at once a core stays free for every
/// other request, and excess hashes queue. The threads also run at a lower CPU priority, so when
/// the machine is busy anyway (other services, a shared VM) the scheduler hands a core to a
/// waiting request before a hash: hashing never stalls other requests, it only waits longer.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' nice value: the scheduler gives a waiting nice-0 request thread the core
/// (a nice-10 thread weighs about a tenth of a nice-0 one).
#[cfg(target_os = "linux")]
const HASHING_NICE: libc::c_int = 10;

impl Default for Passwords {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..cores.saturating_sub(1).max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        // The lock is held only while waiting for the next job, not while hashing.
                        let next = queue.lock().map_or(None, |queue| queue.recv().ok());
                        let Some(job) = next else {
                            return; // every `Passwords` is gone
                        };
                        // A panic fails that one hash (its caller sees an error), not the thread.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .expect("spawn a password hashing thread");
        }
        Passwords { jobs }
    }
}

/// Lowers the calling thread's CPU priority. On Linux the nice value belongs to the thread.
#[cfg(target_os = "linux")]
fn lower_priority() {
    // SAFETY: a plain system call on the calling thread (who = 0), no memory is passed.
    let _ = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICE) };
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

impl Passwords {
    /// Runs `work` on a hashing thread once one is free. A caller that gives up while queued (the
    /// client went away) costs no hash.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                if !done.is_closed() {
                    let _ = done.send(work());
                }
            }))
            .map_err(|_| anyhow::anyhow!("the password hashing threads are gone"))?;
        result
            .await
            .map_err(|_| anyhow::anyhow!("password hashing failed (the hashing thread panicked)"))
    }

    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        self.run(move || {
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
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| DUMMY_HASH.to_owned());
            let matches = argon2()
                .verify_password(candidate.expose_secret().as_bytes(), hash.as_str())
                .is_ok();
            known && matches
        })
        .await
    }
}
