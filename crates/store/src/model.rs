//! The records the store keeps. The store knows nothing about deals: a pair's
//! snapshot is opaque JSON owned by the sync crate.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Digits of sub-second precision the store keeps (microseconds).
const STORED_SUBSEC_DIGITS: u16 = 6;

/// The current time at the precision the store keeps, so a record read back
/// equals the record written.
pub fn utc_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(STORED_SUBSEC_DIGITS)
}

/// Identifies a synced pair (a referral and its opportunity).
pub type PairId = Uuid;
/// Identifies a durable job.
pub type JobId = Uuid;

/// Where a pair stands, for the dashboard and `cosell status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairState {
    /// Both sides agree and the deal is open.
    Synced,
    /// Shared by Microsoft, waiting in the on-hold stage for the partner.
    OnHold,
    /// The referral is closed (won, lost, declined or expired).
    Closed,
    /// The last attempt failed; `last_error` says why.
    Failed,
}

impl PairState {
    /// Every state, in display order.
    pub const ALL: [PairState; 4] = [Self::Synced, Self::OnHold, Self::Closed, Self::Failed];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Synced => "synced",
            Self::OnHold => "on_hold",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One referral ⇄ opportunity link and what was last synced between them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    /// The pair's id (UUID v7, so ids sort by creation).
    pub id: PairId,
    /// Partner Center referral id, once known.
    pub referral_id: Option<String>,
    /// Salesforce opportunity id (18 chars), once known.
    pub opportunity_id: Option<String>,
    /// Deal name without the ✔/✖ mark, for search and display.
    pub name: String,
    /// Where the pair stands.
    pub state: PairState,
    /// The canonical deal as last written to both sides (sync crate's JSON).
    pub snapshot: Option<serde_json::Value>,
    /// Referral `eTag` seen at the last sync.
    pub referral_version: Option<String>,
    /// Opportunity `SystemModstamp` seen at the last sync.
    pub opportunity_version: Option<String>,
    /// Why the last attempt failed, with the fix, when `state` is `Failed`.
    pub last_error: Option<String>,
    /// Last successful write Partner Center → Salesforce.
    pub last_pc_to_sf_at: Option<DateTime<Utc>>,
    /// Last successful write Salesforce → Partner Center.
    pub last_sf_to_pc_at: Option<DateTime<Utc>>,
    /// When the pair was first recorded.
    pub created_at: DateTime<Utc>,
    /// When the pair last changed.
    pub updated_at: DateTime<Utc>,
}

