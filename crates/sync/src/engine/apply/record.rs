//! Recording a batch's outcome: pairs, snapshots and audit in the store.

use chrono::Utc;
use serde_json::{json, Value};
use store::{AuditEntry, AuditLevel, Pair, PairState};

use super::Work;
use crate::deal::Lifecycle;
use crate::engine::outcome::{Failure, Outcome, Write};
use crate::engine::plan::Decision;
use crate::engine::Engine;
use crate::merge::field_names;
use crate::opportunity_map::OpportunityView;
use crate::snapshot::Snapshot;
use crate::validate;

impl Engine {
    /// Stores pairs, snapshots and audit, and turns work into outcomes.
    pub(super) async fn record(&self, work: Vec<Work>) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(work.len());
        for w in work {
            outcomes.push(self.record_one(w).await);
        }
        outcomes
    }

    pub(super) async fn record_one(&self, mut w: Work) -> Outcome {
        let description = w.plan.describe();
        if matches!(w.plan.decision, Decision::Unchanged | Decision::Waiting(_)) {
            let pair_id = w.candidate.pair.as_ref().map(|p| p.id);
            return Outcome::new(
                w.candidate.targets.clone(),
                pair_id,
                description,
                Write::None,
                Write::None,
                w.failure,
            );
        }
        let now = Utc::now();
        let referral_id = w.referral.as_ref().and_then(|r| r.id.clone());
        let known = match w.candidate.pair.clone() {
            Some(pair) => Some(pair),
            None if referral_id.is_none() && w.opportunity_id.is_none() => {
                return Outcome::new(
                    w.candidate.targets.clone(),
                    None,
                    description,
                    w.partner_center,
                    w.salesforce,
                    w.failure,
                );
            }
            // Another worker may have recorded this deal meanwhile (its
            // referral job and its opportunity job ran at once): join it.
            None => {
                let theirs = self
                    .recorded_pair(referral_id.as_deref(), w.opportunity_id.as_deref())
                    .await;
                let created = matches!(
                    w.plan.decision,
                    Decision::CreateReferral { .. } | Decision::CreateOpportunity { .. }
                );
                if theirs.is_some() && created {
                    // Its creation is theirs (our create met the same record,
                    // cosell's creates being idempotent): this job runs
                    // again on fresh reads instead of recording it twice.
                    let failure = Failure::transient(
                        "another worker recorded this deal meanwhile; it is synced again",
                    );
                    return Outcome::new(
                        w.candidate.targets.clone(),
                        theirs.map(|p| p.id),
                        description,
                        w.partner_center,
                        w.salesforce,
                        Some(failure),
                    );
                }
                theirs
            }
        };
        // The pair is saved only over the version read here: a worker that
        // synced it meanwhile wins, and this job runs again on fresh reads.
        let read_at = known.as_ref().map(|p| p.updated_at);
        // No snapshot was ever recorded: an earlier sync (maybe on an
        // instance that died) created a side and stopped before recording.
        let linking = known.as_ref().is_none_or(|p| p.snapshot.is_none())
            && matches!(w.plan.decision, Decision::Update(_));
        let mut pair = known.unwrap_or_else(|| Pair::new(""));
        if matches!(w.plan.decision, Decision::Skip(_)) && w.candidate.pair.is_none() {
            return Outcome::new(
                w.candidate.targets.clone(),
                None,
                description,
                w.partner_center,
                w.salesforce,
                w.failure,
            );
        }
        pair.referral_id = pair.referral_id.or(referral_id);
        pair.opportunity_id = pair.opportunity_id.or(w.opportunity_id.clone());
        if linking {
            // The pair's history starts here.
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Info,
                "pair_linked",
                format!(
                    "Linked referral {} and opportunity {}, both already created by an interrupted sync",
                    pair.referral_id.as_deref().unwrap_or("?"),
                    pair.opportunity_id.as_deref().unwrap_or("?")
                ),
                json!({
                    "referral_id": pair.referral_id,
                    "opportunity_id": pair.opportunity_id,
                }),
            ));
        }
        if let Decision::Update(update) = w.plan.decision.clone() {
            if w.failure.is_none() {
                w.snapshot = w.plan.snapshot.clone();
            }
            self.audit_update(&mut w, *update);
        }
        let name = match (&w.snapshot, &w.plan.decision) {
            (Some(snapshot), _) => Some(snapshot.deal.name.clone()),
            (
                None,
                Decision::Invalid { deal, .. }
                | Decision::CreateReferral { deal }
                | Decision::CreateOpportunity { deal },
            ) => Some(deal.name.clone()),
            _ => None,
        };
        if let Some(name) = name {
            pair.name = name;
        }
        if let (Some(snapshot), Some(answer)) = (w.snapshot.as_mut(), w.microsoft.take()) {
            snapshot.microsoft = Some(answer);
        }
        if w.failure.is_none() {
            if let Some(snapshot) = &w.snapshot {
                let stamped = Snapshot {
                    referral_changed_at: w
                        .referral
                        .as_ref()
                        .and_then(|r| r.updated_date_time.as_ref())
                        .and_then(|t| t.to_utc()),
                    // The team rows as read this pass (none read: as kept).
                    team_rows: w
                        .view()
                        .map_or_else(|| snapshot.team_rows.clone(), |v| v.team_rows.clone()),
                    ..snapshot.clone()
                };
                pair.snapshot = stamped.to_json();
                pair.state = match snapshot.deal.lifecycle {
                    Lifecycle::Pending => PairState::OnHold,
                    l if l.is_closed() => PairState::Closed,
                    _ => PairState::Synced,
                };
            }
            pair.last_error = None;
            pair.referral_version = w.referral.as_ref().and_then(|r| r.e_tag.clone());
            pair.opportunity_version = w
                .view()
                .and_then(OpportunityView::version)
                .or(pair.opportunity_version);
            if w.salesforce != Write::None {
                pair.last_pc_to_sf_at = Some(now);
            }
            if w.partner_center != Write::None {
                pair.last_sf_to_pc_at = Some(now);
            }
        } else if let Some(failure) = &w.failure {
            pair.state = PairState::Failed;
            pair.last_error = Some(failure.message.clone());
            if failure.permanent {
                // Not tried again until one side changes.
                let mut kept = pair
                    .snapshot
                    .as_ref()
                    .and_then(Snapshot::from_json)
                    .unwrap_or_else(|| Snapshot {
                        failure_only: true,
                        ..Snapshot::default()
                    });
                kept.failed_inputs = Some(w.plan.inputs.clone());
                pair.snapshot = kept.to_json();
            }
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Error,
                if failure.permanent {
                    "sync_failed"
                } else {
                    "sync_retrying"
                },
                failure.message.clone(),
                json!({ "permanent": failure.permanent }),
            ));
        }
        pair.updated_at = now;
        for entry in w.audit.iter_mut() {
            entry.pair_id = Some(pair.id);
        }
        // The pair and what was done to it, in one transaction: a crash
        // never leaves a recorded pair without its history.
        let saved = match self
            .store
            .save_pair_over_with_audit(&pair, read_at, &w.audit)
            .await
        {
            Ok(true) => Ok(()),
            Ok(false) => Err("another worker synced it meanwhile".to_owned()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = saved {
            let failure = Failure::transient(format!("could not record the pair: {e}"));
            return Outcome::new(
                w.candidate.targets.clone(),
                Some(pair.id),
                description,
                w.partner_center,
                w.salesforce,
                Some(failure),
            );
        }
        Outcome::new(
            w.candidate.targets.clone(),
            Some(pair.id),
            description,
            w.partner_center,
            w.salesforce,
            w.failure,
        )
    }

    /// Records each pair this batch created as soon as both its ids exist,
    /// before the link-back and the record of the outcome: from then on a
    /// job of the pair keyed by either side waits for this one (one pair,
    /// one worker), and cosell's own writes coming back find their pair. A
    /// sync cut off after this leaves a pair without a snapshot, which the
    /// next sync links (`pair_linked`).
    pub(super) async fn link_new_pairs(&self, work: &mut [Work]) {
        for w in work.iter_mut() {
            let deal = match &w.plan.decision {
                Decision::CreateReferral { deal } | Decision::CreateOpportunity { deal } => deal,
                _ => continue,
            };
            let linked = w
                .candidate
                .pair
                .as_ref()
                .is_some_and(|p| p.referral_id.is_some() && p.opportunity_id.is_some());
            if w.failure.is_some() || linked {
                continue;
            }
            let referral_id = w.referral.as_ref().and_then(|r| r.id.clone());
            let (Some(referral_id), Some(opportunity_id)) = (referral_id, w.opportunity_id.clone())
            else {
                continue;
            };
            // The intent recorded before a referral's create, or a new pair.
            let read_at = w.candidate.pair.as_ref().map(|p| p.updated_at);
            let mut pair = w
                .candidate
                .pair
                .clone()
                .unwrap_or_else(|| Pair::new(deal.name.clone()));
            pair.referral_id = Some(referral_id);
            pair.opportunity_id = Some(opportunity_id);
            pair.updated_at = store::utc_now();
            // Taken by another worker meanwhile: the record finds out.
            if let Ok(true) = self.store.save_pair_over(&pair, read_at).await {
                w.candidate.pair = Some(pair);
            }
        }
    }

    /// The pair already recorded for either id, if any.
    pub(super) async fn recorded_pair(
        &self,
        referral_id: Option<&str>,
        opportunity_id: Option<&str>,
    ) -> Option<Pair> {
        if let Some(id) = referral_id {
            if let Ok(Some(pair)) = self.store.pair_by_referral(id).await {
                return Some(pair);
            }
        }
        self.store
            .pair_by_opportunity(opportunity_id?)
            .await
            .ok()
            .flatten()
    }

    /// Audit entries for a merge: what flowed where, conflicts, refusals.
    pub(super) fn audit_update(&self, w: &mut Work, update: crate::engine::plan::Update) {
        let o = &update.outcome;
        if o.is_noop() && o.refusals.is_empty() && update.problems.is_empty() {
            return;
        }
        if w.failure.is_none() && !o.is_noop() {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Info,
                "synced",
                crate::decide::sentence(&update),
                json!({
                    "to_partner_center": field_names(&o.to_partner_center),
                    "to_salesforce": field_names(&o.to_salesforce),
                    "referral_status": o.lifecycle.to_partner_center,
                    "opportunity_stage": o.lifecycle.to_salesforce,
                    "held": field_names(&o.held),
                    "mapped_to_partner_center": o.mapped_to_partner_center,
                    "mapped_to_salesforce": o.mapped_to_salesforce,
                }),
            ));
        }
        for conflict in &o.conflicts {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "conflict",
                format!(
                    "{} changed on both sides; {} won (latest change). Partner Center had {}, Salesforce had {}",
                    conflict.field,
                    conflict.winner.label(),
                    conflict.partner_center,
                    conflict.salesforce
                ),
                serde_json::to_value(conflict).unwrap_or(Value::Null),
            ));
        }
        for refusal in &o.refusals {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "change_refused",
                format!(
                    "{} tried to change {}: {}; restored",
                    refusal.side.label(),
                    refusal.field.name(),
                    refusal.reason
                ),
                serde_json::to_value(refusal).unwrap_or(Value::Null),
            ));
        }
        if let Some(note) = &o.lifecycle.note {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Warning,
                "lifecycle_not_pushed",
                note.clone(),
                Value::Null,
            ));
        }
        if !update.problems.is_empty() {
            w.audit.push(AuditEntry::new(
                None,
                AuditLevel::Error,
                "validation_failed",
                validate::describe(&update.problems),
                serde_json::to_value(&update.problems).unwrap_or(Value::Null),
            ));
        }
    }
}
