//! What the emulator knows about the Referral resource's shape (reference
//! <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>): property names (for case-insensitive input and `$filter`
//! paths), enumerations, and which properties the server owns.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Every documented property name of a referral and its nested types, in
/// the camelCase the service emits.
const KNOWN_KEYS: &[&str] = &[
    // Referral
    "id",
    "engagementId",
    "name",
    "organizationId",
    "organizationName",
    "mpnId",
    "externalReferenceId",
    "createdDateTime",
    "updatedDateTime",
    "expirationDateTime",
    "acceptedDateTime",
    "closedDateTime",
    "status",
    "substatus",
    "statusReason",
    "qualification",
    "type",
    "direction",
    "referralSource",
    "callToAction",
    "referralProgram",
    "campaignId",
    "salesStage",
    "quality",
    "isSpam",
    "favorite",
    "dealSensitivity",
    "createdVia",
    "lastModifiedVia",
    "lastRunId",
    "tags",
    "registrationStatus",
    "registrations",
    "target",
    "customerProfile",
    "consent",
    "details",
    "team",
    "inviteContext",
    "links",
    "trackingInfo",
    "eTag",
    "partnerRole",
    "solutionArea",
    "solutionPlay",
    "customerMarketplaceIntent",
    // CustomerProfile, CustomerProfileId, Address
    "size",
    "isMatchingComplete",
    "address",
    "ids",
    "profileType",
    "addressLine1",
    "addressLine2",
    "city",
    "state",
    "postalCode",
    "country",
    "region",
    // Member, ContactPreference
    "firstName",
    "lastName",
    "phoneNumber",
    "email",
    "title",
    "contactPreference",
    "emailValidationStatus",
    "phoneValidationStatus",
    "locale",
    "disableNotifications",
    // Consent
    "consentToToShareInfoWithOthers",
    "consentToContact",
    "consentToShareReferralWithMicrosoftSellers",
    "consentToMicrosoftToContactSpecificPartners",
    // ReferralDetails, Requirements, SolutionTag
    "notes",
    "dealValue",
    "currency",
    "closingDateTime",
    "customerRequestedContact",
    "customerAction",
    "incentiveLevel",
    "requirements",
    "industries",
    "products",
    "services",
    "solutions",
    "offers",
    "salesPlays",
    "additionalRequirements",
    "iot",
    "attributes",
    "customerLicenseAgreementNumber",
    "deviceCategory",
    "siliconType",
    "azureCertifiedDevice",
    "attachServices",
    "price",
    "quantity",
    "publisherName",
    "solutionType",
    // InviteContext, TrackingInfo, Links
    "assistanceRequestCode",
    "invitedMpnId",
    "invitedBy",
    "microsoftMsxId",
    "microsoftUSFedOpportunityId",
    "microsoftUSFedLeadId",
    "migratedPSCDealId",
    "migratedPSCPartnerDealId",
    "relatedReferrals",
    "self",
    "uri",
    "method",
    // Registrations (deal registration, https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral)
    "solutionDetails",
    "contract",
    "registrationDateTime",
    "statusHistory",
    "value",
    "isDeployedOnAzure",
    "primaryDeploymentOn",
    "pricingModel",
    "marketplaceTransactionDetails",
    "isMarketplaceTransacted",
    "marketplaceTransactionDateTime",
    "term",
    "startDateTime",
    "endDateTime",
    "signDateTime",
    "reviewPendingDateTime",
    "actionRequiredDateTime",
    "passedDateTime",
    "failedDateTime",
    "approvedDateTime",
];

/// Properties whose value is a boolean (usable bare in `$filter`).
pub(crate) const BOOL_KEYS: &[&str] = &[
    "isSpam",
    "favorite",
    "isMatchingComplete",
    "disableNotifications",
    "consentToToShareInfoWithOthers",
    "consentToContact",
    "consentToShareReferralWithMicrosoftSellers",
    "consentToMicrosoftToContactSpecificPartners",
    "customerRequestedContact",
    "azureCertifiedDevice",
    "attachServices",
    "isDeployedOnAzure",
    "isMarketplaceTransacted",
];

/// Top-level properties only the server writes (brief + <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) const SERVER_OWNED: &[&str] = &[
    "id",
    "engagementId",
    "eTag",
    "createdDateTime",
    "updatedDateTime",
    "acceptedDateTime",
    "closedDateTime",
    "links",
    "organizationId",
    "organizationName",
    "direction",
    "mpnId",
];

/// Property holding who invited the partner; the server sets it.
pub(crate) const INVITED_BY: [&str; 2] = ["inviteContext", "invitedBy"];

