//! Partner Center writes of a batch: creating referrals for opportunities
//! and patching referrals with merged changes.

use futures::stream::{self, StreamExt};
use partner_center::wire::{PatchOperation, Referral};
use partner_center::PatchOptions;
use serde_json::json;
use store::{AuditEntry, AuditLevel, Pair};

use super::{Work, PC_CONCURRENCY};

/// One PATCH to send: the work item's index, the referral id, the
/// operations and the `eTag` they apply to.
type PatchJob = (usize, String, Vec<PatchOperation>, Option<String>);
/// What Partner Center answered a PATCH.
type PatchResult = Result<Option<Referral>, partner_center::Error>;
use crate::deal::Deal;
use crate::decide::AuditLine;
use crate::engagement::{may_engage_microsoft, MicrosoftAnswer};
use crate::engine::outcome::{Failure, Write};
use crate::engine::plan::Decision;
use crate::engine::Engine;
use crate::referral_map;
use crate::snapshot::Snapshot;

/// Whether a referral may already exist for the opportunity.
enum Attempt {
    /// The intent was just recorded: nothing can exist yet.
    First,
    /// An earlier attempt may have created it (not before `created_after`).
    Retry {
        created_after: Option<chrono::DateTime<chrono::Utc>>,
    },
}

impl Engine {
    /// Creates referrals for opportunities, reusing one already created for
    /// the same opportunity (found by its external reference id).
    pub(super) async fn create_referrals(&self, work: &mut [Work]) {
        let mut jobs: Vec<(usize, Deal, String, Attempt)> = Vec::new();
        let mut intents = Vec::new();
        for (i, w) in work.iter().enumerate() {
            let (Decision::CreateReferral { deal }, Some(opportunity_id)) =
                (&w.plan.decision, &w.opportunity_id)
            else {
                continue;
            };
            // Record the intent before creating: an opportunity that already
            // has a pair may have been created before a crash, so only then
            // is Partner Center searched for it first (one call saved per
            // new deal, no duplicate after a crash).
            // The lookup is bounded by when the intent was recorded (an hour
            // earlier, for clock skew): the referral cannot be older.
            let lookup = match &w.candidate.pair {
                Some(pair) => Attempt::Retry {
                    created_after: Some(pair.created_at - chrono::Duration::hours(1)),
                },
                None => {
                    let mut intent = Pair::new(deal.name.clone());
                    intent.opportunity_id = Some(opportunity_id.clone());
                    match self.store.save_pair(&intent).await {
                        Ok(()) => {
                            intents.push((i, intent));
                            Attempt::First
                        }
                        Err(_) => Attempt::Retry {
                            created_after: None,
                        },
                    }
                }
            };
            jobs.push((i, deal.clone(), opportunity_id.clone(), lookup));
        }
        // The intent is this pair's record from now on.
        for (i, intent) in intents {
            work[i].candidate.pair = Some(intent);
        }
        let results: Vec<(usize, Result<Referral, partner_center::Error>)> = stream::iter(jobs)
            .map(|(i, deal, opportunity_id, lookup)| async move {
                if let Attempt::Retry { created_after } = lookup {
                    match self
                        .pc
                        .find_by_external_reference(&opportunity_id, created_after)
                        .await
                    {
                        Ok(Some(referral)) => return (i, Ok(referral)),
                        Ok(None) => {}
                        Err(e) => return (i, Err(e)),
                    }
                }
                let created = self
                    .pc
                    .create(&referral_map::new_referral(
                        &deal,
                        &opportunity_id,
                        &self.settings.mappings,
                    ))
                    .await;
                (i, created)
            })
            .buffer_unordered(PC_CONCURRENCY)
            .collect()
            .await;
        for (i, result) in results {
            let w = &mut work[i];
            match result {
                Ok(referral) => {
                    let id = referral.id.clone().unwrap_or_default();
                    w.snapshot = Some(Snapshot::of(referral_map::read(&referral, &self.settings)));
                    w.partner_center = Write::Created;
                    w.audit.push(AuditEntry::new(
                        None,
                        AuditLevel::Info,
                        "referral_created",
                        format!("Created referral {id} in Partner Center"),
                        json!({ "referral_id": id }),
                    ));
                    w.audit_line = Some(AuditLine::Shared);
                    w.referral = Some(referral);
                }
                Err(e) => {
                    let failure = Failure::from_partner_center(&e, "creating the referral");
                    if failure.permanent {
                        w.audit_line = Some(AuditLine::Failed(failure.message.clone()));
                    }
                    w.fail(failure);
                }
            }
        }
    }

