//! What the AWS pages show: the links between Salesforce opportunities and
//! AWS Partner Central opportunities, read once from the store for both the
//! HTML pages and the JSON API (as [`super::view`] does for pairs).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use store::{Cloud, CloudLink, PairQuery, PairState, Store};
use uuid::Uuid;

use super::error::DashboardError;
use super::format::When;
use super::history::HistoryItem;
use super::view::{
    dead_letters_of, state_label, DeadLetter, PairCounts, PairRef, PAIRS_PER_PAGE, PAIR_HISTORY,
};
use super::DashboardState;

type Result<T> = std::result::Result<T, DashboardError>;

/// One AWS link as listed.
#[derive(Debug, Clone, Serialize)]
pub struct LinkSummary {
    /// The link's id (audit entries about it carry it as `pair_id`).
    pub id: Uuid,
    /// The deal's name.
    pub name: String,
    /// Where the link stands.
    pub state: PairState,
    /// The Salesforce opportunity id, once known.
    pub opportunity_id: Option<String>,
    /// The opportunity in Salesforce, when an instance is known.
    pub opportunity_url: Option<String>,
    /// The AWS Partner Central opportunity id, once created.
    pub aws_opportunity_id: Option<String>,
    /// The engagement invitation the link came from, if any.
    pub invitation_id: Option<String>,
    /// AWS's review status of the opportunity (`Submitted`, `Approved`...).
    pub review_status: Option<String>,
    /// Why the last attempt failed, with the fix.
    pub last_error: Option<String>,
    /// Last successful sync.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// When the link was first recorded.
    pub created_at: DateTime<Utc>,
    /// When the link last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of the AWS link list.
#[derive(Debug, Clone, Serialize)]
pub struct LinkList {
    /// The search text, as given.
    pub q: Option<String>,
    /// The state filter.
    pub state: Option<PairState>,
    /// The page shown, from 1.
    pub page: u32,
    /// Links per page.
    pub per_page: u32,
    /// Whether a next page exists.
    pub has_more: bool,
    /// The links on this page.
    pub links: Vec<LinkSummary>,
}

/// An AWS link with its history.
#[derive(Debug, Clone, Serialize)]
pub struct LinkDetail {
    /// The link.
    pub link: LinkSummary,
    /// What was last synced (the sync engine's JSON).
    pub snapshot: Option<Value>,
    /// Dead-lettered jobs of this link, which Retry can revive.
    pub dead_letters: Vec<DeadLetter>,
    /// Newest first.
    pub history: Vec<HistoryItem>,
}

impl LinkSummary {
    /// Builds the summary with its Salesforce link.
    pub fn new(link: &CloudLink, state: &DashboardState) -> Self {
        Self {
            id: link.id,
            name: link.name.clone(),
            state: link.state,
            opportunity_url: link
                .opportunity_id
                .as_deref()
                .and_then(|id| state.links().opportunity(id)),
            opportunity_id: link.opportunity_id.clone(),
            aws_opportunity_id: link.remote_id.clone(),
            invitation_id: link.invitation_id.clone(),
            review_status: link.review_status.clone(),
            last_error: link.last_error.clone(),
            last_synced_at: link.last_synced_at,
            created_at: link.created_at,
            updated_at: link.updated_at,
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

    /// Last successful sync, for pages.
    pub fn synced(&self) -> When {
        When::of(self.last_synced_at)
    }

    /// Last change of the link record, for pages.
    pub fn updated(&self) -> When {
        When::of(Some(self.updated_at))
    }
}

/// A link named by id, for links from history and dead letters.
pub fn link_ref(link: CloudLink) -> PairRef {
    PairRef {
        id: link.id,
        name: link.name,
        cloud: Some(link.cloud),
    }
}

/// AWS links per state, or None when there is no AWS link at all (a
/// connector that does not co-sell with AWS shows no AWS panel).
pub async fn counts(store: &dyn Store) -> Result<Option<PairCounts>> {
    let counts = PairCounts::from_counts(&store.link_counts(Cloud::Aws).await?);
    Ok((counts.total > 0).then_some(counts))
}

/// Reads one page of AWS links matching the filters.
pub async fn link_list(
    state: &DashboardState,
    q: Option<String>,
    filter: Option<PairState>,
    page: u32,
) -> Result<LinkList> {
    let page = page.max(1);
    let query = PairQuery {
        text: q.clone(),
        state: filter,
        // One more than shown, to know whether a next page exists.
        limit: PAIRS_PER_PAGE + 1,
        offset: (page - 1).saturating_mul(PAIRS_PER_PAGE),
    };
    let mut found = state.store().find_links(Cloud::Aws, &query).await?;
    let has_more = found.len() > PAIRS_PER_PAGE as usize;
    found.truncate(PAIRS_PER_PAGE as usize);
    Ok(LinkList {
        q,
        state: filter,
        page,
        per_page: PAIRS_PER_PAGE,
        has_more,
        links: found.iter().map(|l| LinkSummary::new(l, state)).collect(),
    })
}

/// Reads an AWS link and its history.
pub async fn link_detail(state: &DashboardState, id: Uuid) -> Result<LinkDetail> {
    let store = state.store();
    let link = store
        .link(id)
        .await?
        .filter(|l| l.cloud == Cloud::Aws)
        .ok_or(DashboardError::LinkNotFound(id))?;
    let me = link_ref(link.clone());
    let history = store
        .audit_for_pair(id, PAIR_HISTORY)
        .await?
        .iter()
        .map(|e| HistoryItem::from_entry(e, Some(me.clone())))
        .collect();
    let dead_letters = dead_letters_of(store.as_ref(), &job_keys(&link), &me).await?;
    Ok(LinkDetail {
        link: LinkSummary::new(&link, state),
        snapshot: link.snapshot,
        dead_letters,
        history,
    })
}

/// The link an AWS job key names (`sync::Target::job_key`), if the store
/// knows it; None for a key that is not an AWS one.
pub async fn link_for_target(
    store: &dyn Store,
    target: &sync::Target,
) -> Result<Option<CloudLink>> {
    use sync::Target;
    Ok(match target {
        Target::AwsSalesforce(id) => store.link_by_opportunity(Cloud::Aws, id).await?,
        Target::AwsOpportunity(id) => store.link_by_remote(Cloud::Aws, id).await?,
        Target::AwsInvitation(id) => store.link_by_invitation(Cloud::Aws, id).await?,
        Target::Referral(_) | Target::Opportunity(_) => None,
    })
}

/// The job keys the sync engine uses for an AWS link.
fn job_keys(link: &CloudLink) -> BTreeSet<String> {
    use sync::Target;
    [
        link.opportunity_id.clone().map(Target::AwsSalesforce),
        link.remote_id.clone().map(Target::AwsOpportunity),
        link.invitation_id.clone().map(Target::AwsInvitation),
    ]
    .into_iter()
    .flatten()
    .map(|t| t.job_key())
    .collect()
}
