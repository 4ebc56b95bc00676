//! Durable state of the connector: pairs and cloud links with their synced
//! snapshots, cursors,
//! the webhook inbox, durable jobs, audit history, singleton leases and
//! sealed credentials.
//!
//! [`Store`] is the one interface; [`sqlite::SqliteStore`] is the embedded
//! default and [`postgres::PostgresStore`] lets several instances share one
//! database. [`open`] picks one from a URL.
#![forbid(unsafe_code)]

mod audit;
mod backend;
mod credential_flows;
mod credentials;
mod error;
mod flows;
mod jobs;
mod links;
mod model;
mod pairs;
pub mod postgres;
pub mod seal;
mod shared;
pub mod sqlite;
mod statement;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use credentials::{CredentialHold, CredentialStore, CredentialWrite, StoredCredential};
pub use error::StoreError;
pub use model::*;

/// Result of a store operation.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the connector persists. Implementations must be safe to share
/// between several processes on the same database (PostgreSQL) or several
/// tasks in one process (SQLite).
#[async_trait]
pub trait Store: CredentialStore + Send + Sync + 'static {
    /// Checks the database answers.
    async fn ping(&self) -> Result<()>;

    /// Proves the store accepts a write (one small upsert of the
    /// [`PROBE_CURSOR`] row) and, when it does not, prepares what a restart
    /// would: SQLite drops connections opened while the file was read-only,
    /// PostgreSQL migrates a database that lost its tables. Cheap enough for
    /// every readiness check.
    async fn probe_write(&self) -> Result<()>;

    // ---- pairs ----
    /// Inserts or replaces a pair by id. A referral or opportunity id already
    /// owned by another pair is a [`StoreError::Conflict`].
    async fn save_pair(&self, pair: &Pair) -> Result<()>;
    /// Saves a pair only over the version it was read at: the stored row's
    /// `updated_at` must still be `read_at` (None: no row with its id yet).
    /// False when another writer saved the pair since; nothing is written.
    async fn save_pair_over(
        &self,
        pair: &Pair,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool>;
    /// [`Store::save_pair_over`] and [`Store::append_audit`] of the pair's
    /// entries in one transaction: a crash between the two never leaves a
    /// recorded pair without the history of what was done to it. False when
    /// another writer saved the pair since; nothing is written then.
    async fn save_pair_over_with_audit(
        &self,
        pair: &Pair,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
        entries: &[AuditEntry],
    ) -> Result<bool>;
    /// The pair with this id.
    async fn pair(&self, id: PairId) -> Result<Option<Pair>>;
    /// The pair linked to this Partner Center referral id.
    async fn pair_by_referral(&self, referral_id: &str) -> Result<Option<Pair>>;
    /// Looks up by opportunity id, 15 or 18 characters.
    async fn pair_by_opportunity(&self, opportunity_id: &str) -> Result<Option<Pair>>;
    /// The pairs whose snapshot holds `value` as a JSON string, such as the
    /// id of a related row the sync recorded there (a deleted team member
    /// traced to its opportunity). A scan of every snapshot's text: meant
    /// for rare look-ups, not for each record read.
    async fn pairs_with_snapshot_string(&self, value: &str) -> Result<Vec<Pair>>;
    /// Pairs matching the query, most recently updated first (`limit` 0 =
    /// no limit).
    async fn find_pairs(&self, query: &PairQuery) -> Result<Vec<Pair>>;
    /// Number of pairs per state, every state present (0 when none).
    async fn pair_counts(&self) -> Result<BTreeMap<PairState, u64>>;
    /// The latest successful write in each direction across all pairs
    /// (`cosell status`, the dashboard).
    async fn last_sync_times(&self) -> Result<LastSyncTimes>;

    // ---- cloud links ----
    /// Saves a link only over the version it was read at: the stored row's
    /// `updated_at` must still be `read_at` (None: no row with its id yet).
    /// False when another writer saved the link since; nothing is written.
    /// The link's `updated_at` is stored as given (the caller stamps it, as
    /// for pairs). An opportunity, remote or invitation id already owned by
    /// another link of the same cloud is a [`StoreError::Conflict`].
    async fn save_link_over(
        &self,
        link: &CloudLink,
        read_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<bool>;
    /// The link with this id.
    async fn link(&self, id: uuid::Uuid) -> Result<Option<CloudLink>>;
    /// The link of `cloud` to this Salesforce opportunity, 15 or 18
    /// characters (as [`Store::pair_by_opportunity`]).
    async fn link_by_opportunity(
        &self,
        cloud: Cloud,
        opportunity_id: &str,
    ) -> Result<Option<CloudLink>>;
    /// The link of `cloud` to the cloud's opportunity with this id.
    async fn link_by_remote(&self, cloud: Cloud, remote_id: &str) -> Result<Option<CloudLink>>;
    /// The link of `cloud` that came from this engagement invitation.
    async fn link_by_invitation(
        &self,
        cloud: Cloud,
        invitation_id: &str,
    ) -> Result<Option<CloudLink>>;
    /// Links of `cloud` matching the query (text: a case-insensitive
    /// substring of the name, or an exact opportunity, remote or invitation
    /// id), most recently updated first (`limit` 0 = no limit).
    async fn find_links(&self, cloud: Cloud, query: &PairQuery) -> Result<Vec<CloudLink>>;
    /// Number of links of `cloud` per state, every state present (0 when none).
    async fn link_counts(&self, cloud: Cloud) -> Result<BTreeMap<PairState, u64>>;

    // ---- cursors (also a small key-value store) ----
    /// The stored value of a cursor.
    async fn cursor(&self, name: &str) -> Result<Option<String>>;
    /// Stores a cursor, replacing its value.
    async fn set_cursor(&self, name: &str, value: &str) -> Result<()>;
    /// Enqueues `jobs` and moves cursor `name` from `from` (None: never set)
    /// to `to`, in one transaction. The jobs are always enqueued; the cursor
    /// moves only if it still holds `from`, so a reader that raced another
    /// never moves it backwards. Returns whether the cursor moved.
    async fn enqueue_and_move_cursor(
        &self,
        jobs: &[NewJob],
        name: &str,
        from: Option<&str>,
        to: &str,
    ) -> Result<bool>;

    // ---- webhook inbox ----
    /// Stores the event and enqueues its job in one transaction; an event
    /// with the same dedup key already stored is a duplicate and nothing is
    /// written.
    async fn record_webhook(&self, event: &InboxEvent, job: &NewJob) -> Result<InboxOutcome>;

    // ---- jobs ----
    /// Enqueues jobs; a job whose key already has a pending job is merged into
    /// it (the earlier `run_at` wins). Returns how many new jobs were created.
    async fn enqueue(&self, jobs: &[NewJob]) -> Result<u64>;
    /// Claims up to `limit` due pending jobs (and running jobs whose lease
    /// expired), never two with the same key at once, leasing them to `worker`.
    async fn claim_jobs(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>>;
    /// Extends the lease of jobs `worker` still holds.
    async fn extend_leases(&self, worker: &str, ids: &[JobId], lease: Duration) -> Result<()>;
    /// Marks a job done; false if `worker` no longer holds it.
    async fn complete_job(&self, id: JobId, worker: &str) -> Result<bool>;
    /// Records a failed attempt; false if `worker` no longer holds it. A
    /// retry that meets a newer pending job of its key merges with it (the
    /// newer payload, the later `run_at`: the backoff is kept).
    async fn fail_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        action: FailureAction,
    ) -> Result<bool>;
    /// Returns every job `worker` holds to pending (graceful shutdown); the
    /// released claim is not counted as an attempt.
    async fn release_jobs(&self, worker: &str) -> Result<u64>;
    /// Makes dead jobs pending again with attempts reset; returns how many.
    async fn retry_dead(&self, target: RetryTarget) -> Result<u64>;
    /// The job with this id.
    async fn job(&self, id: JobId) -> Result<Option<Job>>;
    /// Number of jobs per state.
    async fn job_counts(&self) -> Result<JobCounts>;
    /// Dead jobs, most recent first (`limit` 0 = no limit).
    async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>>;
    /// Waits until new work may be available or `timeout` passes
    /// (LISTEN/NOTIFY on PostgreSQL, an in-process signal on SQLite). Also
    /// returns when a scheduled job comes due or a lease expires.
    async fn wait_for_jobs(&self, timeout: Duration) -> Result<()>;

    // ---- audit ----
    /// Appends history entries; an entry whose id is already stored is skipped.
    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()>;
    /// A pair's history, newest first.
    async fn audit_for_pair(&self, pair_id: PairId, limit: u32) -> Result<Vec<AuditEntry>>;
    /// Recent history across pairs, newest first.
    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>>;

    // ---- singleton leases (pollers) ----
    /// Takes or renews the named lease for `holder`; false while another
    /// holder's lease is unexpired.
    async fn try_acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool>;
    /// Gives the named lease up if `holder` has it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;
}

/// Cursor row [`Store::probe_write`] writes (the time of the probe).
pub const PROBE_CURSOR: &str = "store.write_probe";

/// Opens (creating and migrating as needed) the store a URL names:
/// `sqlite://path/to/file.db` (`sqlite::memory:` for tests) or
/// `postgres://user@host/db`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PostgresStore::connect(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else {
        // Only the scheme is shown: the rest of the URL may hold a password.
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme)
            .filter(|s| {
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            })
            .unwrap_or("(none)");
        Err(StoreError::BadUrl(format!(
            "unsupported store url scheme {scheme:?}: use sqlite://FILE or postgres://..."
        )))
    }
}
