//! Deciding what to do for one pair, without touching either system. The
//! same decisions drive `cosell sync` (applied) and `cosell plan` (printed).

use partner_center::wire::Referral;
use serde::Serialize;
use store::Pair;

use crate::deal::Deal;
use crate::merge::{self, MergeInput, MergeOutcome};
use crate::opportunity_map::OpportunityView;
use crate::referral_map;
use crate::settings::Settings;
use crate::validate::{self, Problem};

/// What a pass was asked to look at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Target {
    Referral(String),
    Opportunity(String),
}

impl Target {
    /// The durable job key for this target.
    pub fn job_key(&self) -> String {
        match self {
            Self::Referral(id) => format!("referral:{id}"),
            Self::Opportunity(id) => format!("opportunity:{id}"),
        }
    }

    /// Parses a job key back.
    pub fn from_job_key(key: &str) -> Option<Self> {
        match key.split_once(':')? {
            ("referral", id) => Some(Self::Referral(id.to_owned())),
            ("opportunity", id) => Some(Self::Opportunity(id.to_owned())),
            _ => None,
        }
    }
}

/// Everything known about one pair at the start of a pass.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub targets: Vec<Target>,
    /// Nothing changed in Salesforce since the last successful sync, and
    /// Partner Center was not asked about: the referral was not read.
    pub quiet: bool,
    /// Why Partner Center would not give us the referral (access denied,
    /// unreadable data): the pair fails on its own, the batch goes on.
    pub unreadable: Option<String>,
    pub pair: Option<Pair>,
    pub referral: Option<Referral>,
    pub view: Option<OpportunityView>,
}

/// The decision for one pair.
#[derive(Debug, Clone, Serialize)]
pub enum Decision {
    /// The pair is as last synced; nothing is read or written.
    Unchanged,
    /// Nothing to sync, and why.
    Skip(String),
    /// A record the pair depends on is gone.
    Missing(String),
    /// An opportunity marked for sync becomes a referral.
    CreateReferral { deal: Deal },
    /// A referral becomes an opportunity.
    CreateOpportunity { deal: Deal },
    /// The opportunity cannot become a referral until the seller fixes it.
    Invalid { deal: Deal, problems: Vec<Problem> },
    /// Both exist: merge them.
    Update(Box<Update>),
}

/// A merge of an existing pair.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub outcome: MergeOutcome,
    /// Why Salesforce edits were not pushed, when they were held back.
    pub held_reason: Option<String>,
    /// Problems that stop the merged deal from being sent to Partner Center.
    pub problems: Vec<Problem>,
}

impl Decision {
    /// One line for `cosell plan` and the logs.
    pub fn describe(&self) -> String {
        match self {
            Self::Unchanged => "unchanged".into(),
            Self::Skip(reason) => format!("skip: {reason}"),
            Self::Missing(reason) => format!("error: {reason}"),
            Self::CreateReferral { deal } => {
                format!("create referral \"{}\" in Partner Center", deal.name)
            }
            Self::CreateOpportunity { deal } => {
                format!("create opportunity \"{}\" in Salesforce", deal.name)
            }
            Self::Invalid { problems, .. } => format!("invalid: {}", validate::describe(problems)),
            Self::Update(update) if update.outcome.is_noop() && update.problems.is_empty() => {
                "unchanged".into()
            }
            Self::Update(update) => {
                let o = &update.outcome;
                let mut parts = Vec::new();
                let sent = o.partner_center_changes();
                if !sent.is_empty() {
                    parts.push(format!("to Partner Center: {}", sent.join(", ")));
                }
                if let Some(next) = o.lifecycle.to_partner_center {
                    parts.push(format!("referral → {next:?}"));
                }
                let received = o.salesforce_changes();
                if !received.is_empty() {
                    parts.push(format!("to Salesforce: {}", received.join(", ")));
                }
                if let Some(next) = o.lifecycle.to_salesforce {
                    parts.push(format!("opportunity → {next:?}"));
                }
                for c in &o.conflicts {
                    parts.push(format!(
                        "conflict on {} won by {}",
                        c.field,
                        c.winner.label()
                    ));
                }
                if !update.problems.is_empty() {
                    parts.push(format!("invalid: {}", validate::describe(&update.problems)));
                }
                parts.join("; ")
            }
        }
    }
}

/// Decides what to do for a candidate.
pub fn decide(candidate: &Candidate, settings: &Settings) -> Decision {
    if candidate.quiet {
        return Decision::Unchanged;
    }
    if let Some(reason) = &candidate.unreadable {
        return Decision::Missing(reason.clone());
    }
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
            let problems = validate::validate(&deal, settings);
            if problems.is_empty() {
                Decision::CreateReferral { deal }
            } else {
                Decision::Invalid { deal, problems }
            }
        }
        (Some(referral), None) => {
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
        (Some(referral), Some(view)) => {
            Decision::Update(Box::new(update(candidate, referral, view, settings)))
        }
    }
}

fn update(
    candidate: &Candidate,
    referral: &Referral,
    view: &OpportunityView,
    settings: &Settings,
) -> Update {
    let pc = referral_map::read(referral, settings);
    let sf = view.to_deal(settings);
    let snapshot: Option<Deal> = candidate
        .pair
        .as_ref()
        .and_then(|p| p.snapshot.clone())
        .and_then(|s| serde_json::from_value(s).ok());
    // Linking a pair found without a snapshot (after a crash between create and
    // record): the side that started the pair is the truth.
    let base = snapshot.unwrap_or_else(|| match candidate.targets.first() {
        Some(Target::Referral(_)) => sf.clone(),
        _ => pc.clone(),
    });
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
    let outcome = merge::merge(&MergeInput {
        base: &base,
        partner_center: &pc,
        salesforce: &sf,
        partner_center_changed_at: referral.updated_date_time.as_ref().and_then(|t| t.to_utc()),
        salesforce_changed_at: view.last_modified(),
        hold_salesforce: held_reason.is_some(),
        mappings: &settings.mappings,
    });
    // Only the rules touching a pushed field can block the push: a referral
    // Microsoft shared keeps whatever Partner Center itself accepted.
    let problems = validate::validate(&outcome.merged, settings)
        .into_iter()
        .filter(|p| {
            validate::fields_of(p.code)
                .iter()
                .any(|f| outcome.to_partner_center.contains(f))
        })
        .collect();
    let held_reason = held_reason.filter(|_| !outcome.held.is_empty());
    Update {
        outcome,
        held_reason,
        problems,
    }
}
