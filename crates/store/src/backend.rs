//! The [`Store`] written once for both backends: pairs, cloud links and
//! audit history run their shared flows ([`crate::pairs`], [`crate::links`],
//! [`crate::audit`]) on the backend's statements ([`Db`]), jobs and webhooks
//! go through the shared [`Queue`], credentials through
//! [`crate::credential_flows`]. A backend supplies its pool, whose
//! statements are its own where no flow is shared ([`CursorDb`],
//! [`LeaseDb`], [`JobOps`], [`CredentialDb`]), and its write probe
//! ([`Backend`]).

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::credential_flows;
use crate::flows::{JobDb, Queue};
use crate::links::LinkKey;
use crate::shared::{wait_scheduled, JobSignal};
use crate::statement::{Binder, Db, Guard};
use crate::{
    AuditEntry, Cloud, CloudLink, CredentialHold, CredentialStore, CredentialWrite, FailureAction,
    InboxEvent, InboxOutcome, Job, JobCounts, JobId, LastSyncTimes, NewJob, Pair, PairId,
    PairQuery, PairState, Result, RetryTarget, Store, StoredCredential,
};

/// A backend's cursors (see [`Store::cursor`]).
pub(crate) trait CursorDb {
    /// The stored value of a cursor.
    fn cursor(&self, name: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Stores a cursor, replacing its value.
    fn set_cursor(&self, name: &str, value: &str) -> impl Future<Output = Result<()>> + Send;
}

/// A backend's singleton leases (see [`Store::try_acquire_lease`]).
pub(crate) trait LeaseDb {
    /// Takes the lease if it is free, expired or already `holder`'s.
    fn try_acquire(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool>> + Send;
    /// Gives the lease up if `holder` has it.
    fn release(&self, name: &str, holder: &str) -> impl Future<Output = Result<()>> + Send;
}

/// A backend's job statements outside the shared flows (see [`Store::claim_jobs`]).
pub(crate) trait JobOps {
    /// Claims up to `limit` claimable jobs for `worker`, earliest first.
    fn claim(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Job>>> + Send;
    /// Extends the lease of the jobs `worker` still holds.
    fn extend_leases(
        &self,
        worker: &str,
        ids: &[JobId],
        lease: Duration,
    ) -> impl Future<Output = Result<()>> + Send;
    /// When the next scheduled job becomes due or lease expires, if any,
    /// with the clock it was judged by.
    fn next_due(
        &self,
    ) -> impl Future<Output = Result<(Option<DateTime<Utc>>, DateTime<Utc>)>> + Send;
}

/// A backend's credential writes that are held against other writers
/// (see [`CredentialStore::hold_credential`]).
pub(crate) trait CredentialDb {
    /// As [`CredentialStore::replace_credential`].
    fn replace_credential(
        &self,
        name: &str,
        write: &CredentialWrite,
    ) -> impl Future<Output = Result<()>> + Send;
    /// As [`CredentialStore::hold_credential`].
    fn hold_credential(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Box<dyn CredentialHold>>> + Send;
}

/// A store: its pool, its waiters, and how it proves it can write.
pub(crate) trait Backend: Send + Sync + 'static {
    /// Its connection pool, which runs every statement.
    type Db: Db + JobDb + JobOps + CursorDb + LeaseDb + CredentialDb + 'static;
    /// The pool.
    fn db(&self) -> &Self::Db;
    /// The in-process "new work" signal of its waiters.
    fn signal(&self) -> &JobSignal;
    /// As [`Store::probe_write`].
    fn probe_write(&self) -> impl Future<Output = Result<()>> + Send;
}

/// The job operations of `backend`, with the wake-up policy.
fn queue<B: Backend>(backend: &B) -> Queue<'_, B::Db> {
    Queue::new(backend.db(), backend.signal())
}

#[async_trait]
impl<B: Backend> CredentialStore for B {
    async fn credential(&self, name: &str) -> Result<Option<StoredCredential>> {
        credential_flows::by_name(self.db(), name).await
    }

    async fn credentials(&self) -> Result<Vec<StoredCredential>> {
        credential_flows::all(self.db()).await
    }

    async fn seed_credential(&self, name: &str, write: &CredentialWrite) -> Result<bool> {
        credential_flows::seed(self.db(), name, write).await
    }

    async fn replace_credential(&self, name: &str, write: &CredentialWrite) -> Result<()> {
        self.db().replace_credential(name, write).await
    }

    async fn hold_credential(&self, name: &str) -> Result<Box<dyn CredentialHold>> {
        self.db().hold_credential(name).await
    }

    async fn record_credential_error(&self, name: &str, error: &str) -> Result<()> {
        credential_flows::record_error(self.db(), name, error).await
    }
}

#[async_trait]
impl<B: Backend> Store for B {
    async fn ping(&self) -> Result<()> {
        let select = Binder::new(B::Db::DIALECT).statement("SELECT 1".to_owned());
        self.db().execute(select).await.map(|_| ())
    }

    async fn probe_write(&self) -> Result<()> {
        Backend::probe_write(self).await
    }

    async fn save_pair(&self, pair: &Pair) -> Result<()> {
        crate::pairs::save(self.db(), pair, Guard::Any)
            .await
            .map(|_| ())
    }

    async fn save_pair_over(&self, pair: &Pair, read_at: Option<DateTime<Utc>>) -> Result<bool> {
        crate::pairs::save(self.db(), pair, Guard::ReadAt(read_at)).await
    }

