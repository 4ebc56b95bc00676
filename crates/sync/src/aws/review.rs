//! What AWS's review lets a partner change
//! (<https://docs.aws.amazon.com/partner-central/latest/APIReference/working-with-opportunity-updates.html>):
//! nothing while AWS has the opportunity (`Submitted`, `In review`) or after
//! it rejected it, only some members while it asks for action, and all but
//! some once it approved.

use super::deal::Member;

/// Review statuses under which the partner may not update the opportunity.
const LOCKED: &[&str] = &["Submitted", "In review"];
/// The review status of a rejected opportunity (read-only for good).
pub const REJECTED: &str = "Rejected";
/// The review status of an opportunity AWS approved.
pub const APPROVED: &str = "Approved";
/// The review status of an opportunity AWS sent back for changes.
pub const ACTION_REQUIRED: &str = "Action Required";
/// The review status of an opportunity not yet submitted.
pub const PENDING_SUBMISSION: &str = "Pending Submission";

/// Editable while `Action Required`.
const ACTION_REQUIRED_EDITABLE: &[Member] = &[
    Member::Website,
    Member::Country,
    Member::PostalCode,
    Member::BusinessProblem,
    Member::MonthlySpend,
    Member::CloseDate,
];

/// Locked once `Approved`.
const APPROVED_LOCKED: &[Member] = &[
    Member::Country,
    Member::PostalCode,
    Member::Industry,
    Member::Website,
    Member::BusinessProblem,
    Member::Title,
];

/// What may happen to an edited member now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Send it now.
    Send,
    /// Keep it and send it once AWS's review allows.
    Hold,
    /// AWS will never take it (rejected, or locked after approval).
    Refuse,
}

/// The gate of `member` under `review_status` (None: no review, e.g. an
/// opportunity AWS referred).
pub fn gate(review_status: Option<&str>, member: Member) -> Gate {
    match review_status {
        Some(s) if LOCKED.contains(&s) => Gate::Hold,
        Some(REJECTED) => Gate::Refuse,
        Some(ACTION_REQUIRED) if ACTION_REQUIRED_EDITABLE.contains(&member) => Gate::Send,
        Some(ACTION_REQUIRED) => Gate::Hold,
        Some(APPROVED) if APPROVED_LOCKED.contains(&member) => Gate::Refuse,
        _ => Gate::Send,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_review_status_gates_edits_as_aws_documents() {
        let table = [
            (None, Member::Title, Gate::Send),
            (Some(PENDING_SUBMISSION), Member::Industry, Gate::Send),
            (Some("Submitted"), Member::CloseDate, Gate::Hold),
            (Some("In review"), Member::Stage, Gate::Hold),
            (Some(ACTION_REQUIRED), Member::Website, Gate::Send),
            (Some(ACTION_REQUIRED), Member::Industry, Gate::Hold),
            (Some(APPROVED), Member::Stage, Gate::Send),
            (Some(APPROVED), Member::CloseDate, Gate::Send),
            (Some(APPROVED), Member::Title, Gate::Refuse),
            (Some(REJECTED), Member::CloseDate, Gate::Refuse),
        ];
        for (status, member, expected) in table {
            assert_eq!(gate(status, member), expected, "{status:?} {member:?}");
        }
    }
}
