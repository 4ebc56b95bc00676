//! The one decision about a pair: [`decide`] takes what the pass read (the
//! stored snapshot, the referral, the opportunity with its related records)
//! and the settings, and returns the [`Plan`]: every write to both sides,
//! the audit line, the name mark, what is held back and why, and the
//! snapshot to keep. It reads no clock and calls nothing, so `cosell plan`
//! and `cosell sync` see the same plan, and each row of
//! Microsoft's connector (<https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>) is a table test of it (`decide/tests.rs`).
//! The engine's `apply` only carries plans out and records the results.

mod audit;
mod duplicates;
#[cfg(test)]
mod tests;

use partner_center::wire::Referral;
use serde::Serialize;
use serde_json::json;

pub use audit::{sentence, AuditLine};
pub use duplicates::{existing_record, ExistingRecord};

use crate::deal::{Deal, Lifecycle};
use crate::engagement::{self, MicrosoftAnswer};
use crate::engine::plan::{Candidate, Decision, Target, Update};
use crate::merge::{self, Field, MergeInput};
use crate::opportunity_map::{audit_message, fitted_name, marked_name, OpportunityView};
use crate::referral_map;
use crate::settings::Settings;
use crate::snapshot::{fingerprint, Snapshot};
use crate::validate;

/// Everything one pass will do about one pair.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// What happens to the pair and the field writes on both sides.
    pub decision: Decision,
    /// A new line for the opportunity's Audit field (None: nothing new to say).
    pub audit: Option<AuditLine>,
    /// The opportunity's new `Name`, mark included, when it must change.
    pub name: Option<String>,
    /// Tick the visibility checkbox: the deal is visible (a help option is
    /// chosen) but Salesforce does not show it.
    pub tick_visibility: bool,
    /// A new opportunity needs a close date and the referral has none: one
    /// is made up, remembered in the snapshot and never sent back.
    pub invent_close_date: bool,
    /// Values Salesforce cannot hold, left out of its writes (named in the
    /// audit line).
    pub left_out: Vec<String>,
    /// Ask Microsoft to co-sell: create the referral addressed to Microsoft
    /// in the deal's engagement ([`crate::engagement`]).
    pub engage_microsoft: bool,
    /// The snapshot to keep once every write succeeded.
    pub snapshot: Option<Snapshot>,
    /// Fingerprint of both sides as read; a permanent failure keeps it so
    /// the pair is not tried again until it changes.
    pub inputs: String,
}

impl Plan {
    fn only(decision: Decision, inputs: String) -> Self {
        Self {
            decision,
            audit: None,
            name: None,
            tick_visibility: false,
            invent_close_date: false,
            left_out: Vec::new(),
            engage_microsoft: false,
            snapshot: None,
            inputs,
        }
    }

    /// True when the pass writes nothing anywhere for this pair.
    pub fn is_noop(&self) -> bool {
        let decision_writes = match &self.decision {
            Decision::Unchanged | Decision::Skip(_) | Decision::Waiting(_) => false,
            Decision::Missing(_) | Decision::Invalid { .. } => false,
            Decision::CreateReferral { .. } | Decision::CreateOpportunity { .. } => true,
            Decision::Update(u) => !u.outcome.is_noop(),
        };
        !decision_writes
            && self.audit.is_none()
            && self.name.is_none()
            && !self.tick_visibility
            && !self.engage_microsoft
    }

    /// One line for `cosell plan` and the logs.
    pub fn describe(&self) -> String {
        let mut text = self.decision.describe();
        if matches!(self.decision, Decision::Update(_)) && self.is_noop() {
            text = "unchanged".into();
        }
        if self.engage_microsoft {
            text.push_str("; ask Microsoft to co-sell");
        }
        if let Some(line) = &self.audit {
            text.push_str(&format!("; audit: {}", line.render("")));
        } else if self.name.is_some() || self.tick_visibility {
            text.push_str("; bookkeeping on the opportunity");
        }
        text
    }
}

