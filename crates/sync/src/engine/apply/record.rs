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
        let description = w.decision.describe();
        if matches!(w.decision, Decision::Unchanged) {
            let pair_id = w.candidate.pair.as_ref().map(|p| p.id);
            return Outcome::new(
                w.candidate.targets.clone(),
                pair_id,
                description,
                Write::None,
                Write::None,
                None,
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
                self.recorded_pair(referral_id.as_deref(), w.opportunity_id.as_deref())
                    .await
            }
        };
        // The pair is saved only over the version read here: a worker that
        // synced it meanwhile wins, and this job runs again on fresh reads.
        let read_at = known.as_ref().map(|p| p.updated_at);
        let mut pair = known.unwrap_or_else(|| Pair::new(""));
        if matches!(w.decision, Decision::Skip(_)) && w.candidate.pair.is_none() {
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
        if let Decision::Update(update) = w.decision.clone() {
            if w.failure.is_none() {
                w.snapshot = Some(update.outcome.merged.clone());
            }
            self.audit_update(&mut w, *update);
        }
        let deal = w.snapshot.clone().or_else(|| match &w.decision {
            Decision::Invalid { deal, .. }
            | Decision::CreateReferral { deal }
            | Decision::CreateOpportunity { deal } => Some(deal.clone()),
            _ => None,
        });
        if let Some(deal) = &deal {
            pair.name = deal.name.clone();
        }
        if w.failure.is_none() {
            if let Some(snapshot) = &w.snapshot {
                pair.snapshot = serde_json::to_value(snapshot).ok();
                pair.state = match snapshot.lifecycle {
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
        let saved = match self.store.save_pair_over(&pair, read_at).await {
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
        if let Err(e) = self.store.append_audit(&w.audit).await {
            tracing::warn!(error = %e, "could not append audit entries");
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
                update_sentence(&update),
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

/// One line for the opportunity's Audit field after a successful merge.
pub(super) fn change_summary(update: &crate::engine::plan::Update) -> Option<(bool, String)> {
    let o = &update.outcome;
    if o.is_noop() && o.refusals.is_empty() && o.lifecycle.note.is_none() {
        return update
            .held_reason
            .as_ref()
            .map(|r| (true, format!("✔ {r}")));
    }
    if let Some(refusal) = o.refusals.first() {
        return Some((false, format!("✖ Refused: {}", refusal.reason)));
    }
    if let Some(note) = &o.lifecycle.note {
        return Some((true, format!("✔ {note}")));
    }
    Some((true, format!("✔ {}", update_sentence(update))))
}

fn update_sentence(update: &crate::engine::plan::Update) -> String {
    let o = &update.outcome;
    let mut parts = Vec::new();
    if let Some(next) = o.lifecycle.to_partner_center {
        parts.push(match next {
            Lifecycle::Active => "Accepted the referral in Partner Center".to_owned(),
            Lifecycle::Declined => "Declined the referral in Partner Center".to_owned(),
            other => format!("Closed the referral as {other:?} in Partner Center"),
        });
    }
    let sent = o.partner_center_changes();
    if !sent.is_empty() {
        parts.push(format!("Sent to Partner Center: {}", sent.join(", ")));
    }
    if let Some(next) = o.lifecycle.to_salesforce {
        parts.push(format!(
            "Moved the opportunity to {next:?} from Partner Center"
        ));
    }
    let received = o.salesforce_changes();
    if !received.is_empty() {
        parts.push(format!(
            "Updated from Partner Center: {}",
            received.join(", ")
        ));
    }
    for c in &o.conflicts {
        let loser = match c.winner {
            crate::merge::Side::PartnerCenter => &c.salesforce,
            crate::merge::Side::Salesforce => &c.partner_center,
        };
        parts.push(format!(
            "conflict on {}: kept {}'s value, discarded {loser}",
            c.field,
            c.winner.label()
        ));
    }
    parts.join(". ")
}
