//! Password hashing off the async workers. argon2id at the recommended cost takes tens
//! of milliseconds of CPU and 19 MiB of memory; run on an async worker it stalls every
//! other request that worker holds (50 wrong passwords at once froze `/healthz`). Each
//! hash or verification runs on its own short-lived OS thread instead, and at most
//! [`HelpDeskConfig::hash_concurrency`](crate::desk::HelpDeskConfig::hash_concurrency)
//! run at once: further callers wait asynchronously for a slot, which bounds both the
//! CPU taken from the workers and the memory argon2 holds.
//!
//! Plain `std` threads and `tokio::sync` keep the core free of a runtime: this works
//! under any executor.

use crate::account::{Password, PasswordHash, PasswordHasher};
use crate::error::{Error, Result};
use std::sync::Arc;
use tokio::sync::{oneshot, Semaphore};

/// The desk's password hasher and its slots.
#[derive(Debug)]
pub(in crate::desk) struct HashWorkers {
    hasher: Arc<PasswordHasher>,
    slots: Semaphore,
}

impl HashWorkers {
    /// Workers over `hasher`, `concurrency` (at least 1) at once.
    pub fn new(hasher: PasswordHasher, concurrency: usize) -> Self {
        Self {
            hasher: Arc::new(hasher),
            slots: Semaphore::new(concurrency.max(1)),
        }
    }

    /// Runs `job` with the hasher on a thread of its own once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&PasswordHasher) -> T + Send + 'static,
    ) -> Result<T> {
        // The semaphore is never closed, so acquiring only fails if it were.
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| Error::store("password hashing is shut down"))?;
        let (tx, rx) = oneshot::channel();
        let hasher = Arc::clone(&self.hasher);
        std::thread::Builder::new()
            .name("ticket-argon2".into())
            .spawn(move || {
                let _ = tx.send(job(&hasher));
            })
            .map_err(Error::store)?;
        rx.await
            .map_err(|_| Error::store("a password hashing thread ended without an answer"))
    }

    /// Hashes a password (argon2id, random salt) off the async workers.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash> {
        let password = password.clone();
        self.run(move |h| h.hash(&password)).await?
    }

    /// Whether `password` matches `hash` (with `None`, the same work against a dummy
    /// hash, then `false`), off the async workers. A failure to run counts as no match.
    pub async fn verify(&self, password: &str, hash: Option<&PasswordHash>) -> bool {
        let password = crate::text::Secret::new(password);
        let hash = hash.cloned();
        self.run(move |h| h.verify(password.expose(), hash.as_ref()))
            .await
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::HashCost;

    /// On a single-threaded runtime, a timer set while a verification is running fires
    /// before the verification finishes: the runtime's only thread is free meanwhile.
    /// Were argon2 run inline, the verification would hold the thread to its end.
    #[tokio::test(flavor = "current_thread")]
    async fn verification_leaves_the_runtime_free() {
        let workers = HashWorkers::new(PasswordHasher::new(HashCost::RECOMMENDED).unwrap(), 1);
        let pw = Password::parse("p", "correct horse battery", None, None).unwrap();
        let hash = workers.hash(&pw).await.unwrap();
        let order = std::sync::Mutex::new(Vec::new());
        tokio::join!(
            async {
                assert!(workers.verify("correct horse battery", Some(&hash)).await);
                assert!(!workers.verify("wrong horse battery", Some(&hash)).await);
                assert!(!workers.verify("correct horse battery", None).await);
                order.lock().unwrap().push("verified");
            },
            async {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                order.lock().unwrap().push("timer");
            }
        );
        assert_eq!(*order.lock().unwrap(), ["timer", "verified"]);
    }
}