    async fn save_pair_over_with_audit(
        &self,
        pair: &Pair,
        read_at: Option<DateTime<Utc>>,
        entries: &[AuditEntry],
    ) -> Result<bool> {
        crate::pairs::save_with_audit(self.db(), pair, read_at, entries).await
    }

    async fn pair(&self, id: PairId) -> Result<Option<Pair>> {
        crate::pairs::by_id(self.db(), id).await
    }

    async fn pair_by_referral(&self, referral_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_referral(self.db(), referral_id).await
    }

    async fn pair_by_opportunity(&self, opportunity_id: &str) -> Result<Option<Pair>> {
        crate::pairs::by_opportunity(self.db(), opportunity_id).await
    }

    async fn pairs_with_snapshot_string(&self, value: &str) -> Result<Vec<Pair>> {
        crate::pairs::with_snapshot_string(self.db(), value).await
    }

    async fn find_pairs(&self, query: &PairQuery) -> Result<Vec<Pair>> {
        crate::pairs::find(self.db(), query).await
    }

    async fn pair_counts(&self) -> Result<BTreeMap<PairState, u64>> {
        crate::pairs::counts(self.db()).await
    }

    async fn last_sync_times(&self) -> Result<LastSyncTimes> {
        crate::pairs::last_sync_times(self.db()).await
    }

    async fn save_link_over(
        &self,
        link: &CloudLink,
        read_at: Option<DateTime<Utc>>,
    ) -> Result<bool> {
        crate::links::save_over(self.db(), link, read_at).await
    }

    async fn link(&self, id: uuid::Uuid) -> Result<Option<CloudLink>> {
        crate::links::by_id(self.db(), id).await
    }

    async fn link_by_opportunity(
        &self,
        cloud: Cloud,
        opportunity_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.db(), cloud, LinkKey::Opportunity(opportunity_id)).await
    }

    async fn link_by_remote(&self, cloud: Cloud, remote_id: &str) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.db(), cloud, LinkKey::Remote(remote_id)).await
    }

    async fn link_by_invitation(
        &self,
        cloud: Cloud,
        invitation_id: &str,
    ) -> Result<Option<CloudLink>> {
        crate::links::by_key(self.db(), cloud, LinkKey::Invitation(invitation_id)).await
    }

    async fn find_links(&self, cloud: Cloud, query: &PairQuery) -> Result<Vec<CloudLink>> {
        crate::links::find(self.db(), cloud, query).await
    }

    async fn link_counts(&self, cloud: Cloud) -> Result<BTreeMap<PairState, u64>> {
        crate::links::counts(self.db(), cloud).await
    }

    async fn cursor(&self, name: &str) -> Result<Option<String>> {
        self.db().cursor(name).await
    }

    async fn set_cursor(&self, name: &str, value: &str) -> Result<()> {
        self.db().set_cursor(name, value).await
    }

    async fn enqueue_and_move_cursor(
        &self,
        new_jobs: &[NewJob],
        name: &str,
        from: Option<&str>,
        to: &str,
    ) -> Result<bool> {
        queue(self)
            .enqueue_and_move_cursor(new_jobs, name, from, to)
            .await
    }

    async fn record_webhook(&self, event: &InboxEvent, job: &NewJob) -> Result<InboxOutcome> {
        queue(self).record_webhook(event, job).await
    }

    async fn enqueue(&self, new_jobs: &[NewJob]) -> Result<u64> {
        queue(self).enqueue(new_jobs).await
    }

    async fn claim_jobs(&self, worker: &str, limit: u32, lease: Duration) -> Result<Vec<Job>> {
        self.db().claim(worker, limit, lease).await
    }

    async fn extend_leases(&self, worker: &str, ids: &[JobId], lease: Duration) -> Result<()> {
        self.db().extend_leases(worker, ids, lease).await
    }

    async fn complete_job(&self, id: JobId, worker: &str) -> Result<bool> {
        queue(self).complete(id, worker).await
    }

    async fn fail_job(
        &self,
        id: JobId,
        worker: &str,
        error: &str,
        action: FailureAction,
    ) -> Result<bool> {
        queue(self).fail(id, worker, error, action).await
    }

    async fn release_jobs(&self, worker: &str) -> Result<u64> {
        queue(self).release(worker).await
    }

    async fn retry_dead(&self, target: RetryTarget) -> Result<u64> {
        queue(self).retry_dead(target).await
    }

    async fn job(&self, id: JobId) -> Result<Option<Job>> {
        crate::jobs::by_id(self.db(), id).await
    }

    async fn job_counts(&self) -> Result<JobCounts> {
        crate::jobs::counts(self.db()).await
    }

    async fn dead_jobs(&self, limit: u32) -> Result<Vec<Job>> {
        crate::jobs::dead(self.db(), limit).await
    }

    async fn wait_for_jobs(&self, timeout: Duration) -> Result<()> {
        wait_scheduled(self.signal(), timeout, self.db().next_due()).await;
        Ok(())
    }

    async fn append_audit(&self, entries: &[AuditEntry]) -> Result<()> {
        crate::audit::append(self.db(), entries).await
    }

    async fn audit_for_pair(&self, pair_id: PairId, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::for_pair(self.db(), pair_id, limit).await
    }

    async fn recent_audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        crate::audit::recent(self.db(), limit).await
    }

    async fn try_acquire_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<bool> {
        self.db().try_acquire(name, holder, ttl).await
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.db().release(name, holder).await
    }
}
