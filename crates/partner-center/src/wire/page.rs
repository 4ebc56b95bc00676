//! The OData list envelope of `GET /referrals` (<https://learn.microsoft.com/en-us/partner-center/developer/get-a-list-of-referrals>).

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

/// A page whose referrals are kept as raw JSON, so one that does not decode
/// fails alone instead of failing its page.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct RawReferralPage {
    /// The referrals of this page, undecoded.
    pub value: Vec<Value>,
    /// `@odata.nextLink`: the next page, to be followed verbatim.
    #[serde(rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

/// A listed referral that did not decode, with what could be read of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undecodable {
    /// Its `id`, when the raw JSON has one.
    pub id: Option<String>,
    /// Its `updatedDateTime` as sent, when present.
    pub updated_date_time: Option<String>,
    /// Why it did not decode.
    pub reason: String,
}

/// Every referral of a listing: the ones that decoded and the ones that did not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing {
    /// Decoded referrals, in listing order.
    pub referrals: Vec<Referral>,
    /// Referrals that did not decode.
    pub undecodable: Vec<Undecodable>,
}

impl Listing {
    /// Decodes a raw page's referrals into this listing, one by one.
    pub fn add_page(&mut self, page: Vec<Value>) {
        for raw in page {
            let text = |name: &str| raw.get(name).and_then(Value::as_str).map(str::to_owned);
            let (id, updated_date_time) = (text("id"), text("updatedDateTime"));
            match serde_json::from_value::<Referral>(raw) {
                Ok(referral) => self.referrals.push(referral),
                Err(e) => self.undecodable.push(Undecodable {
                    id,
                    updated_date_time,
                    reason: e.to_string(),
                }),
            }
        }
    }
}
