//! What each page shows, read from the store once and used by both the HTML
//! pages and the JSON API, so the two can never disagree.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use store::{Cloud, Job, JobCounts, Pair, PairId, PairQuery, PairState, RetryTarget, Store};
use uuid::Uuid;

use super::aws;
use super::credentials::{self, CredentialView};
use super::error::DashboardError;
use super::format::{value_text, When};
use super::history::HistoryItem;
use super::DashboardState;

/// Entries in the overview's recent activity.
pub const RECENT_ACTIVITY: u32 = 25;
/// Pairs per page of the list.
pub const PAIRS_PER_PAGE: u32 = 50;
/// Entries of a pair's history shown.
pub const PAIR_HISTORY: u32 = 500;
/// Dead letters listed.
pub const DEAD_LETTERS_SHOWN: u32 = 200;

type Result<T> = std::result::Result<T, DashboardError>;

/// A pair, or a link to another cloud, named by id, for links.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PairRef {
    /// The pair's (or cloud link's) id.
    pub id: PairId,
    /// The deal's name.
    pub name: String,
    /// The cloud of a cloud link; absent for a Partner Center pair.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Cloud>,
}

/// Number of pairs (or cloud links) in each state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PairCounts {
    /// Every pair.
    pub total: u64,
    /// Pairs in step.
    pub synced: u64,
    /// Pairs waiting on hold for the partner.
    pub on_hold: u64,
    /// Pairs whose referral is closed.
    pub closed: u64,
    /// Pairs whose last attempt failed.
    pub failed: u64,
}

/// The latest successful write in each direction.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LastSync {
    /// Newest write Partner Center → Salesforce.
    pub partner_center_to_salesforce: Option<DateTime<Utc>>,
    /// Newest write Salesforce → Partner Center.
    pub salesforce_to_partner_center: Option<DateTime<Utc>>,
}

/// Job queue depth.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueView {
    /// Jobs waiting to run.
    pub pending: u64,
    /// Jobs a worker holds.
    pub running: u64,
    /// Jobs finished.
    pub done: u64,
    /// Jobs that gave up.
    pub dead: u64,
}

/// Salesforce API calls used in the org's rolling 24 hours.
#[derive(Debug, Clone, Serialize)]
pub struct ApiUsageView {
    /// Calls used.
    pub used: u64,
    /// Calls allowed.
    pub max: u64,
    /// Whole percent used.
    pub percent: u64,
}

/// The overview page.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    /// Pairs by state.
    pub pairs: PairCounts,
    /// AWS links by state; absent when there is no AWS link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_links: Option<PairCounts>,
    /// The latest write in each direction.
    pub last_sync: LastSync,
    /// The job queue.
    pub queue: QueueView,
    /// Jobs that gave up and wait for a person.
    pub dead_letters: u64,
    /// None when the service has not recorded it (shown as "unknown").
    pub api_usage: Option<ApiUsageView>,
    /// The newest audit entries.
    pub recent_activity: Vec<HistoryItem>,
    /// Health of the credentials kept in the store.
    pub credentials: Vec<CredentialView>,
}