/// Decides what to do for a candidate pair.
pub fn decide(candidate: &Candidate, settings: &Settings) -> Plan {
    let snapshot = stored_snapshot(candidate);
    let inputs = inputs_of(candidate, settings);
    if candidate.quiet {
        return Plan::only(Decision::Unchanged, inputs);
    }
    if let Some(reason) = &candidate.unreadable {
        return Plan::only(Decision::Missing(reason.clone()), inputs);
    }
    if let Some(pair) = &candidate.pair {
        let failed_here = snapshot
            .as_ref()
            .and_then(|s| s.failed_inputs.as_deref())
            .is_some_and(|f| f == inputs);
        if pair.state == store::PairState::Failed && failed_here {
            let reason = pair.last_error.clone().unwrap_or_default();
            return Plan::only(Decision::Waiting(reason), inputs);
        }
    }
    let agreed = snapshot.as_ref().filter(|s| !s.failure_only);
    let decision = decision(candidate, agreed, settings);
    let mut plan = Plan::only(decision, inputs);
    let answer = microsoft_answer(candidate);
    plan.snapshot = match &plan.decision {
        Decision::CreateReferral { deal } | Decision::CreateOpportunity { deal } => {
            Some(Snapshot::of(deal.clone()))
        }
        Decision::Update(u) => Some(Snapshot {
            invented_close_date: snapshot
                .as_ref()
                .and_then(|s| s.invented_close_date)
                .filter(|_| u.outcome.merged.close_date.is_none()),
            microsoft: answer
                .clone()
                .or_else(|| snapshot.as_ref().and_then(|s| s.microsoft.clone())),
            ..Snapshot::of(u.outcome.merged.clone())
        }),
        _ => None,
    };
    plan.engage_microsoft = engage_microsoft(candidate, &plan.decision);
    plan.invent_close_date = matches!(&plan.decision,
        Decision::CreateOpportunity { deal } if deal.close_date.is_none());
    plan.left_out = left_out(&plan.decision, settings);
    plan.audit = audit::line_for(&plan.decision, &plan.left_out);
    let before = snapshot.as_ref().and_then(|s| s.microsoft.as_ref());
    if let (Decision::Update(_), Some(news)) = (&plan.decision, answer.as_ref()) {
        if before != Some(news) {
            plan.audit = audit::with_microsoft_answer(plan.audit.take(), news);
        }
    }
    if let Some(view) = &candidate.view {
        bookkeeping(&mut plan, view, candidate.referral.as_ref(), settings);
    }
    if let Decision::CreateOpportunity { deal } = &plan.decision {
        plan.name = Some(marked_name(&deal.name, true, settings));
    }
    plan
}

/// The audit line that is new, the name and mark, the visibility tick.
fn bookkeeping(
    plan: &mut Plan,
    view: &OpportunityView,
    referral: Option<&Referral>,
    settings: &Settings,
) {
    let referral_id = referral
        .and_then(|r| r.id.clone())
        .or_else(|| view.referral_id(settings))
        .unwrap_or_default();
    let written = view.audit(settings).lines().next().unwrap_or_default();
    if plan.audit.is_none()
        && view.reports_problem(settings)
        && matches!(plan.decision, Decision::Update(_))
    {
        plan.audit = Some(AuditLine::Resolved);
    }
    let ok = plan.audit.as_ref().map(AuditLine::ok);
    if plan
        .audit
        .as_ref()
        .is_some_and(|line| audit_message(written) == line.render(&referral_id))
    {
        plan.audit = None;
    }
    let name = match &plan.decision {
        Decision::Update(u) if u.outcome.to_salesforce.contains(&Field::Name) => {
            u.outcome.merged.name.clone()
        }
        _ => view.name(settings).to_owned(),
    };
    let ok = ok.or_else(|| {
        let renamed = matches!(&plan.decision,
            Decision::Update(u) if u.outcome.to_salesforce.contains(&Field::Name));
        renamed.then(|| view.mark().unwrap_or(true))
    });
    if let Some(ok) = ok {
        let wanted = marked_name(&name, ok, settings);
        if wanted != view.raw_name() {
            plan.name = Some(wanted);
        }
    }
    let visible = match &plan.decision {
        Decision::Update(u) => u.outcome.merged.visible_to_microsoft,
        Decision::CreateReferral { deal } => deal.visible_to_microsoft,
        _ => false,
    };
    let written_by_update = matches!(&plan.decision,
        Decision::Update(u) if u.outcome.to_salesforce.contains(&Field::Visibility));
    plan.tick_visibility = visible && !view.visibility_ticked(settings) && !written_by_update;
}

/// Microsoft's answer to the co-sell request, when its referral was read.
fn microsoft_answer(candidate: &Candidate) -> Option<MicrosoftAnswer> {
    candidate
        .related
        .as_deref()
        .and_then(engagement::microsoft_side)
        .map(MicrosoftAnswer::of)
}

