//! The Referral resource and its nested types (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>), camelCase on the wire.
//!
//! Every field is optional so partial bodies (`$select`, PATCH representations)
//! parse, and every struct keeps unknown JSON members in `extra` so a
//! GET→modify→PUT round trip never drops a field Microsoft added later.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::enums::{
    AssistanceRequestCode, ContractTerm, Direction, PricingModel, PrimaryDeploymentOn, ProfileType,
    ReferralQualification, ReferralStatus, ReferralSubstatus, ReferralType, SolutionTagType,
    TargetType,
};
use super::scalars::{lenient_number, Timestamp};

/// A Partner Center referral (lead or co-sell opportunity).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Referral {
    /// Server-assigned id (GUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Engagement shared by related referrals (one per party).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement_id: Option<String>,
    /// Deal name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Owning partner organisation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Owning partner organisation name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Partner MPN id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mpn_id: Option<String>,
    /// The partner's own CRM id for this referral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference_id: Option<String>,
    /// Creation time (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date_time: Option<Timestamp>,
    /// Last update time (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_date_time: Option<Timestamp>,
    /// When an unanswered referral expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date_time: Option<Timestamp>,
    /// When the referral was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted_date_time: Option<Timestamp>,
    /// When the referral was closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_date_time: Option<Timestamp>,
    /// Lifecycle status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ReferralStatus>,
    /// Sub-status within the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub substatus: Option<ReferralSubstatus>,
    /// Why the referral is in its status (e.g. why it was lost).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Qualification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualification: Option<ReferralQualification>,
    /// Independent or Shared (JSON key `type`).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub referral_type: Option<ReferralType>,
    /// Incoming or Outgoing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// Marketplace lead source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral_source: Option<String>,
    /// Marketplace call to action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_to_action: Option<String>,
    /// Referral programme.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referral_program: Option<String>,
    /// Campaign id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// Sales stage; a free string because the wire shows `"100"` besides the documented names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_stage: Option<String>,
    /// Lead quality (wire: `Unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    /// Marked as spam.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_spam: Option<bool>,
    /// Marked as favourite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favorite: Option<bool>,
    /// Deal sensitivity (wire: `None`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deal_sensitivity: Option<String>,
    /// Channel that created the referral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_via: Option<String>,
    /// Channel that last modified the referral.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified_via: Option<String>,
    /// Last run id; a string on the wire, an object in one third-party model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_run_id: Option<Value>,
    /// Free tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Deal-registration status (wire: `None`, `ReviewPending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_status: Option<String>,
    /// Deal registrations (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registrations: Option<Vec<DealRegistration>>,
    /// Who the referral is addressed to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Vec<Target>>,
    /// The customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_profile: Option<CustomerProfile>,
    /// Customer consents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Deal details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ReferralDetails>,
    /// The partner's sellers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Vec<Member>>,
    /// Invitation context (who invited, what help was asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invite_context: Option<InviteContext>,
    /// Server-generated links; removed before a PUT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<ReferralLinks>,
    /// Microsoft-side tracking ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_info: Option<TrackingInfo>,
    /// Concurrency token, sent verbatim (inner quotes included) in `If-Match`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e_tag: Option<String>,
    /// Services co-sell partner role; its JSON shape is not documented, so kept as raw JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_role: Option<Value>,
    /// Services co-sell solution area; its JSON shape is not documented, so kept as raw JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_area: Option<Value>,
    /// Services co-sell solution play; its JSON shape is not documented, so kept as raw JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_play: Option<Value>,
    /// Customer marketplace intent; JSON shape varies between docs, kept as raw JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_marketplace_intent: Option<Value>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Referral {
    /// True once the referral is Closed (Won, Lost, Declined, Expired): no change is allowed.
    pub fn is_terminal(&self) -> bool {
        self.status == Some(ReferralStatus::Closed)
    }

    /// True for the connected referral a partner addresses to Microsoft in
    /// a co-sell engagement (`target` BusinessProfileLocation `msft`, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
    pub fn is_for_microsoft(&self) -> bool {
        self.target
            .as_deref()
            .unwrap_or_default()
            .iter()
            .any(Target::is_microsoft)
    }

    /// A copy fit for a PUT body: the server-generated `links` removed (<https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
    pub fn without_links(&self) -> Referral {
        let mut copy = self.clone();
        copy.links = None;
        copy.extra.remove("links");
        copy
    }
}

