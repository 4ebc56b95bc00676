//! The sync engine: given targets (referrals and opportunities that may have
//! changed), read both sides in batches, decide per pair, and apply.
//! `cosell sync`, `plan`, `backfill` and the service's workers all run here.

mod apply;
mod engagements;
pub mod outcome;
pub mod plan;
pub(crate) mod salesforce_io;

use salesforce::SalesforceId;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::stream::{self, StreamExt};
use partner_center::wire::Referral;
use partner_center::ReferralsClient;
use salesforce::SalesforceClient;
use store::{Store, StoreError};
use tokio::sync::Mutex;

pub use outcome::{Failure, Outcome, Summary, Write};
pub use plan::{Candidate, Decision, Target};
pub use salesforce_io::read_record_type;

use crate::decide::{decide, Plan};
use crate::feed::{FeedRead, Side, Window};
use crate::settings::Settings;
use crate::stages::StageMap;

/// Referral GETs in flight at once while gathering a batch.
const READ_CONCURRENCY: usize = 8;
/// Cursor of the Partner Center change feed (`updatedDateTime`).
pub const PARTNER_CENTER_CURSOR: &str = "partner_center.updated";
/// Cursor of the Salesforce change feed (`SystemModstamp`).
pub const SALESFORCE_CURSOR: &str = "salesforce.modstamp";

/// Why a whole batch could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("Partner Center: {0}")]
    /// Partner Center refused or failed a call.
    PartnerCenter(#[from] partner_center::Error),
    #[error("Salesforce: {0}")]
    /// Salesforce refused or failed a call.
    Salesforce(#[from] salesforce::Error),
    #[error("store: {0}")]
    /// The store failed.
    Store(#[from] StoreError),
    #[error("configuration does not match the org: {0}")]
    /// The org lacks what the configuration names (a field, a stage), with the fix.
    Setup(String),
}

impl EngineError {
    /// True when trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::PartnerCenter(e) => e.is_transient(),
            Self::Salesforce(e) => e.is_transient(),
            Self::Store(e) => e.is_unavailable(),
            Self::Setup(_) => false,
        }
    }

    /// As a failure for every target of the batch.
    pub fn to_failure(&self) -> Failure {
        if self.is_transient() {
            Failure::transient(self.to_string())
        } else {
            Failure::permanent(self.to_string())
        }
    }
}

/// The time as the engine sees it (the system clock unless a test sets one
/// that follows an emulator's).
pub type Clock = Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>;

/// The sync engine, shared by every command and worker.
pub struct Engine {
    pc: ReferralsClient,
    sf: SalesforceClient,
    store: Arc<dyn Store>,
    settings: Settings,
    stages: Mutex<Option<StageMap>>,
    clock: Clock,
    aws: Option<Arc<crate::aws::AwsSync>>,
}

/// What a full pass saw and did.
#[derive(Debug, Default)]
pub struct PassReport {
    /// One outcome per pair looked at.
    pub outcomes: Vec<Outcome>,
    /// The totals of the pass.
    pub summary: Summary,
}

impl Engine {
    /// An engine over the two clients and the store.
    pub fn new(
        pc: ReferralsClient,
        sf: SalesforceClient,
        store: Arc<dyn Store>,
        settings: Settings,
    ) -> Self {
        Self {
            pc,
            sf,
            store,
            settings,
            stages: Mutex::new(None),
            clock: Arc::new(chrono::Utc::now),
            aws: None,
        }
    }

    /// The same engine with an AWS side: AWS targets go to it.
    pub fn with_aws(mut self, aws: Arc<crate::aws::AwsSync>) -> Self {
        self.aws = Some(aws);
        self
    }

    /// The AWS side, when configured.
    pub fn aws(&self) -> Option<&Arc<crate::aws::AwsSync>> {
        self.aws.as_ref()
    }