/// Whether this pass asks Microsoft to co-sell: a new deal that asks for
/// Microsoft's help, the partner's own open `Shared` referral asking for
/// help whose engagement has no referral addressed to Microsoft yet (an
/// earlier pass recorded the pair and failed to ask), or the partner's own
/// `Independent` referral whose seller now asks for help. A pass over a pair no
/// pass finished recording (no snapshot) leaves asking to the pass creating
/// it, which may be running at this moment.
fn engage_microsoft(candidate: &Candidate, decision: &Decision) -> bool {
    match decision {
        Decision::CreateReferral { deal } => deal.help.is_some(),
        Decision::Update(u) => {
            let merged = &u.outcome.merged;
            let recorded = candidate
                .pair
                .as_ref()
                .is_some_and(|p| p.referral_id.is_some() && p.snapshot.is_some());
            let referral = candidate.referral.as_ref();
            let shared_without_microsoft = referral.is_some_and(engagement::may_engage_microsoft)
                && candidate
                    .related
                    .as_deref()
                    .is_some_and(|r| engagement::microsoft_side(r).is_none());
            // The seller asked for help after the deal was shared without:
            // this pass turns the referral Shared, then asks Microsoft.
            let turned_shared = u.outcome.to_partner_center.contains(&Field::Help)
                && referral.is_some_and(|r| referral_map::turns_shared(r, merged));
            recorded
                && u.problems.is_empty()
                && merged.help.is_some()
                && !merged.lifecycle.is_closed()
                && (shared_without_microsoft || turned_shared)
        }
        _ => false,
    }
}

/// Values of the Salesforce writes that Salesforce cannot hold.
fn left_out(decision: &Decision, settings: &Settings) -> Vec<String> {
    let (deal, customer, contacts, money) = match decision {
        Decision::CreateOpportunity { deal } => (deal, true, true, true),
        Decision::Update(u) => {
            let to_salesforce = |field| u.outcome.to_salesforce.contains(&field);
            (
                &u.outcome.merged,
                to_salesforce(Field::Customer),
                to_salesforce(Field::Contacts),
                to_salesforce(Field::DealValue) || to_salesforce(Field::Currency),
            )
        }
        _ => return Vec::new(),
    };
    let mut left_out = Vec::new();
    if money {
        left_out.extend(crate::salesforce_fit::deal_value(deal, settings).1);
    }
    if customer {
        let fitted = crate::salesforce_fit::customer(&deal.customer, settings);
        left_out.extend(fitted.1);
    }
    if contacts {
        left_out.extend(crate::salesforce_fit::contacts(&deal.contacts).1);
    }
    left_out
}

/// The stored snapshot, if the pair has one.
fn stored_snapshot(candidate: &Candidate) -> Option<Snapshot> {
    candidate
        .pair
        .as_ref()
        .and_then(|p| p.snapshot.as_ref())
        .and_then(Snapshot::from_json)
}

/// Both sides as read, as a fingerprint.
fn inputs_of(candidate: &Candidate, settings: &Settings) -> String {
    let pc = candidate
        .referral
        .as_ref()
        .map(|r| json!(referral_map::read(r, settings)))
        .unwrap_or_default();
    let sf = candidate
        .view
        .as_ref()
        .map(|v| json!([v.to_deal(settings), v.sync_requested(settings)]))
        .unwrap_or_default();
    let microsoft = json!(microsoft_answer(candidate));
    fingerprint(&[&pc, &sf, &microsoft])
}

fn decision(candidate: &Candidate, snapshot: Option<&Snapshot>, settings: &Settings) -> Decision {
    let pair = candidate.pair.as_ref();
    match (&candidate.referral, &candidate.view) {
        (None, None) => {
            Decision::Missing("neither the referral nor the opportunity could be found".into())
        }
        (None, Some(view)) => {
            if let Some(id) = pair
                .and_then(|p| p.referral_id.clone())
                .or_else(|| view.referral_id(settings))
            {
                return Decision::Missing(format!(
                    "referral {id} named on the opportunity was not found in Partner Center"
                ));
            }
            if !view.sync_requested(settings) {
                return Decision::Skip(format!("{} is not checked", settings.fields.sync_flag));
            }
            let deal = view.to_deal(settings);
            let problems = validate::validate_new(&deal, settings);
            if problems.is_empty() {
                Decision::CreateReferral { deal }
            } else {
                Decision::Invalid { deal, problems }
            }
        }
        (Some(referral), None) => {
            if referral.is_for_microsoft() {
                return Decision::Skip(
                    "the referral addressed to Microsoft: its answer is followed on the deal's own referral"
                        .into(),
                );
            }
            if let Some(id) = pair.and_then(|p| p.opportunity_id.clone()) {
                return Decision::Missing(format!("opportunity {id} was deleted in Salesforce"));
            }
            let deal = referral_map::read(referral, settings);
            if deal.lifecycle.is_closed() {
                return Decision::Skip("the referral is closed and has no opportunity".into());
            }
            if settings.co_sell_only
                && referral_map::is_lead(referral, referral.organization_id.as_deref())
            {
                return Decision::Skip("a lead, and sync.co_sell_only is true".into());
            }
            Decision::CreateOpportunity { deal }
        }
        (Some(referral), Some(view)) => Decision::Update(Box::new(update(
            candidate, snapshot, referral, view, settings,
        ))),
    }
}

