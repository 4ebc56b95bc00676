//! Carrying out a batch of plans ([`crate::decide`]): Partner Center creates
//! first (their ids go into Salesforce) with the referrals that ask
//! Microsoft to co-sell, then Salesforce writes in dependency
//! order, each step one Collections call for the whole batch, then Partner
//! Center patches, then the pairs and audit in the store. Nothing here
//! decides what a pair needs; it batches the plans' writes and records what
//! each call answered.

mod opportunities;
mod record;
mod referrals;

use chrono::Utc;
use partner_center::wire::Referral;
use salesforce::Record;
use serde_json::Value;
use store::AuditEntry;

use super::outcome::{Failure, Outcome, Write};
use super::plan::{Candidate, Decision};
use super::salesforce_io::Directory;
use super::Engine;
use crate::deal::Contact;
use crate::decide::{AuditLine, Plan};
use crate::engagement::MicrosoftAnswer;
use crate::opportunity_map::OpportunityView;
use crate::snapshot::Snapshot;
use crate::stages::StageMap;
use crate::validate;

/// Partner Center calls in flight at once.
pub(super) const PC_CONCURRENCY: usize = 4;

/// One pair's progress through the phases.
pub(super) struct Work {
    pub candidate: Candidate,
    pub plan: Plan,
    pub referral: Option<Referral>,
    pub opportunity_id: Option<String>,
    pub account_id: Option<String>,
    pub failure: Option<Failure>,
    pub partner_center: Write,
    pub salesforce: Write,
    /// What both sides hold after this pass (the new snapshot).
    pub snapshot: Option<Snapshot>,
    pub audit: Vec<AuditEntry>,
    /// New contacts to link by contact role: identity → contact id (once known).
    contacts: Vec<(Contact, Option<String>)>,
    /// The line for the opportunity's Audit field: the plan's, or what a
    /// call answered.
    audit_line: Option<AuditLine>,
    /// Microsoft's answer as the referral addressed to it was just created.
    microsoft: Option<MicrosoftAnswer>,
}

impl Work {
    pub fn new(candidate: Candidate, plan: Plan) -> Self {
        Self {
            referral: candidate.referral.clone(),
            opportunity_id: candidate.view.as_ref().map(|v| v.id.clone()),
            account_id: candidate
                .view
                .as_ref()
                .and_then(|v| v.account.as_ref().map(|a| a.id.clone())),
            candidate,
            failure: None,
            partner_center: Write::None,
            salesforce: Write::None,
            snapshot: None,
            audit: Vec::new(),
            contacts: Vec::new(),
            audit_line: plan.audit.clone(),
            microsoft: None,
            plan,
        }
    }

    fn alive(&self) -> bool {
        self.failure.is_none()
    }

    fn fail(&mut self, failure: Failure) {
        if self.failure.is_none() {
            self.failure = Some(failure);
        }
    }

    fn view(&self) -> Option<&OpportunityView> {
        self.candidate.view.as_ref()
    }
}

impl Engine {
    /// Applies decided work; every outcome is recorded in the store.
    pub(super) async fn apply(
        &self,
        mut work: Vec<Work>,
        stages: &StageMap,
        directory: &Directory,
    ) -> Vec<Outcome> {
        for w in work.iter_mut() {
            self.settle_without_writes(w);
        }
        self.create_referrals(&mut work).await;
        // A referral created for an opportunity pairs them at once; an
        // opportunity created for a referral, once Salesforce has written.
        self.link_new_pairs(&mut work).await;
        // Asked after the pair is recorded: a pass that stops before asking
        // leaves a pair the next pass finds without Microsoft's referral.
        self.engage_microsoft(&mut work).await;
        self.write_salesforce(&mut work, stages, directory).await;
        self.link_new_pairs(&mut work).await;
        self.patch_referrals(&mut work).await;
        self.mark_failures(&mut work).await;
        self.record(work).await
    }

    /// Plans that fail without any call: missing records, invalid
    /// opportunities, pairs waiting for a fix.
    fn settle_without_writes(&self, w: &mut Work) {
        match &w.plan.decision {
            Decision::Missing(reason) | Decision::Waiting(reason) => {
                w.fail(Failure::permanent(reason.clone()))
            }
            Decision::Invalid { problems, .. } => w.fail(Failure::permanent(format!(
                "invalid opportunity: {}",
                validate::describe(problems)
            ))),
            _ => {}
        }
    }
}

/// An audit line with its UTC timestamp.
pub(super) fn stamp(line: &str) -> String {
    format!("{} | {line}", Utc::now().format("%Y-%m-%d %H:%M UTC"))
}

pub(super) fn record(object: &str, body: serde_json::Map<String, Value>) -> Record {
    let mut record = Record::from_map(body);
    record.set_type(object);
    record
}

pub(super) fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
