//! Co-sell engagements with Microsoft: the partner's `Shared` referral and
//! the connected referral it creates for Microsoft in the same engagement,
//! and Microsoft's answer to it (accept with its MSX id and seller, or
//! decline).
//!
//! Microsoft's "Create a referral" page, section "Creating a shared
//! referral" (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>;
//! <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>): create your own referral with
//! `type: Shared`, copy its `engagementId`, then create a connected referral
//! for Microsoft with that `engagementId` and `target: [{ "type":
//! "BusinessProfileLocation", "id": "msft" }]`; both then list each other
//! through `links.relatedReferrals`, and `related-referral-*` events tell
//! each side about the other. The same page's "Deal types" section calls a
//! deal co-sell when help from Microsoft is chosen and it is shared with
//! Microsoft sellers. What Microsoft does with the connected referral is not
//! in the API documents; the emulator plays it as the state table allows
//! (New → Active/Accepted, New → Closed/Declined) and writes Microsoft's CRM
//! id to `trackingInfo.microsoftMsxId`, the field the co-sell connector
//! fills from "when Microsoft accepts" (Microsoft's Salesforce co-sell connector,
//! <https://learn.microsoft.com/en-us/partner-center/referrals/connector-salesforce>; an inference).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use super::store::Store;
use super::App;

/// `target` entry that addresses Microsoft.
const MICROSOFT_TARGET: (&str, &str) = ("BusinessProfileLocation", "msft");

/// Whether the referral is addressed to Microsoft (the connected referral).
pub(crate) fn is_microsoft_side(referral: &Value) -> bool {
    referral["target"].as_array().is_some_and(|targets| {
        targets.iter().any(|t| {
            t["type"].as_str() == Some(MICROSOFT_TARGET.0)
                && t["id"]
                    .as_str()
                    .is_some_and(|id| id.eq_ignore_ascii_case(MICROSOFT_TARGET.1))
        })
    })
}

/// Checks a new referral addressed to Microsoft: it must join an engagement
/// the partner opened with a `Shared` referral, and an engagement has one
/// Microsoft side only.
pub(crate) fn check_connected(store: &Store, engagement_id: Option<&str>) -> Result<(), ApiError> {
    let Some(engagement_id) = engagement_id else {
        return Err(ApiError::invalid_at(
            "engagementId",
            "A referral for Microsoft (target BusinessProfileLocation msft) must carry the engagementId of your Shared referral.",
        ));
    };
    let members: Vec<&Value> = store
        .all()
        .filter(|r| {
            r["engagementId"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(engagement_id))
        })
        .collect();
    if members.iter().any(|r| is_microsoft_side(r)) {
        return Err(ApiError::invalid_at(
            "target",
            format!("Engagement {engagement_id} already has a referral for Microsoft."),
        ));
    }
    if !members.iter().any(|r| r["type"] == "Shared") {
        return Err(ApiError::invalid_at(
            "engagementId",
            format!("Engagement {engagement_id} has no Shared referral: create your referral with type Shared before engaging Microsoft."),
        ));
    }
    Ok(())
}

/// Refuses a partner write that would answer for Microsoft: the status of
/// the connected referral is Microsoft's to set.
pub(crate) fn check_partner_write(current: &Value, next: &Value) -> Result<(), ApiError> {
    let answered = current["status"] != next["status"] || current["substatus"] != next["substatus"];
    if is_microsoft_side(current) && answered {
        return Err(ApiError::access_denied(
            "Only Microsoft accepts or declines the referral addressed to it.",
        )
        .with_target("status"));
    }
    Ok(())
}

/// A Microsoft seller, as the control API takes it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MicrosoftSeller {
    /// First name.
    #[serde(default)]
    pub first_name: String,
    /// Last name.
    #[serde(default)]
    pub last_name: String,
    /// Email.
    pub email: String,
}

/// Microsoft's answer to a connected referral.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "decision"
)]
pub enum MicrosoftAnswer {
    /// Microsoft takes the deal on: its CRM id and the seller who works it.
    Accept {
        /// Microsoft's CRM (MSX) id for the deal.
        msx_id: String,
        /// The Microsoft seller assigned.
        seller: Option<MicrosoftSeller>,
    },
    /// Microsoft will not help, and why.
    Decline {
        /// The reason given.
        #[serde(default)]
        reason: String,
    },
}

impl App {
    /// Microsoft answers the referral addressed to it (control API).
    pub(crate) fn microsoft_answer(
        self: &Arc<Self>,
        id: &str,
        answer: MicrosoftAnswer,
    ) -> Result<Value, ApiError> {
        {
            let data = self.data();
            let current = data
                .store
                .get(id)
                .ok_or_else(|| ApiError::not_found(format!("Referral {id} was not found.")))?;
            if !is_microsoft_side(current) {
                return Err(ApiError::invalid_at(
                    "target",
                    format!("Referral {id} is not addressed to Microsoft."),
                ));
            }
            if current["status"] != "New" {
                return Err(ApiError::invalid_at(
                    "status",
                    format!("Microsoft already answered referral {id}."),
                ));
            }
        }
        let change = match answer {
            MicrosoftAnswer::Accept { msx_id, seller } => {
                let mut change = json!({
                    "status": "Active",
                    "substatus": "Accepted",
                    "trackingInfo": { "microsoftMsxId": msx_id },
                });
                if let Some(seller) = seller {
                    change["team"] = json!([{
                        "firstName": seller.first_name,
                        "lastName": seller.last_name,
                        "email": seller.email,
                    }]);
                }
                change
            }
            MicrosoftAnswer::Decline { reason } => json!({
                "status": "Closed",
                "substatus": "Declined",
                "statusReason": reason,
            }),
        };
        self.microsoft_update(id, change)
    }
}
