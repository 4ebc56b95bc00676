//! The OData list envelope of `GET /referrals` (§1.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::referral::Referral;

/// One page of referrals.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralPage {
    /// `@odata.context` metadata URL.
    #[serde(rename = "@odata.context", skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `@odata.count`, present when `$count=true` was asked.
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The referrals of this page.
    pub value: Vec<Referral>,
    /// `@odata.nextLink`: the next page, to be followed verbatim; absent on the last page.
    #[serde(rename = "@odata.nextLink", skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    /// Members this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
