//! Lifecycle rules: how a referral's status and an opportunity's stage move
//! each other (the field and state mapping of
//! <https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>).
//!
//! Salesforce cannot tell lost from declined or expired: all three are a
//! closed-lost stage. Comparisons therefore use [`on_salesforce`].

use serde::Serialize;

use crate::deal::Lifecycle;

/// What to do about the lifecycle of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LifecycleDecision {
    /// The lifecycle both sides hold afterwards.
    pub merged: Lifecycle,
    /// New referral status to send, if any.
    pub to_partner_center: Option<Lifecycle>,
    /// New opportunity lifecycle to set, if any.
    pub to_salesforce: Option<Lifecycle>,
    /// Something the user should know (a change that was not pushed).
    pub note: Option<String>,
}

/// How a lifecycle looks in Salesforce: on hold, open, won or lost.
pub fn on_salesforce(lifecycle: Lifecycle) -> Lifecycle {
    match lifecycle {
        Lifecycle::Declined | Lifecycle::Expired => Lifecycle::Lost,
        other => other,
    }
}

/// Reconciles the snapshot's lifecycle with both sides'.
pub fn reconcile(base: Lifecycle, pc: Lifecycle, sf: Lifecycle) -> LifecycleDecision {
    let mut decision = LifecycleDecision {
        merged: pc,
        to_partner_center: None,
        to_salesforce: None,
        note: None,
    };
    let sf_changed = sf != on_salesforce(base);
    let in_step = on_salesforce(pc) == sf;
    if in_step {
        return decision;
    }
    if pc.is_closed() {
        if pc != base || !sf_changed {
            decision.to_salesforce = Some(pc);
        } else {
            decision.note = Some(format!(
                "the referral is closed ({pc:?}) in Partner Center, which makes it final; \
                 the opportunity's change to {sf:?} was not pushed"
            ));
        }
        return decision;
    }
    if sf_changed {
        if let Some(next) = referral_transition(pc, sf) {
            decision.merged = next;
            decision.to_partner_center = Some(next);
            return decision;
        }
        if pc == base {
            decision.note = Some(format!(
                "the opportunity moved back to {sf:?} but the referral is {pc:?} in Partner \
                 Center, which cannot move backwards; the change was not pushed"
            ));
            return decision;
        }
    }
    // Partner Center moved (e.g. accepted in the portal): Salesforce follows.
    decision.to_salesforce = Some(pc);
    decision
}

/// The referral state a Salesforce lifecycle asks for, when that move is legal
/// from `pc` (New → Active/Closed, Active → Closed).
fn referral_transition(pc: Lifecycle, sf: Lifecycle) -> Option<Lifecycle> {
    match (pc, sf) {
        (Lifecycle::Pending, Lifecycle::Active) => Some(Lifecycle::Active),
        (Lifecycle::Pending, Lifecycle::Lost) => Some(Lifecycle::Declined),
        // Partner Center closes a New referral only as Declined or Expired:
        // a deal won straight from on-hold is accepted first, then won on the
        // next pass.
        (Lifecycle::Pending, Lifecycle::Won) => Some(Lifecycle::Active),
        (Lifecycle::Active, Lifecycle::Won) => Some(Lifecycle::Won),
        (Lifecycle::Active, Lifecycle::Lost) => Some(Lifecycle::Lost),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Lifecycle::*;

    #[test]
    fn leaving_on_hold_accepts_the_referral() {
        let d = reconcile(Pending, Pending, Active);
        assert_eq!(d.to_partner_center, Some(Active));
        assert_eq!(d.merged, Active);
    }

    #[test]
    fn closing_lost_before_acceptance_declines() {
        assert_eq!(
            reconcile(Pending, Pending, Lost).to_partner_center,
            Some(Declined)
        );
    }

    #[test]
    fn closing_after_acceptance_closes_won_or_lost() {
        assert_eq!(reconcile(Active, Active, Won).to_partner_center, Some(Won));
        assert_eq!(
            reconcile(Active, Active, Lost).to_partner_center,
            Some(Lost)
        );
    }

    #[test]
    fn a_referral_closed_in_partner_center_closes_the_opportunity() {
        let d = reconcile(Active, Expired, Active);
        assert_eq!(d.to_salesforce, Some(Expired));
        assert_eq!(d.to_partner_center, None);
    }

    #[test]
    fn reopening_a_closed_deal_is_reported_not_forced() {
        let d = reconcile(Won, Won, Active);
        assert_eq!(d.to_salesforce, None);
        assert_eq!(d.to_partner_center, None);
        assert!(d.note.is_some());
    }

    #[test]
    fn declined_and_lost_look_the_same_in_salesforce() {
        let d = reconcile(Declined, Declined, Lost);
        assert_eq!(
            (d.to_partner_center, d.to_salesforce, d.note),
            (None, None, None)
        );
    }

    #[test]
    fn accepted_in_partner_center_moves_the_opportunity_to_active() {
        assert_eq!(
            reconcile(Pending, Active, Pending).to_salesforce,
            Some(Active)
        );
    }
}
