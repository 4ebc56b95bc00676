//! The line a pass writes to the opportunity's Audit field, as a value: the
//! decision names it, `apply` renders it (with the referral id it may only
//! learn while applying). Lines carry no request ids or timestamps of their
//! own, so the same problem renders the same line and is written once.

use serde::Serialize;

use crate::deal::Lifecycle;
use crate::engagement::MicrosoftAnswer;
use crate::engine::plan::{Decision, Update};
use crate::merge::Side;
use crate::opportunity_map::shorten;
use crate::validate::{self, Problem};

/// Characters of a value quoted in an audit line.
const VALUE_MAX: usize = 60;

/// One line for the opportunity's Audit field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum AuditLine {
    /// The opportunity became a referral.
    Shared,
    /// Microsoft was asked to co-sell the deal.
    CoSellRequested,
    /// A referral became this opportunity (values Salesforce cannot hold
    /// were left out).
    CreatedFromReferral {
        /// The referral's values Salesforce cannot hold.
        left_out: Vec<String>,
    },
    /// What flowed where.
    Synced(String),
    /// Salesforce edits were held back, and why.
    Held(String),
    /// A lifecycle move that was not pushed, and why.
    LifecycleNotPushed(String),
    /// A change that was refused and undone.
    Refused(String),
    /// The opportunity (`changes`: its changes) cannot go to Partner Center.
    Invalid {
        /// Whether the opportunity had changes to send.
        changes: bool,
        /// What stops it, each with the fix.
        problems: Vec<Problem>,
    },
    /// A write failed for good.
    Failed(String),
    /// The pair is in step again after a reported problem.
    Resolved,
}

impl AuditLine {
    /// True when the line reports success (the name shows ✔).
    pub fn ok(&self) -> bool {
        !matches!(
            self,
            Self::Refused(_) | Self::Invalid { .. } | Self::Failed(_)
        )
    }

    /// The line's text (without its timestamp).
    pub fn render(&self, referral_id: &str) -> String {
        let text = match self {
            Self::Shared => format!("✔ Shared with Partner Center as referral {referral_id}"),
            Self::CoSellRequested => format!(
                "✔ Shared with Partner Center as referral {referral_id}; Microsoft was asked to co-sell"
            ),
            Self::CreatedFromReferral { left_out } if left_out.is_empty() => {
                format!("✔ Created from Partner Center referral {referral_id}")
            }
            Self::CreatedFromReferral { left_out } => format!(
                "✔ Created from Partner Center referral {referral_id}. {}",
                left_out_sentence(left_out)
            ),
            Self::Synced(sentence) => format!("✔ {sentence}"),
            Self::Held(reason) | Self::LifecycleNotPushed(reason) => format!("✔ {reason}"),
            Self::Refused(reason) => format!("✖ Refused: {reason}"),
            Self::Invalid {
                changes: true,
                problems,
            } => format!(
                "✖ Changes not sent to Partner Center: {}",
                validate::describe(problems)
            ),
            Self::Invalid {
                changes: false,
                problems,
            } => format!(
                "✖ Not sent to Partner Center: {}",
                validate::describe(problems)
            ),
            Self::Failed(message) => format!("✖ {message}"),
            Self::Resolved => "✔ In step with Partner Center again".to_owned(),
        };
        shorten(&text, crate::opportunity_map::AUDIT_LINE_MAX)
    }
}

/// The line a decision writes, before the already-written check.
pub(super) fn line_for(decision: &Decision, left_out: &[String]) -> Option<AuditLine> {
    match decision {
        Decision::Invalid { problems, .. } => Some(AuditLine::Invalid {
            changes: false,
            problems: problems.clone(),
        }),
        Decision::CreateOpportunity { .. } => Some(AuditLine::CreatedFromReferral {
            left_out: left_out.to_vec(),
        }),
        Decision::Update(update) => match update_line(update) {
            Some(AuditLine::Synced(sentence)) if !left_out.is_empty() => Some(AuditLine::Synced(
                format!("{sentence}. {}", left_out_sentence(left_out)),
            )),
            line => line,
        },
        _ => None,
    }
}

/// The line once Microsoft answered the co-sell request: the answer first,
/// then what else the pass synced. A line reporting a problem stays as it is.
pub(super) fn with_microsoft_answer(
    line: Option<AuditLine>,
    answer: &MicrosoftAnswer,
) -> Option<AuditLine> {
    let Some(news) = answer.sentence() else {
        return line;
    };
    match line {
        None | Some(AuditLine::Resolved) => Some(AuditLine::Synced(news)),
        Some(AuditLine::Synced(rest) | AuditLine::Held(rest)) => {
            Some(AuditLine::Synced(format!("{news}. {rest}")))
        }
        other => other,
    }
}

/// Values Salesforce cannot hold, in words.
fn left_out_sentence(left_out: &[String]) -> String {
    format!(
        "Left out of Salesforce, which cannot hold them: {}",
        left_out.join(", ")
    )
}

fn update_line(update: &Update) -> Option<AuditLine> {
    let o = &update.outcome;
    if !update.problems.is_empty() {
        return Some(AuditLine::Invalid {
            changes: true,
            problems: update.problems.clone(),
        });
    }
    if let Some(refusal) = o.refusals.first() {
        return Some(AuditLine::Refused(refusal.reason.clone()));
    }
    if o.is_noop() {
        if let Some(note) = &o.lifecycle.note {
            return Some(AuditLine::LifecycleNotPushed(note.clone()));
        }
        return update.held_reason.clone().map(AuditLine::Held);
    }
    Some(AuditLine::Synced(sentence(update)))
}

/// What a merge did, in words.
pub fn sentence(update: &Update) -> String {
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
            Side::PartnerCenter => &c.salesforce,
            Side::Salesforce => &c.partner_center,
        };
        parts.push(format!(
            "conflict on {}: kept {}'s value, discarded {}",
            c.field,
            c.winner.label(),
            shorten(&loser.to_string(), VALUE_MAX)
        ));
    }
    if let Some(note) = &o.lifecycle.note {
        parts.push(note.clone());
    }
    parts.join(". ")
}