impl Pair {
    /// A fresh pair with no snapshot yet.
    pub fn new(name: impl Into<String>) -> Self {
        let now = utc_now();
        Self {
            id: Uuid::now_v7(),
            referral_id: None,
            opportunity_id: None,
            name: name.into(),
            state: PairState::Synced,
            snapshot: None,
            referral_version: None,
            opportunity_version: None,
            last_error: None,
            last_pc_to_sf_at: None,
            last_sf_to_pc_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A co-sell cloud other than Partner Center (whose links are [`Pair`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cloud {
    /// AWS Partner Central.
    Aws,
}

impl Cloud {
    /// Every cloud, in display order.
    pub const ALL: [Cloud; 1] = [Self::Aws];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "aws",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One Salesforce opportunity ⇄ co-sell cloud opportunity link and what was
/// last synced between them. An opportunity may have a link per cloud
/// besides its [`Pair`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudLink {
    /// The link's id (UUID v7, so ids sort by creation); audit entries
    /// about the link carry it as their `pair_id`.
    pub id: Uuid,
    /// The cloud the remote opportunity lives in.
    pub cloud: Cloud,
    /// Salesforce opportunity id (18 chars), once known.
    pub opportunity_id: Option<String>,
    /// The cloud's opportunity id (AWS: `O` and digits), once created.
    pub remote_id: Option<String>,
    /// The engagement invitation the link came from, if any.
    pub invitation_id: Option<String>,
    /// Idempotency token of the remote create, stored before the create is
    /// sent so a retry reuses it.
    pub client_token: Option<String>,
    /// Deal name, for search and display.
    pub name: String,
    /// Where the link stands.
    pub state: PairState,
    /// The cloud's review status of the opportunity, e.g. `Submitted`, `Approved`.
    pub review_status: Option<String>,
    /// What was last synced (the sync crate's JSON).
    pub snapshot: Option<serde_json::Value>,
    /// The cloud's last-modified stamp of the opportunity seen at the last sync.
    pub remote_version: Option<String>,
    /// Why the last attempt failed, with the fix, when `state` is `Failed`.
    pub last_error: Option<String>,
    /// Last successful sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the link was first recorded.
    pub created_at: DateTime<Utc>,
    /// When the link last changed (set by the caller, like [`Pair::updated_at`]).
    pub updated_at: DateTime<Utc>,
}

impl CloudLink {
    /// A fresh link to `cloud` with no ids or snapshot yet.
    pub fn new(cloud: Cloud, name: impl Into<String>) -> Self {
        let now = utc_now();
        Self {
            id: Uuid::now_v7(),
            cloud,
            opportunity_id: None,
            remote_id: None,
            invitation_id: None,
            client_token: None,
            name: name.into(),
            state: PairState::Synced,
            review_status: None,
            snapshot: None,
            remote_version: None,
            last_error: None,
            last_synced_at: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// The latest successful write in each direction across all pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastSyncTimes {
    /// Newest `last_pc_to_sf_at`.
    pub pc_to_sf: Option<DateTime<Utc>>,
    /// Newest `last_sf_to_pc_at`.
    pub sf_to_pc: Option<DateTime<Utc>>,
}

/// Filters for listing pairs (and cloud links).
#[derive(Debug, Clone, Default)]
pub struct PairQuery {
    /// Case-insensitive substring of the name, or an exact id: referral or
    /// opportunity (pairs); opportunity, remote or invitation (links).
    pub text: Option<String>,
    /// Only pairs in this state.
    pub state: Option<PairState>,
    /// Pairs per page.
    pub limit: u32,
    /// Pairs to skip.
    pub offset: u32,
}

/// A webhook event as received, kept so duplicates are recognised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxEvent {
    /// Identity of the delivery for deduplication (hash of the raw body).
    pub dedup_key: String,
    /// The event's name, e.g. `referral-updated`.
    pub event_name: String,
    /// The referral the event is about.
    pub resource_id: String,
    /// The event body as received.
    pub body: serde_json::Value,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// Whether a webhook event was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxOutcome {
    /// Stored, and its job enqueued in the same transaction.
    Stored,
    /// The exact event was already in the inbox; nothing was written.
    Duplicate,
}

/// Payload member describing the single event behind a job (see
/// [`NewJob::payload`]).
pub const EVENT_MEMBER: &str = "event";

/// Work to enqueue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// At most one pending job per key (e.g. `referral:<id>`, `opportunity:<id>`).
    pub dedup_key: String,
    /// What to do; owned by the sync crate. Its [`EVENT_MEMBER`], if any,
    /// is `{"at": TEXT}`, when the change behind the job happened, as text
    /// that sorts in time order. A job merged with another pending one of
    /// its key keeps the later `at`, or none when either had none.
    pub payload: serde_json::Value,
    /// Not before this time (None = now).
    pub run_at: Option<DateTime<Utc>>,
}

impl NewJob {
    /// A job to run now.
    pub fn now(dedup_key: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            dedup_key: dedup_key.into(),
            payload,
            run_at: None,
        }
    }
}

/// Life cycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for `run_at`.
    Pending,
    /// Claimed by a worker whose lease has not expired.
    Running,
    /// Finished successfully.
    Done,
    /// Gave up: permanent error or too many attempts; `last_error` says why.
    Dead,
}

impl JobState {
    /// Every state, in display order.
    pub const ALL: [JobState; 4] = [Self::Pending, Self::Running, Self::Done, Self::Dead];

    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A durable unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The job's id.
    pub id: JobId,
    /// At most one pending job per key (see [`NewJob::dedup_key`]).
    pub dedup_key: String,
    /// What to do; owned by the sync crate.
    pub payload: serde_json::Value,
    /// Where the job stands.
    pub state: JobState,
    /// Attempts started so far (a claim counts as one).
    pub attempts: u32,
    /// Not before this time.
    pub run_at: DateTime<Utc>,
    /// Worker holding the lease while `Running`.
    pub lease_owner: Option<String>,
    /// When the holder's lease runs out.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the job was first queued.
    pub created_at: DateTime<Utc>,
    /// When the job last changed.
    pub updated_at: DateTime<Utc>,
}

/// What to do with a job whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureAction {
    /// Pending again, not before this time.
    RetryAt(DateTime<Utc>),
    /// Dead-lettered.
    Dead,
}

/// Which dead jobs `retry_dead` revives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryTarget {
    /// One dead job, by id.
    One(JobId),
    /// Every dead job.
    AllDead,
}

/// Number of jobs per state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobCounts {
    /// Jobs waiting to run.
    pub pending: u64,
    /// Jobs a worker holds.
    pub running: u64,
    /// Jobs finished.
    pub done: u64,
    /// Jobs that gave up.
    pub dead: u64,
}

/// How serious an audit entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditLevel {
    /// Something happened as expected.
    Info,
    /// Something the user should look at.
    Warning,
    /// Something failed.
    Error,
}

impl AuditLevel {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Info, Self::Warning, Self::Error]
            .into_iter()
            .find(|l| l.as_str() == text)
    }
}

/// One line of a pair's history: a sync, a conflict, an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// The entry's id.
    pub id: Uuid,
    /// The pair it concerns, if any.
    pub pair_id: Option<PairId>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// How serious it is.
    pub level: AuditLevel,
    /// Stable machine-readable kind, e.g. `referral_created`, `conflict`, `validation_failed`.
    pub kind: String,
    /// Human sentence, with the fix when it is an error.
    pub message: String,
    /// Structured detail (changed fields, conflict values...).
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// An entry stamped now.
    pub fn new(
        pair_id: Option<PairId>,
        level: AuditLevel,
        kind: impl Into<String>,
        message: impl Into<String>,
        detail: serde_json::Value,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            pair_id,
            at: utc_now(),
            level,
            kind: kind.into(),
            message: message.into(),
            detail,
        }
    }
}