/// The customer of a referral.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomerProfile {
    /// Customer (account) name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Size bucket, e.g. `10to50employees` (wire also shows `""`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Whether Microsoft finished matching the customer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_matching_complete: Option<bool>,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Customer contacts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Vec<Member>>,
    /// External identifiers (DUNS, CRM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ids: Option<Vec<CustomerProfileId>>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An identifier of the customer in another system.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomerProfileId {
    /// Kind of id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_type: Option<ProfileType>,
    /// The id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A postal address; `country` is ISO 3166 alpha-2.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Address {
    /// First line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    /// Second line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166 alpha-2 country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A person: a partner seller or a customer contact.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Member {
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Contact preferences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_preference: Option<ContactPreference>,
    /// E-mail validation status (newer docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_validation_status: Option<String>,
    /// Phone validation status (newer docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_validation_status: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How a member wants to be contacted.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContactPreference {
    /// Culture name, e.g. `en-us`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// Opt-out of notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_notifications: Option<bool>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Customer consents. Note the documented key `consentToToShareInfoWithOthers` (sic).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Consent {
    /// Consent to share info with others (wire key has a doubled "To").
    #[serde(
        rename = "consentToToShareInfoWithOthers",
        alias = "ConsentToToShareInfoWithOthers",
        skip_serializing_if = "Option::is_none"
    )]
    pub consent_to_share_info_with_others: Option<bool>,
    /// Consent to be contacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_to_contact: Option<bool>,
    /// Visible to Microsoft sellers (one-way: cannot be reverted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_to_share_referral_with_microsoft_sellers: Option<bool>,
    /// Microsoft may put specific partners in contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consent_to_microsoft_to_contact_specific_partners: Option<bool>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Deal details: value, currency, close date, requirements.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferralDetails {
    /// Free-text notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Deal value; accepted as a number or a numeric string, written as a number.
    #[serde(with = "lenient_number", skip_serializing_if = "Option::is_none")]
    pub deal_value: Option<f64>,
    /// ISO 4217 currency code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Expected close date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing_date_time: Option<Timestamp>,
    /// Customer asked to be contacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_requested_contact: Option<bool>,
    /// Customer action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_action: Option<String>,
    /// Incentive level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incentive_level: Option<String>,
    /// What the customer needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirements: Option<Requirements>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What the customer needs: solutions, products, services, industries.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Requirements {
    /// Industry tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industries: Option<Vec<Tag>>,
    /// Legacy product tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<Tag>>,
    /// Service tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<Tag>>,
    /// Solutions (at least one when shared with Microsoft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solutions: Option<Vec<SolutionTag>>,
    /// Offers (shape undocumented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers: Option<Vec<Value>>,
    /// Sales plays (shape undocumented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sales_plays: Option<Vec<Value>>,
    /// IoT details and typed attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_requirements: Option<AdditionalRequirements>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A simple `{ "id": ... }` tag (industry, product, service).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tag {
    /// Tag id, e.g. `Azure`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Additional requirements: IoT details and typed attributes.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AdditionalRequirements {
    /// IoT details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iot: Option<IotRequirements>,
    /// Typed attributes, e.g. `{type: CustomerMarketplaceIntent, id: HaveNotDecided}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<Attribute>>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// IoT-specific requirements.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IotRequirements {
    /// Customer licence agreement number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_license_agreement_number: Option<String>,
    /// Device category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_category: Option<String>,
    /// Silicon type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub silicon_type: Option<String>,
    /// Azure-certified device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_certified_device: Option<bool>,
    /// Attach services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attach_services: Option<bool>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A typed attribute `{type, id}`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Attribute {
    /// Attribute type, e.g. `CustomerMarketplaceIntent`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub attribute_type: Option<String>,
    /// Attribute value id, e.g. `HaveNotDecided`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A solution attached to a referral.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SolutionTag {
    /// Solution id, e.g. `SOL-15974-MQF`, or a legacy category name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Name` (catalog id) or `Category` (legacy).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub tag_type: Option<SolutionTagType>,
    /// Price (number or numeric string on the wire).
    #[serde(with = "lenient_number", skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// Quantity (number or numeric string on the wire).
    #[serde(with = "lenient_number", skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// ISO 4217 currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Publisher name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_name: Option<String>,
    /// Solution type, e.g. `3P`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_type: Option<String>,
    /// Expected close date for this solution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closing_date_time: Option<Timestamp>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who a referral is addressed to; `{BusinessProfileLocation, "msft"}` = Microsoft.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Target {
    /// Kind of target.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub target_type: Option<TargetType>,
    /// Target id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Target {
    /// The target that shares a referral with Microsoft.
    pub fn microsoft() -> Self {
        Target {
            target_type: Some(TargetType::BusinessProfileLocation),
            id: Some("msft".to_owned()),
            extra: Map::new(),
        }
    }

    /// True when this target is Microsoft.
    pub fn is_microsoft(&self) -> bool {
        self.target_type == Some(TargetType::BusinessProfileLocation)
            && self
                .id
                .as_deref()
                .is_some_and(|id| id.eq_ignore_ascii_case("msft"))
    }
}

