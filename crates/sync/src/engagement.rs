//! Co-sell with Microsoft as the Referrals API defines it: a deal that asks
//! Microsoft for help is the partner's own `Shared` referral plus a
//! connected referral addressed to Microsoft (`target` BusinessProfileLocation
//! `msft`) in the same engagement; Microsoft answers on that connected
//! referral. Source: "Create a referral", sections "Deal types" and
//! "Creating a shared referral"
//! (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>,
//! <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>). This module reads Microsoft's answer
//! and tells which referrals of an engagement are whose.

use partner_center::wire::{
    Direction, Member, Referral, ReferralStatus, ReferralSubstatus, ReferralType,
};
use serde::{Deserialize, Serialize};

/// Microsoft's answer to the co-sell request, as its referral shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MicrosoftAnswer {
    /// Asked; Microsoft has not answered yet.
    Asked,
    /// Microsoft takes the deal on.
    Accepted {
        /// Microsoft's CRM (MSX) id for the deal.
        crm_id: Option<String>,
        /// The Microsoft seller assigned, as "Name <email>".
        seller: Option<String>,
    },
    /// Microsoft will not help.
    Declined {
        /// The reason Microsoft gave.
        reason: Option<String>,
    },
}

impl MicrosoftAnswer {
    /// The answer the referral addressed to Microsoft shows.
    pub fn of(for_microsoft: &Referral) -> Self {
        match (&for_microsoft.status, &for_microsoft.substatus) {
            (Some(ReferralStatus::Active), _) => Self::Accepted {
                crm_id: for_microsoft
                    .tracking_info
                    .as_ref()
                    .and_then(|t| t.microsoft_msx_id.clone())
                    .filter(|id| !id.is_empty()),
                seller: for_microsoft
                    .team
                    .as_deref()
                    .unwrap_or_default()
                    .first()
                    .map(seller_name),
            },
            (Some(ReferralStatus::Closed), Some(ReferralSubstatus::Declined)) => Self::Declined {
                reason: for_microsoft
                    .status_reason
                    .clone()
                    .filter(|r| !r.trim().is_empty()),
            },
            _ => Self::Asked,
        }
    }

    /// The sentence for the opportunity's Audit field (None while asked).
    pub fn sentence(&self) -> Option<String> {
        match self {
            Self::Asked => None,
            Self::Accepted { crm_id, seller } => {
                let mut details = Vec::new();
                if let Some(id) = crm_id {
                    details.push(format!("Microsoft CRM id {id}"));
                }
                if let Some(seller) = seller {
                    details.push(format!("Microsoft seller {seller}"));
                }
                Some(if details.is_empty() {
                    "Microsoft accepted the co-sell request".to_owned()
                } else {
                    format!(
                        "Microsoft accepted the co-sell request ({})",
                        details.join(", ")
                    )
                })
            }
            Self::Declined { reason } => Some(format!(
                "Microsoft declined the co-sell request{}; the deal stays open with you",
                reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            )),
        }
    }
}

fn seller_name(member: &Member) -> String {
    let name = [member.first_name.as_deref(), member.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match (name.is_empty(), member.email.as_deref()) {
        (false, Some(email)) => format!("{name} <{email}>"),
        (true, Some(email)) => email.to_owned(),
        _ => name,
    }
}

/// The referral addressed to Microsoft among an engagement's referrals.
pub fn microsoft_side(related: &[Referral]) -> Option<&Referral> {
    related.iter().find(|r| r.is_for_microsoft())
}

/// The partner's own referral among an engagement's referrals: outgoing and
/// not the one addressed to Microsoft.
pub fn own_side(related: &[Referral]) -> Option<&Referral> {
    related
        .iter()
        .find(|r| !r.is_for_microsoft() && r.direction == Some(Direction::Outgoing))
}

/// Whether an engagement with Microsoft may hang off this referral: the
/// partner's own `Shared` referral (not the one addressed to Microsoft).
pub fn may_engage_microsoft(referral: &Referral) -> bool {
    referral.direction == Some(Direction::Outgoing)
        && referral.referral_type == Some(ReferralType::Shared)
        && !referral.is_for_microsoft()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn referral(value: serde_json::Value) -> Referral {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn answers_read_from_microsofts_referral() {
        let asked = referral(json!({ "status": "New", "substatus": "Pending" }));
        assert_eq!(MicrosoftAnswer::of(&asked), MicrosoftAnswer::Asked);
        assert_eq!(MicrosoftAnswer::Asked.sentence(), None);
        let accepted = referral(json!({
            "status": "Active", "substatus": "Accepted",
            "trackingInfo": { "microsoftMsxId": "7-3K9QZ1" },
            "team": [{ "firstName": "Mia", "lastName": "Lind", "email": "mia@microsoft.example" }]
        }));
        let answer = MicrosoftAnswer::of(&accepted);
        assert_eq!(
            answer.sentence().unwrap(),
            "Microsoft accepted the co-sell request (Microsoft CRM id 7-3K9QZ1, Microsoft seller Mia Lind <mia@microsoft.example>)"
        );
        let declined = referral(
            json!({ "status": "Closed", "substatus": "Declined", "statusReason": "Covered by another partner" }),
        );
        assert_eq!(
            MicrosoftAnswer::of(&declined).sentence().unwrap(),
            "Microsoft declined the co-sell request: Covered by another partner; the deal stays open with you"
        );
    }

    #[test]
    fn the_sides_of_an_engagement_are_told_apart() {
        let own = referral(json!({ "id": "a", "direction": "Outgoing", "type": "Shared" }));
        let theirs = referral(
            json!({ "id": "b", "direction": "Outgoing", "type": "Shared",
            "target": [{ "type": "BusinessProfileLocation", "id": "msft" }] }),
        );
        let related = vec![theirs.clone(), own.clone()];
        assert_eq!(microsoft_side(&related).unwrap().id.as_deref(), Some("b"));
        assert_eq!(own_side(&related).unwrap().id.as_deref(), Some("a"));
        assert!(may_engage_microsoft(&own));
        assert!(!may_engage_microsoft(&theirs));
        let incoming = referral(json!({ "direction": "Incoming", "type": "Shared" }));
        assert!(!may_engage_microsoft(&incoming));
    }
}