/// One pair as listed.
#[derive(Debug, Clone, Serialize)]
pub struct PairSummary {
    /// The pair's id.
    pub id: PairId,
    /// The deal's name.
    pub name: String,
    /// Where the pair stands.
    pub state: PairState,
    /// The Partner Center referral id, once known.
    pub referral_id: Option<String>,
    /// The Salesforce opportunity id, once known.
    pub opportunity_id: Option<String>,
    /// The referral in Partner Center, when a portal base is configured.
    pub referral_url: Option<String>,
    /// The opportunity in Salesforce, when an instance is known.
    pub opportunity_url: Option<String>,
    /// Why the last attempt failed, with the fix.
    pub last_error: Option<String>,
    /// Last write Partner Center → Salesforce.
    pub last_pc_to_sf_at: Option<DateTime<Utc>>,
    /// Last write Salesforce → Partner Center.
    pub last_sf_to_pc_at: Option<DateTime<Utc>>,
    /// When the pair was first recorded.
    pub created_at: DateTime<Utc>,
    /// When the pair last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of the pair list.
#[derive(Debug, Clone, Serialize)]
pub struct PairList {
    /// The search text, as given.
    pub q: Option<String>,
    /// The state filter.
    pub state: Option<PairState>,
    /// The page shown, from 1.
    pub page: u32,
    /// Pairs per page.
    pub per_page: u32,
    /// Whether a next page exists.
    pub has_more: bool,
    /// The pairs on this page.
    pub pairs: Vec<PairSummary>,
}

/// A pair with its history.
#[derive(Debug, Clone, Serialize)]
pub struct PairDetail {
    /// The pair.
    pub pair: PairSummary,
    /// The deal as last synced (the sync engine's JSON).
    pub snapshot: Option<Value>,
    /// Dead-lettered jobs of this pair, which Retry can revive.
    pub dead_letters: Vec<DeadLetter>,
    /// Newest first.
    pub history: Vec<HistoryItem>,
}

/// A job that gave up.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    /// The job's id.
    pub id: Uuid,
    /// The job key (`referral:<id>`, `opportunity:<id>`, `aws-opportunity:<id>`...).
    pub key: String,
    /// The pair (or AWS link) it was about, when the store knows it.
    pub pair: Option<PairRef>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it gave up, with the fix.
    pub reason: Option<String>,
    /// When it was dead-lettered.
    pub failed_at: DateTime<Utc>,
    /// When the job was first queued.
    pub created_at: DateTime<Utc>,
}

/// The dead-letter list.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetters {
    /// All dead jobs (the list may be shorter).
    pub total: u64,
    /// The dead jobs shown.
    pub dead_letters: Vec<DeadLetter>,
}

impl PairRef {
    /// The page of the pair or link.
    pub fn href(&self) -> String {
        match self.cloud {
            None => format!("/pairs/{}", self.id),
            Some(Cloud::Aws) => format!("/aws/links/{}", self.id),
        }
    }
}

impl PairCounts {
    /// From the store's counts per state.
    pub fn from_counts(counts: &BTreeMap<PairState, u64>) -> Self {
        let of = |s| counts.get(&s).copied().unwrap_or(0);
        Self {
            total: counts.values().sum(),
            synced: of(PairState::Synced),
            on_hold: of(PairState::OnHold),
            closed: of(PairState::Closed),
            failed: of(PairState::Failed),
        }
    }

    /// Count for one state.
    pub fn of(&self, state: PairState) -> u64 {
        match state {
            PairState::Synced => self.synced,
            PairState::OnHold => self.on_hold,
            PairState::Closed => self.closed,
            PairState::Failed => self.failed,
        }
    }
}

impl LastSync {
    /// Partner Center → Salesforce, for pages.
    pub fn to_salesforce(&self) -> When {
        When::of(self.partner_center_to_salesforce)
    }

    /// Salesforce → Partner Center, for pages.
    pub fn to_partner_center(&self) -> When {
        When::of(self.salesforce_to_partner_center)
    }
}

impl PairSummary {
    /// Builds the summary with links.
    pub fn new(pair: &Pair, state: &DashboardState) -> Self {
        let links = state.links();
        Self {
            id: pair.id,
            name: pair.name.clone(),
            state: pair.state,
            referral_url: pair
                .referral_id
                .as_deref()
                .and_then(|id| links.referral(id)),
            opportunity_url: pair
                .opportunity_id
                .as_deref()
                .and_then(|id| links.opportunity(id)),
            referral_id: pair.referral_id.clone(),
            opportunity_id: pair.opportunity_id.clone(),
            last_error: pair.last_error.clone(),
            last_pc_to_sf_at: pair.last_pc_to_sf_at,
            last_sf_to_pc_at: pair.last_sf_to_pc_at,
            created_at: pair.created_at,
            updated_at: pair.updated_at,
        }
    }