/// Who invited the partner and what help was asked.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InviteContext {
    /// Invitation notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Kind of help asked of Microsoft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assistance_request_code: Option<AssistanceRequestCode>,
    /// MPN id of the invited partner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_mpn_id: Option<String>,
    /// The inviting organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<InvitedBy>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The inviting organisation; `organizationId == "msft"` means Microsoft.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InvitedBy {
    /// Organisation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Organisation name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_name: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Microsoft-side tracking ids.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TrackingInfo {
    /// Microsoft CRM (MSX) opportunity id.
    #[serde(rename = "microsoftMsxId", skip_serializing_if = "Option::is_none")]
    pub microsoft_msx_id: Option<String>,
    /// US Federal opportunity id.
    #[serde(
        rename = "microsoftUSFedOpportunityId",
        skip_serializing_if = "Option::is_none"
    )]
    pub microsoft_us_fed_opportunity_id: Option<String>,
    /// US Federal lead id.
    #[serde(
        rename = "microsoftUSFedLeadId",
        skip_serializing_if = "Option::is_none"
    )]
    pub microsoft_us_fed_lead_id: Option<String>,
    /// Migrated PSC deal id.
    #[serde(rename = "migratedPSCDealId", skip_serializing_if = "Option::is_none")]
    pub migrated_psc_deal_id: Option<String>,
    /// Migrated PSC partner deal id.
    #[serde(
        rename = "migratedPSCPartnerDealId",
        skip_serializing_if = "Option::is_none"
    )]
    pub migrated_psc_partner_deal_id: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Server-generated links of a referral.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReferralLinks {
    /// List URL of the referrals sharing this engagement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_referrals: Option<Link>,
    /// This referral's URL.
    #[serde(rename = "self", skip_serializing_if = "Option::is_none")]
    pub self_link: Option<Link>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A hypermedia link.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Link {
    /// Target URI (use verbatim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// HTTP method, e.g. `GET`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A deal registration (e.g. `AzureIPCoSell`), added by PATCH on `/registrations/-`.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DealRegistration {
    /// Server-assigned id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Registration type, e.g. `AzureIPCoSell`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
    /// When it was registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_date_time: Option<Timestamp>,
    /// Review status (likely `ReviewPending`, `ActionRequired`, `Passed`, `Failed`, `Approved`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Reason for the status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// When each status was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_history: Option<RegistrationStatusHistory>,
    /// Registered solutions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_details: Option<Vec<RegistrationSolutionDetail>>,
    /// Contract terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract: Option<RegistrationContract>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// When a deal registration reached each review status.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationStatusHistory {
    /// Review pending since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_pending_date_time: Option<Timestamp>,
    /// Action required since.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_required_date_time: Option<Timestamp>,
    /// Passed at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_date_time: Option<Timestamp>,
    /// Failed at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_date_time: Option<Timestamp>,
    /// Approved at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_date_time: Option<Timestamp>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One solution of a deal registration.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationSolutionDetail {
    /// Solution id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// ISO 4217 currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Value (number or numeric string on the wire).
    #[serde(with = "lenient_number", skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Deployed on Azure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_deployed_on_azure: Option<bool>,
    /// Customer or Partner tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_deployment_on: Option<PrimaryDeploymentOn>,
    /// Pricing model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pricing_model: Option<PricingModel>,
    /// Marketplace transaction details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketplace_transaction_details: Option<MarketplaceTransactionDetails>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Marketplace transaction details of a registered solution.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MarketplaceTransactionDetails {
    /// Transacted through the marketplace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_marketplace_transacted: Option<bool>,
    /// When it was transacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marketplace_transaction_date_time: Option<Timestamp>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Contract terms of a deal registration.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RegistrationContract {
    /// ISO 4217 currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Contract value (number or numeric string on the wire).
    #[serde(with = "lenient_number", skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Perpetual or Finite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<ContractTerm>,
    /// Contract start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date_time: Option<Timestamp>,
    /// Contract end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<Timestamp>,
    /// Contract signature date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_date_time: Option<Timestamp>,
    /// Members this crate does not know, kept for round trips.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
