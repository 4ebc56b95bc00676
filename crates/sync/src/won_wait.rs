//! The wait before a registered deal may be marked Won: "Wait 72 hours
//! after creating an eligible deal before marking it Won. If you mark the
//! deal as won earlier than that, the registration might be rejected"
//! (<https://learn.microsoft.com/en-us/partner-center/register-deals>). The
//! connector measures it from the referral's earliest deal registration
//! (`registrations[].registrationDateTime`), as Partner Center does, and
//! keeps a Won from Salesforce until the wait is over instead of sending it
//! to be refused.

use chrono::{DateTime, Duration, Utc};
use partner_center::wire::Referral;

use crate::validate::Problem;

/// How long after its registration a deal may be marked Won.
pub const WAIT: Duration = Duration::hours(72);

/// The earliest registration of the referral's deal, if it has one.
pub fn registered_at(referral: &Referral) -> Option<DateTime<Utc>> {
    referral
        .registrations
        .iter()
        .flatten()
        .filter_map(|r| r.registration_date_time.as_ref()?.to_utc())
        .min()
}

/// Why Won cannot be sent at `now`, naming the field and what happens next;
/// None when the deal has no registration or the wait is over.
pub fn too_early(referral: &Referral, now: DateTime<Utc>) -> Option<Problem> {
    let registered = registered_at(referral)?;
    let allowed = registered + WAIT;
    (now < allowed).then(|| Problem {
        code: "won_too_early",
        field: "Opportunity.StageName".into(),
        message: format!(
            "a deal with a deal registration can be marked Won only {} hours after the registration was created (registered {}; Won is accepted from {}): the opportunity stays won and cosell sends Won then, nothing to do",
            WAIT.num_hours(),
            registered.format("%Y-%m-%d %H:%M UTC"),
            allowed.format("%Y-%m-%d %H:%M UTC"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registered(at: &str) -> Referral {
        serde_json::from_value(json!({
            "registrations": [
                { "type": "AzureIPCoSell", "registrationDateTime": "2026-12-05T10:00:00Z" },
                { "type": "AzureIPCoSell", "registrationDateTime": at }
            ]
        }))
        .unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn won_waits_72_hours_from_the_earliest_registration() {
        let referral = registered("2026-12-01T09:30:00Z");
        let problem = too_early(&referral, at("2026-12-04T09:29:00Z")).unwrap();
        assert_eq!(problem.field, "Opportunity.StageName");
        assert!(problem.message.contains(
            "(registered 2026-12-01 09:30 UTC; Won is accepted from 2026-12-04 09:30 UTC)"
        ));
        assert!(too_early(&referral, at("2026-12-04T09:30:00Z")).is_none());
    }

    #[test]
    fn a_deal_without_a_registration_is_won_at_once() {
        assert!(too_early(&Referral::default(), at("2026-12-01T00:00:00Z")).is_none());
    }
}