    /// The same engine reading the time from `clock` (tests whose emulator
    /// clock runs ahead of real time).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The current time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.clock)()
    }

    /// The sync settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The store of pairs, jobs and audit entries.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The Salesforce client.
    pub fn salesforce(&self) -> &SalesforceClient {
        &self.sf
    }

    /// The Partner Center Referrals client.
    pub fn partner_center(&self) -> &ReferralsClient {
        &self.pc
    }

    /// The org's stages, read once and checked against the settings.
    pub async fn stages(&self) -> Result<StageMap, EngineError> {
        let mut cached = self.stages.lock().await;
        if let Some(stages) = cached.as_ref() {
            return Ok(stages.clone());
        }
        let rows = self
            .sf
            .opportunity_stages()
            .await?
            .into_iter()
            .filter(|s| s.is_active)
            .map(|s| (s.api_name, s.is_closed, s.is_won))
            .collect();
        let mut stages = StageMap::new(rows, &self.settings).map_err(EngineError::Setup)?;
        if let Some(name) = &self.settings.opportunity_record_type {
            let (id, process) = salesforce_io::read_record_type(&self.sf, name)
                .await?
                .ok_or_else(|| {
                    EngineError::Setup(format!(
                        "sync.opportunity_record_type = \"{name}\" is not an active Opportunity record type of this org"
                    ))
                })?;
            stages = stages
                .with_record_type(name, id, &process, &self.settings)
                .map_err(EngineError::Setup)?;
        }
        *cached = Some(stages.clone());
        Ok(stages)
    }

    /// Syncs the targets as one batch and records every outcome. AWS
    /// targets go to the AWS side, each on its own.
    pub async fn sync_targets(&self, targets: Vec<Target>) -> Result<Vec<Outcome>, EngineError> {
        let (aws, microsoft): (Vec<Target>, Vec<Target>) =
            targets.into_iter().partition(Target::is_aws);
        let mut outcomes = if microsoft.is_empty() {
            Vec::new()
        } else {
            self.sync_batch(microsoft, BTreeMap::new()).await?
        };
        if !aws.is_empty() {
            outcomes.extend(match &self.aws {
                Some(side) => side.sync_targets(aws).await,
                None => vec![Outcome::batch_failure(
                    aws,
                    Failure::permanent("the AWS side is not configured: set [aws] enabled = true"),
                )],
            });
        }
        Ok(outcomes)
    }

    /// What syncing the targets would do, touching nothing.
    pub async fn plan_targets(
        &self,
        targets: Vec<Target>,
    ) -> Result<Vec<(Candidate, Plan)>, EngineError> {
        self.stages().await?;
        let candidates = self.gather(targets, BTreeMap::new()).await?;
        Ok(candidates
            .into_iter()
            .map(|c| {
                let plan = decide(&c, &self.settings);
                (c, plan)
            })
            .collect())
    }

    async fn sync_batch(
        &self,
        targets: Vec<Target>,
        prefetched: BTreeMap<String, Referral>,
    ) -> Result<Vec<Outcome>, EngineError> {
        let stages = self.stages().await?;
        let candidates = self.gather(targets, prefetched).await?;
        let work: Vec<apply::Work> = candidates
            .into_iter()
            .map(|c| {
                let plan = decide(&c, &self.settings);
                apply::Work::new(c, plan)
            })
            .collect();
        let directory = self.directory(&work).await?;
        Ok(self.apply(work, &stages, &directory).await)
    }

    /// Accounts and contacts that creations in this batch may reuse.
    async fn directory(
        &self,
        work: &[apply::Work],
    ) -> Result<salesforce_io::Directory, EngineError> {
        let mut names = BTreeSet::new();
        let mut emails = BTreeSet::new();
        for w in work {
            let deal = match &w.plan.decision {
                Decision::CreateOpportunity { deal } => deal,
                Decision::Update(u) => &u.outcome.merged,
                _ => continue,
            };
            if matches!(w.plan.decision, Decision::CreateOpportunity { .. })
                && !deal.customer.name.is_empty()
            {
                names.insert(deal.customer.name.clone());
            }
            emails.extend(deal.contacts.iter().filter_map(|c| c.email.clone()));
        }
        Ok(salesforce_io::read_directory(&self.sf, &self.settings, &names, &emails).await?)
    }

    /// Reads both sides for the targets and groups them into pairs.
    async fn gather(
        &self,
        targets: Vec<Target>,
        mut referrals: BTreeMap<String, Referral>,
    ) -> Result<Vec<Candidate>, EngineError> {
        let mut related = engagements::Related::new();
        let targets = self
            .redirect_microsoft_sides(targets, &mut referrals, &mut related)
            .await?;
        let mut referral_ids = BTreeSet::new();
        let mut opportunity_ids = BTreeSet::new();
        let mut pairs = BTreeMap::new();
        for target in &targets {
            let pair = match target {
                Target::Referral(id) => {
                    referral_ids.insert(id.clone());
                    self.store.pair_by_referral(id).await?
                }
                Target::Opportunity(id) => {
                    opportunity_ids.insert(id.clone());
                    self.store.pair_by_opportunity(id).await?
                }
                // sync_targets sends these to the AWS side.
                Target::AwsSalesforce(_) | Target::AwsOpportunity(_) | Target::AwsInvitation(_) => {
                    continue
                }
            };
            if let Some(pair) = pair {
                referral_ids.extend(pair.referral_id.clone());
                opportunity_ids.extend(pair.opportunity_id.clone());
                pairs.insert(target.clone(), pair);
            }
        }
        let mut views =
            salesforce_io::read_views(&self.sf, &self.settings, &opportunity_ids, &referral_ids)
                .await?;
        referral_ids.extend(views.iter().filter_map(|v| v.referral_id(&self.settings)));
        let quiet = self.quiet_referrals(&targets, &pairs, &views);
        let missing: Vec<String> = referral_ids
            .iter()
            .filter(|id| !referrals.contains_key(*id) && !quiet.contains(*id))
            .cloned()
            .collect();
        let fetched = self.read_referrals(missing).await;
        // A referral Partner Center will not give us (not found, access
        // denied, unreadable) fails only its own pair; an outage fails the
        // batch so every job is retried.
        let mut unreadable = BTreeMap::new();
        for (id, result) in fetched {
            match result {
                Ok(referral) => {
                    referrals.insert(id, referral);
                }
                Err(e) if e.status() == Some(404) => {}
                Err(e) if e.is_transient() => return Err(e.into()),
                Err(e) => {
                    unreadable.insert(
                        id.clone(),
                        format!("Partner Center refused to read referral {id}: {e}"),
                    );
                }
            }
        }
        // Referrals pointing at an opportunity we have not read (a crash
        // between creating the referral and recording the pair).
        let known: BTreeSet<String> = views.iter().map(|v| v.id.clone()).collect();
        let extra: BTreeSet<String> = referrals
            .values()
            .filter_map(|r| r.external_reference_id.clone())
            .filter(|id| {
                SalesforceId::parse(id).is_ok_and(|id| id.is_opportunity())
                    && !known.iter().any(|k| SalesforceId::same(k, id))
            })
            .collect();
        if !extra.is_empty() {
            views.extend(
                salesforce_io::read_views(&self.sf, &self.settings, &extra, &BTreeSet::new())
                    .await?,
            );
        }
        let asked: BTreeSet<String> = pairs
            .values()
            .filter(|p| {
                p.snapshot
                    .as_ref()
                    .and_then(crate::snapshot::Snapshot::from_json)
                    .is_some_and(|s| s.microsoft.is_some())
            })
            .filter_map(|p| p.referral_id.clone())
            .collect();
        self.read_engagements(&referrals, &asked, &mut related)
            .await?;
        let mut candidates = self.assemble(targets, pairs, referrals, views);
        for candidate in &mut candidates {
            candidate.related = candidate
                .referral
                .as_ref()
                .and_then(|r| r.id.as_ref())
                .and_then(|id| related.get(id).cloned());
            candidate.unreadable = candidate.targets.iter().find_map(|t| match t {
                Target::Referral(id) => unreadable.get(id).cloned(),
                _ => None,
            });
            candidate.quiet = candidate.referral.is_none()
                && candidate
                    .pair
                    .as_ref()
                    .and_then(|p| p.referral_id.as_ref())
                    .is_some_and(|id| quiet.contains(id));
        }
        Ok(candidates)
    }

    /// Reads referrals by id, a few at a time; each answers on its own.
    pub(crate) async fn read_referrals(
        &self,
        ids: Vec<String>,
    ) -> Vec<(String, Result<Referral, partner_center::Error>)> {
        stream::iter(ids)
            .map(|id| async move {
                let result = self.pc.get(&id).await;
                (id, result)
            })
            .buffer_unordered(READ_CONCURRENCY)
            .collect()
            .await
    }

    /// Referrals not worth reading: their pair was reached only through its
    /// opportunity (a Salesforce change or our own write coming back), the
    /// last sync succeeded, and the opportunity still reads as the synced
    /// snapshot. Partner Center changes reach the engine through its own feed.
    fn quiet_referrals(
        &self,
        targets: &[Target],
        pairs: &BTreeMap<Target, store::Pair>,
        views: &[crate::opportunity_map::OpportunityView],
    ) -> BTreeSet<String> {
        let asked: BTreeSet<&String> = targets
            .iter()
            .filter_map(|t| match t {
                Target::Referral(id) => Some(id),
                _ => None,
            })
            .collect();
        pairs
            .iter()
            .filter_map(|(target, pair)| {
                let Target::Opportunity(opportunity) = target else {
                    return None;
                };
                let referral = pair.referral_id.as_ref()?;
                if asked.contains(referral) || pair.state == store::PairState::Failed {
                    return None;
                }
                let snapshot = crate::snapshot::Snapshot::from_json(pair.snapshot.as_ref()?)
                    .filter(|s| !s.failure_only)?;
                let view = views
                    .iter()
                    .find(|v| SalesforceId::same(&v.id, opportunity))?;
                // A deal showing a problem waits for its fix, which may be on
                // a related record (the Account's country): decide it again.
                if view.reports_problem(&self.settings) {
                    return None;
                }
                let mut deal = view.to_deal(&self.settings);
                crate::decide::as_cosell_wrote_it(&mut deal, &snapshot, &self.settings);
                // The FY26 fields reach Partner Center only with a create:
                // an edit of them alone (or the default Salesforce gave a
                // new opportunity) leaves the pass nothing to do.
                deal.fy26 = snapshot.deal.fy26.clone();
                (deal == snapshot.deal).then(|| referral.clone())
            })
            .collect()
    }

    fn assemble(
        &self,
        targets: Vec<Target>,
        pairs: BTreeMap<Target, store::Pair>,
        referrals: BTreeMap<String, Referral>,
        views: Vec<crate::opportunity_map::OpportunityView>,
    ) -> Vec<Candidate> {
        let settings = &self.settings;
        let mut groups: BTreeMap<String, Candidate> = BTreeMap::new();
        for target in targets {
            let pair = pairs.get(&target).cloned();
            let (referral_id, view) = match &target {
                Target::Referral(id) => {
                    let referral = referrals.get(id);
                    let view = views
                        .iter()
                        .find(|v| {
                            pair.as_ref()
                                .and_then(|p| p.opportunity_id.as_deref())
                                .is_some_and(|o| SalesforceId::same(&v.id, o))
                        })
                        .or_else(|| {
                            views
                                .iter()
                                .find(|v| v.referral_id(settings).as_deref() == Some(id))
                        })
                        .or_else(|| {
                            let external =
                                referral.and_then(|r| r.external_reference_id.as_deref())?;
                            views.iter().find(|v| {
                                SalesforceId::same(&v.id, external)
                                    && v.referral_id(settings).is_none()
                            })
                        });
                    (Some(id.clone()), view)
                }
                Target::Opportunity(id) => {
                    let view = views.iter().find(|v| SalesforceId::same(&v.id, id));
                    let referral_id = pair
                        .as_ref()
                        .and_then(|p| p.referral_id.clone())
                        .or_else(|| view.and_then(|v| v.referral_id(settings)));
                    (referral_id, view)
                }
                // sync_targets sends these to the AWS side.
                Target::AwsSalesforce(_) | Target::AwsOpportunity(_) | Target::AwsInvitation(_) => {
                    continue
                }
            };
            let key = match (&referral_id, view, &target) {
                (Some(r), _, _) => format!("r:{r}"),
                (None, Some(v), _) => format!("o:{}", v.id),
                (None, None, Target::Opportunity(id)) => format!("o:{id}"),
                (None, None, other) => format!("r:{}", other.id()),
            };
            let entry = groups.entry(key).or_insert_with(|| Candidate {
                targets: Vec::new(),
                quiet: false,
                unreadable: None,
                pair: None,
                referral: referral_id
                    .as_ref()
                    .and_then(|id| referrals.get(id).cloned()),
                related: None,
                view: view.cloned(),
                now: Some(self.now()),
            });
            entry.targets.push(target);
            entry.pair = entry.pair.take().or(pair);
        }
        groups.into_values().collect()
    }

    /// One full pass in both directions over everything changed since the
    /// stored cursors (everything on the first run), in batches. Cursors
    /// move only when every pair synced or failed for good, so nothing that
    /// a retry could fix is skipped by the next pass.
    pub async fn full_pass(
        &self,
        batch_size: usize,
        overlap: chrono::Duration,
    ) -> Result<PassReport, EngineError> {
        let reads = self.read_feeds(overlap).await?;
        let targets: Vec<_> = reads.iter().flat_map(FeedRead::targets).collect();
        let mut report = PassReport::default();
        for batch in targets.chunks(batch_size.max(1)) {
            let (targets, prefetched) = split(batch);
            let outcomes = match self.sync_batch(targets.clone(), prefetched).await {
                Ok(outcomes) => outcomes,
                Err(e) if e.is_transient() => vec![Outcome::batch_failure(targets, e.to_failure())],
                Err(e) => return Err(e),
            };
            report.summary.add(&outcomes);
            report.outcomes.extend(outcomes);
        }
        if report.summary.retryable == 0 {
            for read in &reads {
                self.commit_feed(read, &[]).await?;
            }
        }
        if let Some(aws) = &self.aws {
            let outcomes = match aws.full_pass(overlap).await {
                Ok(outcomes) => outcomes,
                Err(failure) => vec![Outcome::batch_failure(Vec::new(), failure)],
            };
            report.summary.add(&outcomes);
            report.outcomes.extend(outcomes);
        }
        Ok(report)
    }

    /// What a full pass would do, per pair; nothing is written anywhere.
    pub async fn plan_pass(
        &self,
        batch_size: usize,
        overlap: chrono::Duration,
    ) -> Result<Vec<(Candidate, Plan)>, EngineError> {
        self.stages().await?;
        let reads = self.read_feeds(overlap).await?;
        let targets: Vec<_> = reads.iter().flat_map(FeedRead::targets).collect();
        let mut plans = Vec::new();
        for batch in targets.chunks(batch_size.max(1)) {
            let (targets, prefetched) = split(batch);
            for candidate in self.gather(targets, prefetched).await? {
                let plan = decide(&candidate, &self.settings);
                plans.push((candidate, plan));
            }
        }
        Ok(plans)
    }

    /// Both sides' changes since their cursors, reaching back `overlap`.
    async fn read_feeds(&self, overlap: chrono::Duration) -> Result<[FeedRead; 2], EngineError> {
        let window = Window::SinceCursor { overlap };
        Ok([
            self.read_feed(Side::PartnerCenter, window).await?,
            self.read_feed(Side::Salesforce, window).await?,
        ])
    }
}

/// Targets of a batch and the referrals already read for them.
fn split(batch: &[(Target, Option<Referral>)]) -> (Vec<Target>, BTreeMap<String, Referral>) {
    let targets = batch.iter().map(|(t, _)| t.clone()).collect();
    let prefetched = batch
        .iter()
        .filter_map(|(t, r)| match (t, r) {
            (Target::Referral(id), Some(r)) => Some((id.clone(), r.clone())),
            _ => None,
        })
        .collect();
    (targets, prefetched)
}
