//! What a pass looks at ([`Target`], [`Candidate`]) and what it may decide
//! about a pair ([`Decision`]); [`crate::decide`] makes the decision.

use partner_center::wire::Referral;
use serde::Serialize;
use store::Pair;

use crate::deal::Deal;
use crate::merge::MergeOutcome;
use crate::opportunity_map::OpportunityView;
use crate::validate::{self, Problem};

/// What a pass was asked to look at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Target {
    /// A referral, by Partner Center id.
    Referral(String),
    /// An opportunity, by Salesforce id.
    Opportunity(String),
    /// A Salesforce opportunity's AWS side, by Salesforce id.
    AwsSalesforce(String),
    /// An AWS Partner Central opportunity, by AWS id.
    AwsOpportunity(String),
    /// An AWS engagement invitation, by id.
    AwsInvitation(String),
}

impl Target {
    /// The durable job key for this target.
    pub fn job_key(&self) -> String {
        match self {
            Self::Referral(id) => format!("referral:{id}"),
            Self::Opportunity(id) => format!("opportunity:{id}"),
            Self::AwsSalesforce(id) => format!("aws-salesforce:{id}"),
            Self::AwsOpportunity(id) => format!("aws-opportunity:{id}"),
            Self::AwsInvitation(id) => format!("aws-invitation:{id}"),
        }
    }

    /// The id the target names.
    pub fn id(&self) -> &str {
        match self {
            Self::Referral(id)
            | Self::Opportunity(id)
            | Self::AwsSalesforce(id)
            | Self::AwsOpportunity(id)
            | Self::AwsInvitation(id) => id,
        }
    }

    /// True for a target of the AWS side.
    pub fn is_aws(&self) -> bool {
        matches!(
            self,
            Self::AwsSalesforce(_) | Self::AwsOpportunity(_) | Self::AwsInvitation(_)
        )
    }

    /// Parses a job key back.
    pub fn from_job_key(key: &str) -> Option<Self> {
        match key.split_once(':')? {
            ("referral", id) => Some(Self::Referral(id.to_owned())),
            ("opportunity", id) => Some(Self::Opportunity(id.to_owned())),
            ("aws-salesforce", id) => Some(Self::AwsSalesforce(id.to_owned())),
            ("aws-opportunity", id) => Some(Self::AwsOpportunity(id.to_owned())),
            ("aws-invitation", id) => Some(Self::AwsInvitation(id.to_owned())),
            _ => None,
        }
    }
}

/// Everything known about one pair at the start of a pass.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The targets (jobs) that asked for this pair.
    pub targets: Vec<Target>,
    /// Nothing changed in Salesforce since the last successful sync, and
    /// Partner Center was not asked about: the referral was not read.
    pub quiet: bool,
    /// Why Partner Center would not give us the referral (access denied,
    /// unreadable data): the pair fails on its own, the batch goes on.
    pub unreadable: Option<String>,
    /// The stored pair, when the two are already linked.
    pub pair: Option<Pair>,
    /// The referral as Partner Center has it now, when read.
    pub referral: Option<Referral>,
    /// The other referrals of the referral's engagement, read when it is the
    /// partner's own `Shared` referral (None: not read).
    pub related: Option<Vec<Referral>>,
    /// The opportunity and its related records as Salesforce has them now, when read.
    pub view: Option<OpportunityView>,
    /// When the pass read both sides (None: unknown, and rules of time
    /// such as [`crate::won_wait`] are left to Partner Center).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
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
    /// The pair failed for good and neither side changed since: nothing is
    /// tried until one does (the last error).
    Waiting(String),
    /// An opportunity marked for sync becomes a referral.
    CreateReferral {
        /// The deal the referral is made from.
        deal: Deal,
    },
    /// A referral becomes an opportunity.
    CreateOpportunity {
        /// The deal the opportunity is made from.
        deal: Deal,
    },
    /// The opportunity cannot become a referral until the seller fixes it.
    Invalid {
        /// The deal as the opportunity has it.
        deal: Deal,
        /// What the seller must fix, each with the fix.
        problems: Vec<Problem>,
    },
    /// Both exist: merge them.
    Update(Box<Update>),
}

/// A merge of an existing pair.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// The three-way merge of the snapshot and both sides.
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
            Self::Waiting(reason) => format!("unchanged: waiting for a fix ({reason})"),
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