fn update(
    candidate: &Candidate,
    snapshot: Option<&Snapshot>,
    referral: &Referral,
    view: &OpportunityView,
    settings: &Settings,
) -> Update {
    let mut pc = referral_map::read(referral, settings);
    // Microsoft's CRM id is on the referral addressed to Microsoft once it
    // accepts; the deal's own referral may not carry it.
    if pc.microsoft_crm_id.is_none() {
        if let Some(MicrosoftAnswer::Accepted { crm_id, .. }) = microsoft_answer(candidate) {
            pc.microsoft_crm_id = crm_id;
        }
    }
    let mut sf = view.to_deal(settings);
    // Linking a pair found without a snapshot (after a crash between create and
    // record): the side that started the pair is the truth.
    let base = snapshot.cloned().unwrap_or_else(|| {
        Snapshot::of(match candidate.targets.first() {
            Some(Target::Referral(_)) => sf.clone(),
            _ => pc.clone(),
        })
    });
    as_cosell_wrote_it(&mut sf, &base, settings);
    let held_reason = if pc.lifecycle.is_closed() {
        Some(
            "the referral is closed in Partner Center, so Salesforce edits are not pushed"
                .to_owned(),
        )
    } else if !view.sync_requested(settings) {
        Some(format!(
            "{} is not checked, so Salesforce edits are not pushed",
            settings.fields.sync_flag
        ))
    } else {
        None
    };
    let mut outcome = merge::merge(&MergeInput {
        base: &base.deal,
        partner_center: &pc,
        salesforce: &sf,
        partner_center_changed_at: referral.updated_date_time.as_ref().and_then(|t| t.to_utc()),
        salesforce_changed_at: view.last_changed(),
        hold_salesforce: held_reason.is_some(),
        mappings: &settings.mappings,
    });
    // The FY26 fields are Salesforce's: Partner Center takes them when a
    // referral is created (this deal's, or the one asking Microsoft for help).
    outcome.merged.fy26 = sf.fy26.clone();
    // Only the rules touching a pushed field can block the push, and they
    // block only the fields they are about: the rest still flows. Blocked
    // fields stay out of the snapshot, so the seller's edit flows once fixed.
    let problems: Vec<validate::Problem> = validate::validate(&outcome.merged, settings)
        .into_iter()
        .filter(|p| {
            validate::fields_of(p.code)
                .iter()
                .any(|f| outcome.to_partner_center.contains(f))
        })
        .collect();
    let blocked: Vec<Field> = problems
        .iter()
        .flat_map(|p| validate::fields_of(p.code).iter().copied())
        .collect();
    outcome.hold(&base.deal, &blocked);
    let mut problems = problems;
    if outcome.lifecycle.to_partner_center == Some(Lifecycle::Won) {
        if let Some(wait) = candidate
            .now
            .and_then(|now| crate::won_wait::too_early(referral, now))
        {
            // Won waits in Salesforce; the snapshot keeps the old lifecycle
            // so the next pass tries again.
            outcome.lifecycle.to_partner_center = None;
            outcome.lifecycle.merged = base.deal.lifecycle;
            outcome.merged.lifecycle = base.deal.lifecycle;
            problems.push(wait);
        }
    }
    let held_reason = held_reason.filter(|_| !outcome.held.is_empty());
    Update {
        outcome,
        held_reason,
        problems,
    }
}

/// Reads the opportunity's deal as cosell meant what it wrote: a name cut to
/// fit the field with its mark is the snapshot's full name, a customer or
/// contact with values left out because they do not fit is the snapshot's
/// whole one, and a close date cosell made up is no date at all.
pub(crate) fn as_cosell_wrote_it(sf: &mut Deal, base: &Snapshot, settings: &Settings) {
    if sf.name != base.deal.name && sf.name == fitted_name(&base.deal.name, settings) {
        sf.name = base.deal.name.clone();
    }
    let (customer, _) = crate::salesforce_fit::customer(&base.deal.customer, settings);
    if sf.customer != base.deal.customer && sf.customer == customer {
        sf.customer = base.deal.customer.clone();
    }
    let (contacts, _) = crate::salesforce_fit::contacts(&base.deal.contacts);
    if sf.contacts != base.deal.contacts && sf.contacts == contacts {
        sf.contacts = base.deal.contacts.clone();
    }
    if settings.currency_field.is_empty() {
        // A single-currency org has no currency field: an amount as cosell
        // wrote it (none, when the base's currency is not the org's) is the
        // base's value and currency; an amount the seller typed is in the
        // org's currency.
        let (written, _) = crate::salesforce_fit::deal_value(&base.deal, settings);
        if sf.deal_value == written {
            sf.deal_value = base.deal.deal_value;
            sf.currency = base.deal.currency.clone();
        } else if sf.currency.is_none() {
            sf.currency = base.deal.currency.clone();
        }
    }
    if base.deal.close_date.is_none()
        && base.invented_close_date.is_some()
        && sf.close_date == base.invented_close_date
    {
        sf.close_date = None;
    }
}