/// `status` values (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) const STATUSES: &[&str] = &["None", "New", "Active", "Closed"];
/// `substatus` values (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) const SUBSTATUSES: &[&str] = &[
    "None", "Pending", "Received", "Accepted", "Won", "Lost", "Declined", "Expired",
];
/// `type` values (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) const TYPES: &[&str] = &["Independent", "Shared"];
/// `inviteContext.assistanceRequestCode` values (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>).
pub(crate) const ASSISTANCE_CODES: &[&str] = &[
    "Unknown",
    "GeneralOrOther",
    "CustomerTechnicalArchitecture",
    "ProofOfConceptOrDemo",
    "QuotesOrLicensing",
    "PostSalesCustomerSuccess",
    "WorkloadSpecificValueProposition",
];

/// An enumerated property: where it sits (`*` = every array element) and its values.
pub(crate) struct EnumField {
    /// Path from the referral root.
    pub path: &'static [&'static str],
    /// Allowed values, canonical spelling.
    pub values: &'static [&'static str],
}

/// Every enumerated property the emulator checks (<https://learn.microsoft.com/en-us/partner-center/developer/referral-resources>, <https://learn.microsoft.com/en-us/partner-center/developer/create-a-referral>).
pub(crate) const ENUM_FIELDS: &[EnumField] = &[
    EnumField {
        path: &["status"],
        values: STATUSES,
    },
    EnumField {
        path: &["substatus"],
        values: SUBSTATUSES,
    },
    EnumField {
        path: &["type"],
        values: TYPES,
    },
    EnumField {
        path: &["qualification"],
        values: &["None", "Direct", "MarketingQualified", "SalesQualified"],
    },
    EnumField {
        path: &["inviteContext", "assistanceRequestCode"],
        values: ASSISTANCE_CODES,
    },
    EnumField {
        path: &["customerProfile", "size"],
        values: &[
            "1to50employees",
            "51to500employees",
            "Morethan500employees",
            "1to9employees",
            "10to50employees",
            "51to250employees",
            "251to1000employees",
            "1001to5000employees",
            "5001to10000employees",
            "10001to20000employees",
            "Morethan20000employees",
        ],
    },
    EnumField {
        path: &["customerProfile", "ids", "*", "profileType"],
        values: &["Duns", "External"],
    },
    EnumField {
        path: &["target", "*", "type"],
        values: &["None", "BusinessProfileLocation", "SolutionProfile"],
    },
    EnumField {
        path: &["details", "requirements", "solutions", "*", "type"],
        values: &["None", "Category", "Name"],
    },
    EnumField {
        path: &[
            "registrations",
            "*",
            "solutionDetails",
            "*",
            "primaryDeploymentOn",
        ],
        values: &["Customer", "Partner"],
    },
    EnumField {
        path: &["registrations", "*", "solutionDetails", "*", "pricingModel"],
        values: &["PayAsYouGo", "Other"],
    },
    EnumField {
        path: &["registrations", "*", "contract", "term"],
        values: &["Perpetual", "Finite"],
    },
];

fn key_index() -> &'static HashMap<String, &'static str> {
    static INDEX: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    INDEX.get_or_init(|| {
        KNOWN_KEYS
            .iter()
            .map(|k| (k.to_ascii_lowercase(), *k))
            .collect()
    })
}

/// The canonical spelling of a documented property name, matched case-insensitively.
pub(crate) fn canonical_key(key: &str) -> Option<&'static str> {
    key_index().get(&key.to_ascii_lowercase()).copied()
}

/// Renames documented keys to their camelCase spelling at every depth
/// (the service deserializes case-insensitively, <https://learn.microsoft.com/en-us/partner-center/developer/referral-resources> Consent
/// note); unknown keys are kept verbatim; OData annotations are dropped.
pub(crate) fn canonicalize(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, inner) in map {
                if key.starts_with("@odata.") {
                    continue;
                }
                let key = canonical_key(&key).map_or(key, str::to_owned);
                out.insert(key, canonicalize(inner));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(canonicalize).collect()),
        other => other,
    }
}

/// Looks up `value`'s canonical spelling in `allowed`, case-insensitively.
pub(crate) fn canonical_enum(allowed: &[&'static str], value: &str) -> Option<&'static str> {
    allowed
        .iter()
        .copied()
        .find(|v| v.eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_matched_case_insensitively_and_unknown_ones_kept() {
        let input = json!({
            "Consent": {"ConsentToToShareInfoWithOthers": true, "consenttocontact": false},
            "CustomField": 1,
            "@odata.context": "x"
        });
        let out = canonicalize(input);
        assert_eq!(
            out,
            json!({"consent": {"consentToToShareInfoWithOthers": true, "consentToContact": false}, "CustomField": 1})
        );
    }

    #[test]
    fn enum_values_resolve_to_their_canonical_spelling() {
        assert_eq!(canonical_enum(STATUSES, "active"), Some("Active"));
        assert_eq!(canonical_enum(STATUSES, "Open"), None);
    }
}