    /// Asks Microsoft to co-sell where the plan says so: creates the
    /// referral addressed to Microsoft in the deal's engagement
    /// ([`crate::engagement`]). A failure fails the pair; the next pass finds
    /// the engagement without Microsoft's referral and asks again.
    pub(super) async fn engage_microsoft(&self, work: &mut [Work]) {
        self.turn_shared(work).await;
        let jobs: Vec<(usize, Referral)> = work
            .iter()
            .enumerate()
            .filter(|(_, w)| w.alive() && w.plan.engage_microsoft)
            .filter_map(|(i, w)| {
                let deal = match &w.plan.decision {
                    Decision::CreateReferral { deal } => deal,
                    Decision::Update(u) => &u.outcome.merged,
                    _ => return None,
                };
                // The referral found for a create may be one an interrupted
                // pass made otherwise: only a Shared one can take Microsoft in.
                let own = w.referral.as_ref().filter(|r| may_engage_microsoft(r))?;
                let engagement = own.engagement_id.as_deref()?;
                Some((i, referral_map::for_microsoft(deal, engagement)))
            })
            .collect();
        let results: Vec<_> = stream::iter(jobs)
            .map(|(i, body)| async move { (i, self.pc.create(&body).await) })
            .buffer_unordered(PC_CONCURRENCY)
            .collect()
            .await;
        for (i, result) in results {
            let w = &mut work[i];
            match result {
                Ok(theirs) => {
                    let id = theirs.id.clone().unwrap_or_default();
                    w.audit.push(AuditEntry::new(
                        None,
                        AuditLevel::Info,
                        "microsoft_engaged",
                        format!("Asked Microsoft to co-sell: referral {id} addressed to Microsoft in the deal's engagement"),
                        json!({ "referral_id": id, "engagement_id": theirs.engagement_id }),
                    ));
                    w.microsoft = Some(MicrosoftAnswer::of(&theirs));
                    w.audit_line = Some(AuditLine::CoSellRequested);
                }
                Err(e) => {
                    let failure = Failure::from_partner_center(&e, "asking Microsoft to co-sell");
                    if failure.permanent {
                        w.audit_line = Some(AuditLine::Failed(failure.message.clone()));
                    }
                    w.fail(failure);
                }
            }
        }
    }

    /// Sends `jobs` concurrently, each with the concurrency token it read,
    /// and hands back each answer by the index of its work item.
    async fn patch_all(&self, jobs: Vec<PatchJob>) -> Vec<(usize, PatchResult)> {
        stream::iter(jobs)
            .map(|(i, id, ops, etag)| async move {
                let options = PatchOptions {
                    if_match: etag,
                    return_representation: true,
                };
                (i, self.pc.patch(&id, &ops, options).await)
            })
            .buffer_unordered(PC_CONCURRENCY)
            .collect()
            .await
    }

    /// Turns the partner's own `Independent` referral `Shared` where the
    /// seller now asks Microsoft for help: Microsoft joins only an
    /// engagement opened by a `Shared` referral. The rest of the merge is
    /// patched later with the new concurrency token.
    async fn turn_shared(&self, work: &mut [Work]) {
        let jobs: Vec<PatchJob> = work
            .iter()
            .enumerate()
            .filter(|(_, w)| w.alive() && w.plan.engage_microsoft)
            .filter_map(|(i, w)| {
                let Decision::Update(u) = &w.plan.decision else {
                    return None;
                };
                let own = w.referral.as_ref()?;
                let ops = vec![PatchOperation::replace("/type", "Shared")];
                referral_map::turns_shared(own, &u.outcome.merged)
                    .then(|| Some((i, own.id.clone()?, ops, own.e_tag.clone())))
                    .flatten()
            })
            .collect();
        for (i, result) in self.patch_all(jobs).await {
            let w = &mut work[i];
            match result {
                Ok(updated) => w.referral = updated.or(w.referral.take()),
                Err(e) => {
                    let failure =
                        Failure::from_partner_center(&e, "sharing the referral with Microsoft");
                    if failure.permanent {
                        w.audit_line = Some(AuditLine::Failed(failure.message.clone()));
                    }
                    w.fail(failure);
                }
            }
        }
    }

    /// Patches referrals: merged changes and status moves, and the external
    /// reference of referrals that just got an opportunity.
    pub(super) async fn patch_referrals(&self, work: &mut [Work]) {
        let jobs: Vec<PatchJob> = work
            .iter()
            .enumerate()
            .filter(|(_, w)| w.alive())
            .filter_map(|(i, w)| {
                let referral = w.referral.as_ref()?;
                let ops = match &w.plan.decision {
                    Decision::Update(u) => {
                        let mut ops = referral_map::patch(
                            referral,
                            &u.outcome.merged,
                            &u.outcome.to_partner_center,
                            u.outcome.lifecycle.to_partner_center,
                        );
                        ops.extend(referral_map::mapped_patch(
                            referral,
                            &u.outcome.merged,
                            &u.outcome.mapped_to_partner_center,
                            &self.settings.mappings,
                        ));
                        ops
                    }
                    Decision::CreateOpportunity { .. } => Vec::new(),
                    _ => return None,
                };
                let mut ops = ops;
                let opportunity_id = w.opportunity_id.clone()?;
                if referral.external_reference_id.as_deref() != Some(opportunity_id.as_str()) {
                    ops.push(PatchOperation::add("/externalReferenceId", opportunity_id));
                }
                let id = referral.id.clone()?;
                (!ops.is_empty()).then(|| (i, id, ops, referral.e_tag.clone()))
            })
            .collect();
        for (i, result) in self.patch_all(jobs).await {
            let w = &mut work[i];
            match result {
                Ok(updated) => {
                    if matches!(w.plan.decision, Decision::Update(_)) {
                        w.partner_center = Write::Updated;
                    }
                    if let Some(updated) = updated {
                        w.referral = Some(updated);
                    }
                }
                Err(e) => {
                    let failure = Failure::from_partner_center(&e, "updating the referral");
                    if failure.permanent {
                        w.audit_line = Some(AuditLine::Failed(failure.message.clone()));
                    }
                    w.fail(failure);
                }
            }
        }
    }
}