    /// The state as stored (`on_hold`), for CSS classes.
    pub fn state_key(&self) -> &'static str {
        self.state.as_str()
    }

    /// The state as a person says it.
    pub fn state_label(&self) -> &'static str {
        state_label(self.state)
    }

    /// Last write to Salesforce, for pages.
    pub fn to_salesforce(&self) -> When {
        When::of(self.last_pc_to_sf_at)
    }

    /// Last write to Partner Center, for pages.
    pub fn to_partner_center(&self) -> When {
        When::of(self.last_sf_to_pc_at)
    }

    /// Last change of the pair record, for pages.
    pub fn updated(&self) -> When {
        When::of(Some(self.updated_at))
    }
}

impl PairDetail {
    /// The snapshot as label/value lines, for the pair page.
    pub fn deal_facts(&self) -> Vec<(String, String)> {
        self.snapshot.as_ref().map(deal_facts).unwrap_or_default()
    }
}

impl DeadLetter {
    /// When it gave up, for pages.
    pub fn failed(&self) -> When {
        When::of(Some(self.failed_at))
    }
}

/// The state as a person says it.
pub fn state_label(state: PairState) -> &'static str {
    match state {
        PairState::Synced => "Synced",
        PairState::OnHold => "On hold",
        PairState::Closed => "Closed",
        PairState::Failed => "Failed",
    }
}

/// Reads the overview.
pub async fn overview(state: &DashboardState) -> Result<Overview> {
    let store = state.store();
    let pairs = PairCounts::from_counts(&store.pair_counts().await?);
    let JobCounts {
        pending,
        running,
        done,
        dead,
    } = store.job_counts().await?;
    let entries = store.recent_audit(RECENT_ACTIVITY).await?;
    let names = pair_names(store.as_ref(), entries.iter().filter_map(|e| e.pair_id)).await?;
    let recent_activity = entries
        .iter()
        .map(|e| HistoryItem::from_entry(e, e.pair_id.and_then(|id| names.get(&id).cloned())))
        .collect();
    Ok(Overview {
        pairs,
        aws_links: aws::counts(store.as_ref()).await?,
        last_sync: last_sync(store.as_ref()).await?,
        queue: QueueView {
            pending,
            running,
            done,
            dead,
        },
        dead_letters: dead,
        api_usage: api_usage(store.as_ref()).await?,
        recent_activity,
        credentials: credentials::views(store.as_ref()).await?,
    })
}

/// Reads one page of pairs matching the filters.
pub async fn pair_list(
    state: &DashboardState,
    q: Option<String>,
    filter: Option<PairState>,
    page: u32,
) -> Result<PairList> {
    let page = page.max(1);
    let query = PairQuery {
        text: q.clone(),
        state: filter,
        // One more than shown, to know whether a next page exists.
        limit: PAIRS_PER_PAGE + 1,
        offset: (page - 1).saturating_mul(PAIRS_PER_PAGE),
    };
    let mut found = state.store().find_pairs(&query).await?;
    let has_more = found.len() > PAIRS_PER_PAGE as usize;
    found.truncate(PAIRS_PER_PAGE as usize);
    Ok(PairList {
        q,
        state: filter,
        page,
        per_page: PAIRS_PER_PAGE,
        has_more,
        pairs: found.iter().map(|p| PairSummary::new(p, state)).collect(),
    })
}

/// Reads a pair and its history.
pub async fn pair_detail(state: &DashboardState, id: PairId) -> Result<PairDetail> {
    let store = state.store();
    let pair = store
        .pair(id)
        .await?
        .ok_or(DashboardError::PairNotFound(id))?;
    let entries = store.audit_for_pair(id, PAIR_HISTORY).await?;
    let me = PairRef {
        id,
        name: pair.name.clone(),
        cloud: None,
    };
    let history = entries
        .iter()
        .map(|e| HistoryItem::from_entry(e, Some(me.clone())))
        .collect();
    let dead_letters = dead_letters_of(store.as_ref(), &job_keys(&pair), &me).await?;
    Ok(PairDetail {
        pair: PairSummary::new(&pair, state),
        snapshot: pair.snapshot.clone(),
        dead_letters,
        history,
    })
}

/// Reads the dead-letter list.
pub async fn dead_letters(state: &DashboardState) -> Result<DeadLetters> {
    let store = state.store();
    let total = store.job_counts().await?.dead;
    let jobs = store.dead_jobs(DEAD_LETTERS_SHOWN).await?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let pair = pair_for_key(store.as_ref(), &job.dedup_key).await?;
        out.push(dead_letter(job, pair));
    }
    Ok(DeadLetters {
        total,
        dead_letters: out,
    })
}

/// Makes one dead job pending again; explains why when it cannot.
pub async fn retry_one(state: &DashboardState, id: Uuid) -> Result<Job> {
    let store = state.store();
    let revived = store.retry_dead(RetryTarget::One(id)).await?;
    let job = store
        .job(id)
        .await?
        .ok_or(DashboardError::JobNotFound(id))?;
    if revived == 0 {
        return Err(DashboardError::NotDead {
            id,
            state: job.state.as_str(),
        });
    }
    Ok(job)
}

/// Makes every dead job pending again; returns how many.
pub async fn retry_all(state: &DashboardState) -> Result<u64> {
    Ok(state.store().retry_dead(RetryTarget::AllDead).await?)
}

/// The dead jobs among the newest shown whose key is one of `keys`, all
/// about `owner`.
pub(super) async fn dead_letters_of(
    store: &dyn Store,
    keys: &BTreeSet<String>,
    owner: &PairRef,
) -> Result<Vec<DeadLetter>> {
    Ok(store
        .dead_jobs(DEAD_LETTERS_SHOWN)
        .await?
        .into_iter()
        .filter(|job| keys.contains(&job.dedup_key))
        .map(|job| dead_letter(job, Some(owner.clone())))
        .collect())
}

fn dead_letter(job: Job, pair: Option<PairRef>) -> DeadLetter {
    DeadLetter {
        id: job.id,
        key: job.dedup_key,
        pair,
        attempts: job.attempts,
        reason: job.last_error,
        failed_at: job.updated_at,
        created_at: job.created_at,
    }
}

/// The job keys the sync engine uses for a pair (`sync::Target::job_key`).
fn job_keys(pair: &Pair) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if let Some(id) = &pair.referral_id {
        keys.insert(sync::Target::Referral(id.clone()).job_key());
    }
    if let Some(id) = &pair.opportunity_id {
        keys.insert(sync::Target::Opportunity(id.clone()).job_key());
    }
    keys
}

/// The pair or AWS link a job key names, when the store knows it.
async fn pair_for_key(store: &dyn Store, key: &str) -> Result<Option<PairRef>> {
    let Some(target) = sync::Target::from_job_key(key) else {
        return Ok(None);
    };
    let pair = match &target {
        sync::Target::Referral(id) => store.pair_by_referral(id).await?,
        sync::Target::Opportunity(id) => store.pair_by_opportunity(id).await?,
        _ => {
            return Ok(aws::link_for_target(store, &target)
                .await?
                .map(aws::link_ref))
        }
    };
    Ok(pair.map(pair_ref))
}

fn pair_ref(pair: Pair) -> PairRef {
    PairRef {
        id: pair.id,
        name: pair.name,
        cloud: None,
    }
}

/// The pairs or cloud links that audit entries' `pair_id`s name.
async fn pair_names(
    store: &dyn Store,
    ids: impl Iterator<Item = PairId>,
) -> Result<HashMap<PairId, PairRef>> {
    let mut names = HashMap::new();
    for id in ids.collect::<BTreeSet<_>>() {
        let named = match store.pair(id).await? {
            Some(pair) => Some(pair_ref(pair)),
            None => store.link(id).await?.map(aws::link_ref),
        };
        if let Some(named) = named {
            names.insert(id, named);
        }
    }
    Ok(names)
}

/// The latest write in each direction across all pairs.
async fn last_sync(store: &dyn Store) -> Result<LastSync> {
    let times = store.last_sync_times().await?;
    Ok(LastSync {
        partner_center_to_salesforce: times.pc_to_sf,
        salesforce_to_partner_center: times.sf_to_pc,
    })
}

/// The org's API usage from the service's last usage report, if any.
async fn api_usage(store: &dyn Store) -> Result<Option<ApiUsageView>> {
    let report = crate::service::ApiUsageReport::load(store).await?;
    let usage = report.and_then(|r| r.salesforce_org);
    Ok(usage.map(|u| ApiUsageView {
        used: u.used,
        max: u.max,
        percent: (u.fraction_used() * 100.0).round() as u64,
    }))
}

/// The snapshot (a `sync::Deal`) as readable lines; fields that are empty
/// are left out. A snapshot that is not a deal is shown field by field.
fn deal_facts(snapshot: &Value) -> Vec<(String, String)> {
    let Ok(deal) = serde_json::from_value::<sync::Deal>(snapshot.clone()) else {
        return snapshot
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (super::format::field_label(k), value_text(v)))
                    .collect()
            })
            .unwrap_or_default();
    };
    let mut facts = vec![("Deal".to_owned(), deal.name.clone())];
    let mut push = |label: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            facts.push((label.to_owned(), v));
        }
    };
    let (status, substatus) = deal.lifecycle.referral_status();
    push("Status", Some(format!("{status} / {substatus}")));
    push("Customer", Some(deal.customer.name.clone()));
    let place = [
        deal.customer.city.as_deref(),
        deal.customer.state.as_deref(),
        deal.customer.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    push("Location", Some(place));
    push(
        "Deal value",
        deal.deal_value.map(|v| match &deal.currency {
            Some(c) => format!("{v} {c}"),
            None => v.to_string(),
        }),
    );
    push("Close date", deal.close_date.map(|d| d.to_string()));
    push(
        "Visible to Microsoft",
        Some(
            if deal.visible_to_microsoft {
                "yes"
            } else {
                "no"
            }
            .to_owned(),
        ),
    );
    push(
        "How Microsoft can help",
        deal.help.map(|h| h.label().to_owned()),
    );
    push(
        "Solutions",
        Some(
            deal.solutions
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    push(
        "Contacts",
        Some(
            deal.contacts
                .iter()
                .map(|c| {
                    let name = format!("{} {}", c.first_name.as_deref().unwrap_or(""), c.last_name);
                    name.trim().to_owned()
                })
                .collect::<Vec<_>>()
                .join(", "),
        ),
    );
    push("Microsoft CRM id", deal.microsoft_crm_id.clone());
    push(
        "Notes",
        deal.notes.as_deref().map(|n| value_text(&Value::from(n))),
    );
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deal_facts_leave_out_empty_fields() {
        let facts = deal_facts(&json!({
            "name": "Contoso Azure migration",
            "customer": {"name": "Contoso", "city": "Seattle", "country": "US"},
            "deal_value": 12000.0,
            "currency": "USD",
            "lifecycle": "Active",
            "solutions": ["SOL-1"],
        }));
        let get = |label: &str| {
            facts
                .iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Deal"), Some("Contoso Azure migration"));
        assert_eq!(get("Status"), Some("Active / Accepted"));
        assert_eq!(get("Location"), Some("Seattle, US"));
        assert_eq!(get("Deal value"), Some("12000.00 USD"));
        assert_eq!(get("Solutions"), Some("SOL-1"));
        assert_eq!(get("Notes"), None);
        assert_eq!(get("Contacts"), None);
    }

    #[test]
    fn a_snapshot_that_is_not_a_deal_is_still_shown() {
        let facts = deal_facts(&json!({"name": 5, "other": "x"}));
        assert!(facts.iter().any(|(l, v)| l == "Other" && v == "x"));
    }
}
